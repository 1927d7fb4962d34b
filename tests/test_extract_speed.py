"""The speed-ups of the extraction path give exactly what the plain code gives.

Each fast path (number-led patterns tried only where a number starts, patterns run only
over the word runs holding their anchor, the chunk-caching tokenizer, the bracket-pair
stand-in for scispaCy's Matcher) is compared with the plain call on generated strings made
of the pieces that trip such shortcuts: number words, digits with separators, brackets,
hyphens, line breaks, special-case abbreviations and letters that match ASCII letters only
case-insensitively (long s, dotless i, Kelvin sign).
"""

from __future__ import annotations

import random
import re

import pytest
from spacy.attrs import IS_SPACE, LOWER, NORM, ORTH, SPACY

from msc_mine.extract import counts
from msc_mine.nlp import build_pipeline

_COUNT_PIECES = [
    *counts._UNITS, *counts._TENS, "a", "A", "hundred", "Twenty-Four", "one hundred and twelve",
    "1,200", "12", "3.5", "2:1", "10%", "phase", "day", "CD34", "IL-6", "none", "often",
    "patients", "women", "received", "MSCs", "placebo", "saline", "were", "given", "to", "the",
    "infused", "twice", "once", "3 times", "weekly", "daily", "every", "week", "weeks", "months",
    "for", "For", "a total of", "up to", "infusions", "doses", "single", "different", "levels",
    "(", ")", ".", ",", ";", ":", "-", "–", "/", "^", "±", "×", "n = 8", "ſix", "ı", "K", "\n",
    "once weekly", "every 2 weeks", "twice a month", "for 4 weeks", "for twelve weeks",
    "for a total of 6 months", "8 patients", "two infusions", "4 doses", "given three times",
]  # fmt: skip
_SEPARATORS = [" ", " ", " ", "", "  ", "\n", "-", ","]


def _texts(seed: int, n: int) -> list[str]:
    rng = random.Random(seed)
    return [
        "".join(
            rng.choice(_COUNT_PIECES) + rng.choice(_SEPARATORS) for _ in range(rng.randint(1, 16))
        )
        for _ in range(n)
    ]


def _spans(matches: object) -> list[tuple[tuple[int, int], dict[str, str | None]]]:
    return [(m.span(), m.groupdict()) for m in matches]  # type: ignore[attr-defined]


def test_number_starts_equal_full_scan() -> None:
    for text in _texts(1, 3000):
        full = tuple(m.start() for m in counts._NUMBER_AT.finditer(text))
        assert counts._number_starts(text) == full, text


@pytest.mark.parametrize("name", ["_PATIENTS_RE", "_ARM_RE", "_INFUSIONS_RE"])
def test_number_led_patterns_equal_finditer(name: str) -> None:
    pattern: re.Pattern[str] = getattr(counts, name)
    found = 0
    for text in _texts(2, 3000):
        plain = _spans(pattern.finditer(text))
        found += len(plain)
        assert _spans(counts._finditer_numbers(pattern, text)) == plain, text
    assert found > 50  # the generated texts do exercise the pattern


def test_finditer_numbers_refuses_other_patterns() -> None:
    with pytest.raises(ValueError):
        list(counts._finditer_numbers(re.compile("x"), "x"))


@pytest.mark.parametrize(
    ("name", "anchor"), [("_SCHEDULE_RE", "_FOR"), ("_VERB_TIMES_RE", "_TIMES_WORD")]
)
def test_run_restricted_patterns_equal_finditer(name: str, anchor: str) -> None:
    pattern: re.Pattern[str] = getattr(counts, name)
    found = 0
    for text in _texts(3, 4000):
        runs = [m.span() for m in counts._WORD_RUN.finditer(text)]
        plain = _spans(pattern.finditer(text))
        found += len(plain)
        fast = counts._finditer_in_runs(pattern, text, runs, getattr(counts, anchor))
        assert _spans(fast) == plain, text
    assert found > 20


@pytest.mark.parametrize(
    ("name", "gate"),
    [("_REPEAT_RE", "_REPEAT_GATE"), ("_SINGLE_RE", "_SINGLE_GATE"),
     ("_AT_TIMES_RE", "_AT_TIMES_GATE"), ("_N_EQUALS_RE", None)],
)  # fmt: skip
def test_gates_never_hide_a_match(name: str, gate: str | None) -> None:
    pattern: re.Pattern[str] = getattr(counts, name)
    extra = ["repeated at days 7 and 14", "a single dose", "infused on days 1, 8 and 15"]
    for text in [*_texts(4, 3000), *extra]:
        if pattern.search(text):
            assert ("=" in text) if gate is None else getattr(counts, gate).search(text), text


@pytest.fixture(scope="module")
def nlp():  # type: ignore[no-untyped-def]
    return build_pipeline()


