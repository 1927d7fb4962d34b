"""Counts in abstract text: patients treated, infusions per patient, patients with an event.

Example::

    >>> from msc_mine.extract.counts import (
    ...     parse_n_patients, choose_n_patients, parse_n_infusions, choose_n_infusions,
    ...     parse_event_count)
    >>> text = ("Twelve patients were enrolled; 8 received MSCs and 4 received placebo. "
    ...         "MSCs were infused once weekly for 4 weeks.")
    >>> [(c.value, c.role) for c in parse_n_patients(text)]
    [(12, 'enrolled_controlled'), (8, 'msc_arm'), (4, 'control_arm')]
    >>> choose_n_patients(parse_n_patients(text)).value
    8
    >>> [(c.value, c.role, c.text) for c in parse_n_infusions(text)]
    [(4, 'schedule', 'once weekly for 4 weeks')]
    >>> parse_event_count("Three patients (15%) developed transient fever.")
    3

Method: each count family is a short list of regular-expression patterns built from one
number grammar (digits, or English number words up to the hundreds: "twenty-four", "one
hundred and twelve") next to the noun that says what is counted (patients, infusions,
events), and the words around the match assign a role (MSC arm, control arm, enrolled,
total). Guards drop the numbers that are not counts: ages ("aged 45 years", "45-year-old"),
percentages, decimals and p-values, years, durations, doses, and numbers after "phase",
"grade", "type", "day" or "cohort".

Each :class:`CountMention` keeps its character span: ``text[c.start:c.end]`` is the evidence.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache


@dataclass(frozen=True)
class CountMention:
    """One count with its character span and what it counts.

    Roles: patients: ``msc_arm``, ``control_arm``, ``enrolled``, ``total``, ``completed``,
    ``group`` (an ``n =`` with no telling label), ``unspecified``; infusions: ``count``,
    ``single``, ``ordinal`` (a lower bound: "a second infusion"), ``schedule``, ``repeat``;
    events: ``patients`` (patients with the event), ``events``, ``none``.
    """

    value: int
    start: int
    end: int
    text: str
    role: str = "unspecified"


# --- numbers ---------------------------------------------------------------------------------

_UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19,
}  # fmt: skip
_TENS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
    "eighty": 80, "ninety": 90,
}  # fmt: skip
_ORDINALS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
    "eighth": 8, "ninth": 9, "tenth": 10, "twelfth": 12,
}  # fmt: skip
_U = "|".join(sorted(_UNITS, key=len, reverse=True))
_T = "|".join(_TENS)
_BELOW_100 = rf"(?:(?:{_T})(?:[\s-](?:{_U}))?|(?:{_U}))"
_WORD_NUMBER = rf"(?:(?:{_U}|a)\s+hundred(?:\s+(?:and\s+)?{_BELOW_100})?|{_BELOW_100})"
# Digits: no decimals (a count is whole), thousands separators only in groups of three.
_DIGITS = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?![.,]\d|\d)"
# Words that make the number after them a label, not a count ("phase 2 patients").
_LABEL_BEFORE = (
    r"(?<!phase )(?<!Phase )(?<!grade )(?<!Grade )(?<!type )(?<!Type )(?<!stage )(?<!Stage )"
    r"(?<!day )(?<!Day )(?<!week )(?<!month )(?<!cohort )(?<!Cohort )(?<!group )(?<!Group )"
    r"(?<!arm )(?<!visit )(?<!level )(?<![Ll]evel )(?<!CD)(?<!IL-)"
)
# Ratios ("1:1", "2:1") and ranges are not counts either.
# The leading look-ahead (a digit or a letter a number word can start with) fails fast at
# most positions, before the costlier look-behinds and the word alternation are tried.
_NUMBER = (
    r"\b(?=[\dotfsenzaOTFSENZA])"
    + _LABEL_BEFORE
    + rf"(?<![\w.,\-–/^(±:])(?:{_DIGITS}(?!\s?:\s?\d|\s?%)|{_WORD_NUMBER}(?![\w-]))"
)
_NUMBER_RE = re.compile(_NUMBER, re.IGNORECASE)
_NUMBER_LED = f"(?P<num>{_NUMBER})"
# Every position where a number starts (zero-width, so overlapping starts are all found).
_NUMBER_AT = re.compile(rf"(?=(?:{_NUMBER}))", re.IGNORECASE)


_NUMBER_WORDS = tuple(sorted({*_UNITS, *_TENS}))
_DIGIT_RUN = re.compile(r"\d+")
_A_HUNDRED = re.compile(r"a\s+hundred", re.IGNORECASE)
# Characters that case-insensitive matching equates with an ASCII letter (İ, ı, ſ, Kelvin K):
# with one of them in the text, finding number words in text.lower() could miss one.
_FOLDS_TO_ASCII = re.compile("[\u0130\u0131\u017f\u212a]")


@lru_cache(maxsize=8)
def _number_starts(text: str) -> tuple[int, ...]:
    """Where a number can start in ``text`` (cached: the patient and infusion parsers of one
    record both need it).

    Scanning every character with the number pattern's look-arounds is slow; a number
    starts at a run of digits or at a number word, which ``str.find`` locates fast, so only
    those places are tried. Texts where lower-casing could shift or hide a letter take the
    full scan.
    """
    low = text.lower()
    if len(low) != len(text) or _FOLDS_TO_ASCII.search(text):
        return tuple(m.start() for m in _NUMBER_AT.finditer(text))
    places = {m.start() for m in _DIGIT_RUN.finditer(text)}
    for word in _NUMBER_WORDS:
        i = low.find(word)
        while i != -1:
            places.add(i)
            i = low.find(word, i + 1)
    if "hundred" in low:
        places.update(m.start() for m in _A_HUNDRED.finditer(text))
    match = _NUMBER_AT.match
    return tuple(i for i in sorted(places) if match(text, i))


def _finditer_numbers(pattern: re.Pattern[str], text: str) -> Iterator[re.Match[str]]:
    """``pattern.finditer(text)`` for a pattern that starts with a number.

    A match can start only where a number starts, so the pattern is tried there alone, in
    order and without overlaps as ``finditer`` does; scanning every character with the
    number's look-arounds was the dominant cost of the count parsers.
    """
    if not pattern.pattern.startswith(_NUMBER_LED):
        raise ValueError("pattern does not start with a number")  # a guard for later edits
    pos = 0
    for start in _number_starts(text):
        if start < pos:
            continue
        m = pattern.match(text, start)
        if m is not None:
            yield m
            pos = m.end()


def word_to_int(words: str) -> int | None:
    """An English number written in words (up to the hundreds) or digits, as an int.

    >>> word_to_int("twenty-four"), word_to_int("One hundred and twelve"), word_to_int("1,200")
    (24, 112, 1200)
    """
    w = words.strip().lower().replace(",", "")
    if w.isdigit():
        return int(w)
    total = 0
    current = 0
    for part in re.split(r"[\s-]+", w):
        if part == "and":
            continue
        if part == "a":
            current = 1
        elif part in _UNITS:
            current += _UNITS[part]
        elif part in _TENS:
            current += _TENS[part]
        elif part == "hundred":
            current = (current or 1) * 100
        else:
            return None
    return total + current


# --- shared vocabulary -----------------------------------------------------------------------

_PERSON = (
    r"(?:patients?|participants?|subjects?|children|child|adults?|individuals?|volunteers?"
    r"|cases|infants?|neonates?|newborns?|men|women|persons|people|recipients?|pts|boys|girls"
    r"|adolescents?|elderly|controls|survivors|enrollees|males|females)"
)
# Modifiers allowed between number and person noun; a stop word ends the run, so that
# "3 of 20 patients" is not 3 patients and "45 years patients" never matches.
_STOP = (
    r"(?!(?:of|and|or|in|with|were|was|to|for|at|from|by|the|years?|months?|weeks?|days?"
    r"|hours?|mg|ml|cells?|MSCs?|doses?|infusions?|times)(?![\w-]))"
)
_MODS = rf"(?:{_STOP}[A-Za-z(][\w'’+/-]*\)?\s+){{0,3}}?"
_MSC_CUE = re.compile(
    r"MSC|mesenchymal|stromal|stem\s+cells?|SCs\b|MPCs\b|cell\s+therapy|cells|active"
    r"|treatment\s+group|intervention|experimental|\btreated\b"
    r"|\bcell[\s-](?:group|arm|treated|therapy|infusions?|transplantation|injections?)"
    # an arm named by its schedule: "single-infusion group", "two-injection arm"
    r"|\b(?:infusions?|injections?)\s+(?:group|arm)\b"
    # a dose level names an MSC arm: "low-dose (n = 6)", "high-dose group"
    r"|\b(?:low|high|medium|middle|intermediate|mid)[\s-]dose\b",
    re.IGNORECASE,
)
_CONTROL_CUE = re.compile(
    r"placebo|control|sham|saline|vehicle|standard(?:\s+of)?\s+care|conventional|usual\s+care"
    r"|no\s+treatment|untreated|best\s+supportive|comparator|standard\s+(?:\w+\s+)?therapy"
    r"|therapy\s+alone",
    re.IGNORECASE,
)
# What may stand between the counted noun and its verb: "(15%)", "with knee osteoarthritis".
_LEAD = (
    r"^\s*(?:\([^)]{0,30}\)\s*)?(?:(?:with|from|aged|suffering\s+from)\s+[^,;.()]{0,90}?\s+)?"
    r"(?:in\s+the\s+[\w' -]{0,30}?(?:group|arm|cohort)\s+)?"
)
_ENROLL = re.compile(
    _LEAD + r"(?:who\s+)?(?:were|was|had\s+been|have\s+been)\s+(?:\w+\s+)?"
    r"(?:enrolled|recruited|included|screened|randomi[sz]ed|registered|assigned|allocated"
    r"|studied|eligible)"
    r"|" + _LEAD + r"(?:entered|participated|met)",
    re.IGNORECASE,
)
_TREATED_VERB = re.compile(
    _LEAD + r"(?:who\s+)?(?:received|were\s+(?:\w+\s+)?(?:treated|infused|given"
    r"|transplanted|injected|administered|randomi[sz]ed\s+to|assigned\s+to|allocated\s+to)"
    r"|underwent|got|(?:treated|infused|transplanted|injected)\s+with)\b",
    re.IGNORECASE,
)
_ASSIGNED_TO_GROUP = re.compile(
    _LEAD + r"(?:were|was)\s+(?:\w+\s+)?(?:(?:assigned|allocated|randomi[sz]ed)\s+(?:\w+\s+)?to"
    r"|(?:included|enrolled|placed)\s+in)\s+"
    r"(?:the\s+|an?\s+)?(?P<label>[\w' -]{0,40}?)\s*(?:group|arm)\b"
    r"(?!\s*(?:\([^)]*\)\s*)?,?\s*(?:or|versus|vs)\b)",
    re.IGNORECASE,
)
_ASSIGNED_TO_RECEIVE = re.compile(
    _LEAD + r"(?:were|was)\s+(?:\w+\s+)?(?:assigned|allocated|randomi[sz]ed)\s+(?:\w+\s+)?to\s+"
    r"receive\s+(?P<label>(?:(?!\b(?:or|either|versus|vs)\b)[^,;.])*?)(?=\s*(?:[,;.]|\band\b|$))",
    re.IGNORECASE,
)
_WHO_HAD = re.compile(r"\bwho\s+(?:had|have|has)\b", re.IGNORECASE)
_SCREENED = re.compile(r"\s*(?:screened|assessed)\b", re.IGNORECASE)
_COMPLETED = re.compile(_LEAD + r"(?:completed|finished)\b", re.IGNORECASE)
_EVENT_VERB = re.compile(
    _LEAD + r"(?:died|developed|experienced|suffered|had\s+(?:an?\s+)?\w+"
    r"|reported|presented|showed|withdrew|dropped|discontinued|were\s+lost|were\s+excluded)",
    re.IGNORECASE,
)
_TOTAL_BEFORE = re.compile(
    r"(?:a\s+total\s+of|in\s+total|overall|altogether|total\s+of|\b[Oo]f\s+(?:the|all)"
    r"|\b[Aa]ll|\b[Oo]f)\s*$",
    re.IGNORECASE,
)
_TREATED_BEFORE = re.compile(
    r"(?:infused|administered|given|transplanted|injected|treated|delivered|used)\s+"
    r"(?:\w+\s+){0,3}?(?:in|into|to|for)\s*$",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"[.!?;](?=\s+[A-Z(\[])|\n")


def _clause_after(text: str, end: int, limit: int = 140) -> str:
    """Text after a span up to the next sentence or clause break (what the count does)."""
    tail = text[end : end + limit]
    cut = re.search(r"[.;]\s|\s(?:and|but|while|whereas)\s+(?:\d|[a-z]+\s+(?:received|were))", tail)
    return tail[: cut.start()] if cut else tail


def _sentence_start(text: str, pos: int) -> int:
    start = 0
    for m in _SENTENCE_END.finditer(text, 0, pos):
        start = m.end()
    return start


def _arm_of(phrase: str) -> str | None:
    """``msc_arm`` or ``control_arm`` from the words naming a group, or None."""
    control = _CONTROL_CUE.search(phrase)
    msc = _MSC_CUE.search(phrase)
    if control and (not msc or control.start() < msc.start()):
        return "control_arm"
    if msc:
        return "msc_arm"
    return None


# --- patients --------------------------------------------------------------------------------

_PATIENTS_RE = re.compile(
    rf"(?P<num>{_NUMBER})\s+(?P<mods>{_MODS}){_PERSON}\b(?![-–])", re.IGNORECASE
)
# "(n = 12)", "n=12", "(N = 12)"
_N_EQUALS_RE = re.compile(r"\(?\b[nN]\s*=\s*(?P<num>\d+)(?![.,]\d|\d)\)?")
# "8 received MSCs", "4 placebo", "10 to the MSC group", "4 were given saline"
_ARM_RE = re.compile(
    rf"(?P<num>{_NUMBER})\s+(?:(?:were\s+)?(?:received|given|treated\s+with|assigned\s+to"
    rf"|allocated\s+to|randomi[sz]ed\s+to)\s+|to\s+(?:the\s+)?|in\s+the\s+|got\s+)?"
    r"(?P<arm>(?:(?:an?|the)\s+)?[\w'-]*(?:MSCs?|SCs|MPCs|mesenchymal|placebo|saline"
    r"|controls?|sham|vehicle|standard|conventional|usual|stem\s+cells?)[\w'-]*"
    r"(?:\s+(?:of\s+)?care|\s+(?:treatment|therapy|medical\s+therapy))?)",
    re.IGNORECASE,
)


# "three cohorts of three patients (each)": the product is everyone, the factors are not.
_COHORTS_RE = re.compile(
    rf"(?P<num>{_NUMBER})\s+(?:[\w-]+\s+){{0,2}}?(?:cohorts|groups|arms)\s+of\s+"
    rf"(?P<each>{_NUMBER})\s+(?:{_MODS}){_PERSON}\b(?:\s+each)?",
    re.IGNORECASE,
)
# A bare number led by "Of 45 patients screened, ..." names its noun there: "36 were
# enrolled", "12 received the injections".
_BARE_RE = re.compile(
    rf"(?P<num>{_NUMBER})\s+(?:(?P<enr>(?:were|was)\s+(?:\w+\s+)?(?:enrolled|randomi[sz]ed"
    r"|included|allocated))|(?P<rec>received|were\s+(?:treated|infused|given|transplanted"
    r"|injected)))\b",
    re.IGNORECASE,
)
_OF_PERSONS_BEFORE = re.compile(
    rf"\b(?:of|from|among)\s+(?:the\s+|all\s+)?(?:{_DIGITS}|{_WORD_NUMBER})\s+"
    rf"(?:[\w-]+\s+){{0,2}}?{_PERSON}\b[^.;]*,\s*$"
    # "24 patients were enrolled, and 22 received ...": the noun is in the first clause.
    rf"|\b{_PERSON}\b[^.;]{{0,80}}?\s(?:were|was)\s+(?:\w+\s+)?(?:enrolled|included"
    r"|randomi[sz]ed|recruited)\b[^.;]{0,40}?,\s*(?:and|but|of\s+whom|whereas|while)\s+$",
    re.IGNORECASE,
)
# What a patient receives when it is the cells: "the injections", "cells", "treatment".
_ADMIN_OBJECT = re.compile(
    r"\s*(?:the\s+|an?\s+|both\s+|all\s+)?(?:[\w-]+\s+){0,3}?(?:infusions?|injections?"
    r"|cells|transplant\w*|implant\w*|treatment|therapy)\b",
    re.IGNORECASE,
)
# "the MSC group (10 patients)": a bracketed count names the group before it.
_BRACKET_PERSONS_RE = re.compile(rf"\(\s*(?P<num>\d{{1,4}})\s+{_PERSON}\s*[),;]", re.IGNORECASE)
# "an MSC group and a control group (12 each)", "20 in each arm": equal arms.
_EACH_RE = re.compile(
    rf"\(\s*(?P<num>\d{{1,4}})\s+(?:{_PERSON}\s+)?each\s*\)"
    rf"|\b(?P<wnum>{_NUMBER})\s+(?:{_PERSON}\s+)?(?:(?:in|to)\s+each|per)\s+(?:group|arm)\b",
    re.IGNORECASE,
)
# A cheap whole-text gate for _BARE_RE (the other two are gated by substrings).
_BARE_GATE = re.compile(
    r",\s*(?:(?:and|but|of\s+whom|whereas|while)\s+)?[\w-]+\s+(?:were|was|received)\b",
    re.IGNORECASE,
)
_SEX_NOUN = re.compile(r"\b(?:men|women|boys|girls|males|females)\b", re.IGNORECASE)
_CROSSOVER = re.compile(r"\bcross(?:ed)?[\s-]?over\b", re.IGNORECASE)


def _bare_role(text: str, m: re.Match[str]) -> str | None:
    """Role of "36 were enrolled" / "12 received the injections" after "Of 45 patients
    screened,"; None when no such lead names the noun."""
    before = text[_sentence_start(text, m.start()) : m.start()]
    if not _OF_PERSONS_BEFORE.search(before):
        return None
    rest = _sentence_rest(text, m.end())
    if m.group("enr"):
        return "enrolled" + ("_controlled" if _CONTROLLED.search(rest) else "")
    clause = _clause_after(text, m.end())
    arm = _arm_of(clause)
    if arm is not None:
        return arm
    return "msc_arm" if _ADMIN_OBJECT.match(clause) else None


