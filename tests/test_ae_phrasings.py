"""Adverse-event and donor wordings seen in real MSC trial abstracts (our own sentences)."""

from __future__ import annotations

import pytest

from msc_mine.extract.allo_auto import extract_allo_auto
from msc_mine.extract.parsed import parse_record
from msc_mine.extract.safety import SafetyResult, extract_safety
from msc_mine.records import AbstractSection, Record


def safety(
    results: str, conditions: list[str] | None = None, label: str = "RESULTS", cat: str = "RESULTS"
) -> SafetyResult:
    rec = Record(pmid="1", title="T", abstract=[AbstractSection(label, results, cat)])
    return extract_safety(parse_record(rec), conditions)


def donor(methods: str) -> str:
    rec = Record(pmid="1", title="T", abstract=[AbstractSection("METHODS", methods, "METHODS")])
    return extract_allo_auto(parse_record(rec)).value


@pytest.mark.parametrize(
    "text",
    [
        "Adverse events occurred in 7 of 12 patients; none was serious.",
        "Forty-one AEs were recorded, none of which were serious.",
        "Thirty AEs were reported, none serious.",
        "No patient in either arm had an event of grade 3 or higher.",
        "No grade 3-4 events were recorded.",
        "There were no TRAEs.",
        "The infusions were well tolerated, with no acute infusional toxicity.",
        "Mild reactions were noted but no serious events occurred.",
    ],
)
def test_denied_seriousness_is_none_reported(text: str) -> None:
    s = safety(text)
    assert s.sae_status.value == "none_reported"
    assert s.sae_status.evidence
    assert s.sae_types.value == []


def test_none_serious_does_not_hide_a_reported_sae() -> None:
    s = safety("AEs occurred in 5 patients, none serious. One patient later died of sepsis.")
    assert s.sae_status.value == "some_reported"
    assert "death" in s.sae_types.value


@pytest.mark.parametrize(
    "text",
    [
        "Two recipients had a transient rise in body temperature after infusion.",
        "A febrile episode was seen after 3 of 40 infusions.",
        "Raised body temperature was the commonest event (n = 4).",
    ],
)
def test_fever_wordings(text: str) -> None:
    assert safety(text).nonserious_aes.value == ["fever"]


def test_mortality_rate_is_a_death_report() -> None:
    s = safety("Mortality at day 60 was 8% with the cells and 12% with placebo.")
    assert s.sae_status.value == "some_reported"
    assert s.sae_types.value == ["death"]
    assert s.sae_count.value is None  # a rate, not a count


def test_mortality_without_figures_is_not_an_event() -> None:
    assert safety("Mortality is the main concern in this population.").sae_types.value == []


def test_events_in_the_control_arm_with_none_in_the_msc_arm() -> None:
    s = safety("Three deaths occurred in the control group and none in the MSC group.")
    assert s.sae_status.value != "some_reported"
    assert s.sae_types.value == []


def test_events_in_both_arms_still_count_for_the_msc_arm() -> None:
    s = safety("One death occurred in the MSC group and two in the placebo group.")
    assert s.sae_status.value == "some_reported" and s.sae_types.value == ["death"]


def test_recurrence_of_the_treated_disease_is_an_sae() -> None:
    s = safety(
        "Two SAEs occurred: a recurrent ischaemic stroke at 4 months, judged unrelated, "
        "and a fall.",
        conditions=["stroke"],
    )
    assert s.sae_types.value == ["stroke"]


def test_abbreviated_disease_is_not_an_event() -> None:
    s = safety(
        "Twelve patients with severe aplastic anaemia (SAA) were treated. "
        "Treatment was feasible in SAA and two patients died of infection.",
        conditions=["aplastic anemia"],
    )
    assert "anemia" not in s.sae_types.value + s.nonserious_aes.value
    assert s.sae_types.value == ["death", "infection"]


def test_grade_after_the_term_sets_seriousness() -> None:
    s = safety("Acute GVHD grade II developed in 3 patients after the infusions.")
    assert s.nonserious_aes.value == ["graft-versus-host disease"]
    assert s.sae_types.value == []


def test_thrombotic_microangiopathy_is_no_thromboembolism() -> None:
    s = safety("One patient died of transplant-associated thrombotic microangiopathy.")
    assert s.sae_types.value == ["death"]


