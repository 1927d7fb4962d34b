"""Screening cues: which families of cue words (HSC, exosomes, animals, ...) a record uses.

Example::

    >>> from msc_mine.records import Record
    >>> from msc_mine.extract.parsed import parse_record
    >>> from msc_mine.extract.cues import extract_cues
    >>> rec = Record(pmid="1", title="Exosomes from MSCs in a rat model of stroke")
    >>> cues = extract_cues(parse_record(rec))
    >>> cues["animal"].value, cues["cell_derived_product"].value
    (['rat'], ['exosomes'])

Method: the term matcher finds every phrase of ``lexicons/cues.toml``; this module gathers,
per family, the distinct matched words (lower-case) and the sentences they were found in.
What a cue means for inclusion is the screening rules' decision, not ours.

One judgement is made here, because only the text can make it: whether a cue of an
intervention family (``[context].families``: combined intervention, cell-derived product)
describes what the study gave, or is background. A term is background when

1. a phrase of ``[context.ignore]`` contains it ("graft survival" is no bone graft);
2. its sentence is in a Background section and does not speak of this study ("we", "this
   trial"): the field's history, not the intervention;
3. a ``pre_triggers`` phrase stands before it in its clause: "refractory to medical and
   surgical therapy" (the disease's history), "MSCs secrete paracrine factors" (mechanism);
4. it is a connector ("plus", "combined with") whose partner is usual care ("MSCs plus
   standard of care") or is named as background elsewhere in the record: "riluzole alone"
   in the control arm, "despite DMARDs", "DMARDs were continued in both arms". The partner
   is the phrase on the connector's side away from the cells; short forms the text defines
   ("DMARDs") stand for their long forms.

A real co-intervention keeps its cue: "MSCs combined with a hyaluronic acid scaffold were
implanted", "MSC infusion plus tacrolimus as the study treatment".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from spacy.tokens import Doc, Span, Token

from msc_mine.codebook import Value
from msc_mine.extract.parsed import CELL_WORDS, ParsedRecord, Sentence, evidence_of
from msc_mine.nlp import Term, load_lexicon

__all__ = ["extract_cues"]

# Words that end a connector's partner phrase ("plus riluzole in ALS", "plus DMARDs (n=3)").
_PARTNER_STOP = frozenset(
    {
        "in", "for", "to", "at", "as", "among", "of", "on", "with", "versus", "vs", "vs.",
        "or", "and", "was", "were", "is", "are", "by", "from", "into", "after", "before",
        "during", "than", "who", "which", "that", "group", "arm",
    }
)  # fmt: skip
# Words that lead a partner phrase and say nothing of what it is ("as an adjunct to X").
_PARTNER_LEAD = frozenset({"to", "with", "the", "a", "an", "of"})
# Too common to identify a partner elsewhere in the text ("drugs", "therapy").
_GENERIC = frozenset(
    {
        "drug", "drugs", "therapy", "therapies", "treatment", "treatments", "agent",
        "agents", "medication", "medications", "regimen", "regimens", "dose", "doses",
        "low-dose", "high-dose", "infusion", "infusions", "injection", "injections",
        "patients", "patient", "single", "daily", "weekly", "standard", "based",
    }
)  # fmt: skip
_PARTNER_MAX = 6  # tokens a partner phrase spans at most
_PARTNER_BEFORE_WINDOW = 4  # words a `partner_before` phrase may stand before the partner
_PARTNER_AFTER_WINDOW = 6  # words a `partner_after` phrase may stand after it (8 chars a word)
_CLAUSE_CUT = re.compile(r"[;:,(]|\b(?:but|whereas|while|however|although)\b", re.IGNORECASE)


def _phrases(words: list[str]) -> re.Pattern[str]:
    """One case-insensitive whole-word pattern for a phrase list (longest first)."""
    alts = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    return re.compile(rf"(?<![\w-])(?:{alts})(?![\w-])", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class CueContext:
    """The ``[context]`` table of ``cues.toml``, compiled."""

    families: frozenset[str]
    background_sections: frozenset[str]
    study_statement: re.Pattern[str]
    pre_window: int
    pre_triggers: re.Pattern[str]
    connectors: frozenset[str]
    background_partner: re.Pattern[str]
    partner_before: re.Pattern[str]
    partner_after: re.Pattern[str]
    ignore: dict[str, re.Pattern[str]]


@cache
def cue_context() -> CueContext:
    """The background rules for cues, from ``lexicons/cues.toml`` (cached per process)."""
    c = load_lexicon("cues.toml")["context"]
    return CueContext(
        families=frozenset(c["families"]),
        background_sections=frozenset(c["background_sections"]),
        study_statement=_phrases(c["study_statement"]),
        pre_window=int(c["pre_window"]),
        pre_triggers=_phrases(c["pre_triggers"]),
        connectors=frozenset(w.lower() for w in c["connectors"]),
        background_partner=_phrases(c["background_partner"]),
        partner_before=_phrases(c["partner_before"]),
        partner_after=_phrases(c["partner_after"]),
        ignore={family: _phrases(words) for family, words in c.get("ignore", {}).items()},
    )


def extract_cues(parsed: ParsedRecord) -> dict[str, Value[list[str]]]:
    """Cue family -> Value(sorted matched terms, evidence sentences); absent families omitted.

    Terms of the ``[context].families`` that are background (see the module docstring) are
    left out.
    """
    ctx = cue_context()
    words: dict[str, set[str]] = {}
    sents: dict[str, list[Sentence]] = {}
    text = parsed.text  # not doc.text, which joins every token on each access
    for sent in parsed.sentences:
        for term in sent.terms:
            if not term.family.startswith("cue:"):
                continue
            family = term.value
            if family in ctx.families and _is_background(parsed, text, sent, term, ctx):
                continue
            words.setdefault(family, set()).add(parsed.doc[term.start : term.end].text.lower())
            sents.setdefault(family, []).append(sent)
    return {f: Value(sorted(words[f]), evidence_of(sents[f])) for f in sorted(words)}


def _is_background(
    parsed: ParsedRecord, text: str, sent: Sentence, term: Term, ctx: CueContext
) -> bool:
    doc = parsed.doc
    t_start = doc[term.start].idx
    t_end = doc[term.end - 1].idx + len(doc[term.end - 1].text)
    ignore = ctx.ignore.get(term.value)
    if ignore is not None:
        for m in ignore.finditer(text, sent.span.start_char, sent.span.end_char):
            if m.start() < t_end and t_start < m.end():
                return True
    if sent.section in ctx.background_sections and not ctx.study_statement.search(sent.text):
        return True
    if _pre_triggered(text[sent.span.start_char : t_start], ctx):
        return True
    if text[t_start:t_end].lower() in ctx.connectors:
        return _partner_is_background(parsed, text, sent, term, ctx)
    return False


def _pre_triggered(before: str, ctx: CueContext) -> bool:
    """Whether a pre-trigger stands in the clause before a term, within the word window."""
    cuts = list(_CLAUSE_CUT.finditer(before))
    clause = before[cuts[-1].end() :] if cuts else before
    window = " ".join(clause.split()[-ctx.pre_window :])
    return ctx.pre_triggers.search(window) is not None


def _is_cell_token(tok: Token) -> bool:
    low = tok.lower_
    return low in CELL_WORDS or "msc" in low or low.endswith("-derived")


def _partner(doc: Doc, sent: Span, term: Term) -> list[Token]:
    """The connector's partner: the phrase after it, or before it if the cells follow."""

    def walk(indices: range) -> list[Token]:
        out: list[Token] = []
        for i in indices:
            tok = doc[i]
            if not out and tok.lower_ in _PARTNER_LEAD:
                continue
            if (tok.is_punct and tok.text != "-") or tok.lower_ in _PARTNER_STOP:
                break
            out.append(tok)
            if len(out) >= _PARTNER_MAX:
                break
        return out

    after = walk(range(term.end, sent.end))
    if after and not any(_is_cell_token(t) for t in after):
        return after
    return walk(range(term.start - 1, sent.start - 1, -1))[::-1]