def parse_n_patients(text: str) -> list[CountMention]:
    """Patient counts in ``text`` with their roles, in reading order.

    ``msc_arm`` when the words around say the patients got MSCs ("8 received MSCs", "MSCs
    were infused in 15 children", "MSC group (n = 8)"), ``control_arm`` for placebo or
    control, ``enrolled`` for "were enrolled/randomized", ``total`` after "a total of",
    ``completed`` for completers, ``event`` for patients counted by what happened to them
    ("two patients died"), else ``unspecified`` (or ``group`` for a bare ``n =``). A total
    or enrolled count whose clause names a control arm gets the suffix ``_controlled``
    ("40 patients were randomized to MSCs or placebo": ``enrolled_controlled``).
    """
    found: list[CountMention] = []
    taken: list[tuple[int, int]] = []

    def add(value: int | None, start: int, end: int, role: str) -> None:
        if value is None or any(s < end and start < e for s, e in taken):
            return
        taken.append((start, end))
        found.append(CountMention(value, start, end, text[start:end], role))

    low = text.lower()
    cohorts = "cohorts of" in low or "groups of" in low or "arms of" in low
    for m in _finditer_numbers(_COHORTS_RE, text) if cohorts else ():
        k, each = word_to_int(m.group("num")), word_to_int(m.group("each"))
        if k and each:
            controlled = "_controlled" if _CONTROLLED.search(_sentence_rest(text, m.end())) else ""
            add(k * each, m.start(), m.end(), "total" + controlled)
    for m in _finditer_numbers(_PATIENTS_RE, text):
        if _is_breakdown(text, m):
            continue
        add(word_to_int(m.group("num")), m.start(), m.end(), _patient_role(text, m))
        if found and found[-1].start == m.start() and found[-1].role.endswith("_controlled"):
            derived = _ratio_arm(text, found[-1])
            if derived is not None:
                found.append(derived)
    for m in _N_EQUALS_RE.finditer(text) if "=" in text else ():
        add(int(m.group("num")), m.start(), m.end(), _n_equals_role(text, m))
    for m in _finditer_numbers(_ARM_RE, text):
        arm = _arm_of(m.group("arm"))
        # "Sixty were randomized to MSCs or placebo": both arms named, so no arm count.
        # "Two WJ-MSC infusions", "one placebo infusion": administrations, not patients.
        if (
            arm is not None
            and not _OR_ARM.match(text, m.end())
            and not _ADMIN_AFTER.match(text, m.end())
        ):
            add(word_to_int(m.group("num")), m.start(), m.end(), arm)
    for m in _BRACKET_PERSONS_RE.finditer(text) if "(" in text else ():
        if _SEX_NOUN.search(m.group()):
            continue  # "(4 men, 3 women)" splits a count by sex
        add(int(m.group("num")), m.start(), m.end(), _n_equals_role(text, m))
    each = "each" in low and any(w in low for w in ("each)", "each )", "in each ", "to each "))
    each = each or "per group" in low or "per arm" in low
    for m in _EACH_RE.finditer(text) if each else ():
        sentence = text[_sentence_start(text, m.start()) : m.end()] + _sentence_rest(text, m.end())
        # Equal arms give the MSC arm's size only when MSCs are compared with a control.
        if (_MSC_CUE.search(sentence) and _CONTROLLED.search(sentence)) or _CONTROLLED.search(text):
            add(word_to_int(m.group("num") or m.group("wnum")), m.start(), m.end(), "msc_arm")
    for m in _finditer_numbers(_BARE_RE, text) if _BARE_GATE.search(text) else ():
        role = _bare_role(text, m)
        if role is not None:
            add(word_to_int(m.group("num")), m.start(), m.end(), role)
            if role.endswith("_controlled"):
                derived = _ratio_arm(text, found[-1])
                if derived is not None:
                    found.append(derived)
    if found and "cross" in low and _CROSSOVER.search(text):
        # A crossover gives every randomized patient the cells, one period each.
        found = [
            replace(c, role=c.role.removesuffix("_controlled"))
            for c in found
            if c.role != "msc_arm_derived"
        ]
    found.sort(key=lambda c: c.start)
    return found


