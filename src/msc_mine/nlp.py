"""The spaCy pipeline extraction runs on: tokenizer, sentences, abbreviations, terms, context.

Example::

    >>> from msc_mine.nlp import build_pipeline
    >>> nlp = build_pipeline()
    >>> doc = nlp("Umbilical cord MSCs (UC-MSCs) were given i.v. at 1 x 10(6)/kg. "
    ...           "No serious adverse events occurred; fever was seen in 2 patients.")
    >>> [s.text for s in doc.sents][1]
    'No serious adverse events occurred; fever was seen in 2 patients.'
    >>> [(t.family, t.value) for t in doc._.terms if t.family == "route"]
    [('route', 'intravenous')]
    >>> [(t.value, t.negated) for t in doc._.terms if t.family in ("sae", "ae")]
    [('sae', True), ('fever', False)]

Components, in order (``nlp.pipe_names``):

1. scispaCy's rule tokenizer (keeps ``hUC-MSCs`` and ``BM-MSCs`` whole, so the
   abbreviation detector can resolve them), wrapped in :class:`ChunkCachingTokenizer`.
2. ``msc_sentences``: sentence starts after ``.``/``!``/``?`` followed by a capital or a
   digit, and at every line break (one abstract section per line), except after the
   abbreviations listed in :data:`NO_BREAK_AFTER` ("et al.", "vs.", "approx.", "i.v."
   before a lower-case word). Decimals and ``10(6)/kg`` are single tokens already.
3. scispaCy's ``abbreviation_detector`` (Schwartz & Hearst 2003), serializable form, with
   faster stand-ins for its two Matchers (:class:`_BracketPairs`, :class:`_ShortFormMatcher`).
4. ``msc_terms``: two PhraseMatchers (``LOWER`` for ordinary terms, ``ORTH`` for short
   capitalised acronyms such as ``PE`` or ``SVF``) fed from ``lexicons/*.toml``; overlaps
   are resolved longest-first per family, ``ignore`` phrases remove the terms they contain,
   and short forms the abbreviation detector defined ("SAEs", "WJ-MSCs") inherit the terms
   of their long forms. Results: ``doc._.terms``, a list of :class:`Term`.
5. ``msc_context``: ConText-style negation, hedging and relatedness on adverse-event terms
   (see :func:`apply_context`).

The Matcher with token/REGEX patterns is deliberately absent: toolchain.md measured it as
the dominant cost (~3,300 -> ~610 docs/s); every lexicon term is a plain phrase.
"""

from __future__ import annotations

import hashlib
import threading
import tomllib
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from typing import Any

import numpy
import spacy
from spacy.attrs import ORTH, SENT_START
from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokenizer import Tokenizer
from spacy.tokens import Doc, Span

# scispaCy's abbreviation detector runs a global Matcher on every Doc; when a text defines
# no abbreviation that Matcher is empty and spaCy warns W036 ("'matcher' does not have any
# patterns defined"), which is expected and harmless here. A filter set before spaCy is
# imported (cli main) loses: spaCy's import prepends its own "once" filter for W036. This
# one is added after `import spacy`, so it comes first; it names only that exact warning.
warnings.filterwarnings(
    "ignore", message=r"\[W036\] The component 'matcher' does not have any patterns defined"
)

__all__ = [
    "LEXICON_FILES",
    "NO_BREAK_AFTER",
    "ChunkCachingTokenizer",
    "Term",
    "apply_context",
    "build_pipeline",
    "get_pipeline",
    "lexicon_hash",
    "load_lexicon",
]

LEXICON_FILES = (
    "routes.toml",
    "cell_sources.toml",
    "allo_auto.toml",
    "adverse_events.toml",
    "cues.toml",
    "context.toml",
    "diseases.toml",
)

# Tokens after which a full stop does not end a sentence (lower-case, without the dot;
# scispaCy keeps "al." and "vs." whole but splits "i.v" from its dot).
NO_BREAK_AFTER = frozenset(
    {
        "al", "al.", "vs", "vs.", "approx", "approx.", "e.g", "e.g.", "i.e", "i.e.", "fig",
        "fig.", "figs", "no", "no.", "nos", "ca", "ca.", "cf", "cf.", "dr", "dr.", "mr", "mrs",
        "ms.", "prof", "st", "etc", "etc.", "resp", "resp.", "ref", "refs", "eq", "vol",
        "suppl", "incl", "approximately.", "sp", "spp", "var",
    }
)  # fmt: skip
# Dotted route abbreviations: a sentence ends after them only before a capital word.
_DOTTED = frozenset({"i.v", "i.m", "i.p", "s.c", "i.a", "i.t"})

