"""Exports for meta-analysis and reference managers: ``ae_long``, RIS and the workbook.

Example::

    >>> from msc_mine.exports import load_review, export_review
    >>> data = load_review("outputs/msc_iv_safety/review.sqlite", "msc_iv_safety")  # doctest: +SKIP
    >>> len(data.included)                                                  # doctest: +SKIP
    15
    >>> files = export_review(data, "outputs/msc_iv_safety")                # doctest: +SKIP
    >>> sorted(files)                                                       # doctest: +SKIP
    ['ae_long.csv', 'included.ris', 'table.xlsx']

Everything is read from the review database (records, stored extractions, the pipeline's
screening decisions), never re-extracted, so an export always matches the last review run.

``ae_long`` (``codebook.AE_LONG_COLUMNS``): one row per *included* study and adverse-event
category, the long shape metafor's ``escalc(measure="PLO", xi=events, ni=n)`` and RevMan's
dichotomous-data import take. Rules:

- The seven core categories (``sae``, ``death``, ``thromboembolism``, ``infection``,
  ``malignancy``, ``fever``, ``infusion_reaction``) get a row for **every** included study,
  with ``events`` blank when the study does not report the category. An explicit blank
  says "not reported" in the file itself (the codebook's meaning of blank), so a reader can
  tell a study that is silent on deaths from one missing from the export; escalc turns a
  blank ``xi`` into ``NA`` and meta-analysis functions leave such rows out.
- Other normalized terms of ``lexicons/adverse_events.toml`` (``headache``, ``pneumonia``
  ...) get a row only where the study mentions them: a blank row for each of ~40 terms
  for every study would bury the data.
- ``events`` is 0 where the text says the event did not occur ("no thromboembolic
  events"); for ``sae`` also where ``sae_status`` is ``none_reported``. A count is never
  inferred across categories ("no SAEs" does not make deaths 0).
- A count larger than ``n`` counts events, not patients with the event; it cannot be a
  proportion (escalc stops on ``xi > ni``), so ``events`` is left blank and the sentence
  stays in ``evidence`` for a person to read.
- A lexicon term whose name is a core category with spaces ("infusion reaction") is
  merged into that category.

``included.ris``: the included studies for Zotero, EndNote, Covidence or Rayyan (rispy):
``TY JOUR``, ``TI``, ``AU`` (``Family, A.B.``), ``PY``, ``JO`` and ``T2`` (journal),
``AB``, ``DO``, ``AN`` (the PMID: EndNote's accession number, Zotero's archive location),
``KW`` (keywords and major MeSH), ``UR`` (the PubMed page) and ``N1`` (the screening
decision and the PMID again, as notes survive every import).

``table.xlsx``: the codebook table (every screened record) plus a ``codebook`` sheet that
explains each column (``data/codebook_columns.toml``), written with fixed timestamps so an
unchanged review gives identical bytes. Any table can also go to CSV or Parquet
(:mod:`msc_mine.writers` picks the format by extension).
"""

from __future__ import annotations

import io
import tomllib
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any

import rispy

from msc_mine.atomic import Staging
from msc_mine.codebook import (
    AE_CATEGORIES_CORE,
    AE_LONG_COLUMNS,
    NOT_STATED,
    TABLE_COLUMNS,
    AEFinding,
    Decision,
    Extraction,
)
from msc_mine.errors import MscMineError, UsageError
from msc_mine.records import Record
from msc_mine.store import Store
from msc_mine.table import build_ae_rows, build_row
from msc_mine.writers import write_table, xlsx_cell

__all__ = [
    "TABLE_FORMATS",
    "ColumnDoc",
    "ReviewData",
    "ae_long_rows",
    "codebook_columns",
    "export_review",
    "load_review",
    "ris_entries",
    "study_ae_rows",
    "table_rows",
    "write_ris",
    "write_table_with_codebook",
]