def _norm(word: str) -> str:
    """Lower case without a plural s, so "DMARD" and "DMARDs" meet."""
    word = word.lower()
    return word[:-1] if len(word) > 4 and word.endswith("s") else word


def _partner_is_background(
    parsed: ParsedRecord, text: str, sent: Sentence, term: Term, ctx: CueContext
) -> bool:
    doc = parsed.doc
    partner = _partner(doc, sent.span, term)
    if not partner:
        return False
    if ctx.background_partner.search(" ".join(t.text for t in partner)):
        return True
    names = {
        _norm(t.text)
        for t in partner
        if len(t.text) >= 4 and t.lower_ not in _GENERIC and not _is_cell_token(t)
    }
    names |= _short_forms(doc, partner)
    names.discard("")
    if not names:
        return False
    own = (partner[0].idx, partner[-1].idx + len(partner[-1].text))
    alts = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    for m in re.finditer(rf"(?<![\w-])(?:{alts})s?(?![\w-])", text, re.IGNORECASE):
        if own[0] <= m.start() < own[1]:
            continue
        # Character windows of about the word windows, kept inside the mention's sentence.
        s0, s1 = _sentence_bounds(parsed, m.start())
        before = text[max(s0, m.start() - 8 * _PARTNER_BEFORE_WINDOW) : m.start()]
        after = text[m.end() : min(s1, m.end() + 8 * _PARTNER_AFTER_WINDOW)]
        if ctx.partner_before.search(before) or ctx.partner_after.search(after):
            return True
    return False


def _sentence_bounds(parsed: ParsedRecord, char: int) -> tuple[int, int]:
    for sent in parsed.sentences:
        if sent.span.start_char <= char < sent.span.end_char:
            return sent.span.start_char, sent.span.end_char
    return char, char


def _short_forms(doc: Doc, partner: list[Token]) -> set[str]:
    """Short forms the text defines for the partner's long form, and long-form words for a
    short form in it: "MSCs plus disease-modifying antirheumatic drugs" meets "DMARDs"."""
    phrase = " ".join(t.lower_ for t in partner)
    texts = {t.text for t in partner}
    out: set[str] = set()
    for ab in doc._.abbreviations or []:
        if isinstance(ab, dict):
            s0, s1, l0, l1 = ab["short_start"], ab["short_end"], ab["long_start"], ab["long_end"]
        else:  # a Span, when make_serializable is off
            s0, s1 = ab.start, ab.end
            l0, l1 = ab._.long_form.start, ab._.long_form.end
        short, long = doc[s0:s1], doc[l0:l1]
        # By text, not position: the long form is defined once but written anywhere.
        if " ".join(t.lower_ for t in long) in phrase:
            out.add(_norm(short.text))
        elif short.text in texts:
            out |= {_norm(t.text) for t in long if t.lower_ not in _GENERIC}
    return out
