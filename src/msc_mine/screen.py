"""Screening: apply a review pipeline's rules to one record and its extraction.

Example::

    >>> from msc_mine.pipeline import load_pipeline
    >>> from msc_mine.records import Record
    >>> from msc_mine.codebook import Extraction, Value
    >>> from msc_mine.screen import screen
    >>> p = load_pipeline("pipelines/msc_iv_safety.toml")
    >>> rec = Record(pmid="1", title="Intra-articular MSCs for knee osteoarthritis")
    >>> ex = Extraction(pmid="1", study_design=Value("case_series", "Ten patients ..."),
    ...                 route=Value(["intra_articular"], "MSCs were injected into the knee."),
    ...                 sae_status=Value("none_reported", "No SAEs occurred."),
    ...                 cues={"msc": Value(["MSCs"], "MSCs were injected into the knee.")})
    >>> d = screen(rec, ex, p)
    >>> d.include, d.exclude_reason, d.rule_id
    ('no', 'non_iv_route', 'non_iv_route')

Method: ordered first-match rules (a decision list, as in rule-based screening). Rules run
stage by stage and, within a stage, in the codebook's ``exclude_reason`` order; the first
*exclusion* rule whose condition holds decides, with its rule id, stage, reason and the
evidence sentences of the values it read. A *maybe* rule that holds earlier does not stop
the run: the record is still excluded when a later rule is certain (a human check would not
save it), and otherwise becomes ``include="maybe"`` with the first maybe's reason, because
reviewers prefer a short manual list to a silent miss. No rule holding means ``include="yes"``.

Condition evaluation is a small interpreter over the data-only condition tree of
:mod:`msc_mine.pipeline`: nothing from a pipeline file is ever executed as code.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from msc_mine.codebook import NOT_STATED, Decision, Extraction, Value
from msc_mine.pipeline import (
    CUE_PREFIX,
    EXTRACTION_FIELDS,
    Combinator,
    Condition,
    Pipeline,
    Rule,
)
from msc_mine.records import Record

EVIDENCE_SEP = " | "
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9(])|\n+")


@dataclass(frozen=True)
class Resolved:
    """A field's value as a rule sees it, and the evidence to show if the rule fires."""

    value: Any
    evidence: str
    kind: str


def screen(record: Record, extraction: Extraction, pipeline: Pipeline) -> Decision:
    """Decide one record under ``pipeline``'s rules (see the module docstring for the method)."""
    key = record.key
    first_maybe: tuple[Rule, str] | None = None
    for rule in pipeline.rules:
        fired, evidence = evaluate(rule.when, record, extraction)
        if not fired:
            continue
        if rule.decision == "exclude":
            return Decision(
                pmid=key,
                include="no",
                exclude_reason=rule.exclude_reason,
                stage=rule.stage,
                rule_id=rule.id,
                reason=rule.reason,
                evidence=_join(evidence),
            )
        if first_maybe is None:
            first_maybe = (rule, _join(evidence))
    if first_maybe is not None:
        rule, evidence_text = first_maybe
        return Decision(
            pmid=key,
            include="maybe",
            exclude_reason="",
            stage=rule.stage,
            rule_id=rule.id,
            reason=rule.reason,
            evidence=evidence_text,
        )
    return Decision(
        pmid=key, include="yes", stage=pipeline.stages[-1], reason="no exclusion rule applies"
    )


def screen_many(pairs: Iterable[tuple[Record, Extraction]], pipeline: Pipeline) -> list[Decision]:
    """Screen many (record, extraction) pairs; decisions come back in input order."""
    return [screen(r, e, pipeline) for r, e in pairs]


def evaluate(cond: Condition, record: Record, extraction: Extraction) -> tuple[bool, list[str]]:
    """Whether ``cond`` holds, and the evidence sentences of the values that made it hold."""
    if isinstance(cond, Combinator):
        if cond.kind == "not":
            held, _ = evaluate(cond.children[0], record, extraction)
            # The evidence for "X is absent" is X's absence: nothing to quote.
            return (not held), []
        results = [evaluate(c, record, extraction) for c in cond.children]
        if cond.kind == "all":
            ok = all(r for r, _ in results)
            return ok, [e for _, ev in results for e in ev] if ok else []
        hits = [e for r, ev in results if r for e in ev]
        return any(r for r, _ in results), hits
    resolved = resolve(cond.field, record, extraction)
    held = _apply(cond.op, cond.value, resolved)
    if not held or (cond.op == "present" and cond.value is False):
        return held, []
    evidence = resolved.evidence
    if cond.op == "matches" and resolved.kind == "str":
        evidence = _matching_sentence(cond.value, str(resolved.value)) or evidence
    return held, [evidence] if evidence else []