def test_relatedness_clause_does_not_negate_the_listed_saes() -> None:
    s = safety("SAEs, none of which were related to MSCs, included one pneumonia and one fall.")
    assert s.sae_types.value == ["infection", "pneumonia"]
    pneumonia = next(f for f in s.findings if f.category == "pneumonia")
    assert pneumonia.relatedness == "unrelated"


def test_methods_and_results_section_reports_events() -> None:
    s = safety(
        "Twenty patients received MSCs. During follow-up, two patients had SAEs: one "
        "hospitalization for heart failure and one death.",
        label="METHODS AND RESULTS",
        cat="METHODS",
    )
    assert s.sae_status.value == "some_reported"
    assert s.sae_types.value == ["death", "hospitalization"]


def test_plain_methods_section_still_reports_no_events() -> None:
    s = safety("Deaths and hospitalizations were recorded for 12 months.", "", "METHODS", "METHODS")
    assert s.sae_status.value == "not_stated"


@pytest.mark.parametrize(
    "text, value",
    [
        ("Cells were isolated from cords donated by healthy mothers.", "allogeneic"),
        ("MSCs were expanded from placentas given by healthy mothers at term.", "allogeneic"),
        ("MSCs from a sibling donor were infused.", "allogeneic"),
        ("Pooled MSCs from several donors were infused.", "allogeneic"),
        ("MSCs were expanded from each patient's marrow aspirate and re-infused.", "autologous"),
        ("MSCs were expanded from their own lipoaspirate.", "autologous"),
        ("Patients received MSCs isolated from their own adipose tissue.", "autologous"),
        ("MSCs were infused at 1 x 10(6) cells/kg.", "not_stated"),
    ],
)
def test_donor_wordings(text: str, value: str) -> None:
    assert donor(text) == value


def test_no_significant_adverse_events_is_none_reported() -> None:
    assert safety("No significant adverse events were seen.").sae_status.value == "none_reported"
    # ... while "no significant difference" stays a pseudo-trigger.
    s = safety("There was no significant difference in adverse events; one patient died.")
    assert s.sae_status.value == "some_reported"


def test_at_least_one_sae_counts_patients() -> None:
    assert safety("Four participants (20%) had at least one SAE.").sae_count.value == 4


def test_deaths_due_to_progression_add_worsening_of_disease() -> None:
    s = safety("Three deaths were recorded, all due to disease progression.")
    assert s.sae_types.value == ["death", "worsening of disease"]
    assert s.sae_count.value == 3


def test_progression_alone_is_an_outcome() -> None:
    assert safety("Disease progression was seen in 4 patients at 1 year.").sae_types.value == []


def unstructured(text: str) -> SafetyResult:
    rec = Record(pmid="1", title="T", abstract=[AbstractSection("", text, "")])
    return extract_safety(parse_record(rec))


def test_opening_background_sentence_of_an_unstructured_abstract() -> None:
    s = unstructured(
        "Refractory colitis carries a high risk of sepsis and death. We gave MSCs to 10 "
        "patients. No serious adverse events occurred."
    )
    assert s.sae_status.value == "none_reported" and s.sae_types.value == []


def test_opening_sentence_about_the_study_still_reports() -> None:
    s = unstructured("Of 10 patients given MSCs, one died of sepsis. The cells were tolerated.")
    assert s.sae_types.value == ["death", "infection", "sepsis"]


@pytest.mark.parametrize(
    "text",
    [
        "Children with GVHD after allogeneic stem-cell transplantation received MSCs.",
        "Patients with GVHD after allo-SCT were given MSC infusions.",
        "Adults with GVHD after allogeneic haematopoietic stem cell transplant received MSCs.",
        "Patients with poor graft function after allogeneic transplant received MSCs.",
        "Patients with myeloma undergoing autologous stem cell transplant received MSCs.",
        "MSCs were suspended in autologous plasma before infusion.",
    ],
)
def test_transplant_and_medium_words_are_not_the_mscs_origin(text: str) -> None:
    assert donor(text) == "not_stated"