# Families whose terms are adverse-event targets for the context component.
AE_FAMILIES = frozenset({"ae", "sae", "ae_generic"})


@dataclass(slots=True)
class Term:
    """One lexicon match: ``family`` (route, source, ae, cue:hsc, ...), normalized ``value``,
    token span ``start:end`` and, for adverse-event terms, its context."""

    family: str
    value: str
    start: int
    end: int
    negated: bool = False
    hedged: bool = False
    relatedness: str = "not_stated"
    clause_start: int = 0
    clause_end: int = 0


# --- lexicons -------------------------------------------------------------------------


@cache
def load_lexicon(name: str) -> dict[str, Any]:
    """Parse one ``lexicons/<name>`` TOML file (cached per process)."""
    text = resources.files("msc_mine.lexicons").joinpath(name).read_text(encoding="utf-8")
    return tomllib.loads(text)


def lexicon_hash() -> str:
    """sha256 over every lexicon file, in a fixed order: part of the extractor version."""
    h = hashlib.sha256()
    for name in LEXICON_FILES:
        h.update(name.encode())
        h.update(resources.files("msc_mine.lexicons").joinpath(name).read_bytes())
    return h.hexdigest()


def _lexicon_terms() -> Iterator[tuple[str, str, str]]:
    """Every (family, value, phrase) the matcher should know, from all lexicon files."""
    for block in load_lexicon("routes.toml")["route"]:
        for t in block["terms"]:
            yield "route", block["value"], t
    for t in load_lexicon("routes.toml")["ignore"]["terms"]:
        yield "route_ignore", "", t
    src = load_lexicon("cell_sources.toml")
    for block in src["source"]:
        for t in block["standalone"]:
            yield "source", block["value"], t
        for t in block["tissue"]:
            yield "tissue", block["value"], t
    allo = load_lexicon("allo_auto.toml")
    for block in allo["allo"]:
        for t in block["terms"]:
            yield "allo", block["value"], t
    for t in allo["ignore"]["terms"]:
        yield "allo_ignore", "", t
    aes = load_lexicon("adverse_events.toml")
    for gen in aes["generic"]:
        for t in gen["terms"]:
            yield ("sae" if gen["kind"] == "sae" else "ae_generic"), gen["kind"], t
    for block in aes["ae"]:
        for t in block["terms"]:
            yield "ae", block["name"], t
    for t in aes["ignore"]["terms"]:
        yield "ae_ignore", "", t
    for family, table in load_lexicon("cues.toml")["cue"].items():
        for t in table["terms"]:
            yield f"cue:{family}", family, t
    ctx = load_lexicon("context.toml")
    for kind, phrases in ctx["triggers"].items():
        for t in phrases:
            yield "ctx", kind, t
    for kind, phrases in ctx["relatedness"].items():
        for t in phrases:
            yield "rel", kind, t
    for block in load_lexicon("diseases.toml")["disease"]:
        for t in block.get("synonyms", []):
            yield "disease", block["name"], t


def _case_sensitive(term: str) -> bool:
    """Short capitalised acronyms ("PE", "SVF", "MI") must keep their case to mean anything."""
    return len(term) <= 6 and any(c.isupper() for c in term)


# --- tokenizer --------------------------------------------------------------------------


class ChunkCachingTokenizer:
    """spaCy's tokenizer with its per-chunk cache working again (same Docs, ~10x faster).

    spaCy caches the tokens of each whitespace-separated chunk, but stops saving chunks for
    the rest of a text once one special case ("vs.", "e.g.", "al.") was met in it (one flag
    per Doc, spaCy issue #1250), which in abstracts is almost at once: every chunk then ran
    through the prefix, suffix and infix expressions again, in every abstract. Tokenizing
    each new chunk alone first lets spaCy cache it under its own rules (a chunk that itself
    holds a special case is still never cached), so the whole text then reads its chunks
    from the cache. New chunks are warmed only until spaCy's cache is full.
    """

    def __init__(self, tokenizer: Tokenizer) -> None:
        self.tokenizer = tokenizer
        self._seen: set[str] = set()
        self._limit: int = tokenizer.max_cache_size

    def __call__(self, text: str) -> Doc:
        tokenizer = self.tokenizer
        seen = self._seen
        if len(seen) < self._limit:
            # str.split() cuts where spaCy's tokenizer does: at runs of str.isspace().
            for chunk in text.split():
                if chunk not in seen:
                    seen.add(chunk)
                    tokenizer(chunk)
        doc: Doc = tokenizer(text)
        return doc

    def __getattr__(self, name: str) -> Any:
        # vocab, rules, explain, to_bytes ...: the wrapped tokenizer's. Not while unpickling
        # (``tokenizer`` is not set yet) nor for dunder look-ups, which must fail normally.
        if name.startswith("__") or "tokenizer" not in self.__dict__:
            raise AttributeError(name)
        return getattr(self.tokenizer, name)