_ADMIN_AFTER = re.compile(
    r"[\s-]*(?:infusions?|injections?|doses?|administrations?|transplantations?)\b", re.I
)
_PER_GROUP_AFTER = re.compile(r"\s*(?:/\s*|per\s+|in\s+each\s+)(?:group|arm)\b", re.I)
_DESCRIBED_AFTER = re.compile(
    r"\)?\s*(?:receiving|received|treated\s+with|given|who\s+received)\s+([^,;.()]{1,50})",
    re.IGNORECASE,
)
_OR_ARM = re.compile(r"\s*(?:\((?:[^()]|\([^()]*\))*\)\s*)?(?:or|versus|vs\.?)\s")


def _open_bracket(text: str, lo: int, pos: int) -> int | None:
    """Position of the bracket still open at ``pos`` (skipping closed ones like "10(6)")."""
    depth = 0
    for i in range(pos - 1, lo - 1, -1):
        if text[i] == ")":
            depth += 1
        elif text[i] == "(":
            if depth == 0:
                return i
            depth -= 1
    return None


def _n_equals_role(text: str, m: re.Match[str]) -> str:
    """Role of an "n = 12" from the group name written just before it."""
    if _PER_GROUP_AFTER.match(text, m.end()):
        # "(n = 10/group)": every arm's size, the MSC arm's when a control is compared.
        return "msc_arm" if _CONTROLLED.search(text) else "group"
    s0 = _sentence_start(text, m.start())
    head = m.start()
    # "(100 × 10(6) cells per infusion, n = 30)": the group is named before the bracket.
    opened = _open_bracket(text, s0, m.start())
    if not m.group().startswith("(") and opened is not None:
        head = opened
    label = text[max(s0, head - 90) : head]
    # The label is the group name right before "(n = ...)": the nearest cue wins.
    parts = re.split(r"[,;]|\band\b|\bor\b|\bvs\.?|\bversus\b|\(", label)
    # "MSC group, n = 15": the name is the part before the comma.
    label = parts[-1] if parts[-1].strip() or len(parts) == 1 else parts[-2]
    if _CONTROL_CUE.search(label):
        return "control_arm"
    if _MSC_CUE.search(label):
        return "msc_arm"
    if re.search(r"total|\ball\b", label, re.I):
        return "total"
    # "an observation group (n = 30) receiving MSCs": the group is described after.
    named = re.search(r"(?:group|arm|cohort)\s*$", label, re.I)
    described = _DESCRIBED_AFTER.match(text, m.end()) if named else None
    return (_arm_of(described.group(1)) or "group") if described else "group"


