"""Score the extractor against hand-annotated gold records.

Example::

    >>> from msc_mine.evaluate import evaluate_gold
    >>> report = evaluate_gold("corpora/gold", split="dev")      # doctest: +SKIP
    >>> report["fields"]["route"]["f1"], report["fields"]["dose_low"]["accuracy"]  # doctest: +SKIP
    (0.95, 0.8)

Gold layout (docs/ARCHITECTURE.md): ``<dir>/<split>/<id>.xml`` (one PubmedArticle) with
``<id>.json`` beside it holding the codebook values. Scores:

- every field: accuracy (exact match; lists as sorted sets; doses within 1% relative,
  since "1.0 × 10(6)" and "1 million" must agree but rounding in the text must not fail);
- list fields (conditions, route, cell_source, sae_types, nonserious_aes): micro-averaged
  precision, recall and F1 over the items, ``not_stated`` left out (it is an absence, and
  counting it would reward saying nothing).

Screening columns (``include``, ``exclude_reason``) are the screen stage's and are not
scored here.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from msc_mine.codebook import NOT_STATED, Extraction
from msc_mine.errors import UsageError
from msc_mine.records import Record

__all__ = [
    "LIST_FIELDS",
    "NUMBER_FIELDS",
    "SCALAR_FIELDS",
    "GoldItem",
    "evaluate_gold",
    "iter_gold",
    "score",
]

LIST_FIELDS = ("conditions", "route", "cell_source", "sae_types", "nonserious_aes")
SCALAR_FIELDS = ("study_design", "phase", "allo_auto", "dose_unit", "sae_status")
NUMBER_FIELDS = ("dose_low", "dose_high", "n_infusions", "n_patients", "sae_count")
DOSE_TOLERANCE = 0.01


@dataclass
class GoldItem:
    """One gold record and its annotation."""

    id: str
    record: Record
    gold: dict[str, Any]


def _split_dir(gold_dir: Path, split: str | None) -> Path:
    if split:
        d = gold_dir / split
        if d.is_dir():
            return d
        if gold_dir.name == split and gold_dir.is_dir():
            return gold_dir
        raise UsageError(f"no gold split {split!r} under {gold_dir}")
    if any(gold_dir.glob("*.json")):
        return gold_dir
    raise UsageError(f"{gold_dir} holds no gold annotations; give --split dev or test")


def iter_gold(gold_dir: str | Path, split: str | None = None) -> Iterator[GoldItem]:
    """Gold records of a split, in file-name order."""
    from msc_mine.readers import read_records

    d = _split_dir(Path(gold_dir), split)
    for js in sorted(d.glob("*.json")):
        xml = js.with_suffix(".xml")
        if not xml.exists():
            raise UsageError(f"gold annotation {js.name} has no {xml.name} beside it")
        records = list(read_records(xml))
        if len(records) != 1:
            raise UsageError(f"{xml} must hold exactly one PubmedArticle, found {len(records)}")
        yield GoldItem(js.stem, records[0], json.loads(js.read_text(encoding="utf-8")))


def _num_equal(field: str, pred: Any, gold: Any) -> bool:
    if pred is None or gold is None:
        return pred is None and gold is None
    if field.startswith("dose"):
        return bool(abs(float(pred) - float(gold)) <= DOSE_TOLERANCE * abs(float(gold)))
    return bool(int(pred) == int(gold))


def score(pairs: Iterable[tuple[Extraction, dict[str, Any]]]) -> dict[str, Any]:
    """Per-field scores and the list of mismatches for (prediction, gold) pairs."""
    correct: dict[str, int] = {}
    counts: dict[str, list[int]] = {f: [0, 0, 0] for f in LIST_FIELDS}  # tp, fp, fn
    mismatches: list[dict[str, Any]] = []
    n = 0
    all_fields = LIST_FIELDS + SCALAR_FIELDS + NUMBER_FIELDS
    for ex, gold in pairs:
        n += 1
        for field in all_fields:
            if field not in gold:
                continue
            pred = getattr(ex, field).value
            want = gold[field]
            if field in LIST_FIELDS:
                p = set(pred) - {NOT_STATED}
                g = set(want or []) - {NOT_STATED}
                counts[field][0] += len(p & g)
                counts[field][1] += len(p - g)
                counts[field][2] += len(g - p)
                ok = set(pred) == set(want or [])
            elif field in NUMBER_FIELDS:
                ok = _num_equal(field, pred, want)
            else:
                ok = (pred or "") == (want or "")
            correct[field] = correct.get(field, 0) + int(ok)
            if not ok:
                mismatches.append(
                    {"id": gold.get("pmid", ex.pmid), "field": field, "pred": pred, "gold": want}
                )
    fields: dict[str, dict[str, Any]] = {}
    for field in all_fields:
        entry: dict[str, Any] = {"accuracy": round(correct.get(field, 0) / n, 4) if n else 0.0}
        if field in LIST_FIELDS:
            tp, fp, fn = counts[field]
            prec = tp / (tp + fp) if tp + fp else 1.0
            rec = tp / (tp + fn) if tp + fn else 1.0
            f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
            entry.update(
                precision=round(prec, 4), recall=round(rec, 4), f1=round(f1, 4), tp=tp, fp=fp, fn=fn
            )
        fields[field] = entry
    return {"n": n, "fields": fields, "mismatches": mismatches}


def evaluate_gold(
    gold_dir: str | Path,
    split: str | None = None,
    n_process: int = 1,
    use_model: str | None = None,
) -> dict[str, Any]:
    """Extract every gold record of a split and score it (see :func:`score`)."""
    from msc_mine.extract import EXTRACTOR_VERSION, extract_many

    items = list(iter_gold(gold_dir, split))
    preds = extract_many([it.record for it in items], n_process=n_process, use_model=use_model)
    report = score(zip(preds, (it.gold for it in items), strict=True))
    report["split"] = split or Path(gold_dir).name
    report["extractor_version"] = EXTRACTOR_VERSION
    return report
