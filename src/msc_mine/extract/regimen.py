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
- "a single 15-mL intravenous dose", "in a single session" (two routes, one sitting): one;
- "infused at baseline and at month 6" / "at enrolment and 3 months later": two;
- "an infusion followed by a booster infusion at week 12": at least two;
- "every two weeks, three times in total": the count closes the schedule;
- "by intravenous infusion on four occasions": a count of sittings;
- "two cycles of MSC infusion", "weekly infusions of MSCs for 4 weeks", "administered for 3
  consecutive days": counts of cycles, a rate over a span in the same unit, one a day.

:func:`implied_single` covers the commonest case of all, a study that gives cells once and
never says "single": "received an intravenous infusion of ...", "were randomized to
intracoronary infusion of ...", or only the verb, "MSCs were infused intravenously". It
holds only when the text names one administration in the singular (or its verb) and
nothing that repeats (plural administrations, "repeated", "again", "weekly", "second", ...).
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
_VERB_RE = re.compile(_VERB, re.IGNORECASE)
# Anchors first, then the administration verb in the clause before them: scanning the whole
# text for the verb-led patterns cost more than the rest of the infusion rules.
_AGAIN_RE = re.compile(r"\band\s+again\b", re.IGNORECASE)
_TRAILING_RE = re.compile(rf",\s*(?P<t>{_TIMES})(?=\s*[.;,])", re.IGNORECASE)
# Up to two words between "single" and the noun, a digit-led one allowed ("15-mL"); not
# "a single dose level" or "single dose cohort" (a dose-escalation arm).
_SINGLE_RE = re.compile(
    rf"(?<![\w-])single[\s-]+(?:(?!(?:dose|of|and|or|in|with)\b)[\w][\w-]*\s+){{0,2}}?{_NOUN}"
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
_ONE_VERB_RE = re.compile(
    r"\b(?:was|were)\s+(?:\w+\s+)?(?:infused|injected|administered|transplanted|transfused"
    r"|implanted)\b",
    re.IGNORECASE,
)
_REPEATS = re.compile(
    r"\b(?:infusions|injections|doses|administrations|implantations|transplantations"
    r"|transfusions|instillations|repeated|repeat|again|second|third|booster|twice|thrice"
    r"|times|courses|cycles|sessions)\b",
    re.IGNORECASE,
)
# A frequency repeats the administration only beside one: "infused weekly", not "scored
# weekly for 8 weeks".
_FREQUENCY = re.compile(r"\b(?:weekly|monthly|daily|every|biweekly|fortnightly)\b", re.IGNORECASE)


# A start point and one later point: "at baseline and at month 6", "at enrolment and 3
# months later", "on day 0 and after 4 weeks".
_START_AND_LATER_RE = re.compile(
    r"\b(?:at|on)\s+(?:baseline|enrol?ment|enrollment|inclusion|randomi[sz]ation|admission"
    r"|(?:day|week|month)\s+0)\s+and\s+(?:again\s+)?(?:(?:at|on|after|in)\s+(?:weeks?|months?"
    r"|days?)\s+\d+|(?:\d+|one|two|three|four|six|twelve)[\s-]+(?:days?|weeks?|months?)"
    r"\s+(?:later|after))\b",
    re.IGNORECASE,
)
_BOOSTER_RE = re.compile(
    r"\bbooster\s+(?:infusions?|injections?|doses?|administrations?)\b|\bfollowed\s+by\s+"
    r"an?\s+booster\b",
    re.IGNORECASE,
)
_OCCASIONS_RE = re.compile(
    r"\bon\s+(?P<n>\d{1,2}|two|three|four|five|six|seven|eight|nine|ten|twelve)\s+"
    r"(?:separate\s+|different\s+)?occasions\b",
    re.IGNORECASE,
)
_SMALL = r"(?:\d{1,2}|two|three|four|five|six|seven|eight|nine|ten|twelve)"
# "two cycles of MSC infusion", "three rounds of cell therapy".
_CYCLES_RE = re.compile(
    rf"\b(?P<n>{_SMALL})\s+(?:cycles|rounds)\s+of\s+(?:[\w-]+\s+){{0,3}}?"
    r"(?:infusions?|injections?|MSCs?|cells|transplantation|transfusions?|therapy|treatment)\b",
    re.IGNORECASE,
)
# "weekly infusions of MSCs for 4 weeks": the rate and the span agree in unit.
_RATE_NOUN_FOR_RE = re.compile(
    r"\b(?P<ly>daily|weekly|monthly)\s+(?:[\w-]+\s+)?(?:infusions|injections|doses"
    rf"|administrations)\s+(?:of\s+(?:[\w()-]+\s+){{0,3}}?)?for\s+(?P<n>{_SMALL})\s+"
    r"(?:consecutive\s+)?(?P<unit>day|week|month)s\b",
    re.IGNORECASE,
)
_RATE_UNIT = {"daily": "day", "weekly": "week", "monthly": "month"}
# "administered intravenously for 3 consecutive days": one a day.
_CONSECUTIVE_DAYS_RE = re.compile(
    rf"\b(?:for|on)\s+(?P<n>{_SMALL})\s+(?:consecutive|successive)\s+days\b", re.IGNORECASE
)
# "infused ... for 4 times", "transplantation of MSCs 4 times": a count of administrations
# closing the clause (not "3 times higher", "twice daily", "3 times a week").
_BARE_TIMES_RE = re.compile(
    rf"(?:\bfor\s+)?\b(?P<n>{_SMALL})\s+times\b(?!\s+(?:a|an|per|daily|weekly|monthly|every"
    r"|higher|lower|more|less|greater|larger|smaller|the|as|that|than|longer)\b)",
    re.IGNORECASE,
)
_IN_TOTAL_RE = re.compile(rf"\b(?P<t>{_TIMES})\s+(?:in\s+total|in\s+all|altogether)\b", re.I)


def _times(m: re.Match[str]) -> int | None:
    word = m.group("t").lower()
    for prefix, value in (("once", 1), ("twice", 2), ("thrice", 3)):
        if word.startswith(prefix):
            return value
    return word_to_int(m.group("n")) if m.group("n") else None


def _verb_before(text: str, pos: int, reach: int) -> int | None:
    """Start of the last administration verb within ``reach`` characters before ``pos``, in
    the same clause (no '.' or ';' between), or None."""
    lo = max(0, pos - reach)
    cut = max(text.rfind(".", lo, pos), text.rfind(";", lo, pos))
    lo = max(lo, cut + 1)
    found = None
    for m in _VERB_RE.finditer(text, lo, pos):
        found = m.start()
    return found


def _admin_before(text: str, pos: int, reach: int) -> int | None:
    """Like :func:`_verb_before`, with any administration word ("received", "transplantation",
    "treated") standing for the verb."""
    lo = max(0, pos - reach)
    cut = max(text.rfind(".", lo, pos), text.rfind(";", lo, pos))
    lo = max(lo, cut + 1)
    found = None
    for m in ADMIN_WORD.finditer(text, lo, pos):
        found = m.start()
    return found


def parse_regimen(text: str) -> list[CountMention]:
    """Administration counts in the wordings listed in the module docstring, in text order."""
    found: list[CountMention] = []
    lower = text.lower()
    if "again" in lower:
        for m in _AGAIN_RE.finditer(text):
            start = _verb_before(text, m.start(), 80)
            if start is not None:
                found.append(CountMention(2, start, m.end(), text[start : m.end()], "repeat"))
    if any(w in lower for w in ("once", "twice", "thrice", "times")):
        for m in _TRAILING_RE.finditer(text):
            n = _times(m)
            start = _verb_before(text, m.start(), 160)
            if n and start is not None:
                found.append(CountMention(n, start, m.end(), text[start : m.end()], "count"))
    if "booster" in lower:
        for m in _BOOSTER_RE.finditer(text):
            found.append(CountMention(2, m.start(), m.end(), m.group(), "ordinal"))
    if " later" in lower or " and at " in lower or " and on " in lower or " and after " in lower:
        for m in _START_AND_LATER_RE.finditer(text):
            start = _verb_before(text, m.start(), 160)
            if start is not None:
                found.append(CountMention(2, start, m.end(), text[start : m.end()], "repeat"))
    if "cycles" in lower or "rounds" in lower:
        for m in _CYCLES_RE.finditer(text):
            n = word_to_int(m.group("n"))
            if n:
                found.append(CountMention(n, m.start(), m.end(), m.group(), "count"))
    if "daily " in lower or "weekly " in lower or "monthly " in lower:
        for m in _RATE_NOUN_FOR_RE.finditer(text):
            n = word_to_int(m.group("n"))
            if n and _RATE_UNIT[m.group("ly").lower()] == m.group("unit").lower():
                found.append(CountMention(n, m.start(), m.end(), m.group(), "schedule"))
    if "consecutive days" in lower or "successive days" in lower:
        for m in _CONSECUTIVE_DAYS_RE.finditer(text):
            n = word_to_int(m.group("n"))
            start = _admin_before(text, m.start(), 80)
            if n and start is not None:
                found.append(CountMention(n, start, m.end(), text[start : m.end()], "schedule"))
    if " times" in lower:
        for m in _BARE_TIMES_RE.finditer(text):
            n = word_to_int(m.group("n"))
            start = _admin_before(text, m.start(), 80)
            if n and start is not None:
                found.append(CountMention(n, start, m.end(), text[start : m.end()], "count"))
    if "occasions" in lower:
        # "by intravenous infusion on four occasions", not "FSH > 25 IU/L on two occasions".
        for m in _OCCASIONS_RE.finditer(text):
            n = word_to_int(m.group("n"))
            start = _verb_before(text, m.start(), 80)
            if n and start is not None:
                found.append(CountMention(n, start, m.end(), text[start : m.end()], "count"))
    if "in total" in lower or "in all" in lower or "altogether" in lower:
        for m in _IN_TOTAL_RE.finditer(text):
            n = _times(m)
            start = _verb_before(text, m.start(), 160)
            if n and start is not None:
                found.append(CountMention(n, start, m.end(), text[start : m.end()], "count"))
    pos = lower.find("single")
    while pos != -1:
        single = _SINGLE_RE.match(text, pos)
        if single is not None:
            found.append(CountMention(1, single.start(), single.end(), single.group(), "single"))
        pos = lower.find("single", single.end() if single is not None else pos + 6)
    found.sort(key=lambda c: c.start)
    return found


def implied_single(sentences: list[str]) -> int | None:
    """The index of the sentence that names one administration in the singular, when no
    sentence names a repeat; else None. ``sentences`` are the study's own (no Background)."""
    if _REPEATS.search("\n".join(sentences)):
        return None
    if any(_FREQUENCY.search(s) and ADMIN_WORD.search(s) for s in sentences):
        return None
    found = next((i for i, sent in enumerate(sentences) if _ONE_RE.search(sent)), None)
    if found is None:
        # No administration noun, only its verb: "MSCs were infused intravenously at ...".
        found = next((i for i, sent in enumerate(sentences) if _ONE_VERB_RE.search(sent)), None)
    return found