def _is_breakdown(text: str, m: re.Match[str]) -> bool:
    """A sex split inside brackets ("7 patients (4 men, 3 women)") restates a count."""
    opened = text.rfind("(", 0, m.start())
    inside = opened != -1 and ")" not in text[opened : m.start()]
    return inside and bool(re.search(r"(?:men|women|boys|girls|males|females)$", m.group()))


# A control arm named as the alternative ("to MSCs or placebo", "versus standard care"), not
# a control word in passing ("cells in 3 mL of saline").
_CONTROLLED = re.compile(
    r"\b(?:or|versus|vs\.?|compared\s+(?:with|to)|and|to)\s+(?:[\w-]+\s+){0,3}?(?:"
    + _CONTROL_CUE.pattern
    + r")|\b(?:placebo|control|sham)[\s-](?:group|arm|controlled)",
    re.IGNORECASE,
)
_EVENT_BEFORE = re.compile(
    r"\b(?:occurred|observed|reported|seen|developed|found|noted|recorded|died)\s+in\s+"
    r"(?:only\s+)?(?:\w+\s+)?$",
    re.IGNORECASE,
)
_DENOMINATOR_BEFORE = re.compile(rf"(?:{_DIGITS}|{_WORD_NUMBER})\s+of\s+(?:the\s+)?$", re.I)
_WE_TREATED_BEFORE = re.compile(
    r"\b(?:we|they|investigators)\s+(?:\w+\s+)?(?:treated|infused|transplanted)\s*$",
    re.IGNORECASE,
)
_WE_ENROLLED_BEFORE = re.compile(
    r"\b(?:we|they)\s+(?:\w+\s+)?(?:enrolled|included|recruited|studied|randomi[sz]ed)\s*$",
    re.IGNORECASE,
)
# Verbs of receiving (not of being randomized, which names both arms).
_RECEIVED = re.compile(
    _LEAD + r"(?:who\s+)?(?:received|were\s+(?:\w+\s+)?(?:treated|infused|given|transplanted"
    r"|injected|administered)|underwent)\b",
    re.IGNORECASE,
)
_RATIO = re.compile(r"\brandomi[sz]ed\s+(?:in\s+an?\s+)?(?P<a>\d)\s*:\s*(?P<b>\d)(?!\s*:)", re.I)


