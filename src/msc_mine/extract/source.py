"""Tissue source of the MSCs (bone marrow, adipose, umbilical cord, ...).

Example::

    >>> from msc_mine.records import Record, AbstractSection
    >>> from msc_mine.extract.parsed import parse_record
    >>> from msc_mine.extract.source import extract_source
    >>> rec = Record(pmid="1", title="Cells for knee osteoarthritis", abstract=[
    ...     AbstractSection("", "Wharton's jelly-derived MSCs were given. Bone marrow "
    ...                         "transplantation had failed before.")])
    >>> extract_source(parse_record(rec)).value
    ['umbilical_cord']

Method: standalone terms that name the cells (``BM-MSCs``, ``ADSCs``, ``SVF``) count
wherever they stand; bare tissue words (``bone marrow``, ``adipose tissue``) count only with
a cell word a few tokens away ("MSCs derived from adipose tissue"), so a transplant, an
aspirate of the disease's organ or a fat depot is not read as the cells' tissue.
Background sentences are skipped.
"""

from __future__ import annotations

from msc_mine.codebook import NOT_STATED, Value
from msc_mine.extract.parsed import (
    ParsedRecord,
    Sentence,
    evidence_of,
)
from msc_mine.extract.parsed import (
    prefer_study_sections as _prefer_study_sections,
)

__all__ = ["extract_source"]

_SKIP_SECTIONS = frozenset({"BACKGROUND"})
# "Bone marrow was aspirated ... and MSCs were expanded": the tissue harvested for the MSCs.
_HARVEST = ("aspirat", "harvest", "collected", "obtained", "isolated", "lipoaspirat", "liposuction")


def _has_harvest_word(sent: Sentence) -> bool:
    """Whether a token of the sentence starts with a harvest word."""
    # Such a token puts the word in the sentence's text: the substring test spares walking
    # the tokens of most sentences.
    low = sent.text.lower()
    if not any(h in low for h in _HARVEST):
        return False
    return any(tok.lower_.startswith(_HARVEST) for tok in sent.span)


def extract_source(parsed: ParsedRecord) -> Value[list[str]]:
    """The MSCs' tissue source(s), sorted, with evidence sentences."""
    found: dict[str, list[Sentence]] = {}
    for sent in parsed.sentences:
        harvest = sent.has("cue:msc") and _has_harvest_word(sent)
        for term in sent.terms:
            if term.family == "source" or (
                term.family == "tissue" and (harvest or parsed.has_cell_word_near(term, before=6))
            ):
                found.setdefault(term.value, []).append(sent)
    found = _prefer_study_sections(found)
    if not found:
        return Value([NOT_STATED])
    sents = sorted(
        {id(s): s for v in found.values() for s in v}.values(), key=lambda s: s.span.start
    )
    return Value(sorted(found), evidence_of(sents))