# --- sentence splitting ------------------------------------------------------------------


def _is_break(doc: Doc, i: int) -> bool:
    """Whether token ``i`` (a ``.``/``!``/``?``) ends a sentence."""
    if i + 1 >= len(doc):
        return False
    nxt = doc[i + 1]
    if nxt.is_space:
        return True
    first = nxt.text[0]
    if not (first.isupper() or first.isdigit() or first in "([\"'"):
        return False
    prev = doc[i - 1].lower_ if i > 0 else ""
    if doc[i].text == "." and prev in NO_BREAK_AFTER:
        return False
    # "i.v" + "." before a capital: the abbreviation ends the sentence; before a digit
    # ("i.v. 10(6)/kg") it does not.
    return not (doc[i].text == "." and prev in _DOTTED and not first.isupper())


@Language.component("msc_sentences")
def msc_sentences(doc: Doc) -> Doc:
    """Rule-based sentence starts; see the module docstring for the rules."""
    n = len(doc)
    if not n:
        return doc
    # Set all starts at once with from_array: Token.is_sent_start's setter scans the whole
    # Doc for a parse on every call, which made this component quadratic in the length.
    starts = numpy.full(n, -1, dtype=numpy.int64)
    starts[0] = 1
    words = [tok.text for tok in doc]
    for i in range(n - 1):
        text = words[i]
        if "\n" in text:
            starts[i + 1] = 1
        elif text in (".", "!", "?") and _is_break(doc, i):
            j = i + 1
            while j < n and doc[j].is_space:
                j += 1
            if j < n:
                starts[j] = 1
    # thinc types the array as Ints2d; a (n, 1) uint64 ndarray is what from_array reads.
    doc.from_array([SENT_START], starts.astype(numpy.uint64).reshape(n, 1))  # type: ignore[arg-type]
    return doc


# --- abbreviations ----------------------------------------------------------------------


class _BracketPairs:
    """What scispaCy's bracket Matcher (``(``, one or more tokens, ``)``) returns, fast.

    Every span from a ``(`` token to a later ``)`` token with at least one token between,
    ordered as the Matcher orders them (by end, then by start from the nearest); the
    Matcher walked every token through its state machine, a fifth of the detector's time.
    """

    def __init__(self, nlp: Language) -> None:
        strings = nlp.vocab.strings
        self.key = strings.add("parenthesis")
        self.open = strings.add("(")
        self.close = strings.add(")")

    def __call__(self, doc: Doc) -> list[tuple[int, int, int]]:
        orth = doc.to_array(ORTH)
        opens = [int(i) for i in numpy.flatnonzero(orth == self.open)]
        if not opens:
            return []
        out: list[tuple[int, int, int]] = []
        for j in numpy.flatnonzero(orth == self.close):
            out.extend((self.key, i, int(j) + 1) for i in reversed(opens) if i <= j - 2)
        return out


class _ShortFormMatcher:
    """What the detector's global Matcher returns, fast: it is given one exact token
    sequence (``ORTH``) per abbreviation defined in a Doc, finds every later use of the short
    form, and has its keys removed again. Matches are ordered as spaCy's Matcher orders them
    (by end, then start, then the order the keys were added); building and running a
    Matcher for every Doc took half of the detector's time.
    """

    def __init__(self, nlp: Language) -> None:
        self.vocab = nlp.vocab
        self._patterns: list[tuple[str, int, list[int]]] = []

    def add(self, key: str, patterns: list[list[dict[str, str]]]) -> None:
        key_id = self.vocab.strings.add(key)
        for pattern in patterns:
            ids = [self.vocab.strings.add(token["ORTH"]) for token in pattern]
            self._patterns.append((key, key_id, ids))

    def remove(self, key: str) -> None:
        self._patterns = [p for p in self._patterns if p[0] != key]

    def __call__(self, doc: Doc) -> list[tuple[int, int, int]]:
        if not self._patterns:
            return []
        orth = doc.to_array(ORTH)
        words = orth.tolist()
        found: list[tuple[int, int, int, int]] = []
        for order, (_, key_id, ids) in enumerate(self._patterns):
            size = len(ids)
            for start in numpy.flatnonzero(orth == ids[0]).tolist():
                if words[start : start + size] == ids:
                    found.append((start + size, start, order, key_id))
        found.sort(key=lambda f: (f[0], f[1], f[2]))
        return [(key_id, start, end) for end, start, _, key_id in found]


