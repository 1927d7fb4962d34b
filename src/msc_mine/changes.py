"""The change report of a refresh: what is new, what was decided differently, what was
retracted, in ``<out>/changes/<YYYY-MM-DD>.md`` and ``.json``.

Example::

    >>> from datetime import date
    >>> from msc_mine.changes import build_changes
    >>> from msc_mine.codebook import Decision
    >>> old = {"1": Decision("1", "yes", rule_id="iv_safety")}
    >>> new = {"1": Decision("1", "no", "retracted", rule_id="retracted", reason="retracted"),
    ...        "2": Decision("2", "yes", rule_id="iv_safety")}
    >>> rows = {"1": {"pmid": "1", "title": "A"}, "2": {"pmid": "2", "title": "B"}}
    >>> report = build_changes("demo", date(2026, 12, 5), "2026-12-04T02:00:00+00:00",
    ...                        old, new, rows, rows)
    >>> report.summary.split(": ")[1].split(", ")[:2]
    ['1 new record', '1 new inclusion']
    >>> report.summary.endswith("1 retraction (1 of an included study)")
    True

The JSON is a contract (the HTML report reads it); its keys: ``date``, ``review``,
``previous_run`` (start of the run compared against, or null), ``retractions``
(``pmid``, ``title``, ``was_included``; previously included studies first),
``new_records``, ``new_inclusions`` (``pmid``, ``title``), ``changed_decisions``
(``pmid``, ``title``, ``old`` and ``new`` as ``include``/``exclude_reason``/``rule_id``,
``reason``: the new decision's), ``changed_values`` (``pmid``, ``field``, ``old``, ``new``;
rows included now), ``summary`` (the one line printed), and ``details`` (how the refresh
searched). The Markdown says the same for a reader, newly retracted included studies first.

Old decisions are those stored with the previous outputs (the store saves decisions only
once the outputs are written); old values are read from the previous ``table.csv``.
"""

from __future__ import annotations

import csv
import json
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from msc_mine.atomic import Staging
from msc_mine.codebook import IDENTITY_COLUMNS, VALUE_COLUMNS, Decision

__all__ = ["ChangeReport", "build_changes", "read_rows", "report_paths", "stage_report"]

#: Columns compared for ``changed_values``: the record's identity and extracted values
#: (the decision columns are reported as changed decisions, evidence text is not a value).
VALUE_FIELDS = tuple(
    c for c in (*IDENTITY_COLUMNS, *VALUE_COLUMNS) if c not in ("pmid", "include", "exclude_reason")
)
MD_LIST_LIMIT = 200  # entries per Markdown section; the JSON lists everything


@dataclass
class ChangeReport:
    """One refresh's changes; :meth:`to_dict` is the JSON contract."""

    date: str
    review: str
    previous_run: str | None
    retractions: list[dict[str, Any]] = field(default_factory=list)
    new_records: list[dict[str, Any]] = field(default_factory=list)
    new_inclusions: list[dict[str, Any]] = field(default_factory=list)
    changed_decisions: list[dict[str, Any]] = field(default_factory=list)
    changed_values: list[dict[str, Any]] = field(default_factory=list)
    summary: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def included_retracted(self) -> list[dict[str, Any]]:
        return [r for r in self.retractions if r["was_included"]]


def read_rows(path: str | Path) -> dict[str, dict[str, str]]:
    """A table CSV as pmid -> row of strings; empty if the file does not exist yet."""
    p = Path(path)
    if not p.is_file():
        return {}
    with p.open(newline="", encoding="utf-8") as fh:
        return {row["pmid"]: row for row in csv.DictReader(fh)}


def _brief(d: Decision) -> dict[str, str]:
    return {"include": d.include, "exclude_reason": d.exclude_reason, "rule_id": d.rule_id}


