"""Route of administration of the MSCs.

Example::

    >>> from msc_mine.records import Record
    >>> from msc_mine.extract.parsed import parse_record
    >>> from msc_mine.extract.route import extract_route
    >>> rec = Record(pmid="1", title="Intrathecal MSCs in ALS",
    ...              abstract=[])
    >>> extract_route(parse_record(rec)).value
    ['intrathecal']

Method: lexicon phrases (``lexicons/routes.toml``) found by the term matcher count when
their sentence speaks of cells (an MSC cue, a source term, or the word cells) or is the
title; route words inside another drug's name ("intravenous immunoglobulin") were removed
by the matcher's ignore list, a route named for contrast ("less invasive than
intraparenchymal injection") is skipped, and background sentences count only when
nothing else names a route.
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

__all__ = ["extract_route"]

_SKIP_SECTIONS = frozenset({"BACKGROUND"})
_CELL_FAMILIES = frozenset({"cue:msc", "cue:hsc", "source", "tissue"})


def _about_cells(sent: Sentence) -> bool:
    if sent.section == "TITLE":
        return True
    if any(t.family in _CELL_FAMILIES for t in sent.terms):
        return True
    return any(tok.lower_.startswith("cell") or "msc" in tok.lower_ for tok in sent.span)


_COMPARISON = frozenset({"than", "versus", "vs", "vs.", "compared", "unlike", "instead"})


def _compared_with(parsed: ParsedRecord, start: int) -> bool:
    """ "less invasive than intraparenchymal injection": a route named only for contrast."""
    before = parsed.doc[max(0, start - 3) : start]
    return any(tok.lower_ in _COMPARISON for tok in before)


def extract_route(parsed: ParsedRecord) -> Value[list[str]]:
    """The route(s) of the MSCs, sorted, with the sentences they were read from."""
    found: dict[str, list[Sentence]] = {}
    for term, sent in parsed.of("route"):
        if not _about_cells(sent) or _compared_with(parsed, term.start):
            continue
        found.setdefault(term.value, []).append(sent)
    found = _prefer_study_sections(found)
    if not found:
        return Value([NOT_STATED])
    sents = sorted(
        {id(s): s for v in found.values() for s in v}.values(), key=lambda s: s.span.start
    )
    return Value(sorted(found), evidence_of(sents))