@Language.factory("msc_abbreviation_detector", default_config={"make_serializable": False})
def make_abbreviation_detector(nlp: Language, name: str, make_serializable: bool) -> Any:
    """scispaCy's AbbreviationDetector with its two Matchers replaced by
    :class:`_BracketPairs` and :class:`_ShortFormMatcher` (same matches in the same order,
    so the same abbreviations)."""
    from scispacy.abbreviation import AbbreviationDetector

    detector = AbbreviationDetector(nlp, name, make_serializable=make_serializable)
    detector.matcher = _BracketPairs(nlp)
    detector.global_matcher = _ShortFormMatcher(nlp)
    return detector


# --- terms ------------------------------------------------------------------------------


class TermMatcher:
    """Lexicon phrase matching with overlap, ignore and abbreviation rules (``msc_terms``)."""

    def __init__(self, nlp: Language) -> None:
        self.lower = PhraseMatcher(nlp.vocab, attr="LOWER")
        self.orth = PhraseMatcher(nlp.vocab, attr="ORTH")
        self.labels: dict[int, tuple[str, str]] = {}
        pending: dict[tuple[str, str, bool], list[str]] = {}
        for family, value, phrase in _lexicon_terms():
            pending.setdefault((family, value, _case_sensitive(phrase)), []).append(phrase)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for (family, value, cased), phrases in pending.items():
                key = f"{family}\t{value}"
                self.labels[nlp.vocab.strings.add(key)] = (family, value)
                docs = [nlp.make_doc(p) for p in phrases]
                (self.orth if cased else self.lower).add(key, docs)

    def __call__(self, doc: Doc) -> Doc:
        raw: list[Term] = []
        for matcher in (self.lower, self.orth):
            for match_id, start, end in matcher(doc):
                family, value = self.labels[match_id]
                raw.append(Term(family, value, start, end))
        raw.extend(_abbreviation_terms(doc, raw))
        doc._.terms = _resolve_overlaps(raw)
        return doc


def _abbreviation_terms(doc: Doc, terms: list[Term]) -> list[Term]:
    """Short forms defined in the text inherit the lexicon terms of their long form.

    "serious adverse events (SAEs)" makes every later "SAEs" an ``sae`` term even if the
    lexicon lacked it; "Wharton's jelly MSCs (WJMSC)" makes "WJMSC" a source term.
    """
    out: list[Term] = []
    abbrs = doc._.abbreviations
    if not abbrs:
        return out
    by_span = {(t.start, t.end): t for t in terms}
    for ab in abbrs:
        if isinstance(ab, dict):
            s_start, s_end = ab["short_start"], ab["short_end"]
            l_start, l_end = ab["long_start"], ab["long_end"]
        else:  # a Span, when make_serializable is off
            s_start, s_end = ab.start, ab.end
            l_start, l_end = ab._.long_form.start, ab._.long_form.end
        if (s_start, s_end) in by_span:
            continue
        inherited = {
            (t.family, t.value)
            for t in terms
            if t.start >= l_start and t.end <= l_end and not t.family.startswith("ctx")
        }
        for family, value in inherited:
            if family in ("route", "source", "sae", "ae", "ae_generic", "allo", "disease") or (
                family.startswith("cue:")
            ):
                out.append(Term(family, value, s_start, s_end))
    return out


_GROUPS = {
    "route": "route",
    "route_ignore": "route",
    "source": "source",
    "tissue": "source",
    "allo": "allo",
    "allo_ignore": "allo",
    "ae": "ae",
    "sae": "ae",
    "ae_generic": "ae",
    "ae_ignore": "ae",
    "ctx": "ctx",
    "rel": "rel",
    "disease": "disease",
}
_IGNORE = frozenset({"route_ignore", "allo_ignore", "ae_ignore"})


