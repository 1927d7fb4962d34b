"""Safety: SAE status, count, types, non-serious AEs and AEFindings, on our own sentences."""

from __future__ import annotations

import pytest

from msc_mine.extract.parsed import parse_record
from msc_mine.extract.safety import SafetyResult, extract_safety
from msc_mine.records import AbstractSection, Record


def safety(results: str, conditions: list[str] | None = None, methods: str = "") -> SafetyResult:
    sections = []
    if methods:
        sections.append(AbstractSection("METHODS", methods, "METHODS"))
    sections.append(AbstractSection("RESULTS", results, "RESULTS"))
    return extract_safety(parse_record(Record(pmid="1", title="T", abstract=sections)), conditions)


@pytest.mark.parametrize(
    "text, status",
    [
        ("No SAEs were observed during follow-up.", "none_reported"),
        ("All infusions were completed without serious adverse events.", "none_reported"),
        ("None of the patients experienced a serious adverse event.", "none_reported"),
        ("There were no treatment-related SAEs.", "none_reported"),
        ("No serious adverse events occurred; hUC-MSCs were well tolerated.", "none_reported"),
        ("No adverse events were reported.", "none_reported"),
        ("Two SAEs occurred, both unrelated to the cells.", "some_reported"),
        ("SAEs were not related to treatment.", "some_reported"),
        ("One death unrelated to MSCs occurred at month 9.", "some_reported"),
        ("Efficacy improved at 6 months.", "not_stated"),
    ],
)
def test_sae_status(text: str, status: str) -> None:
    s = safety(text)
    assert s.sae_status.value == status
    assert bool(s.sae_status.evidence) is (status != "not_stated")


def test_unrelated_death_counts_as_sae_with_relatedness() -> None:
    s = safety("One patient died of pneumonia unrelated to the cells.")
    assert s.sae_types.value == ["death", "infection", "pneumonia"]
    death = next(f for f in s.findings if f.category == "death")
    assert (death.events, death.relatedness, death.serious) == (1, "unrelated", True)


def test_negated_sae_then_mild_events() -> None:
    s = safety("No serious adverse events occurred; transient fever was seen in 3 patients.")
    assert s.sae_status.value == "none_reported"
    assert s.sae_types.value == [] and s.nonserious_aes.value == ["fever"]
    fever = next(f for f in s.findings if f.category == "fever")
    assert fever.events == 3 and not fever.serious
    sae = next(f for f in s.findings if f.category == "sae")
    assert sae.events == 0


def test_counts_and_categories() -> None:
    s = safety(
        "Serious adverse events occurred in 2 patients: one pulmonary embolism and one "
        "pneumonia. Headache (n = 4) and nausea were mild."
    )
    assert s.sae_status.value == "some_reported" and s.sae_count.value == 2
    assert s.sae_types.value == ["infection", "pneumonia", "pulmonary embolism", "thromboembolism"]
    assert s.nonserious_aes.value == ["headache", "nausea"]
    headache = next(f for f in s.findings if f.category == "headache")
    assert headache.events == 4
    nausea = next(f for f in s.findings if f.category == "nausea")
    assert nausea.events is None  # mentioned, not counted


def test_event_did_not_occur_is_zero() -> None:
    s = safety("No thromboembolic events or infusion reactions were observed.")
    cats = {f.category: f.events for f in s.findings}
    assert cats["thromboembolism"] == 0 and cats["infusion reaction"] == 0
    assert s.sae_types.value == [] and s.nonserious_aes.value == []


def test_gvhd_not_observed() -> None:
    s = safety("GVHD was not observed after MSC infusion.")
    assert {f.category: f.events for f in s.findings}["graft-versus-host disease"] == 0


def test_control_arm_saes_do_not_count() -> None:
    s = safety(
        "No SAEs occurred in the MSC arm, whereas two SAEs were recorded in the control arm."
    )
    assert s.sae_status.value == "none_reported" and s.sae_count.value is None


def test_disease_treated_is_not_an_adverse_event() -> None:
    s = safety("Stroke severity improved, and no patient developed fever.", conditions=["stroke"])
    assert s.sae_types.value == []
    s = safety("One patient had a recurrent stroke at day 40.", conditions=["stroke"])
    assert s.sae_types.value == ["stroke"]


def test_methods_plans_are_not_events() -> None:
    s = safety("Efficacy was modest.", methods="Safety endpoints were infection and thrombosis.")
    assert s.sae_types.value == [] and s.nonserious_aes.value == []
    assert s.sae_status.value == "not_stated"


def test_deaths_counted_give_sae_count() -> None:
    s = safety("Nine patients died during follow-up, six from progressive disease.")
    assert s.sae_count.value == 9 and "death" in s.sae_types.value


def test_exception_after_negated_sae() -> None:
    s = safety("No serious adverse events other than one pneumonia were reported.")
    assert s.sae_status.value == "some_reported"
    assert "pneumonia" in s.sae_types.value


def test_counted_event_needs_no_report_verb() -> None:
    s = safety("One superficial wound infection was treated with oral antibiotics.")
    assert s.nonserious_aes.value == ["infection"]


def test_injection_site_pain_is_also_pain() -> None:
    s = safety("Injection-site pain was the most common adverse event.")
    assert s.nonserious_aes.value == ["injection site reaction", "pain"]


def test_relapse_of_the_transplanted_cancer_is_not_worsening_of_disease() -> None:
    s = safety("Two patients died, one of leukemia relapse and one of invasive aspergillosis.")
    assert "worsening of disease" not in s.sae_types.value
    assert "death" in s.sae_types.value
    s = safety("Four patients had a relapse of multiple sclerosis requiring admission.")
    assert "worsening of disease" in s.sae_types.value + s.nonserious_aes.value