@pytest.mark.parametrize(
    "text, value",
    [
        ("Patients received 3 x 10(7) allogeneic MenSCs every other day.", "allogeneic"),
        ("Each patient received autologous ADSCs twice.", "autologous"),
        ("Patients had an allogeneic HSC graft before the infusion.", "not_stated"),
    ],
)
def test_stem_cell_acronyms_after_the_cue(text: str, value: str) -> None:
    assert donor(text) == value


@pytest.mark.parametrize(
    "text, term",
    [
        ("Transient elevation of liver enzymes was seen in 2 patients.", "liver dysfunction"),
        ("One patient had loose stools for two days.", "diarrhea"),
        ("A transient drop in blood pressure occurred in 1 patient.", "hypotension"),
        ("Sleeplessness was reported by 3 participants.", "insomnia"),
        ("Bone pain was reported by 2 patients.", "pain"),
    ],
)
def test_more_ae_wordings(text: str, term: str) -> None:
    assert safety(text).nonserious_aes.value == [term]


def test_arm_size_is_not_the_event_count() -> None:
    s = safety("At day 90, 3 of 20 MSC-treated patients and 5 of 20 controls had died.")
    assert s.sae_count.value == 3


def test_control_arm_count_is_not_the_msc_count() -> None:
    s = safety("Four patients in the placebo group died, compared with one in the MSC group.")
    assert s.sae_status.value == "some_reported"
    assert s.sae_count.value != 4


@pytest.mark.parametrize(
    "text, serious, mild",
    [
        (
            "Two SAEs were reported (pneumonia and stroke), while headache and nausea were "
            "the most common non-serious events.",
            ["infection", "pneumonia", "stroke"],
            ["headache", "nausea"],
        ),
        (
            "SAEs occurred in 2 patients; the most frequent AEs were fever (n = 5) and "
            "headache (n = 3).",
            [],
            ["fever", "headache"],
        ),
        (
            "Fever occurred in 2 patients, and one SAE (sepsis) was reported.",
            ["infection", "sepsis"],
            ["fever"],
        ),
        (
            "SAEs occurred in 9 patients; the most frequent were perianal abscess and anal pain.",
            ["infection", "pain"],
            [],
        ),
        (
            "Two patients developed pneumonia and sepsis, both reported as SAEs.",
            ["infection", "pneumonia", "sepsis"],
            [],
        ),
        ("SAEs occurred in 2 patients: a stroke and a fall.", ["stroke"], []),
    ],
)
def test_which_events_the_sae_words_cover(text: str, serious: list[str], mild: list[str]) -> None:
    s = safety(text)
    assert s.sae_types.value == serious
    assert s.nonserious_aes.value == mild


@pytest.mark.parametrize(
    "text",
    [
        "Chronic GVHD was limited in 2 recipients.",
        "Two patients developed limited chronic GVHD.",
        "Skin GVHD remained mild in 5 patients.",
        "Acute GVHD grade I-II was seen in 6 patients.",
        "Six children had grade 1-2 acute GVHD.",
    ],
)
def test_mild_or_limited_gvhd_is_not_serious(text: str) -> None:
    s = safety(text, ["aplastic anemia"])
    assert s.nonserious_aes.value == ["graft-versus-host disease"]
    assert s.sae_types.value == []


def test_gvhd_stated_severe_after_the_term_is_serious() -> None:
    s = safety("Acute GVHD was severe in 2 children.", ["beta thalassemia"])
    assert s.sae_types.value == ["graft-versus-host disease"]


def test_limited_elsewhere_in_the_clause_says_nothing_of_the_event() -> None:
    s = safety("Despite limited follow-up, one patient developed severe pneumonia.")
    assert "pneumonia" in s.sae_types.value


def test_little_severe_gvhd_is_a_summary_not_an_event() -> None:
    s = safety("Co-infused stromal cells gave steady engraftment with little severe GVHD.")
    assert s.sae_types.value == []
    assert s.sae_status.value == "not_stated"


def test_n_after_a_later_event_belongs_to_that_event() -> None:
    s = safety("Four patients died, of sepsis (n = 3) and bleeding (n = 1).")
    assert s.sae_status.value == "some_reported"
    assert s.sae_count.value == 4
    assert {"death", "infection", "sepsis"} <= set(s.sae_types.value)
