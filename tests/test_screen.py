"""Screening decisions: every rule of the IV-safety review, the order, maybes, evidence."""

from __future__ import annotations

import doctest
from pathlib import Path
from typing import Any

import pytest

import msc_mine.screen as screen_mod
from msc_mine.codebook import Extraction, Value
from msc_mine.pipeline import load_pipeline, parse_condition
from msc_mine.records import AbstractSection, MeshHeading, Record
from msc_mine.screen import evaluate, is_stated, screen

REPO = Path(__file__).resolve().parent.parent
IV = load_pipeline(REPO / "pipelines" / "msc_iv_safety.toml")

MSC_SENT = "Twelve patients received intravenous bone marrow MSCs."
SAE_SENT = "No serious adverse events occurred."


def record(**kw: Any) -> Record:
    base: dict[str, Any] = {
        "pmid": "1",
        "title": "Intravenous MSCs in multiple sclerosis",
        "abstract": [AbstractSection("RESULTS", MSC_SENT + " " + SAE_SENT)],
        "publication_types": ["Clinical Trial", "Journal Article"],
        "mesh": [MeshHeading("Humans"), MeshHeading("Mesenchymal Stem Cell Transplantation")],
    }
    base.update(kw)
    return Record(**base)


def extraction(**kw: Any) -> Extraction:
    """An eligible study by default; keyword arguments override single values."""
    cues = {
        "msc": Value(["MSCs"], MSC_SENT),
        "human_clinical": Value(["patients"], MSC_SENT),
    }
    cues.update(kw.pop("cues", {}))
    cues = {k: v for k, v in cues.items() if v is not None}
    base: dict[str, Any] = {
        "pmid": "1",
        "study_design": Value("case_series", MSC_SENT),
        "route": Value(["intravenous"], MSC_SENT),
        "cell_source": Value(["bone_marrow"], MSC_SENT),
        "sae_status": Value("none_reported", SAE_SENT),
        "cues": cues,
    }
    for k, v in kw.items():
        base[k] = v if isinstance(v, Value) else Value(v, f"evidence for {k}")
    return Extraction(**base)


def test_eligible_study_is_included() -> None:
    d = screen(record(), extraction(), IV)
    assert (d.include, d.exclude_reason, d.rule_id) == ("yes", "", "")
    assert d.pmid == "1"


# One case per exclusion rule: (rule id, record overrides, extraction overrides).
EXCLUSIONS: list[tuple[str, str, str, dict[str, Any], dict[str, Any]]] = [
    ("retracted", "retracted", "preliminary", {"retraction_in": ["99"]}, {}),
    (
        "retracted",
        "retracted",
        "preliminary",
        {"publication_types": ["Retracted Publication", "Journal Article"]},
        {},
    ),
    ("review_article", "review", "preliminary", {"publication_types": ["Review"]}, {}),
    ("review_article", "review", "preliminary", {}, {"study_design": "review"}),
    ("animal_study", "animal", "preliminary", {}, {"study_design": "animal"}),
    ("animal_study", "animal", "preliminary", {"mesh": [MeshHeading("Animals")]}, {}),
    ("in_vitro_study", "in_vitro", "preliminary", {}, {"study_design": "in_vitro"}),
    (
        "lab_study",
        "in_vitro",
        "preliminary",
        {},
        {
            "study_design": Value("other"),
            "route": Value(["not_stated"]),
            "cues": {"in_vitro": Value(["co-cultured"], "MSCs were co-cultured with T cells.")},
        },
    ),
    ("trial_protocol", "protocol", "preliminary", {}, {"study_design": "protocol"}),
    (
        "trial_protocol",
        "protocol",
        "preliminary",
        {"publication_types": ["Clinical Trial Protocol"]},
        {},
    ),
    (
        "cell_free_product",
        "cell_derived_product",
        "preliminary",
        {},
        {"cues": {"cell_derived_product": Value(["exosomes"], "MSC exosomes were inhaled.")}},
    ),
    ("no_stem_cells", "other", "preliminary", {}, {"cues": {"msc": None}}),
    (
        "not_a_clinical_study",
        "other",
        "preliminary",
        {},
        {
            "study_design": Value("other"),
            "cues": {"non_clinical": Value(["websites"], "We coded 90 clinic websites.")},
        },
    ),
    (
        "notice_not_a_study",
        "other",
        "preliminary",
        {
            "title": "Retraction Note: Intravenous MSCs in multiple sclerosis",
            "publication_types": ["Retraction of Publication"],
        },
        {},
    ),
    (
        "hsc_only",
        "hsc",
        "eligibility",
        {},
        {"cues": {"msc": None, "hsc": Value(["CD34+ cells"], "CD34+ cells were infused.")}},
    ),
    (
        "hsc_in_title",
        "hsc",
        "eligibility",
        {"title": "Autologous CD34+ cell transplantation in multiple sclerosis"},
        {"cues": {"hsc": Value(["CD34+"], "CD34+ cells were infused.")}},
    ),
    (
        "genetically_modified",
        "genetically_modified",
        "eligibility",
        {},
        {"cues": {"genetically_modified": Value(["transduced"], "MSCs transduced with IL-10.")}},
    ),
    (
        "combined_intervention",
        "combined_intervention",
        "eligibility",
        {},
        {"cues": {"combined_intervention": Value(["scaffold"], "MSCs on a collagen scaffold.")}},
    ),
    (
        "non_iv_route",
        "non_iv_route",
        "eligibility",
        {},
        {"route": Value(["intrathecal"], "MSCs were given intrathecally.")},
    ),
    (
        "sae_not_defined",
        "no_safety_reporting",
        "eligibility",
        {"abstract": [AbstractSection("", "EDSS improved after MSC infusion.")]},
        {"sae_status": Value("not_stated")},
    ),
]