def _resolve_overlaps(terms: list[Term]) -> list[Term]:
    """Longest match wins within a group; ignore phrases then drop themselves.

    Groups: a route term inside "intravenous immunoglobulin" (route_ignore) loses to it, and
    "serious adverse events" (sae) beats "adverse events" (ae_generic) inside it. Cue
    families are independent of each other and of the field terms.
    """
    groups: dict[str, list[Term]] = {}
    for t in terms:
        groups.setdefault(_GROUPS.get(t.family, t.family), []).append(t)
    kept: list[Term] = []
    for group_terms in groups.values():
        group_terms.sort(key=lambda t: (-(t.end - t.start), t.start))
        taken: set[int] = set()
        for t in group_terms:
            span = range(t.start, t.end)
            if any(i in taken for i in span):
                continue
            taken.update(span)
            if t.family not in _IGNORE:
                kept.append(t)
    kept.sort(key=lambda t: (t.start, t.end, t.family))
    return _drop_msc_inside_hsc(kept)


def _drop_msc_inside_hsc(terms: list[Term]) -> list[Term]:
    """ "stem cells" inside "haematopoietic stem cells" is no MSC cue."""
    hsc = [(t.start, t.end) for t in terms if t.family == "cue:hsc"]
    if not hsc:
        return terms
    return [
        t
        for t in terms
        if not (t.family == "cue:msc" and any(s <= t.start and t.end <= e for s, e in hsc))
    ]


@Language.factory("msc_terms")
def make_term_matcher(nlp: Language, name: str) -> TermMatcher:
    return TermMatcher(nlp)


# --- context ----------------------------------------------------------------------------

NEG_PRE_WINDOW = 14  # tokens a pre-negation reaches ("No deaths, infections, or ... were seen")
NEG_POST_WINDOW = 10  # tokens back a post-negation reaches ("GVHD ... was not observed")
_REPORT_VERBS = frozenset(
    {
        "occurred", "observed", "reported", "seen", "noted", "experienced", "developed",
        "recorded", "detected", "found", "documented", "identified", "encountered",
        "tolerated", "happened",
    }
)  # fmt: skip


def _clauses(sent: Span, triggers: list[Term]) -> list[tuple[int, int]]:
    """Split a sentence into clauses at ';', terminator words, and ', and/, but' after a
    finished clause (one with a report verb): the ConText scope boundaries."""
    cuts = {t.start for t in triggers if t.value == "terminator"}
    seen_verb = False
    for tok in sent:
        if tok.text == ";":
            cuts.add(tok.i)
            seen_verb = False
        elif tok.lower_ in _REPORT_VERBS:
            seen_verb = True
        elif (
            tok.lower_ in ("and", "with", "while")
            and tok.i > sent.start
            and tok.nbor(-1).text == ","
            and seen_verb
        ):
            cuts.add(tok.i)
            seen_verb = False
    bounds = [sent.start, *sorted(c for c in cuts if sent.start < c < sent.end), sent.end]
    return [(bounds[k], bounds[k + 1]) for k in range(len(bounds) - 1)]


def apply_context(doc: Doc) -> Doc:
    """ConText-style negation, hedging and relatedness for adverse-event terms.

    Method (after Harkema et al. 2009, ConText): trigger phrases from ``context.toml``
    modify the targets in their scope, which is the clause (see :func:`_clauses`): a
    pre-negation ("no", "without", "none of") negates targets up to
    :data:`NEG_PRE_WINDOW` tokens after it, a post-negation ("was not observed") targets up
    to :data:`NEG_POST_WINDOW` tokens before it, a hedge ("risk of", "to assess") marks
    later targets as not-an-event (a ``hedge_post``, "improved", earlier ones),
    pseudo-triggers ("no significant difference") cancel the triggers they contain, and
    relatedness phrases apply to the clause, else the sentence.

    Own component rather than negspacy: negspacy handles negation only (no relatedness,
    which the codebook needs in AEFinding.relatedness), its scope runs past ';'
    (toolchain.md), and it reads targets from ``doc.ents``, which our terms are not.
    """
    terms: list[Term] = doc._.terms
    targets = [t for t in terms if t.family in AE_FAMILIES]
    if not targets:
        return doc
    ctx = [t for t in terms if t.family == "ctx"]
    rel = [t for t in terms if t.family == "rel"]
    pseudo = [(t.start, t.end) for t in ctx if t.value == "pseudo"]

    def real(t: Term) -> bool:
        return not any(s <= t.start and t.end <= e for s, e in pseudo)

    ctx = [t for t in ctx if t.value == "pseudo" or real(t)]
    # "not related" / "not associated with" are relatedness, not negation of the event.
    rel_spans = [(t.start, t.end) for t in rel]
    ctx = [
        t for t in ctx if t.value == "terminator" or not any(s <= t.start < e for s, e in rel_spans)
    ]
    for sent in doc.sents:
        in_sent = [t for t in targets if sent.start <= t.start < sent.end]
        if not in_sent:
            continue
        s_ctx = [t for t in ctx if sent.start <= t.start < sent.end]
        s_rel = [t for t in rel if sent.start <= t.start < sent.end]
        clauses = _clauses(sent, s_ctx)
        for target in in_sent:
            c0, c1 = next(((a, b) for a, b in clauses if a <= target.start < b), clauses[-1])
            target.clause_start, target.clause_end = c0, c1
            c_ctx = [t for t in s_ctx if c0 <= t.start < c1 and not _overlaps(t, target)]
            for trig in c_ctx:
                if trig.value in ("negation_pre", "zero"):
                    if trig.end <= target.start and target.start - trig.end <= NEG_PRE_WINDOW:
                        target.negated = True
                elif trig.value == "negation_post":
                    if trig.start >= target.end and trig.start - target.end <= NEG_POST_WINDOW:
                        target.negated = True
                elif (trig.value == "hedge" and trig.end <= target.start) or (
                    trig.value == "hedge_post" and trig.start >= target.end
                ):
                    target.hedged = True
            target.relatedness = _relatedness(
                [t for t in s_rel if c0 <= t.start < c1 and not _overlaps(t, target)]
            ) or _relatedness([t for t in s_rel if not _overlaps(t, target)])
            if target.relatedness == "":
                target.relatedness = _inherent_relatedness(doc, target)
    return doc


