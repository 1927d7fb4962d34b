"""The MSC arm from allocation breakdowns and defined short forms; case reports' one patient.

Sentences written for these tests, in the style of real MSC abstracts.
"""

from __future__ import annotations

import doctest

import pytest

import msc_mine.extract.arms as arms_mod
from msc_mine.extract.arms import breakdown_arms
from msc_mine.extract.dosing import extract_dosing
from msc_mine.extract.parsed import parse_record
from msc_mine.records import AbstractSection, Record


def test_doctest() -> None:
    assert doctest.testmod(arms_mod).failed == 0


@pytest.mark.parametrize(
    "text, want",
    [
        ("Fifty patients were treated: 35 with UC-MSCs and 15 with placebo.", [35]),
        ("Forty adults were randomized: 20 received MSCs and 20 received saline.", [20]),
        (
            "Thirty patients with active Crohn's disease were enrolled; 18 chose MSC "
            "infusion and 12 stayed on their usual drugs.",
            [18],
        ),
    ],
)
def test_breakdown_after_a_total(text: str, want: list[int]) -> None:
    assert [c.value for c in breakdown_arms(text)] == want


@pytest.mark.parametrize(
    "text",
    [
        "Fever occurred in 6 with MSCs and 3 with placebo.",  # events, no total before
        "Sixty patients were treated: 30 with placebo and 30 with saline.",  # no MSC arm
        "Patients were followed: 12 with fever recovered.",
    ],
)
def test_no_msc_arm_breakdown(text: str) -> None:
    assert breakdown_arms(text) == []


def n_patients(
    *sections: tuple[str, str], title: str = "MSCs", types: tuple[str, ...] = ()
) -> int | None:
    rec = Record(
        pmid="1",
        title=title,
        abstract=[AbstractSection(label, text, label) for label, text in sections],
        publication_types=list(types),
    )
    return extract_dosing(parse_record(rec)).n_patients.value


def test_the_total_before_a_breakdown_is_not_the_msc_arm() -> None:
    text = "Seventy patients were treated: 48 received cells and 22 the sham procedure."
    assert n_patients(("RESULTS", text)) == 48


def test_arm_named_by_a_defined_short_form() -> None:
    methods = (
        "Placental decidua stromal cells (PDSCs) were expanded from donors. Thirty patients "
        "were allocated to PDSC therapy (n = 12) or standard treatment only (n = 18)."
    )
    assert n_patients(("METHODS", methods)) == 12


def test_case_report_has_one_patient() -> None:
    text = "A 47-year-old man with lupus received one intravenous infusion of UC-MSCs."
    assert n_patients(("", text)) == 1
    assert n_patients(("", "She received UC-MSCs."), types=("Case Reports",)) == 1


def test_no_patient_and_no_case_report_stays_empty() -> None:
    assert n_patients(("", "MSCs were infused and serum markers were measured.")) is None


def test_an_adverse_event_tally_is_not_an_arm() -> None:
    methods = (
        "Forty-five patients were randomized to one of two dose cohorts or placebo. "
        "Cohort A (n = 20) and cohort B (n = 15) received MSCs; 10 patients received placebo."
    )
    results = "Adverse events in cell-treated patients were fever (n = 7) and headache (n = 4)."
    assert n_patients(("METHODS", methods), ("RESULTS", results)) == 35