@pytest.mark.parametrize(("rule_id", "reason", "stage", "rec_kw", "ex_kw"), EXCLUSIONS)
def test_each_exclusion_rule_fires_with_its_reason(
    rule_id: str, reason: str, stage: str, rec_kw: dict[str, Any], ex_kw: dict[str, Any]
) -> None:
    d = screen(record(**rec_kw), extraction(**ex_kw), IV)
    assert (d.include, d.exclude_reason, d.rule_id, d.stage) == ("no", reason, rule_id, stage)
    assert d.reason == next(r.reason for r in IV.rules if r.id == rule_id)


def test_every_exclusion_rule_of_the_review_is_tested() -> None:
    tested = {case[0] for case in EXCLUSIONS}
    assert tested == {r.id for r in IV.rules if r.decision == "exclude"}


MAYBES: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    (
        "not_clearly_clinical",
        {},
        {"study_design": Value("other"), "cues": {"human_clinical": None}},
    ),
    ("msc_and_hsc", {}, {"cues": {"hsc": Value(["mononuclear cells"], "BM-MNCs and MSCs.")}}),
    ("route_not_stated", {}, {"route": Value(["not_stated"])}),
    ("mixed_route", {}, {"route": Value(["intra_arterial", "intravenous"], "IA and IV")}),
    (
        "non_conventional_msc",
        {"abstract": [AbstractSection("", "MAPCs were infused. No serious adverse events.")]},
        {},
    ),
    ("sae_unclear", {}, {"sae_status": Value("not_stated")}),
    (
        "organ_transplant_regimen",
        {
            "abstract": [
                AbstractSection(
                    "",
                    "Kidney transplant recipients received MSCs with low-dose tacrolimus. "
                    "No serious adverse events occurred.",
                )
            ]
        },
        {},
    ),
]


@pytest.mark.parametrize(("rule_id", "rec_kw", "ex_kw"), MAYBES)
def test_uncertain_records_are_maybe_with_the_reason(
    rule_id: str, rec_kw: dict[str, Any], ex_kw: dict[str, Any]
) -> None:
    d = screen(record(**rec_kw), extraction(**ex_kw), IV)
    assert (d.include, d.exclude_reason, d.rule_id) == ("maybe", "", rule_id)
    assert d.reason.startswith(next(r.reason for r in IV.rules if r.id == rule_id)[:20])


def test_every_maybe_rule_of_the_review_is_tested() -> None:
    assert {m[0] for m in MAYBES} == {r.id for r in IV.rules if r.decision == "maybe"}


def test_first_reason_in_codebook_order_wins() -> None:
    # A retracted review of animal data with HSCs given intrathecally: retracted comes first.
    ex = extraction(
        study_design="animal",
        route=Value(["intrathecal"], "given intrathecally"),
        cues={"hsc": Value(["CD34+"], "CD34+ cells"), "msc": None},
    )
    rec = record(publication_types=["Review"], retraction_in=["5"])
    assert screen(rec, ex, IV).exclude_reason == "retracted"
    assert screen(record(publication_types=["Review"]), ex, IV).exclude_reason == "review"
    assert screen(record(), ex, IV).exclude_reason == "animal"
    ex.study_design = Value("case_series", MSC_SENT)
    assert screen(record(), ex, IV).exclude_reason == "hsc"
    ex.cues = {
        "msc": Value(["MSCs"], MSC_SENT),
        "genetically_modified": Value(["engineered"], "engineered MSCs"),
    }
    assert screen(record(), ex, IV).exclude_reason == "genetically_modified"
    ex.cues = {"msc": Value(["MSCs"], MSC_SENT)}
    assert screen(record(), ex, IV).exclude_reason == "non_iv_route"


def test_certain_exclusion_beats_an_earlier_maybe() -> None:
    # MSC + HSC is unclear, but an intra-articular route excludes the record either way.
    ex = extraction(
        route=Value(["intra_articular"], "injected into the knee"),
        cues={"hsc": Value(["BM-MNC"], "BM-MNCs")},
    )
    d = screen(record(), ex, IV)
    assert (d.include, d.exclude_reason, d.rule_id) == ("no", "non_iv_route", "non_iv_route")


def test_first_maybe_is_reported_when_several_apply() -> None:
    ex = extraction(route=Value(["not_stated"]), sae_status=Value("not_stated"))
    assert screen(record(), ex, IV).rule_id == "route_not_stated"


