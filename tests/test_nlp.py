"""The pipeline: sentence rules, lexicon terms, abbreviations, ConText-style safety scope."""

from __future__ import annotations

import pytest

from msc_mine.nlp import Term, build_pipeline, get_pipeline, lexicon_hash, load_lexicon


@pytest.fixture(scope="module")
def nlp():  # type: ignore[no-untyped-def]
    return get_pipeline()


def sents(nlp, text: str) -> list[str]:  # type: ignore[no-untyped-def]
    return [s.text.strip() for s in nlp(text).sents]


def terms(nlp, text: str, family: str) -> list[Term]:  # type: ignore[no-untyped-def]
    return [t for t in nlp(text)._.terms if t.family == family]


def test_pipeline_components_in_order(nlp) -> None:  # type: ignore[no-untyped-def]
    assert nlp.pipe_names == ["msc_sentences", "abbreviation_detector", "msc_terms", "msc_context"]
    assert get_pipeline() is nlp  # cached per process


@pytest.mark.parametrize(
    "text, n",
    [
        ("Kim et al. reported similar results in 2019. We enrolled ten patients.", 2),
        ("Cells were given i.v. at weekly intervals. Patients were followed.", 2),
        ("Cells were given i.v. Patients were followed for a year.", 2),
        ("The dose was 1 x 10(6)/kg. Fever occurred in 2.5% of infusions.", 2),
        ("Scores were 2.5 vs. 3.1 at week 4 and approx. 10 cells per field.", 1),
        ("Doses were approx. 2 million cells/kg. All tolerated them.", 2),
        ("Title of the trial\nMethods text here. Results text here.", 3),
    ],
)
def test_sentence_splitter_survives_abbreviations(nlp, text: str, n: int) -> None:  # type: ignore[no-untyped-def]
    assert len(sents(nlp, text)) == n


def test_route_terms_and_ignore_list(nlp) -> None:  # type: ignore[no-untyped-def]
    found = terms(nlp, "MSCs were infused intravenously after intravenous immunoglobulin.", "route")
    assert [t.value for t in found] == ["intravenous"]
    found = terms(nlp, "Cells were injected by lumbar puncture and intra-articularly.", "route")
    assert [t.value for t in found] == ["intrathecal", "intra_articular"]
    found = terms(nlp, "Patients on intravenous methylprednisolone received MSCs.", "route")
    assert found == []


def test_case_sensitive_acronyms(nlp) -> None:  # type: ignore[no-untyped-def]
    # "PE" means pulmonary embolism only in capitals; "pe" in a word list must not match.
    assert [t.value for t in terms(nlp, "One PE occurred.", "ae")] == ["pulmonary embolism"]
    assert terms(nlp, "The pe value was low.", "ae") == []


def test_abbreviation_short_form_inherits_terms(nlp) -> None:  # type: ignore[no-untyped-def]
    text = "Severe unwanted events (SUEs) were counted. No SUEs occurred."
    # "severe unwanted events" is not in the lexicon, so no inheritance: nothing found.
    assert terms(nlp, text, "sae") == []
    text = "Wharton's jelly MSCs (WJMC) were used. WJMC were infused."
    doc = nlp(text)
    sources = [t for t in doc._.terms if t.family == "source"]
    assert {doc[t.start : t.end].text for t in sources} >= {"WJMC"}


@pytest.mark.parametrize(
    "text, negated",
    [
        ("No SAEs were observed.", True),
        ("The infusions were completed without serious adverse events.", True),
        ("None of the patients experienced serious adverse events.", True),
        ("GVHD was not observed.", True),
        ("There were no treatment-related SAEs.", True),
        ("SAEs were not related to treatment.", False),
        ("Two SAEs occurred.", False),
        ("There was no significant difference in SAEs between arms.", False),
    ],
)
def test_negation(nlp, text: str, negated: bool) -> None:  # type: ignore[no-untyped-def]
    doc = nlp(text)
    targets = [t for t in doc._.terms if t.family in ("sae", "ae")]
    assert targets and all(t.negated is negated for t in targets)


def test_negation_scope_ends_at_semicolon(nlp) -> None:  # type: ignore[no-untyped-def]
    doc = nlp("No serious adverse events occurred; fever was seen in 2 patients.")
    by_value = {t.value: t for t in doc._.terms if t.family in ("sae", "ae")}
    assert by_value["sae"].negated and not by_value["fever"].negated


def test_negation_scope_ends_after_a_finished_clause(nlp) -> None:  # type: ignore[no-untyped-def]
    doc = nlp("No SAEs occurred, and headache was reported by three patients.")
    by_value = {t.value: t for t in doc._.terms if t.family in ("sae", "ae")}
    assert by_value["sae"].negated and not by_value["headache"].negated
    doc = nlp("No deaths, infections, or thromboembolic events were reported.")
    assert all(t.negated for t in doc._.terms if t.family == "ae")


@pytest.mark.parametrize(
    "text, relatedness",
    [
        ("One death unrelated to MSCs occurred.", "unrelated"),
        ("SAEs were not related to treatment.", "unrelated"),
        ("One SAE was possibly related to the infusion.", "possibly_related"),
        ("There were no treatment-related SAEs.", "related"),
        ("Two SAEs occurred.", "not_stated"),
    ],
)
def test_relatedness(nlp, text: str, relatedness: str) -> None:  # type: ignore[no-untyped-def]
    doc = nlp(text)
    target = next(t for t in doc._.terms if t.family in ("sae", "ae"))
    assert target.relatedness == relatedness


def test_hedged_mentions_are_marked(nlp) -> None:  # type: ignore[no-untyped-def]
    doc = nlp("Concerns about the risk of thrombosis remain.")
    assert all(t.hedged for t in doc._.terms if t.family == "ae")


def test_lexicons_parse_and_hash_is_stable() -> None:
    assert load_lexicon("routes.toml")["meta"]["version"]
    assert lexicon_hash() == lexicon_hash() and len(lexicon_hash()) == 64


def test_unknown_model_is_a_usage_error() -> None:
    from msc_mine.errors import UsageError

    with pytest.raises(UsageError):
        build_pipeline(use_model="en_no_such_model_xyz")


def test_empty_abbreviation_matcher_warning_is_silenced() -> None:
    # A fresh interpreter, as the console script runs: spaCy's own "once" filter for W036
    # must not win over ours, so a text without abbreviations prints nothing to stderr.
    import subprocess
    import sys

    code = (
        "import warnings; warnings.simplefilter('default');"
        "from msc_mine.nlp import get_pipeline; nlp = get_pipeline();"
        "nlp('Cells were infused into ten patients. No events occurred.');"
        "list(nlp.pipe(['A text with no short forms.', 'Another one.']))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "W036" not in done.stderr, done.stderr
