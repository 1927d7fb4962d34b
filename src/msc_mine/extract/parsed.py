"""A record as the field extractors see it: one spaCy Doc with sections and terms.

Example::

    >>> from msc_mine.records import Record, AbstractSection
    >>> from msc_mine.extract.parsed import parse_record
    >>> rec = Record(pmid="1", title="MSCs in lupus",
    ...              abstract=[AbstractSection("METHODS", "BM-MSCs were infused i.v.", "METHODS")])
    >>> p = parse_record(rec)
    >>> [(s.section, s.text) for s in p.sentences]
    [('TITLE', 'MSCs in lupus'), ('METHODS', 'BM-MSCs were infused i.v.')]

The title is the first line and each abstract section one line after it, so the sentence
splitter starts a sentence at every section and each sentence knows its section
(``TITLE``, ``BACKGROUND``, ``OBJECTIVE``, ``METHODS``, ``RESULTS``, ``CONCLUSIONS`` or
``""`` for an unstructured abstract): Methods state doses, Results state events.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from spacy.language import Language
from spacy.tokens import Doc, Span

from msc_mine.nlp import Term, get_pipeline
from msc_mine.records import Record

__all__ = [
    "CELL_WORDS",
    "ParsedRecord",
    "Sentence",
    "evidence_of",
    "parse_doc",
    "parse_record",
    "prefer_study_sections",
    "record_text",
]

# NLM categories and the labels authors use that PubMed leaves uncategorised.
_SECTION_WORDS = (
    ("BACKGROUND", ("BACKGROUND", "INTRODUCTION", "CONTEXT", "RATIONALE", "IMPORTANCE")),
    ("OBJECTIVE", ("OBJECTIVE", "AIM", "PURPOSE", "GOAL", "HYPOTHESIS")),
    ("METHODS", ("METHOD", "DESIGN", "PATIENT", "PARTICIPANT", "INTERVENTION", "SETTING",
                 "MATERIAL", "PROCEDURE", "SUBJECT")),
    ("RESULTS", ("RESULT", "FINDING", "OUTCOME", "SAFETY", "EFFICACY")),
    ("CONCLUSIONS", ("CONCLUSION", "INTERPRETATION", "DISCUSSION", "SIGNIFICANCE", "SUMMARY")),
)  # fmt: skip

# Tokens that say "these are cells": a tissue word counts as the MSCs' source only beside one.
CELL_WORDS = frozenset(
    {
        "msc", "mscs", "msc(s)", "mesenchymal", "stem", "stromal", "cells", "cell", "derived",
        "progenitor", "precursor", "cellular", "ascs", "asc", "mpcs",
    }
)  # fmt: skip


def _section(label: str, category: str) -> str:
    if "RESULT" in label.upper():
        return "RESULTS"  # "METHODS AND RESULTS": PubMed files it under METHODS; it holds results
    for name in (category.upper(), label.upper()):
        for section, words in _SECTION_WORDS:
            if any(w in name for w in words):
                return section
    return ""


@dataclass(slots=True)
class Sentence:
    """One sentence with its section and the lexicon terms inside it."""

    span: Span
    section: str
    terms: list[Term] = field(default_factory=list)
    # Built once: evidence strings are read many times per record and Span.text is not cheap.
    text: str = ""

    def __post_init__(self) -> None:
        if not self.text:
            self.text = self.span.text.strip()

    def has(self, family: str) -> bool:
        return any(t.family == family for t in self.terms)


@dataclass
class ParsedRecord:
    """A record, its Doc and its sentences (in order); ``text`` is ``doc.text``."""

    record: Record
    doc: Doc
    sentences: list[Sentence]
    # Doc.text joins every token's text on each access: the rules read it from here.
    text: str = ""

    def __post_init__(self) -> None:
        if not self.text:
            self.text = self.doc.text

    def of(self, family: str) -> list[tuple[Term, Sentence]]:
        """Every term of ``family`` with the sentence it sits in, in text order."""
        return [(t, s) for s in self.sentences for t in s.terms if t.family == family]

    def has_cell_word_near(self, term: Term, before: int = 4, after: int = 6) -> bool:
        """Whether a cell word (MSCs, stem, stromal, cells, -derived) stands near ``term``."""
        doc = self.doc
        sent = doc[term.start].sent  # the window never crosses into another sentence
        lo, hi = max(sent.start, term.start - before), min(sent.end, term.end + after)
        for tok in doc[lo:hi]:
            if term.start <= tok.i < term.end:
                continue
            low = tok.lower_
            if low in CELL_WORDS or "msc" in low or low.endswith("-derived"):
                return True
        return False


def record_text(record: Record) -> tuple[str, list[tuple[int, str]]]:
    """Title and abstract sections as lines, with the section of each line's first char."""
    lines: list[tuple[str, str]] = []
    if record.title.strip():
        lines.append((" ".join(record.title.split()), "TITLE"))
    for sec in record.abstract:
        text = " ".join(sec.text.split())
        if text:
            lines.append((text, _section(sec.label, sec.nlm_category)))
    starts: list[tuple[int, str]] = []
    pos = 0
    for text, section in lines:
        starts.append((pos, section))
        pos += len(text) + 1
    return "\n".join(text for text, _ in lines), starts


def parse_doc(
    record: Record, doc: Doc, starts: list[tuple[int, str]], text: str | None = None
) -> ParsedRecord:
    """Wrap a processed Doc of :func:`record_text` as a :class:`ParsedRecord`.

    ``text`` is the string the Doc was made from, when the caller has it (saves a join).
    """
    if text is None:
        text = doc.text
    sentences: list[Sentence] = []
    k = 0
    for span in doc.sents:
        # The tokenizer keeps every character, so a span's text is a slice of the text
        # (Span.text would rebuild it token by token).
        start_char = span.start_char
        sent_text = text[start_char : span.end_char].strip()
        if not sent_text:
            continue
        while k + 1 < len(starts) and starts[k + 1][0] <= start_char:
            k += 1
        sentences.append(Sentence(span, starts[k][1] if starts else "", text=sent_text))
    terms: list[Term] = doc._.terms or []
    j = 0
    for term in terms:
        while j + 1 < len(sentences) and sentences[j + 1].span.start <= term.start:
            j += 1
        if sentences:
            sentences[j].terms.append(term)
    return ParsedRecord(record, doc, sentences, text)


def parse_record(record: Record, nlp: Language | None = None) -> ParsedRecord:
    """Run the pipeline over one record."""
    nlp = nlp or get_pipeline()
    text, starts = record_text(record)
    return parse_doc(record, nlp(text), starts, text)


def evidence_of(sentences: Iterable[Sentence | str], limit: int = 3) -> str:
    """Distinct sentences in text order, joined by `` | `` (Value.evidence), at most ``limit``."""
    seen: list[str] = []
    for s in sentences:
        text = s if isinstance(s, str) else s.text
        if text and text not in seen:
            seen.append(text)
    return " | ".join(seen[:limit])


def prefer_study_sections(found: dict[str, list[Sentence]]) -> dict[str, list[Sentence]]:
    """Values read outside the Background section, or, when there are none, all of them.

    A background sentence may describe earlier studies ("MSCs are usually given
    intravenously") or this study's product ("an off-the-shelf allogeneic product"): it is
    used only when the rest of the abstract is silent.
    """
    study = {v: [s for s in sents if s.section != "BACKGROUND"] for v, sents in found.items()}
    study = {v: ss for v, ss in study.items() if ss}
    return study or found