def test_iv_plus_other_route_is_a_maybe_not_an_exclusion() -> None:
    ex = extraction(route=Value(["intrathecal", "intravenous"], "IT and IV MSCs"))
    d = screen(record(), ex, IV)
    assert (d.include, d.rule_id, d.evidence) == ("maybe", "mixed_route", "IT and IV MSCs")


def test_decision_keeps_the_evidence_of_the_values_read() -> None:
    ex = extraction(route=Value(["intrathecal"], "MSCs were injected intrathecally."))
    d = screen(record(), ex, IV)
    # The route rule reads route twice (present, not_contains): the sentence appears once.
    assert d.evidence == "MSCs were injected intrathecally."
    d = screen(record(publication_types=["Review", "Journal Article"]), extraction(), IV)
    assert d.evidence == "publication type: Review; Journal Article"
    d = screen(record(), extraction(cues={"hsc": Value(["MNC"], "MNCs were given.")}), IV)
    assert d.evidence == f"MNCs were given. | {MSC_SENT}"


def test_a_website_survey_with_a_trial_design_is_not_excluded_as_non_clinical() -> None:
    # The non-clinical cue excludes only when no study design was recognized.
    ex = extraction(cues={"non_clinical": Value(["website"], "Listed on the trial website.")})
    assert screen(record(), ex, IV).include == "yes"


def test_transplant_without_an_immunosuppressant_named_is_no_maybe() -> None:
    rec = record(abstract=[AbstractSection("", "MSCs were infused after liver transplantation.")])
    assert screen(rec, extraction(), IV).include == "yes"


def test_adverse_event_wording_without_an_sae_statement_is_a_maybe() -> None:
    rec = record(abstract=[AbstractSection("", "Adverse events were mild and transient.")])
    d = screen(rec, extraction(sae_status=Value("not_stated")), IV)
    assert (d.include, d.rule_id) == ("maybe", "sae_unclear")


def test_safe_and_well_tolerated_alone_defines_no_sae() -> None:
    rec = record(abstract=[AbstractSection("", "MSC infusion was safe and well tolerated.")])
    d = screen(rec, extraction(sae_status=Value("not_stated")), IV)
    assert (d.include, d.exclude_reason) == ("no", "no_safety_reporting")


def test_transplant_background_in_gvhd_is_not_an_hsc_doubt() -> None:
    ex = extraction(
        conditions=Value(["graft-versus-host disease"], "aGVHD after allogeneic HSCT"),
        cues={"hsc": Value(["haematopoietic stem cell"], "GVHD after HSCT.")},
    )
    assert screen(record(), ex, IV).include == "yes"


def cond(table: dict[str, Any]) -> Any:
    return parse_condition(table, "test")


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        ({"field": "route", "equals": "INTRAVENOUS"}, True),
        ({"field": "route", "not_equals": "intravenous"}, False),
        ({"field": "study_design", "in": ["rct", "case_series"]}, True),
        ({"field": "title", "contains": "multiple SCLEROSIS"}, True),
        (
            {"field": "publication_types", "contains_all": ["Clinical Trial", "Journal Article"]},
            True,
        ),
        ({"field": "publication_types", "contains_any": ["Review", "Letter"]}, False),
        ({"field": "mesh", "not_contains": ["Animals", "Mice"]}, True),
        ({"field": "route", "only": ["intravenous", "intra_arterial"]}, True),
        ({"field": "cell_source", "only": ["adipose"]}, False),
        ({"field": "abstract", "matches": r"\bno serious\b"}, True),
        ({"field": "n_patients", "ge": 12}, True),
        ({"field": "n_patients", "gt": 12}, False),
        ({"field": "dose_low", "lt": 1e9}, False),  # absent numbers never compare true
        ({"field": "dose_low", "present": False}, True),
        ({"field": "year", "le": 2021}, True),
        ({"field": "is_retracted", "equals": False}, True),
        ({"field": "cues.animal", "present": False}, True),
        ({"field": "cues.msc", "contains": "mscs"}, True),
        ({"not": {"field": "route", "present": True}}, False),
        ({"any": [{"field": "route", "present": False}, {"field": "year", "equals": 2020}]}, True),
    ],
)
def test_operators(table: dict[str, Any], expected: bool) -> None:
    ex = extraction(n_patients=Value(12, "Twelve patients"))
    held, _ = evaluate(cond(table), record(year=2020), ex)
    assert held is expected


def test_matches_quotes_the_matching_sentence() -> None:
    held, evidence = evaluate(
        cond({"field": "abstract", "matches": "serious"}), record(), extraction()
    )
    assert held and evidence == [SAE_SENT]


def test_is_stated_follows_the_codebook() -> None:
    assert not is_stated(None) and not is_stated("") and not is_stated("not_stated")
    assert not is_stated(["not_stated"]) and not is_stated([])
    assert is_stated(["intravenous"]) and is_stated(0) and is_stated("rct")


def test_module_docstring_example_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    result = doctest.testmod(screen_mod)
    assert result.attempted > 0 and result.failed == 0