TABLE_FORMATS = ("csv", "xlsx", "parquet")
# openpyxl stamps "now" into the workbook properties and zip entries; both are fixed so an
# unchanged review exports identical bytes (the same choice as review.py's table.xlsx).
_FIXED_DATE = datetime(2000, 1, 1)
PUBMED_URL = "https://pubmed.ncbi.nlm.nih.gov/{pmid}/"


@dataclass(frozen=True)
class ColumnDoc:
    """One column's meaning and its vocabulary (or the form of its values)."""

    name: str
    meaning: str
    values: str


@dataclass
class ReviewData:
    """A review as stored: records, extractions and the pipeline's decisions, by key."""

    review_id: str
    records: dict[str, Record]
    extractions: dict[str, Extraction]
    decisions: dict[str, Decision]

    @property
    def included(self) -> list[str]:
        """Keys of the included records, sorted."""
        return sorted(k for k, d in self.decisions.items() if d.include == "yes")


def load_review(db_path: str | Path, review_id: str) -> ReviewData:
    """Read a review's screened records from its database; one-line errors if it cannot."""
    path = Path(db_path)
    if not path.is_file():
        raise UsageError(f"{path}: no review database (run `msc-mine review` first, or give --db)")
    with Store(path) as store:
        decisions = store.load_decisions(review_id)
        if not decisions:
            raise MscMineError(
                f"{path}: no screening decisions for review {review_id!r}: "
                "run `msc-mine review` on this pipeline first"
            )
        extractions = store.load_extractions()
        records: dict[str, Record] = {}
        for key in sorted(decisions):
            record = store.get(key)
            if record is not None:
                records[key] = record
    return ReviewData(review_id, records, extractions, decisions)


def require_included(data: ReviewData) -> list[str]:
    """The included keys; an error naming the review when there are none."""
    keys = [k for k in data.included if k in data.records]
    if not keys:
        raise MscMineError(
            f"review {data.review_id!r} has no included studies: nothing to export or pool "
            "(see maybe.csv for records a person should check)"
        )
    return keys


# -- ae_long ------------------------------------------------------------------------------


def _category_of(name: str) -> str:
    """``"infusion reaction"`` -> ``"infusion_reaction"``; other names unchanged."""
    underscored = name.replace(" ", "_")
    return underscored if underscored in AE_CATEGORIES_CORE else name


def _category_order(category: str) -> tuple[int, str]:
    if category in AE_CATEGORIES_CORE:
        return (AE_CATEGORIES_CORE.index(category), "")
    return (len(AE_CATEGORIES_CORE), category)


def _sae_from_status(extraction: Extraction) -> AEFinding | None:
    """The ``sae`` finding the SAE columns imply when extraction gave none."""
    status = extraction.sae_status
    if status.value == "none_reported":
        return AEFinding("sae", 0, NOT_STATED, True, status.evidence)
    if status.value == "some_reported":
        count = extraction.sae_count
        evidence = count.evidence if count.value is not None else status.evidence
        return AEFinding("sae", count.value, NOT_STATED, True, evidence)
    return None


def study_ae_rows(record: Record, extraction: Extraction) -> list[dict[str, Any]]:
    """The ``ae_long`` rows of one included study (see the module docstring for the rules)."""
    findings: dict[str, AEFinding] = {}
    for f in extraction.ae_findings:
        category = _category_of(f.category)
        # The term and its core category can both be findings ("infusion reaction" and
        # "infusion_reaction"); keep the one with a count.
        if category not in findings or findings[category].events is None:
            findings[category] = AEFinding(category, f.events, f.relatedness, f.serious, f.evidence)
    if "sae" not in findings and (implied := _sae_from_status(extraction)) is not None:
        findings["sae"] = implied
    for category in AE_CATEGORIES_CORE:
        findings.setdefault(category, AEFinding(category, None, NOT_STATED, False, ""))
    n = extraction.n_patients.value
    for f in findings.values():
        if f.events is not None and n is not None and f.events > n:
            f.events = None  # a count of events, not of patients: not a proportion
    ordered = sorted(findings.values(), key=lambda f: _category_order(f.category))
    shell = Extraction(
        pmid=extraction.pmid,
        conditions=extraction.conditions,
        route=extraction.route,
        cell_source=extraction.cell_source,
        allo_auto=extraction.allo_auto,
        n_patients=extraction.n_patients,
        ae_findings=ordered,
    )
    return build_ae_rows(record, shell)


