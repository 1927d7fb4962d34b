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

from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass

from msc_mine.codebook import NOT_STATED, Value
from msc_mine.extract import counts, dose
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


def extract_dosing(parsed: ParsedRecord) -> DosingResult:
    """Read dose (low, high, unit), infusions per patient and patients given MSCs."""
    text = parsed.text
    sentence_at = _sentence_finder(parsed)

    def usable(start: int) -> Sentence | None:
        sent = sentence_at(start)
        return sent if sent is not None and sent.section not in _SKIP_SECTIONS else None

    inf_mentions = [c for c in counts.parse_n_infusions(text) if usable(c.start)]
    inf = counts.choose_n_infusions(inf_mentions)
    n_infusions: Value[int | None] = Value(None)
    if inf is not None:
        sent = usable(inf.start)
        n_infusions = Value(inf.value, sent.text if sent else inf.text)

    pat_mentions = [c for c in counts.parse_n_patients(text) if usable(c.start)]
    pat = counts.choose_n_patients(pat_mentions)
    n_patients: Value[int | None] = Value(None)
    if pat is not None:
        sent = usable(pat.start)
        n_patients = Value(pat.value, sent.text if sent else pat.text)

    doses = [m for m in dose.parse_doses(text) if usable(m.start)]
    low, high, unit = dose.summarize(doses, n_infusions.value)
    if low is None or unit == NOT_STATED:
        return DosingResult(Value(None), Value(None), Value(NOT_STATED), n_infusions, n_patients)
    chosen = [m for m in doses if m.unit == unit and (m.low == low or m.high == high)]
    ev = evidence_of(s for m in chosen if (s := usable(m.start)) is not None)
    return DosingResult(Value(low, ev), Value(high, ev), Value(unit, ev), n_infusions, n_patients)
