"""Infusions per patient from regimen wording that the count grammar does not cover.

Example::

    >>> from msc_mine.extract.regimen import parse_regimen
    >>> [(c.value, c.role) for c in parse_regimen(
    ...     "MSCs were infused on day 0 and again on day 7.")]
    [(2, 'repeat')]

:mod:`msc_mine.extract.counts` reads "two infusions", "a single injection", "once weekly
for 4 weeks"; abstracts also write the regimen as

- "infused on day 0 and again on day 7" / "at reperfusion and again 2 weeks later": two;
- "injected at 1 x 10(6) cells/kg, twice, 26 days apart" / "..., once.": the count closes
  the administration's clause;
- "a single 15-mL intravenous dose", "in a single session" (two routes, one sitting): one.

:func:`implied_single` covers the commonest case of all, a study that gives cells once and
never says "single": "received an intravenous infusion of ...", "were randomized to
intracoronary infusion of ...". It holds only when the text names one administration in
the singular and nothing that repeats (plural administrations, "repeated", "again",
"weekly", "second", ...).
"""

from __future__ import annotations

import re

from msc_mine.extract.counts import CountMention, word_to_int

__all__ = ["ADMIN_WORD", "implied_single", "parse_regimen"]

# Any word that says something was given; a schedule sentence without one ("scores were
# recorded daily for 30 days") is about follow-up, not dosing.
ADMIN_WORD = re.compile(
    r"\b(?:infus|inject|administ|dose|dosing|doses|give|given|gave|deliver|transplant|implant"
    r"|receiv|instill|transfus|treated|inhal|nebuli)\w*",
    re.IGNORECASE,
)
_VERB = r"\b(?:infus|inject|administ|given|deliver|transplant|implant|instill)\w*\b"
_TIMES = r"(?:once|twice|thrice|(?P<n>\d{1,2}|two|three|four|five|six)\s+times)"
_NOUN = (
    r"(?:infusions?|injections?|doses?|administrations?|transplantations?|implantations?"
    r"|transfusions?|instillations?|applications?|sessions?|procedures?)"
)
_AGAIN_RE = re.compile(rf"{_VERB}[^.;]{{0,80}}?\band\s+(?P<t>again)\b", re.IGNORECASE)
_TRAILING_RE = re.compile(rf"{_VERB}[^.;]{{0,160}}?,\s*(?P<t>{_TIMES})(?=\s*[.;,])", re.IGNORECASE)
# Up to two words between "single" and the noun, a digit-led one allowed ("15-mL"); not
# "a single dose level" or "single dose cohort" (a dose-escalation arm).
_SINGLE_RE = re.compile(
    rf"\bsingle[\s-]+(?:(?!(?:dose|of|and|or|in|with)\b)[\w][\w-]*\s+){{0,2}}?{_NOUN}"
    r"(?![\w-])(?!\s+(?:levels?|cohorts?|groups?|arms?))",
    re.IGNORECASE,
)
# One administration named in the singular: "an intravenous infusion", "injection of".
_ONE_RE = re.compile(
    r"\b(?:(?:an?|the)\s+(?:[\w-]+\s+){0,3}?(?:infusion|injection|implantation|transplantation"
    r"|administration|transfusion|instillation)\b(?!s)"
    r"|(?:infusion|injection|implantation|transplantation|administration|instillation)"
    r"\s+of\b)",
    re.IGNORECASE,
)
_REPEATS = re.compile(
    r"\b(?:infusions|injections|doses|administrations|implantations|transplantations"
    r"|transfusions|instillations|repeated|repeat|again|second|third|booster|twice|thrice"
    r"|times|weekly|monthly|daily|every|biweekly|fortnightly|courses|cycles|sessions)\b",
    re.IGNORECASE,
)


def _times(m: re.Match[str]) -> int | None:
    word = m.group("t").lower()
    for prefix, value in (("once", 1), ("twice", 2), ("thrice", 3)):
        if word.startswith(prefix):
            return value
    return word_to_int(m.group("n")) if m.group("n") else None


def parse_regimen(text: str) -> list[CountMention]:
    """Administration counts in the wordings listed in the module docstring, in text order."""
    found: list[CountMention] = []
    lower = text.lower()
    if "again" in lower:
        for m in _AGAIN_RE.finditer(text):
            found.append(CountMention(2, m.start(), m.end(), m.group(), "repeat"))
    if "," in text and any(w in lower for w in ("once", "twice", "thrice", "times")):
        for m in _TRAILING_RE.finditer(text):
            n = _times(m)
            if n:
                found.append(CountMention(n, m.start(), m.end(), m.group(), "count"))
    if "single" in lower:
        for m in _SINGLE_RE.finditer(text):
            found.append(CountMention(1, m.start(), m.end(), m.group(), "single"))
    found.sort(key=lambda c: c.start)
    return found


def implied_single(sentences: list[str]) -> int | None:
    """The index of the sentence that names one administration in the singular, when no
    sentence names a repeat; else None. ``sentences`` are the study's own (no Background)."""
    first = None
    for i, sent in enumerate(sentences):
        if _REPEATS.search(sent):
            return None
        if first is None and _ONE_RE.search(sent):
            first = i
    return first
