"""Screening cues: when an intervention cue is background, not what the study gave.

Sentences written for these tests, in the style of real MSC abstracts.
"""

from __future__ import annotations

import pytest

from msc_mine.extract.cues import extract_cues
from msc_mine.extract.parsed import ParsedRecord, parse_record
from msc_mine.records import AbstractSection, Record


def rec(*sections: tuple[str, str], title: str = "A study") -> ParsedRecord:
    return parse_record(
        Record(
            pmid="1",
            title=title,
            abstract=[AbstractSection(label, text, label) for label, text in sections],
        )
    )


def combined(*sections: tuple[str, str], title: str = "A study") -> list[str]:
    cue = extract_cues(rec(*sections, title=title)).get("combined_intervention")
    return cue.value if cue else []


def derived(*sections: tuple[str, str], title: str = "A study") -> list[str]:
    cue = extract_cues(rec(*sections, title=title)).get("cell_derived_product")
    return cue.value if cue else []


# --- real co-interventions keep their cue ------------------------------------------------


@pytest.mark.parametrize(
    "text, want",
    [
        ("MSCs combined with a hyaluronic acid scaffold were implanted into the defect.",
         "combined with"),
        ("Patients received MSC infusion plus tacrolimus as the study treatment.", "plus"),
        ("Tacrolimus plus UC-MSCs was compared with tacrolimus and placebo infusion.", "plus"),
        ("Autologous MSCs were co-administered with low-dose IL-2 on day 1.",
         "co-administered"),
        ("Cells were injected during surgery into the fracture gap.", "during surgery"),
        ("MSCs previously expanded were loaded onto a collagen scaffold.", "collagen scaffold"),
    ],
)  # fmt: skip
def test_a_tested_co_intervention_still_fires(text: str, want: str) -> None:
    assert want in combined(("METHODS", text))


def test_a_co_intervention_in_the_background_section_fires_when_it_is_this_study() -> None:
    text = "We assessed MSCs combined with platelet-rich plasma in chronic tendinopathy."
    assert "combined with" in combined(("BACKGROUND", text))


def test_core_decompression_in_both_arms_is_still_surgery_with_cells() -> None:
    # Surgery that delivers the cells is the combination, even if controls have it alone.
    title = "Core decompression with BM-MSCs versus core decompression alone in hip necrosis"
    assert "core decompression" in combined(title=title)


# --- background: the disease's history ---------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Perianal fistulas often respond poorly to medical and surgical treatment.",
        "Patients were refractory to surgical drainage and antibiotics.",
        "All had active disease despite surgery and two biologics.",
        "Ten patients with a history of surgical resection were enrolled.",
    ],
)
def test_a_cue_after_refractory_or_despite_is_history(text: str) -> None:
    assert combined(("METHODS", text)) == []


def test_a_cue_in_a_background_section_is_the_field_not_the_study() -> None:
    text = "Chronic wounds are treated with surgical debridement and skin grafts."
    assert combined(("BACKGROUND", text)) == []
    assert combined(("METHODS", text))  # the same words in Methods describe the study


# --- background: an add-on design --------------------------------------------------------


def test_partner_given_alone_to_controls_is_background() -> None:
    text = "Sixty patients were randomized to riluzole alone or riluzole plus BM-MSCs."
    assert combined(("METHODS", text)) == []


def test_partner_that_is_usual_care_is_background() -> None:
    assert combined(("METHODS", "Patients received UC-MSCs plus standard of care.")) == []
    assert combined(("METHODS", "MSCs in combination with conventional therapy.")) == []


def test_partner_continued_in_both_arms_is_background_through_its_short_form() -> None:
    title = "Umbilical cord MSCs plus disease-modifying antirheumatic drugs in arthritis"
    sections = (
        ("OBJECTIVE", "To test MSCs in disease-modifying antirheumatic drugs (DMARDs) users."),
        ("METHODS", "Patients got one MSC infusion or saline, with DMARDs continued in both arms."),
    )
    assert combined(*sections, title=title) == []


def test_partner_named_despite_elsewhere_is_background() -> None:
    title = "Bone marrow MSCs plus methotrexate in psoriatic arthritis"
    text = "Adults with active arthritis despite methotrexate received one MSC infusion."
    assert combined(("METHODS", text), title=title) == []


def test_partner_not_named_as_background_elsewhere_fires() -> None:
    title = "Bone marrow MSCs plus methotrexate in psoriatic arthritis"
    text = "Adults with active arthritis received methotrexate and one MSC infusion."
    assert combined(("METHODS", text), title=title) == ["plus"]


# --- phrases that contain a cue but are not one -----------------------------------------


def test_an_organ_graft_is_no_bone_graft() -> None:
    text = "Patient and graft survival were similar; graft-versus-host disease did not occur."
    assert combined(("RESULTS", text)) == []
    assert combined(("METHODS", "An iliac bone graft was loaded with MSCs.")) != []


# --- cell-derived products: mechanism vs product -----------------------------------------


def test_paracrine_factors_the_cells_secrete_are_mechanism() -> None:
    text = "MSCs act mainly by secreting paracrine factors that dampen inflammation."
    assert derived(("RESULTS", text)) == []
    assert derived(("BACKGROUND", "MSC exosomes reduce lung injury in mice.")) == []


def test_a_cell_derived_product_given_to_patients_fires() -> None:
    text = "Eight patients inhaled exosomes derived from adipose MSCs twice daily."
    assert derived(("METHODS", text)) == ["exosomes"]
    text = "Conditioned medium of MSCs was applied to the ulcers."
    assert derived(("METHODS", text)) == ["conditioned medium"]


# --- non-clinical publications -----------------------------------------------------------


def test_website_survey_is_a_non_clinical_cue() -> None:
    text = "We coded 200 clinic websites that advertised MSC infusions."
    cues = extract_cues(rec(("", text)))
    assert set(cues["non_clinical"].value) >= {"clinic websites", "advertised"}