_EQUAL_RATIO = re.compile(r"\(\s*(?P<a>\d)\s*:\s*(?P<b>\d)\s*\)")


def _sentence_rest(text: str, end: int, limit: int = 220) -> str:
    tail = text[end : end + limit]
    cut = _SENTENCE_END.search(tail)
    return tail[: cut.start()] if cut else tail


def _patient_role(text: str, m: re.Match[str]) -> str:
    after = _clause_after(text, m.end())
    rest = _sentence_rest(text, m.end())
    before = text[max(_sentence_start(text, m.start()), m.start() - 60) : m.start()]
    if _EVENT_BEFORE.search(before):
        return "event"  # "fever occurred in three cell-treated patients"
    mods = m.group("mods")
    arm = _arm_of(mods) if mods else None
    if arm is not None:
        return arm
    if _DENOMINATOR_BEFORE.search(before):
        return "denominator"  # "3 of 9 infants": the 9 is an arm or a subgroup, unnamed
    event = _EVENT_VERB.match(after)
    # "patients with MS who had new lesions ... were randomized": the relative clause
    # describes who was eligible; the main verb says what the count is.
    if event and not (
        _WHO_HAD.search(event.group()) and (_ENROLL.match(after) or _TREATED_VERB.match(after))
    ):
        return "event"
    if m.group().lower().endswith("controls"):
        return "control_arm"  # "50 matched controls"
    if _SCREENED.match(after):
        return "screened"  # "Of 45 patients screened, 36 were enrolled"
    if _COMPLETED.match(after):
        return "completed"
    # "All 10 patients received both the cells and placebo" (crossover): all got MSCs.
    if (
        _RECEIVED.match(after)
        and _MSC_CUE.search(after)
        and (not _CONTROL_CUE.search(after) or re.search(r"\bboth\b", after, re.I))
    ):
        return "msc_arm"
    # A total split between MSCs and a control ("randomized 1:1 to MSCs or placebo") is not
    # the number treated with MSCs; choose_n_patients needs the control arm to use it.
    controlled = "_controlled" if _CONTROLLED.search(rest) else ""
    to_group = _ASSIGNED_TO_GROUP.match(after) if "group" in after or "arm" in after else None
    to_group = to_group or (_ASSIGNED_TO_RECEIVE.match(after) if "receive" in after else None)
    if to_group and (arm := _arm_of(to_group.group("label"))) is not None:
        return arm  # "14 patients were randomly assigned to the MSC group and 14 to ..."
    if _TOTAL_BEFORE.search(before):
        return "total" + controlled
    if _ENROLL.match(after) or _WE_ENROLLED_BEFORE.search(before):
        return "enrolled" + controlled
    if _WE_TREATED_BEFORE.search(before):
        return "msc_arm" if _MSC_CUE.search(rest) and not controlled else "unspecified"
    if _TREATED_VERB.match(after):
        return _arm_of(after) or "unspecified"
    if _TREATED_BEFORE.search(before):
        return _arm_of(before) or "unspecified"
    # "in the MSC group, 10 patients ..." / "10 patients in the placebo group"
    group_after = re.match(r"^\s*(?:in|of)\s+the\s+([\w' -]{0,30}?)(?:group|arm|cohort)", after)
    if group_after:
        return _arm_of(group_after.group(1)) or "unspecified"
    return "unspecified"