def resolve(name: str, record: Record, extraction: Extraction) -> Resolved:
    """Look a condition field up on the record or the extraction."""
    if name.startswith(CUE_PREFIX):
        cue = extraction.cues.get(name[len(CUE_PREFIX) :])
        if cue is None:
            return Resolved([], "", "list")
        return Resolved(list(cue.value), cue.evidence, "list")
    if name in EXTRACTION_FIELDS:
        v: Value[Any] = getattr(extraction, name)
        return Resolved(v.value, v.evidence, EXTRACTION_FIELDS[name])
    return _record_field(name, record)


def _record_field(name: str, record: Record) -> Resolved:
    # Record fields have no evidence sentence of their own: quote the field, so a reviewer
    # sees e.g. "publication type: Review" in include_evidence.
    if name == "publication_types":
        return Resolved(
            record.publication_types,
            "publication type: " + "; ".join(record.publication_types),
            "list",
        )
    if name == "mesh":
        terms = [m.descriptor for m in record.mesh]
        return Resolved(terms, "MeSH: " + "; ".join(terms), "list")
    if name == "mesh_major":
        terms = [m.descriptor for m in record.mesh if m.major]
        return Resolved(terms, "MeSH (major): " + "; ".join(terms), "list")
    if name == "keywords":
        return Resolved(record.keywords, "keywords: " + "; ".join(record.keywords), "list")
    if name == "title":
        return Resolved(record.title, record.title, "str")
    if name == "abstract":
        return Resolved(record.abstract_text, "", "str")
    if name == "text":
        return Resolved(f"{record.title}\n{record.abstract_text}", "", "str")
    if name == "language":
        return Resolved(record.language, f"language: {record.language}", "str")
    if name == "journal":
        return Resolved(record.journal, f"journal: {record.journal}", "str")
    if name == "year":
        return Resolved(record.year, f"year: {record.year}", "num")
    if name == "is_retracted":
        notices = ", ".join(record.retraction_in)
        text = (
            f"retracted (notice PMID {notices})"
            if notices
            else "publication type: Retracted Publication"
        )
        return Resolved(record.is_retracted, text, "bool")
    raise KeyError(name)  # pipeline validation makes this unreachable


def is_stated(value: Any) -> bool:
    """The codebook's "stated": not absent, not empty, not ``not_stated``."""
    if value is None:
        return False
    if isinstance(value, str):
        return value.strip() != "" and value != NOT_STATED
    if isinstance(value, list | tuple):
        return any(is_stated(v) for v in value)
    return True


def _fold(v: Any) -> Any:
    return v.casefold() if isinstance(v, str) else v


def _contains(value: Any, item: Any) -> bool:
    if isinstance(value, list | tuple):
        return _fold(item) in {_fold(v) for v in value}
    if isinstance(value, str) and isinstance(item, str):
        return item.casefold() in value.casefold()
    return False


def _equals(value: Any, target: Any) -> bool:
    if isinstance(value, list | tuple):
        return [_fold(v) for v in value] == [_fold(target)]
    if isinstance(target, bool) or isinstance(value, bool):
        return value is target
    if isinstance(target, int | float) and isinstance(value, int | float):
        return float(value) == float(target)
    return bool(_fold(value) == _fold(target))


def _apply(op: str, target: Any, r: Resolved) -> bool:
    value = r.value
    if op == "present":
        return is_stated(value) is target
    if op == "equals":
        return _equals(value, target)
    if op == "not_equals":
        return not _equals(value, target)
    if op == "in":
        return any(_equals(value, t) for t in target)
    if op == "contains":
        return _contains(value, target)
    if op == "contains_any":
        return any(_contains(value, t) for t in target)
    if op == "contains_all":
        return all(_contains(value, t) for t in target)
    if op == "not_contains":
        return not any(_contains(value, t) for t in target)
    if op == "only":
        items = value if isinstance(value, list | tuple) else [value]
        wanted = {_fold(t) for t in target}
        return bool(items) and all(_fold(v) in wanted for v in items)
    if op == "matches":
        texts = value if isinstance(value, list | tuple) else [value]
        return any(isinstance(t, str) and target.search(t) is not None for t in texts)
    if value is None or isinstance(value, bool) or not isinstance(value, int | float):
        return False
    number, bound = float(value), float(target)
    if op == "gt":
        return number > bound
    if op == "ge":
        return number >= bound
    if op == "lt":
        return number < bound
    return number <= bound


def _matching_sentence(pattern: re.Pattern[str], text: str) -> str:
    for sentence in _SENTENCE_END.split(text):
        if pattern.search(sentence):
            return sentence.strip()
    return ""


def _join(parts: list[str]) -> str:
    # The same sentence often backs several fields (route and msc cue): show it once.
    seen: list[str] = []
    for p in parts:
        if p and p not in seen:
            seen.append(p)
    return EVIDENCE_SEP.join(seen)
