"""Dose, number of infusions and patients treated, read with the number helpers.

Example::

    >>> from msc_mine.records import Record, AbstractSection
    >>> from msc_mine.extract.parsed import parse_record
    >>> from msc_mine.extract.dosing import extract_dosing
    >>> rec = Record(pmid="1", title="BM-MSCs in MS", abstract=[AbstractSection(
    ...     "METHODS", "Ten patients received two infusions of 2 x 10(6) cells/kg.", "METHODS")])
    >>> d = extract_dosing(parse_record(rec))
    >>> d.dose_low.value, d.dose_unit.value, d.n_infusions.value, d.n_patients.value
    (2000000.0, 'cells/kg', 2, 10)

Method: :mod:`msc_mine.extract.dose` and :mod:`msc_mine.extract.counts` (the number
grammar, plausibility guards and role rules) read the whole record text; this module drops
mentions from background sentences (earlier studies' doses and cohorts), lets a Methods
mention win over the same unit elsewhere, and attaches each value's sentence as evidence.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass

from msc_mine.codebook import NOT_STATED, Value
from msc_mine.extract import arms, counts, dose, regimen
from msc_mine.extract.parsed import ParsedRecord, Sentence, evidence_of

__all__ = ["DosingResult", "extract_dosing"]

_SKIP_SECTIONS = frozenset({"BACKGROUND", "OBJECTIVE"})


@dataclass
class DosingResult:
    """The dose and count columns of one record."""

    dose_low: Value[float | None]
    dose_high: Value[float | None]
    dose_unit: Value[str]
    n_infusions: Value[int | None]
    n_patients: Value[int | None]


def _sentence_finder(parsed: ParsedRecord) -> Callable[[int], Sentence | None]:
    """char -> the sentence containing it (sentences are in order and do not overlap)."""
    sents = parsed.sentences
    starts = [s.span.start_char for s in sents]
    ends = [s.span.end_char for s in sents]

    def at(char: int) -> Sentence | None:
        i = bisect_right(starts, char) - 1
        return sents[i] if i >= 0 and char < ends[i] else None

    return at


def _n_infusions(
    parsed: ParsedRecord, sentence_at: Callable[[int], Sentence | None]
) -> Value[int | None]:
    """Infusions per patient: counts stated in the study's own sections; else in the
    Objective ("to assess two repeated intrathecal injections"); else one, when the study
    names a single administration and no repeat (:func:`regimen.implied_single`)."""
    text = parsed.text
    mentions = counts.parse_n_infusions(text) + regimen.parse_regimen(text)
    by_section: dict[str, list[tuple[counts.CountMention, Sentence]]] = {}
    for c in mentions:
        sent = sentence_at(c.start)
        if sent is None or sent.section == "BACKGROUND":
            continue
        # "Scores were recorded daily for 30 days": a schedule of follow-up, not of doses.
        if c.role == "schedule" and not regimen.ADMIN_WORD.search(sent.text):
            continue
        key = "OBJECTIVE" if sent.section == "OBJECTIVE" else "study"
        by_section.setdefault(key, []).append((c, sent))
    for key in ("study", "OBJECTIVE"):
        found = by_section.get(key, [])
        if key == "OBJECTIVE":
            # "the safety of three doses of MPCs" in a dose-escalation trial: dose levels.
            found = [(c, s) for c, s in found if not _dose_levels(c, parsed)]
        best = counts.choose_n_infusions([c for c, _ in found])
        if best is not None:
            return Value(best.value, next(s.text for c, s in found if c is best))
    if _is_review(parsed):
        return Value(None)
    own = [s for s in parsed.sentences if s.section not in _SKIP_SECTIONS]
    i = regimen.implied_single([s.text for s in own])
    return Value(1, own[i].text) if i is not None else Value(None)


_LEVELS = re.compile(r"dose[- ](?:escalat\w*|levels?|cohorts?|groups?|finding)", re.IGNORECASE)
_REVIEW = re.compile(r"\b(?:meta-analys[ie]s|systematic review|pooled analysis)\b", re.IGNORECASE)


# "A 58-year-old woman", "a 7-year-old boy": the one patient of a case report.
_ONE_PERSON = re.compile(
    r"\b(?:an?|one|the)\s+\d{1,3}-(?:year|month)-old\s+(?:[\w-]+\s+){0,2}?"
    r"(?:man|woman|boy|girl|male|female|patient|child|infant|neonate|adolescent)\b",
    re.IGNORECASE,
)
_CELL_LONG_FORM = re.compile(r"stem\s+cells?|stromal\s+cells?|mesenchymal|\bMSCs?\b", re.I)


def _case_report_sentence(parsed: ParsedRecord) -> str | None:
    """The sentence introducing a case report's patient, when counts found no number."""
    types = {t.lower() for t in parsed.record.publication_types}
    is_case = "case reports" in types or "case report" in parsed.record.title.lower()
    for sent in parsed.sentences:
        if sent.section != "BACKGROUND" and _ONE_PERSON.search(sent.text):
            return sent.text
    if is_case:
        return next((s.text for s in parsed.sentences if s.section != "BACKGROUND"), None)
    return None