def _ratio_arm(text: str, c: CountMention) -> CountMention | None:
    """The MSC arm of a total "randomized 2:1 to MSCs or placebo", when the order is clear."""
    rest = _sentence_rest(text, c.end)
    r = _RATIO.search(rest)
    if r is None:
        # "randomized to MSCs or placebo (1:1)": equal shares need no order.
        r = _EQUAL_RATIO.search(rest)
        if r is None or r.group("a") != r.group("b"):
            return None
    a, b = int(r.group("a")), int(r.group("b"))
    arms = rest[r.end() :] if r.re is _RATIO else rest
    msc, control = _MSC_CUE.search(arms), _CONTROL_CUE.search(arms)
    if msc is None or control is None or a + b == 0:
        return None
    share = a if msc.start() < control.start() else b
    if (c.value * share) % (a + b):
        return None
    return CountMention(c.value * share // (a + b), c.start, c.end, c.text, "msc_arm_derived")


def choose_n_patients(mentions: Sequence[CountMention]) -> CountMention | None:
    """The codebook's ``n_patients`` (patients who received MSCs) from the mentions.

    The largest ``msc_arm`` count wins (the same arm is often restated in Results). Without
    one, a trial with a control arm gives total/enrolled minus the control arm (role
    ``msc_arm_derived``, span of the total), or None when the control arm's size is not
    stated; a study without a control arm gives its largest total/enrolled/treated count.
    Event, completer and control counts never stand in.

    >>> choose_n_patients([]) is None
    True
    """
    msc = [c for c in mentions if c.role == "msc_arm"]
    controls = [c for c in mentions if c.role == "control_arm"]
    if msc:
        # Several MSC arms (dose levels) add up when, with the control arms, they give a
        # stated total ("30 randomized 1:1:1 ... (n = 10), (n = 10) or placebo (n = 10)").
        stated = {c.value for c in mentions if c.role.startswith(("total", "enrolled", "group"))}
        stated |= {c.value for c in mentions if c.role == "unspecified"}
        arms = sum(c.value for c in msc)
        if len(msc) > 1 and (arms in stated or arms + sum(c.value for c in controls) in stated):
            first = msc[0]
            return CountMention(arms, first.start, msc[-1].end, first.text, "msc_arm_derived")
        return max(msc, key=lambda c: c.value)
    derived = [c for c in mentions if c.role == "msc_arm_derived"]
    if derived:
        return max(derived, key=lambda c: c.value)
    totals = [c for c in mentions if c.role.startswith(("total", "enrolled"))]
    if controls or any(c.role.endswith("_controlled") for c in totals):
        if not totals:
            return None
        total = max(totals, key=lambda c: c.value)
        if not controls:
            return None
        rest = total.value - max(c.value for c in controls)
        if rest <= 0:
            return None
        return CountMention(rest, total.start, total.end, total.text, "msc_arm_derived")
    pool = totals + [c for c in mentions if c.role in ("unspecified", "group")]
    return max(pool, key=lambda c: c.value) if pool else None


# --- infusions -------------------------------------------------------------------------------

_ADMIN = (
    r"(?:infusions?|injections?|doses?|administrations?|transplantations?|transplants?"
    r"|transfusions?|applications?|instillations?|treatments?|courses?)"
)
# Words between the number and the noun that make it something else than "N infusions":
# dose levels or cohorts, escalating or different doses (each patient got one of them).
_NOT_REPEATS = (
    r"(?!(?:different|escalating|increasing|ascending|dose|separate\s+dose|levels?|cohorts?"
    r"|groups?)\b)"
)
_ADJ = rf"(?:{_NOT_REPEATS}{_STOP}[a-z][\w-]*\s+){{0,2}}?"
# Before an administration noun the cells may name it: "two MSC infusions", "three cell
# injections" (the patient-count stop list excludes those words).
_INF_STOP = (
    r"(?!(?:of|and|or|in|with|were|was|to|for|at|from|by|the|years?|months?|weeks?|days?"
    r"|hours?|mg|ml|doses?|infusions?|times)(?![\w-]))"
)
_INF_ADJ = rf"(?:{_NOT_REPEATS}{_INF_STOP}[A-Za-z][\w-]*\s+){{0,2}}?"
_INFUSIONS_RE = re.compile(
    rf"(?P<num>{_NUMBER})\s+{_INF_ADJ}{_ADMIN}(?![\w-])(?!\s+(?:levels?|cohorts?|groups?|arms?))",
    re.IGNORECASE,
)
_SINGLE_RE = re.compile(
    rf"\b(?:a\s+|one\s+)?single[\s-]+{_ADJ}{_ADMIN}(?![\w-])(?!\s+(?:levels?|cohorts?|groups?))",
    re.IGNORECASE,
)
_ORDINAL_RE = re.compile(
    rf"\b(?:a|the)\s+(?P<ord>{'|'.join(_ORDINALS)}|\d(?:st|nd|rd|th))\s+{_ADJ}{_ADMIN}\b",
    re.IGNORECASE,
)
_TIMES = rf"(?:once|twice|thrice|(?P<times>{_NUMBER})\s+times)"
_PERIOD = r"(?P<per>day|week|month)s?"
_INTERVAL = (
    rf"(?:(?:{_TIMES}\s+)?(?:(?P<ly>daily|weekly|monthly)|(?:a|per|each|every)\s+{_PERIOD}"
    rf"|every\s+(?P<every>{_NUMBER})\s+(?P<eper>day|week|month)s?))"
)
_SCHEDULE_RE = re.compile(
    rf"(?P<freq>{_INTERVAL})\s+for\s+(?:(?:a\s+total\s+of|up\s+to)\s+)?"
    rf"(?P<dur>{_NUMBER})\s+(?:consecutive\s+|successive\s+)?(?P<dunit>day|week|month)s?\b",
    re.IGNORECASE,
)
_REPEAT_RE = re.compile(
    rf"\brepeated\s+(?:(?P<later>(?:\w+\s+)?(?:{_NUMBER})\s+(?:days?|weeks?|months?)\s+later)"
    rf"|(?P<rtimes>once|twice|thrice|(?P<rn>{_NUMBER})\s+times)"
    rf"|(?:\w+\s+)?(?:at|on|after|in)\s+(?:(?:days?|weeks?|months?)\s+)?"
    rf"(?P<list>(?:\d+|{_WORD_NUMBER})(?:\s*(?:,|and|or)\s*(?:and\s+)?\d+)*))",
    re.IGNORECASE,
)
# "infused on days 0, 7 and 14", "on day 0 and day 7", "at 0, 4 and 8 weeks", "at baseline,
# week 4 and week 8" (baseline is one more).
_AT_TIMES_RE = re.compile(
    r"(?:infus\w*|inject\w*|administer\w*|given|received|transplant\w*|deliver\w*|transfus\w*)\b"
    r"[^.;]{0,30}?\b(?:on|at)\s+(?P<base>baseline\s*(?:,|and)\s*(?:and\s+)?)?"
    r"(?:(?:days?|weeks?|months?)\s+(?P<list>\d+(?:\s*(?:,|and)\s*(?:and\s+)?"
    r"(?:(?:days?|weeks?|months?)\s+)?\d+)*)"
    r"|(?P<list2>\d+(?:\s*(?:,|and)\s*(?:and\s+)?\d+)+)\s+(?:days|weeks|months)\b)",
    re.IGNORECASE,
)
_VERB_TIMES_RE = re.compile(
    rf"\b(?:infused|injected|administered|given|transplanted|delivered|applied|received)\s+"
    rf"(?:\w+\s+){{0,2}}?(?P<t>{_TIMES})(?!\s+(?:a|per|daily|weekly|monthly|every)\b)",
    re.IGNORECASE,
)
_TIMES_INTERVAL_RE = re.compile(
    rf"\b(?P<t>{_TIMES})\s*,?\s+(?:at|with|in)\s+(?:an?\s+)?(?:[\w-]+\s+)?intervals?\b",
    re.IGNORECASE,
)
_DAYS = {"day": 1, "week": 7, "month": 30}
# Counts over all patients: "in total" or "altogether" before, a share after ("11
# infusions (3.5%)"); "for a total of three infusions" closes one patient's schedule.
_TOTAL_IN_BEFORE = re.compile(r"\b(?:in\s+total|overall|altogether)\b", re.IGNORECASE)
_FOR_A_TOTAL_BEFORE = re.compile(r"\bfor\s+a\s+total\s+of\s*$", re.IGNORECASE)
_EACH_PATIENT_BEFORE = re.compile(
    rf"\b(?:each|every)\s+(?:{_PERSON}|one)\b|\bper\s+(?:{_PERSON})\b", re.IGNORECASE
)
_SHARE_AFTER = re.compile(r"\s*\(\s*\d+(?:\.\d+)?\s*%")
# Many injections in one sitting are one administration.
_ONE_SITTING_AFTER = re.compile(
    r"[^.;]{0,50}?\bin\s+(?:one|a\s+single)\s+(?:session|sitting|procedure)\b", re.IGNORECASE
)
_SCHEDULE_GATE = re.compile(
    r"\bfor\s+\S+\s+(?:consecutive\s+|successive\s+)?(?:day|week|month)", re.IGNORECASE
)


def _times_value(m: re.Match[str], group: str = "t") -> int | None:
    word = m.group(group).lower()
    if word.startswith("once"):
        return 1
    if word.startswith("twice"):
        return 2
    if word.startswith("thrice"):
        return 3
    return word_to_int(re.sub(r"\s+times$", "", word))


def _schedule_count(m: re.Match[str]) -> int | None:
    """Administrations in "once weekly for 4 weeks" style schedules, when units agree."""
    freq = m.group("freq").lower()
    times = 1
    if freq.startswith("twice"):
        times = 2
    elif freq.startswith("thrice"):
        times = 3
    elif m.group("times"):
        times = word_to_int(m.group("times")) or 0
    if m.group("ly"):
        per, every = m.group("ly")[:-2].replace("dai", "day"), 1
    elif m.group("per"):
        per, every = m.group("per").lower(), 1
    elif m.group("eper"):
        per, every = m.group("eper").lower(), word_to_int(m.group("every")) or 0
    else:  # "twice for 2 weeks": not a rate
        return None
    duration = word_to_int(m.group("dur"))
    dunit = m.group("dunit").lower()
    if not duration or not every:
        return None
    if per == dunit:
        span = duration
    elif {per, dunit} == {"day", "week"}:
        # Days and weeks convert exactly; months do not (4.3 weeks), so those are left out.
        span = duration * _DAYS[dunit] // _DAYS[per]
    else:
        return None
    if span % every:
        return None
    return times * (span // every)


# The schedule and "given N times" matches hold only word characters, spaces, commas and
# hyphens, so each lies inside one run of them, which holds its anchor word.
_WORD_RUN = re.compile(r"[\w\s,-]+")
# A schedule's rate ends in a period word right before "for" ("weekly for", "a month for").
_FOR = re.compile(r"(?:daily|weekly|monthly|days?|weeks?|months?)\s+for\s", re.IGNORECASE)
_TIMES_WORD = re.compile(r"once|twice|thrice|times", re.IGNORECASE)
# Words the other infusion patterns cannot match without (cheap whole-text gates).
_REPEAT_GATE = re.compile(r"repeated", re.IGNORECASE)
_SINGLE_GATE = re.compile(r"single", re.IGNORECASE)
_AT_TIMES_GATE = re.compile(
    r"(?:on|at)\s+(?:(?:day|week|month)s?\s+\d"
    r"|baseline\s*(?:,|and)\s*(?:and\s+)?(?:day|week|month)s?\s+\d"
    r"|\d+(?:\s*,\s*\d+)*\s*,?\s+and\s+\d+\s+(?:day|week|month)s)",
    re.IGNORECASE,
)


_AT_VERB = re.compile(
    r"infus|inject|administer|given|received|transplant|deliver|transfus", re.IGNORECASE
)


def _at_times_possible(text: str) -> bool:
    """Whether _AT_TIMES_RE can match: a time list ("on days 0 and 7", "at baseline, week 4")
    with an administration verb in the 80 characters before it (the pattern allows a verb
    word and 30 characters); follow-up lists ("tests at baseline, week 4") are common."""
    return any(
        _AT_VERB.search(text, max(0, g.start() - 80), g.start())
        for g in _AT_TIMES_GATE.finditer(text)
    )


def _finditer_in_runs(
    pattern: re.Pattern[str], text: str, runs: list[tuple[int, int]], anchor: re.Pattern[str]
) -> Iterator[re.Match[str]]:
    """``pattern.finditer(text)`` run only over the word runs that contain ``anchor``.

    Same matches, for the patterns above: a run ends at a character no match contains,
    where a final word boundary or "not followed by a space and ..." holds both at the
    run's end and in the whole text, and look-behinds still see the text before the run
    (``pos`` does not cut it off).
    """
    for start, end in runs:
        if anchor.search(text, start, end):
            yield from pattern.finditer(text, start, end)


def parse_n_infusions(text: str) -> list[CountMention]:
    """Statements of how many administrations each patient got, in reading order.

    "two infusions" (``count``), "a single injection" (``single``), "a second infusion"
    (``ordinal``: at least that many), "once weekly for 4 weeks" / "monthly for 6 months"
    (``schedule``: rate x duration), "repeated at day 7" (``repeat``: 1 + the times listed),
    "first ..., followed by three infusions" (4), totals over all patients (``total``),
    "infused on days 0, 7 and 14" and "given three times at 4-week intervals". Dose levels
    ("three dose levels", "two different doses") are not repeats and are left out.
    """
    found: list[CountMention] = []
    taken: list[tuple[int, int]] = []

    def add(value: int | None, start: int, end: int, role: str) -> None:
        if not value or any(s < end and start < e for s, e in taken):
            return
        taken.append((start, end))
        found.append(CountMention(value, start, end, text[start:end], role))

    # Cheap gates: the schedule and interval patterns are costly, their anchors rare.
    runs = [m.span() for m in _WORD_RUN.finditer(text)]
    has_schedule = _SCHEDULE_GATE.search(text) is not None
    for m in _finditer_in_runs(_SCHEDULE_RE, text, runs, _FOR) if has_schedule else ():
        add(_schedule_count(m), m.start(), m.end(), "schedule")
    for m in _REPEAT_RE.finditer(text) if _REPEAT_GATE.search(text) else ():
        if m.group("later"):
            add(2, m.start(), m.end(), "repeat")  # "the infusion was repeated 4 weeks later"
        elif m.group("rtimes"):
            n = _times_value(m, "rtimes")
            add(None if n is None else n + 1, m.start(), m.end(), "repeat")
        else:
            items = re.findall(r"\d+|[a-z]+(?:[\s-][a-z]+)*", m.group("list"))
            items = [i for i in items if i.lower() not in ("and", "or")]
            add(1 + len(items), m.start(), m.end(), "repeat")
    for m in _AT_TIMES_RE.finditer(text) if _at_times_possible(text) else ():
        times = len(re.findall(r"\d+", m.group("list") or m.group("list2")))
        times += 1 if m.group("base") else 0
        if times > 1:
            start = m.start("list") if m.group("list") else m.start("list2")
            add(times, start, m.end(), "schedule")
    for m in _TIMES_INTERVAL_RE.finditer(text) if "interval" in text.lower() else ():
        add(_times_value(m), m.start(), m.end(), "count")
    for m in _finditer_in_runs(_VERB_TIMES_RE, text, runs, _TIMES_WORD):
        add(_times_value(m), m.start("t"), m.end(), "count")
    for m in _SINGLE_RE.finditer(text) if _SINGLE_GATE.search(text) else ():
        add(1, m.start(), m.end(), "single")
    for m in _ORDINAL_RE.finditer(text):
        o = m.group("ord").lower()
        add(_ORDINALS.get(o) or int(re.sub(r"\D", "", o)), m.start(), m.end(), "ordinal")
    for m in _finditer_numbers(_INFUSIONS_RE, text):
        n = word_to_int(m.group("num"))
        # "2 infusion centres": a singular noun after a number above one is a modifier.
        if n is None or (n != 1 and not m.group().lower().endswith("s")):
            continue
        before = text[_sentence_start(text, m.start()) : m.start()]
        if _ONE_SITTING_AFTER.match(text, m.end()):
            add(1, m.start(), m.end(), "single")  # "as 40 injections in one session"
        elif _FOR_A_TOTAL_BEFORE.search(before) or (
            _TOTAL_BEFORE.search(before) and _EACH_PATIENT_BEFORE.search(before)
        ):
            add(n, m.start(), m.end(), "count")  # "every 3 days for a total of three infusions"
        elif (
            _TOTAL_BEFORE.search(before)
            or _TOTAL_IN_BEFORE.search(before)
            or _SHARE_AFTER.match(text, m.end())
        ):
            add(n, m.start(), m.end(), "total")  # "In total, 3,104 infusions were given"
        elif re.search(r"\bfollowed\s+by\s+$", before, re.I):
            add(n + 1, m.start(), m.end(), "count")  # "first ..., followed by three infusions"
        else:
            add(n, m.start(), m.end(), "count")
    found.sort(key=lambda c: c.start)
    return found


def choose_n_infusions(mentions: Iterable[CountMention]) -> CountMention | None:
    """The codebook's ``n_infusions``: the largest count stated (arms may differ).

    ``total`` mentions ("in total, 3,104 infusions were given") count all patients'
    infusions together and never stand in for the per-patient number.
    """
    pool = [c for c in mentions if c.role != "total"]
    return max(pool, key=lambda c: c.value) if pool else None


# --- adverse-event counts --------------------------------------------------------------------

_EVENT_NOUN = (
    r"(?:(?:serious\s+|severe\s+|non-?serious\s+|treatment-related\s+|adverse\s+)*"
    r"(?:SAEs?|AEs?|TEAEs?|adverse\s+(?:events?|reactions?|effects?)|deaths?|fatalit(?:y|ies)"
    r"|events?|episodes?|cases?\s+of|complications?|infections?|reactions?))"
)
_EVENT_PATIENTS_RE = re.compile(
    rf"(?P<num>{_NUMBER})\s+(?:\(\s*\d+(?:\.\d+)?\s*%\s*\)\s+)?(?:of\s+(?:the\s+)?"
    rf"(?:{_NUMBER})\s+)?(?P<mods>{_MODS}){_PERSON}\b"
    r"(?:\s*\([^)]{0,30}\))?(?=\s+(?:who\s+)?(?:had|have|has|died|developed|experienced"
    r"|suffered|reported|presented|showed|required|were\s+hospitali[sz]ed|complained))",
    re.IGNORECASE,
)
_EVENT_COUNT_RE = re.compile(
    rf"(?P<num>{_NUMBER})\s+(?:\(\s*\d+(?:\.\d+)?\s*%\s*\)\s+)?(?:{_MODS}){_EVENT_NOUN}"
    r"(?![\w-])",
    re.IGNORECASE,
)
_EVENT_IN_RE = re.compile(
    rf"\b(?:occurred|observed|reported|seen|noted|developed|recorded|documented|found)\s+in\s+"
    rf"(?:only\s+)?(?P<num>{_NUMBER})(?:\s*\(\s*\d+(?:\.\d+)?\s*%\s*\))?"
    rf"(?:\s+(?:of\s+(?:the\s+)?)?(?:{_NUMBER}))?\s*(?:{_MODS}{_PERSON})?",
    re.IGNORECASE,
)
_NONE_RE = re.compile(
    rf"\b(?:no|none\s+of\s+the|zero|neither\s+of\s+the)\s+(?:{_MODS})?(?:{_EVENT_NOUN}|{_PERSON})"
    r"(?![\w-])",
    re.IGNORECASE,
)


def parse_event_counts(text: str) -> list[CountMention]:
    """Counts of adverse events or of patients with them in one sentence, in reading order.

    "three patients (15%) developed fever" -> 3 (``patients``); "2 SAEs", "one death" ->
    (``events``); "fever occurred in 3 of 20 patients" -> 3 (``patients``); "no deaths",
    "none of the patients" -> 0 (``none``). Percentages, denominators and grades are skipped.
    """
    found: list[CountMention] = []
    taken: list[tuple[int, int]] = []

    def add(value: int | None, start: int, end: int, role: str) -> None:
        if value is None or any(s < end and start < e for s, e in taken):
            return
        taken.append((start, end))
        found.append(CountMention(value, start, end, text[start:end], role))

    for m in _NONE_RE.finditer(text):
        add(0, m.start(), m.end(), "none")
    for m in _EVENT_PATIENTS_RE.finditer(text):
        add(word_to_int(m.group("num")), m.start(), m.end(), "patients")
    for m in _EVENT_IN_RE.finditer(text):
        add(word_to_int(m.group("num")), m.start("num"), m.end(), "patients")
    for m in _EVENT_COUNT_RE.finditer(text):
        add(word_to_int(m.group("num")), m.start(), m.end(), "events")
    found.sort(key=lambda c: c.start)
    return found


def parse_event_count(text: str) -> int | None:
    """The first adverse-event count in a sentence (0 for "no ..."), or None.

    >>> parse_event_count("Two SAEs occurred, neither related to the cells.")
    2
    """
    mentions = parse_event_counts(text)
    return mentions[0].value if mentions else None