def test_chunk_caching_tokenizer_gives_spacys_docs(nlp) -> None:  # type: ignore[no-untyped-def]
    wrapped = nlp.tokenizer
    plain = build_pipeline().tokenizer.tokenizer
    rng = random.Random(5)
    pieces = [
        *list(plain.rules)[:300], "vs.", "e.g.", "al.", "(n", "4)", "10(6)/kg", "hUC-MSCs",
        "i.v.", "don't", "×", "(SAEs)", "...", "5-10", "p<0.05", "cells/kg.", "\u00a0", "\t",
        "\n", "  ", "é", "İ",
    ]  # fmt: skip
    attrs = [ORTH, SPACY, NORM, LOWER, IS_SPACE]
    for _ in range(1500):
        text = "".join(rng.choice(pieces) + rng.choice([" ", "", "\n"]) for _ in range(20))
        for _ in range(2):  # the second time from the cache
            a, b = wrapped(text), plain(text)
            assert len(a) == len(b), text
            assert (a.to_array(attrs) == b.to_array(attrs)).all(), text


def test_bracket_pairs_equal_scispacy_matcher(nlp) -> None:  # type: ignore[no-untyped-def]
    from spacy.matcher import Matcher

    matcher = Matcher(nlp.vocab)
    matcher.add("parenthesis", [[{"ORTH": "("}, {"OP": "+"}, {"ORTH": ")"}]])
    pairs = nlp.get_pipe("abbreviation_detector").matcher
    rng = random.Random(6)
    tokens = ["(", ")", "a", "b", "(", ")", "x", "10(6)"]
    for _ in range(2000):
        doc = nlp.make_doc(" ".join(rng.choice(tokens) for _ in range(rng.randint(0, 25))))
        assert pairs(doc) == [tuple(m) for m in matcher(doc)]


def test_short_form_matcher_equals_spacy_matcher(nlp) -> None:  # type: ignore[no-untyped-def]
    from spacy.matcher import Matcher

    stand_in = type(nlp.get_pipe("abbreviation_detector").global_matcher)(nlp)
    rng = random.Random(7)
    words = ["a", "b", "MSC", "MSCs", "(", ")", "-", "x"]
    for trial in range(1500):
        matcher = Matcher(nlp.vocab)
        keys = []
        for k in range(rng.randint(1, 4)):
            pattern = [{"ORTH": rng.choice(words)} for _ in range(rng.randint(1, 3))]
            keys.append(f"long form {trial}.{k}")
            matcher.add(keys[-1], [pattern])
            stand_in.add(keys[-1], [pattern])
        doc = nlp.make_doc(" ".join(rng.choice(words) for _ in range(rng.randint(1, 30))))
        assert stand_in(doc) == [tuple(m) for m in matcher(doc)]
        for key in keys:
            stand_in.remove(key)
        assert stand_in(doc) == []


def test_abbreviations_equal_scispacys(nlp) -> None:  # type: ignore[no-untyped-def]
    # The order of a long form's short forms follows a set of Spans hashed on the Doc's
    # identity, so it varies between Docs in scispaCy itself: compare them sorted.
    from scispacy.abbreviation import AbbreviationDetector

    ours = nlp.get_pipe("abbreviation_detector")
    theirs = AbbreviationDetector(nlp, make_serializable=True)
    rng = random.Random(8)
    words = [
        "mesenchymal", "stem", "cells", "(MSCs)", "MSCs", "serious", "adverse", "events",
        "(SAEs)", "SAEs", "umbilical", "cord", "(UC-MSCs)", "UC-MSCs", "(", ")", "bone",
        "marrow", "(BM)", "BM", "graft", "versus", "host", "disease", "(GVHD)", "GVHD", ".",
    ]  # fmt: skip

    def found(detector, text):  # type: ignore[no-untyped-def]
        doc = nlp.make_doc(text)
        doc._.abbreviations = []
        return sorted(tuple(sorted(a.items())) for a in detector(doc)._.abbreviations)

    seen = 0
    for _ in range(1500):
        text = " ".join(rng.choice(words) for _ in range(rng.randint(3, 60)))
        expected = found(theirs, text)
        seen += len(expected)
        assert found(ours, text) == expected, text
    assert seen > 1000


def test_chunk_caching_tokenizer_pickles(nlp) -> None:  # type: ignore[no-untyped-def]
    import pickle

    copy = pickle.loads(pickle.dumps(nlp.tokenizer))
    text = "MSCs (n = 4) vs. placebo, i.v. at 1 × 10(6)/kg."
    assert [t.text for t in copy(text)] == [t.text for t in nlp.tokenizer(text)]
    with pytest.raises(AttributeError):
        copy.no_such_attribute  # noqa: B018
