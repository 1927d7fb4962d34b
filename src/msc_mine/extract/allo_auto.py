"""Allogeneic or autologous MSCs.

Example::

    >>> from msc_mine.records import Record, AbstractSection
    >>> from msc_mine.extract.parsed import parse_record
    >>> from msc_mine.extract.allo_auto import extract_allo_auto
    >>> rec = Record(pmid="1", title="Third-party MSCs for steroid-refractory GVHD after "
    ...              "allogeneic hematopoietic stem cell transplantation", abstract=[])
    >>> extract_allo_auto(parse_record(rec)).value
    'allogeneic'

Method: cue phrases from ``lexicons/allo_auto.toml`` count when a cell word or source term
stands within a few tokens (the cue describes cells), after the matcher has removed cues
inside transplant names ("allogeneic hematopoietic stem cell transplantation"). Both kinds
found gives ``both``; none gives ``not_stated``.
"""

from __future__ import annotations

from msc_mine.codebook import NOT_STATED, Value
from msc_mine.extract.parsed import ParsedRecord, Sentence, evidence_of, prefer_study_sections
from msc_mine.nlp import Term

__all__ = ["extract_allo_auto"]

# "healthy donors", "third-party", "donated by", "re-infused" describe the cells even without a
# cell word beside them.
_SELF_EVIDENT = ("donor", "third", "off-the-shelf", "own", "patient-derived", "allo-", "auto-",
                 "donated", "mother", "re-inf", "reinf", "re-inj", "reinj")  # fmt: skip


def _stem_cell_acronym_near(parsed: ParsedRecord, term: Term) -> bool:
    """ "allogeneic MenSCs", "autologous ADSCs": a stem-cell acronym right after the cue (not
    HSCs, the transplant's cells)."""
    doc = parsed.doc
    for tok in doc[term.end : min(term.end + 2, doc[term.start].sent.end)]:
        text = tok.text.rstrip("s")
        if (
            text.upper().endswith("SC")
            and sum(c.isupper() for c in text) >= 3
            and text.upper() not in ("HSC", "PBSC")
        ):
            return True
    return False


def extract_allo_auto(parsed: ParsedRecord) -> Value[str]:
    """``allogeneic``, ``autologous``, ``both`` or ``not_stated`` with evidence."""
    found: dict[str, list[Sentence]] = {}
    for term, sent in parsed.of("allo"):
        text = parsed.doc[term.start : term.end].text.lower()
        if (
            parsed.has_cell_word_near(term, before=3, after=5)
            or any(w in text for w in _SELF_EVIDENT)
            or _stem_cell_acronym_near(parsed, term)
        ):
            found.setdefault(term.value, []).append(sent)
    found = prefer_study_sections(found)
    if not found:
        return Value(NOT_STATED)
    value = "both" if len(found) > 1 else next(iter(found))
    sents = sorted(
        {id(s): s for v in found.values() for s in v}.values(), key=lambda s: s.span.start
    )
    return Value(value, evidence_of(sents))
