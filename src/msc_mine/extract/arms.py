"""The MSC arm's size where a total is split into arms after a colon, or the arm is named by
a short form the text defines.

Example::

    >>> from msc_mine.extract.arms import breakdown_arms
    >>> [(c.value, c.role) for c in breakdown_arms(
    ...     "Sixty patients were treated: 41 received cells and 19 the sham procedure.")]
    [(41, 'msc_arm')]

:mod:`msc_mine.extract.counts` reads "40 patients received MSCs" and "MSC group (n = 20)";
abstracts also report who got what as a breakdown of a total,

- "Sixty-three patients were treated: 46 received cells and 17 the sham procedure",
- "79 patients were treated: 58 with DPSCs and 21 with placebo",
- "23 patients were enrolled; 13 chose UC-MSC treatment and 10 continued medication alone",

where the total is everyone treated, not the MSC arm; and they name the arm by a short form
defined earlier ("menstrual blood-derived stem cells (MenSCs) ... MenSC therapy (n = 17)").
:func:`refine_patient_mentions` adds those MSC-arm counts and marks the total before such a
breakdown as a total, so that ``counts.choose_n_patients`` picks the arm.
"""

from __future__ import annotations

import re
from dataclasses import replace

from msc_mine.extract import counts
from msc_mine.extract.counts import CountMention

__all__ = ["breakdown_arms", "refine_patient_mentions"]

_PERSON = r"(?:patients|participants|subjects|children|adults|infants|individuals|people)"
# "... patients were treated:" / "... patients with MS ... were enrolled;": a total, then its
# breakdown.
_TOTAL_THEN_SPLIT = re.compile(
    rf"\b{_PERSON}\b[^.;:]{{0,100}}?\s(?:were|was)\s+(?:\w+\s+)?"
    r"(?:treated|enrolled|included|randomi[sz]ed|recruited|analy[sz]ed|allocated)\s*[:;]\s*",
    re.IGNORECASE,
)
_NUM = r"(?P<num>\d{1,4}|[A-Za-z]+(?:-[a-z]+)?)"
# One item of the breakdown: "46 received cells", "58 with DPSCs", "13 chose UC-MSC ...".
_ITEM = re.compile(
    rf"{_NUM}\s+(?:{_PERSON}\s+)?(?:received|with|chose|opted\s+for|got|were\s+given"
    r"|were\s+treated\s+with|were\s+assigned\s+to|to)\s+(?P<arm>[^,;.()]{1,80}?)"
    r"(?=\s+and\s|\s*[,;.(]|$)",
    re.IGNORECASE,
)


# The cheap anchor of _TOTAL_THEN_SPLIT: a colon or semicolon right after one of its verbs.
_PUNCT = re.compile(r"[:;]")
_VERB_END = re.compile(
    r"(?:treated|enrolled|included|randomi[sz]ed|recruited|analy[sz]ed|allocated)\s*$",
    re.IGNORECASE,
)


def _splits(text: str) -> list[re.Match[str]]:
    """_TOTAL_THEN_SPLIT matches, searched only in the sentences that hold the anchor."""
    out: list[re.Match[str]] = []
    for p in _PUNCT.finditer(text):
        i = p.start()
        if _VERB_END.search(text, max(0, i - 14), i) is None:
            continue
        lo = max(text.rfind(". ", 0, i), text.rfind("\n", 0, i)) + 1
        m = next((m for m in _TOTAL_THEN_SPLIT.finditer(text, lo, i + 2) if m.end() > i), None)
        if m is not None:
            out.append(m)
    return out


def breakdown_arms(text: str) -> list[CountMention]:
    """MSC-arm counts from "N patients were treated: A received cells and B placebo"."""
    if ":" not in text and ";" not in text:
        return []
    found: list[CountMention] = []
    for split in _splits(text):
        end = text.find(".", split.end())
        clause = text[split.end() : end if end != -1 else len(text)]
        for m in _ITEM.finditer(clause):
            n = counts.word_to_int(m.group("num"))
            if n and counts._arm_of(m.group("arm")) == "msc_arm":
                start = split.end() + m.start()
                found.append(CountMention(n, start, start + len(m.group()), m.group(), "msc_arm"))
    return found


def _split_totals(text: str) -> list[tuple[int, int]]:
    """Spans from each total's sentence start to its breakdown's colon or semicolon."""
    spans = []
    for split in _splits(text):
        start = max(text.rfind(". ", 0, split.start()), text.rfind("\n", 0, split.start()))
        spans.append((start + 1, split.end()))
    return spans


def refine_patient_mentions(
    text: str, mentions: list[CountMention], cell_short_forms: set[str]
) -> list[CountMention]:
    """``counts.parse_n_patients`` mentions with the breakdown and short-form arm rules."""
    arms = breakdown_arms(text)
    out = list(mentions)
    if arms:
        spans = _split_totals(text)
        # The total before a breakdown that names the MSC arm is everyone, not that arm.
        out = [
            replace(c, role="total_controlled")
            if c.role in ("msc_arm", "unspecified") and any(s <= c.start < e for s, e in spans)
            else c
            for c in out
        ]
        # "100 patients were enrolled; 50 patients received UC-MSC and ...": the count
        # parser already holds that arm, which must not be added (and summed) twice.
        out += [a for a in arms if not any(c.start <= a.start < c.end for c in out)]
    if cell_short_forms:
        out = [_by_short_form(text, c, cell_short_forms) for c in out]
    out.sort(key=lambda c: c.start)
    return out


def _by_short_form(text: str, c: CountMention, short_forms: set[str]) -> CountMention:
    """A bare "(n = 17)" after "MenSC therapy", when MenSCs are defined as stem cells."""
    if c.role != "group":
        return c
    label = text[max(0, c.start - 40) : c.start]
    label = re.split(r"[,;(]|\bor\b|\band\b|\bversus\b|\bvs\.?", label)[-1]
    if counts._CONTROL_CUE.search(label):
        return c
    words = {w.rstrip("s") for w in re.findall(r"[\w-]+", label)}
    return replace(c, role="msc_arm") if words & short_forms else c
