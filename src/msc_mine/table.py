"""Codebook rows: one record and its extraction (and screening decision) as a table row.

Example::

    >>> from msc_mine.records import Record
    >>> from msc_mine.codebook import Extraction, Value, TABLE_COLUMNS
    >>> from msc_mine.table import build_row
    >>> rec = Record(pmid="1", title="T", authors=["Smith AB", "Lee C"], year=2020)
    >>> ex = Extraction(pmid="1", route=Value(["intravenous", "intrathecal"], "s1"),
    ...                 dose_low=Value(1e6, "s2"), dose_high=Value(1e6, "s2"))
    >>> row = build_row(rec, ex)
    >>> list(row) == list(TABLE_COLUMNS)
    True
    >>> row["route"], row["dose_low"], row["first_author"], row["include"]
    ('intrathecal;intravenous', 1000000, 'Smith AB', '')

Lists are ``;``-joined and sorted (the codebook's CSV form; :mod:`msc_mine.writers` turns
them back into lists for Parquet), whole-valued numbers are ints (``1000000``, never
``1e+06``), and a missing number is ``""``. :func:`build_ae_rows` gives the ``ae_long``
rows (one per adverse-event category) for meta-analysis.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from msc_mine.codebook import (
    AE_LONG_COLUMNS,
    EVIDENCE_FIELDS,
    LIST_COLUMNS,
    TABLE_COLUMNS,
    Decision,
    Extraction,
    Value,
)
from msc_mine.records import Record

__all__ = ["NUMBER_COLUMNS", "build_ae_rows", "build_row", "build_rows", "plain_number"]

NUMBER_COLUMNS = ("year", "dose_low", "dose_high", "n_infusions", "n_patients", "sae_count")


def plain_number(x: float | int | None) -> int | float | str:
    """``1e6`` -> ``1000000`` (floats only when fractional); ``None`` -> ``""``."""
    if x is None:
        return ""
    if isinstance(x, float) and x.is_integer():
        return int(x)
    return x


def _join(values: Iterable[str]) -> str:
    return ";".join(sorted(v for v in values if v))


def build_row(
    record: Record, extraction: Extraction, decision: Decision | None = None
) -> dict[str, Any]:
    """One codebook row (``codebook.TABLE_COLUMNS``, in order)."""
    row: dict[str, Any] = {
        "pmid": record.key,
        "doi": record.doi,
        "title": record.title,
        "first_author": record.first_author,
        "journal": record.journal,
        "year": plain_number(record.year),
        "publication_types": _join(record.publication_types),
    }
    for name in EVIDENCE_FIELDS[:-1]:
        v: Value[Any] = getattr(extraction, name)
        if name in LIST_COLUMNS:
            row[name] = _join(v.value)
        elif name in NUMBER_COLUMNS:
            row[name] = plain_number(v.value)
        else:
            row[name] = "" if v.value is None else v.value
    row["include"] = decision.include if decision else ""
    row["exclude_reason"] = decision.exclude_reason if decision else ""
    for name in EVIDENCE_FIELDS[:-1]:
        row[f"{name}_evidence"] = getattr(extraction, name).evidence
    row["include_evidence"] = (decision.evidence or decision.reason) if decision else ""
    return {c: row[c] for c in TABLE_COLUMNS}


def build_rows(
    records: Iterable[Record],
    extractions: Mapping[str, Extraction],
    decisions: Mapping[str, Decision] | None = None,
) -> list[dict[str, Any]]:
    """Rows for every record that has an extraction (keyed by ``Record.key``)."""
    decisions = decisions or {}
    return [
        build_row(r, extractions[r.key], decisions.get(r.key))
        for r in records
        if r.key in extractions
    ]


def build_ae_rows(record: Record, extraction: Extraction) -> list[dict[str, Any]]:
    """``ae_long`` rows (``codebook.AE_LONG_COLUMNS``): one per finding of the extraction."""
    conditions = extraction.conditions.value
    base = {
        "pmid": record.key,
        "first_author": record.first_author,
        "year": plain_number(record.year),
        "condition": conditions[0] if conditions else "",
        "route": _join(extraction.route.value),
        "cell_source": _join(extraction.cell_source.value),
        "allo_auto": extraction.allo_auto.value,
        "n": plain_number(extraction.n_patients.value),
    }
    rows = []
    for f in extraction.ae_findings:
        row = dict(base)
        row.update(
            category=f.category,
            events=plain_number(f.events),
            relatedness=f.relatedness,
            evidence=f.evidence,
        )
        rows.append({c: row[c] for c in AE_LONG_COLUMNS})
    return rows
