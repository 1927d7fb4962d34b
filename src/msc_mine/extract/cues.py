"""Screening cues: which families of cue words (HSC, exosomes, animals, ...) a record uses.

Example::

    >>> from msc_mine.records import Record
    >>> from msc_mine.extract.parsed import parse_record
    >>> from msc_mine.extract.cues import extract_cues
    >>> rec = Record(pmid="1", title="Exosomes from MSCs in a rat model of stroke")
    >>> cues = extract_cues(parse_record(rec))
    >>> cues["animal"].value, cues["cell_derived_product"].value
    (['rat'], ['exosomes'])

Method: the term matcher finds every phrase of ``lexicons/cues.toml``; this module only
gathers, per family, the distinct matched words (lower-case) and the sentences they were
found in. What a cue means for inclusion is the screening rules' decision, not ours.
"""

from __future__ import annotations

from msc_mine.codebook import Value
from msc_mine.extract.parsed import ParsedRecord, Sentence, evidence_of

__all__ = ["extract_cues"]


def extract_cues(parsed: ParsedRecord) -> dict[str, Value[list[str]]]:
    """Cue family -> Value(sorted matched terms, evidence sentences); absent families omitted."""
    words: dict[str, set[str]] = {}
    sents: dict[str, list[Sentence]] = {}
    for sent in parsed.sentences:
        for term in sent.terms:
            if not term.family.startswith("cue:"):
                continue
            family = term.value
            words.setdefault(family, set()).add(parsed.doc[term.start : term.end].text.lower())
            sents.setdefault(family, []).append(sent)
    return {f: Value(sorted(words[f]), evidence_of(sents[f])) for f in sorted(words)}