def _drop_event_tallies(
    parsed: ParsedRecord, mentions: list[counts.CountMention]
) -> list[counts.CountMention]:
    """Drop "(n = 6)" right after an adverse-event term: "fever (n = 6)" counts events."""
    bracketed = [c for c in mentions if c.text.startswith("(")]
    if not bracketed:
        return mentions
    doc = parsed.doc
    ends = {
        doc[t.end - 1].idx + len(doc[t.end - 1].text)
        for s in parsed.sentences
        for t in s.terms
        if t.family in ("ae", "sae", "ae_generic")
    }
    tallies = {id(c) for c in bracketed if any(c.start - 2 <= e <= c.start for e in ends)}
    return [c for c in mentions if id(c) not in tallies]


def _cell_short_forms(parsed: ParsedRecord) -> set[str]:
    """Short forms the text defines for stem or stromal cells ("MenSCs", "DPSCs")."""
    out: set[str] = set()
    for ab in parsed.doc._.abbreviations or []:
        if isinstance(ab, dict):
            short, long = ab["short_text"], ab["long_text"]
        else:  # a Span, when make_serializable is off
            short, long = ab.text, ab._.long_form.text
        if _CELL_LONG_FORM.search(long):
            out.add(short.rstrip("s"))
    return out


def _dose_levels(c: counts.CountMention, parsed: ParsedRecord) -> bool:
    return "dose" in c.text.lower() and _LEVELS.search(parsed.text) is not None


def _is_review(parsed: ParsedRecord) -> bool:
    types = {t.lower() for t in parsed.record.publication_types}
    if types & {"review", "systematic review", "meta-analysis"}:
        return True
    return _REVIEW.search(parsed.record.title) is not None


def _per_patient_from_total(
    text: str, n_patients: int, usable: Callable[[int], Sentence | None]
) -> Value[int | None]:
    """Infusions per patient from a total over all patients ("the 16 children received 64
    infusions"), when nothing states the per-patient number: the total divided by the
    patients treated, if it divides evenly into a plausible count (2 to 12)."""
    for c in counts.parse_n_infusions(text):
        sent = usable(c.start)
        if c.role != "total" or sent is None or c.value % n_patients:
            continue
        if 2 <= c.value // n_patients <= 12:
            return Value(c.value // n_patients, sent.text)
    return Value(None)


def extract_dosing(parsed: ParsedRecord) -> DosingResult:
    """Read dose (low, high, unit), infusions per patient and patients given MSCs."""
    text = parsed.text
    sentence_at = _sentence_finder(parsed)

    def usable(start: int) -> Sentence | None:
        sent = sentence_at(start)
        return sent if sent is not None and sent.section not in _SKIP_SECTIONS else None

    n_infusions = _n_infusions(parsed, sentence_at)

    found = counts.parse_n_patients(text)
    # Short forms only name bare "(n = 17)" groups: read the abbreviations only then.
    short = _cell_short_forms(parsed) if any(c.role == "group" for c in found) else set()
    found = arms.refine_patient_mentions(text, found, short)
    found = _drop_event_tallies(parsed, found)
    pat_mentions = [c for c in found if usable(c.start)]
    pat = counts.choose_n_patients(pat_mentions)
    n_patients: Value[int | None] = Value(None)
    if pat is not None:
        sent = usable(pat.start)
        n_patients = Value(pat.value, sent.text if sent else pat.text)
    elif (case := _case_report_sentence(parsed)) is not None:
        n_patients = Value(1, case)
    if n_infusions.value is None and n_patients.value:
        n_infusions = _per_patient_from_total(text, n_patients.value, usable)

    doses = [m for m in dose.parse_doses(text) if usable(m.start)]
    low, high, unit = dose.summarize(doses, n_infusions.value)
    if low is None or unit == NOT_STATED:
        return DosingResult(Value(None), Value(None), Value(NOT_STATED), n_infusions, n_patients)
    chosen = [m for m in doses if m.unit == unit and (m.low == low or m.high == high)]
    ev = evidence_of(s for m in chosen if (s := usable(m.start)) is not None)
    return DosingResult(Value(low, ev), Value(high, ev), Value(unit, ev), n_infusions, n_patients)