def build_changes(
    review: str,
    day: date,
    previous_run: str | None,
    old: dict[str, Decision],
    new: dict[str, Decision],
    old_rows: dict[str, dict[str, Any]],
    new_rows: dict[str, dict[str, Any]],
    details: dict[str, Any] | None = None,
) -> ChangeReport:
    """Compare the previous decisions and table rows with this run's."""
    report = ChangeReport(day.isoformat(), review, previous_run, details=dict(details or {}))

    def title(key: str) -> str:
        return str((new_rows.get(key) or old_rows.get(key) or {}).get("title", ""))

    for key in sorted(new):
        d, before = new[key], old.get(key)
        item = {"pmid": key, "title": title(key)}
        if before is None:
            report.new_records.append(item)
        if d.include == "yes" and (before is None or before.include != "yes"):
            report.new_inclusions.append(item)
        if d.exclude_reason == "retracted" and (
            before is None or before.exclude_reason != "retracted"
        ):
            was = before is not None and before.include == "yes"
            report.retractions.append(item | {"was_included": was})
        if before is not None and _brief(before) != _brief(d):
            report.changed_decisions.append(
                item | {"old": _brief(before), "new": _brief(d), "reason": d.reason}
            )
        if d.include == "yes" and key in old_rows and key in new_rows:
            for name in VALUE_FIELDS:
                a, b = str(old_rows[key].get(name, "")), str(new_rows[key].get(name, ""))
                if a != b:
                    report.changed_values.append({"pmid": key, "field": name, "old": a, "new": b})
    # A retracted study the review had included is the news: it leads.
    report.retractions.sort(key=lambda r: (not r["was_included"], r["pmid"]))
    report.summary = _summary(report)
    return report


def _n(count: int, word: str, plural: str = "") -> str:
    return f"{count} {word if count == 1 else plural or word + 's'}"


def _summary(r: ChangeReport) -> str:
    text = (
        f"{r.date} {r.review}: {_n(len(r.new_records), 'new record')}, "
        f"{_n(len(r.new_inclusions), 'new inclusion')}, "
        f"{_n(len(r.changed_decisions), 'changed decision')}, "
        f"{_n(len(r.changed_values), 'changed value')}, "
        f"{_n(len(r.retractions), 'retraction')}"
    )
    k = len(r.included_retracted)
    if k:
        text += f" ({k} of {'an included study' if k == 1 else 'included studies'})"
    return text


def to_markdown(r: ChangeReport) -> str:
    """The report for a reader; newly retracted included studies come first."""
    since = f"since the run of {r.previous_run}" if r.previous_run else "first run: no previous"
    lines = [f"# Changes to {r.review}, {r.date}", "", f"{r.summary}", "", f"Compared {since}."]
    if r.details.get("mode") == "full":
        lines += ["", "Every search ran in full this time (no previous run to start from)."]
    if r.included_retracted:
        lines += ["", "## RETRACTED: studies the review had included", ""]
        lines += [f"- PMID {x['pmid']}: {x['title']}" for x in r.included_retracted]
    others = [x for x in r.retractions if not x["was_included"]]
    sections: list[tuple[str, list[str]]] = [
        ("Other retractions", [f"- PMID {x['pmid']}: {x['title']}" for x in others]),
        ("New inclusions", [f"- PMID {x['pmid']}: {x['title']}" for x in r.new_inclusions]),
        (
            "Changed decisions",
            [
                f"- PMID {x['pmid']}: {_decision(x['old'])} -> {_decision(x['new'])}"
                f" ({x['reason']}): {x['title']}"
                for x in r.changed_decisions
            ],
        ),
        (
            "Changed values in included studies",
            [
                f"- PMID {x['pmid']}, {x['field']}: {x['old'] or '(blank)'} -> "
                f"{x['new'] or '(blank)'}"
                for x in r.changed_values
            ],
        ),
        ("New records", [f"- PMID {x['pmid']}: {x['title']}" for x in r.new_records]),
    ]
    for heading, items in sections:
        if not items:
            continue
        lines += ["", f"## {heading} ({len(items)})", ""]
        lines += items[:MD_LIST_LIMIT]
        if len(items) > MD_LIST_LIMIT:
            lines.append(f"- ... and {len(items) - MD_LIST_LIMIT} more (see the .json)")
    return "\n".join(lines) + "\n"


def _decision(d: dict[str, str]) -> str:
    text = d["include"] + (f"/{d['exclude_reason']}" if d["exclude_reason"] else "")
    return f"{text} [{d['rule_id']}]" if d["rule_id"] else text


def report_paths(folder: str | Path, day: str) -> tuple[Path, Path]:
    """``<day>.md``/``.json`` in ``folder``, or ``<day>-2``, ``-3``... if taken today."""
    root = Path(folder)
    n = 1
    while True:
        stem = day if n == 1 else f"{day}-{n}"
        md, js = root / f"{stem}.md", root / f"{stem}.json"
        if not (md.exists() or js.exists()):
            return md, js
        n += 1


def stage_report(staging: Staging, folder: str | Path, report: ChangeReport) -> tuple[Path, Path]:
    """Write the report's two files through ``staging``; return their final paths."""
    md, js = report_paths(folder, report.date)
    staging.path(md).write_text(to_markdown(report), encoding="utf-8")
    text = json.dumps(report.to_dict(), indent=2, ensure_ascii=False)
    staging.path(js).write_text(text + "\n", encoding="utf-8")
    return md, js