def _overlaps(a: Term, b: Term) -> bool:
    return a.start < b.end and b.start < a.end


def _relatedness(triggers: Iterable[Term]) -> str:
    kinds = {t.value for t in triggers}
    for kind in ("unrelated", "possibly_related", "related"):
        if kind in kinds:
            return kind
    return ""


def _inherent_relatedness(doc: Doc, target: Term) -> str:
    """A term that says it itself ("treatment-related SAEs") is related; else not stated."""
    text = doc[target.start : target.end].text.lower()
    if "related" in text and "un" not in text.split("related")[0][-2:]:
        return "related"
    return "not_stated"


@Language.component("msc_context")
def msc_context(doc: Doc) -> Doc:
    return apply_context(doc)


# --- the pipeline ----------------------------------------------------------------------

_LOCK = threading.Lock()


def build_pipeline(use_model: str | None = None) -> Language:
    """A fresh pipeline; ``use_model`` names an installed spaCy/scispaCy model to start from
    (its tagger/parser are then kept and its parser's sentences used), default blank English.

    Prefer :func:`get_pipeline`, which builds once per process.
    """
    from scispacy.abbreviation import AbbreviationDetector  # noqa: F401  (registers factory)
    from scispacy.custom_tokenizer import combined_rule_tokenizer

    if not Doc.has_extension("terms"):
        Doc.set_extension("terms", default=None)
    with warnings.catch_warnings():
        # Harmless: spaCy's FutureWarning while scispaCy's tokenizer compiles, and W036
        # from the abbreviation detector's empty global matcher (toolchain.md).
        warnings.filterwarnings("ignore", message="Possible set union", category=FutureWarning)
        warnings.filterwarnings("ignore", message=r".*\[W036\].*")
        if use_model:
            try:
                nlp = spacy.load(use_model, exclude=["ner", "lemmatizer"])
            except OSError as exc:
                from msc_mine.errors import UsageError

                raise UsageError(f"spaCy model {use_model!r} is not installed: {exc}") from exc
        else:
            nlp = spacy.blank("en")
            nlp.tokenizer = combined_rule_tokenizer(nlp)
        if isinstance(nlp.tokenizer, Tokenizer):
            nlp.tokenizer = ChunkCachingTokenizer(nlp.tokenizer)
        if not nlp.has_pipe("parser") and not nlp.has_pipe("senter"):
            nlp.add_pipe("msc_sentences")
        nlp.add_pipe(
            "msc_abbreviation_detector",
            name="abbreviation_detector",
            config={"make_serializable": True},
        )
        nlp.add_pipe("msc_terms")
        nlp.add_pipe("msc_context")
    return nlp


@lru_cache(maxsize=4)
def _cached(use_model: str | None) -> Language:
    return build_pipeline(use_model)


def get_pipeline(use_model: str | None = None) -> Language:
    """The process's pipeline (built on first use; building takes about a second)."""
    with _LOCK:
        return _cached(use_model)