def ae_long_rows(data: ReviewData) -> list[dict[str, Any]]:
    """``ae_long`` rows of every included study, by study key then category order."""
    rows: list[dict[str, Any]] = []
    for key in require_included(data):
        extraction = data.extractions.get(key) or Extraction(pmid=key)
        rows.extend(study_ae_rows(data.records[key], extraction))
    return rows


# -- the table and its codebook sheet ----------------------------------------------------


def table_rows(data: ReviewData) -> list[dict[str, Any]]:
    """Codebook rows of every screened record (as the review's table.csv), sorted by key."""
    from msc_mine.review import include_evidence

    rows = []
    for key in sorted(data.records):
        decision = data.decisions[key]
        row = build_row(
            data.records[key], data.extractions.get(key) or Extraction(pmid=key), decision
        )
        row["include_evidence"] = include_evidence(decision)
        rows.append(row)
    return rows


def codebook_columns(section: str = "columns") -> dict[str, ColumnDoc]:
    """Column descriptions from ``data/codebook_columns.toml`` (``columns`` or ``ae_long``)."""
    text = resources.files("msc_mine").joinpath("data/codebook_columns.toml").read_text("utf-8")
    table = tomllib.loads(text).get(section, {})
    return {
        name: ColumnDoc(name, str(entry["meaning"]), str(entry.get("values", "")))
        for name, entry in table.items()
    }


def _codebook_sheet_rows(columns: Sequence[str], section: str) -> list[list[str]]:
    docs = codebook_columns(section)
    missing = [c for c in columns if c not in docs]
    if missing:  # a code change added a column without documenting it
        raise MscMineError(f"data/codebook_columns.toml lacks column(s): {', '.join(missing)}")
    return [[c, docs[c].meaning, docs[c].values] for c in columns]


def write_table_with_codebook(
    rows: Sequence[dict[str, Any]],
    path: str | Path,
    columns: Sequence[str] = TABLE_COLUMNS,
    section: str = "columns",
) -> Path:
    """Write a table; XLSX gets a second sheet ``codebook``, CSV/Parquet go to writers."""
    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        return write_table(rows, path, columns=columns)
    from openpyxl import Workbook
    from openpyxl.writer.excel import ExcelWriter

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "table"
    ws.append(list(columns))
    for row in rows:
        ws.append([xlsx_cell(v if (v := row.get(c)) is not None else "") for c in columns])
    ws.freeze_panes = "A2"
    cb = wb.create_sheet("codebook")
    cb.append(["column", "meaning", "values"])
    for line in _codebook_sheet_rows(columns, section):
        cb.append(line)
    cb.column_dimensions["A"].width = 24
    cb.column_dimensions["B"].width = 80
    cb.column_dimensions["C"].width = 60
    wb.properties.created = _FIXED_DATE
    wb.properties.modified = _FIXED_DATE
    wb.properties.creator = "msc-mine"
    # save_workbook() would stamp "modified" with the current time; ExcelWriter keeps ours.
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(wb, archive).save()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(_fixed_zip(buf.getvalue()))
    return path


def _fixed_zip(data: bytes) -> bytes:
    """The same zip with fixed entry times, so identical content gives identical bytes."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(2000, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            dst.writestr(fixed, src.read(info.filename))
    return out.getvalue()


# -- RIS -----------------------------------------------------------------------------------


class _RisWriter(rispy.RisWriter):  # type: ignore[misc]
    """rispy's writer without its ``1.`` counter line, which strict readers refuse."""

    def set_header(self, count: int) -> str:
        return ""


def _ris_author(name: str) -> str:
    """``"Smith AB"`` -> ``"Smith, A.B."``, the form reference managers split correctly."""
    family, _, initials = name.rpartition(" ")
    if family and initials.isalpha() and initials.isupper() and len(initials) <= 4:
        return f"{family}, {'.'.join(initials)}."
    return name  # a collective name, or a form we cannot split safely


def _decision_note(decision: Decision | None) -> str:
    if decision is None:
        return ""
    head = f"msc-mine {decision.include}"
    if decision.rule_id:
        head += f" ({decision.rule_id})"
    return f"{head}: {decision.reason}" if decision.reason else head


def ris_entries(data: ReviewData) -> list[dict[str, Any]]:
    """rispy entries of the included studies (tags listed in the module docstring)."""
    entries = []
    for key in require_included(data):
        rec = data.records[key]
        entry: dict[str, Any] = {"type_of_reference": "JOUR", "title": rec.title}
        if rec.authors:
            entry["authors"] = [_ris_author(a) for a in rec.authors]
        if rec.year:
            entry["year"] = str(rec.year)
        if rec.journal:
            entry["journal_name"] = rec.journal
            entry["secondary_title"] = rec.journal
        if rec.abstract_text:
            entry["abstract"] = rec.abstract_text.replace("\n", " ")
        if rec.doi:
            entry["doi"] = rec.doi
        notes = [n for n in (_decision_note(data.decisions.get(key)),) if n]
        if rec.pmid:
            entry["accession_number"] = rec.pmid
            entry["urls"] = [PUBMED_URL.format(pmid=rec.pmid)]
            notes.append(f"PMID: {rec.pmid}")
        keywords = [*rec.keywords, *(m.descriptor for m in rec.mesh if m.major)]
        if keywords:
            entry["keywords"] = list(dict.fromkeys(keywords))
        if notes:
            entry["notes"] = notes
        entries.append(entry)
    return entries


def write_ris(entries: Iterable[dict[str, Any]], path: str | Path) -> Path:
    """Write rispy entries as a RIS file (UTF-8, no counter lines)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = rispy.dumps(list(entries), implementation=_RisWriter)
    path.write_text(text, encoding="utf-8", newline="\n")
    return path


# -- everything at once --------------------------------------------------------------------


def export_review(
    data: ReviewData, out_dir: str | Path, formats: Sequence[str] = ()
) -> dict[str, Path]:
    """Write ``ae_long``, ``included.ris`` and ``table`` into ``out_dir``; name -> path.

    ``formats`` (``csv``, ``xlsx``, ``parquet``) chooses the tables' formats; by default
    ``ae_long.csv`` (what metafor and RevMan read) and ``table.xlsx`` (with its codebook).
    """
    unknown = [f for f in formats if f not in TABLE_FORMATS]
    if unknown:
        raise UsageError(f"unknown table format {unknown[0]!r} (use {', '.join(TABLE_FORMATS)})")
    ae_formats = list(dict.fromkeys(formats)) or ["csv"]
    table_formats = list(dict.fromkeys(formats)) or ["xlsx"]
    out = Path(out_dir)
    ae_rows = ae_long_rows(data)  # raises before anything is written if none are included
    rows = table_rows(data)
    files: dict[str, Path] = {}
    # All files are written under temporary names and renamed together at the end, so a
    # failed export leaves the previous ones whole (msc_mine.atomic).
    with Staging() as staging:
        for fmt in ae_formats:
            name = f"ae_long.{fmt}"
            files[name] = out / name
            write_table_with_codebook(
                ae_rows, staging.path(out / name), columns=AE_LONG_COLUMNS, section="ae_long"
            )
        files["included.ris"] = out / "included.ris"
        write_ris(ris_entries(data), staging.path(out / "included.ris"))
        for fmt in table_formats:
            name = f"table.{fmt}"
            files[name] = out / name
            write_table_with_codebook(rows, staging.path(out / name))
    return files
