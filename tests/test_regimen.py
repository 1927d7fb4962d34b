"""Infusions per patient from regimen wording (extract/regimen.py) and dosing's fallbacks.

Sentences written for these tests, in the style of real MSC abstracts.
"""

from __future__ import annotations

import doctest

import pytest

import msc_mine.extract.regimen as regimen_mod
from msc_mine.extract.dosing import extract_dosing
from msc_mine.extract.parsed import parse_record
from msc_mine.extract.regimen import implied_single, parse_regimen
from msc_mine.records import AbstractSection, Record


def test_doctest() -> None:
    assert doctest.testmod(regimen_mod).failed == 0


@pytest.mark.parametrize(
    "text, want",
    [
        ("UC-MSCs were infused at 1 x 10(8) cells on day 1 and again on day 14.", 2),
        ("Cells were given at transplantation and again three weeks later.", 2),
        ("MSCs were injected intrathecally at 2 x 10(6) cells/kg, twice, 30 days apart.", 2),
        ("The cells were injected around the wound at 30 sites, once.", 1),
        ("Cells were administered by lumbar puncture, 3 times, a month apart.", 3),
        ("Patients received a single 20-mL intravenous dose of the product.", 1),
        ("All got, in a single session, cells intravenously and intrathecally.", 1),
        ("Each patient underwent a single procedure with 12 intramyocardial injections.", 1),
    ],
)
def test_regimen_wordings(text: str, want: int) -> None:
    assert max(c.value for c in parse_regimen(text)) == want


@pytest.mark.parametrize(
    "text",
    [
        "We will meet again next year to discuss the findings.",  # no administration
        "Three single dose cohorts were enrolled in sequence.",  # dose-escalation arms
        "A single dose level of 1 x 10(6) cells/kg was studied.",
        "Cells were infused, and the patients were followed for once-yearly scans.",
    ],
)
def test_not_regimen_wordings(text: str) -> None:
    assert parse_regimen(text) == []


def test_one_singular_administration_implies_one() -> None:
    sents = [
        "Forty adults were randomized to an intravenous infusion of BM-MSCs or placebo.",
        "No serious adverse events occurred.",
    ]
    assert implied_single(sents) == 0
    assert implied_single(["Patients received intracoronary injection of the cells."]) == 0


@pytest.mark.parametrize(
    "text",
    [
        "Patients received an intravenous infusion of MSCs, repeated after a month.",
        "An infusion of MSCs was given, and booster infusions followed at 3 months.",
        "Patients received MSC infusions every week.",
        "The first injection of cells went well; a second was given on day 10.",
    ],
)
def test_a_repeat_anywhere_blocks_the_implied_single(text: str) -> None:
    assert implied_single(["Thirty patients were enrolled.", text]) is None


def test_a_follow_up_frequency_does_not_block_the_implied_single() -> None:
    sents = [
        "Rats were randomized to an intrathecal injection of MSCs or medium.",
        "Locomotion was scored weekly for 8 weeks.",
    ]
    assert implied_single(sents) == 0
    assert implied_single([sents[0], "Cells were then given weekly for a month."]) is None


def test_nothing_given_implies_nothing() -> None:
    assert implied_single(["Serum markers were compared between 40 patients."]) is None


def record(
    *sections: tuple[str, str], title: str = "MSCs in a study", types: tuple[str, ...] = ()
) -> Record:
    return Record(
        pmid="1",
        title=title,
        abstract=[AbstractSection(label, text, label) for label, text in sections],
        publication_types=list(types),
    )


def n_infusions(rec: Record) -> int | None:
    return extract_dosing(parse_record(rec)).n_infusions.value


def test_objective_states_the_regimen_when_methods_do_not() -> None:
    rec = record(
        ("OBJECTIVE", "To assess two repeated intrathecal injections of BM-MSCs in ALS."),
        ("METHODS", "Twenty patients were treated and followed for a year."),
    )
    assert n_infusions(rec) == 2


def test_objective_dose_levels_are_not_repeats() -> None:
    rec = record(
        ("OBJECTIVE", "To evaluate the safety of three doses of MPCs."),
        ("METHODS", "Patients were enrolled in three dose cohorts and given cells in the heart."),
    )
    assert n_infusions(rec) is None


def test_follow_up_schedule_is_not_a_dosing_schedule() -> None:
    rec = record(
        ("METHODS", "Rats received a single tail-vein injection of 1 x 10(6) MSCs."),
        ("RESULTS", "Clinical scores were recorded daily for 30 days."),
    )
    assert n_infusions(rec) == 1


def test_implied_single_in_a_trial_but_not_in_a_meta_analysis() -> None:
    methods = ("METHODS", "Fifty patients were randomized to an intravenous infusion of MSCs.")
    assert n_infusions(record(methods)) == 1
    meta = record(methods, title="MSC infusion in heart failure: a meta-analysis")
    assert n_infusions(meta) is None
    assert n_infusions(record(methods, types=("Meta-Analysis",))) is None


@pytest.mark.parametrize(
    "text, want",
    [
        ("AD-MSCs were injected into the joint at baseline and at week 24.", 2),
        ("UC-MSCs were infused at enrolment and six months later.", 2),
        ("Cells were given on day 0 and again after 4 weeks.", 2),
        ("Each patient received an infusion of MSCs followed by a booster at month 3.", 2),
        ("A booster injection of the same cells was given at week 8.", 2),
        ("MSCs were infused every four weeks, four times in total.", 4),
        ("Cells were administered by intravenous infusion on three occasions.", 3),
        ("Patients received two cycles of UC-MSC infusion, 3 months apart.", 2),
        ("Patients were given three rounds of cell therapy.", 3),
        ("Patients received weekly infusions of BM-MSCs for 3 weeks.", 3),
        ("MSCs were infused intravenously for 5 consecutive days.", 5),
    ],
)
def test_real_world_regimen_wordings(text: str, want: int) -> None:
    assert max(c.value for c in parse_regimen(text)) == want


@pytest.mark.parametrize(
    "text",
    [
        "Serum FSH was above 25 IU/L on two occasions.",  # measurements, not administrations
        "Blood counts were checked at baseline and at month 6.",  # no administration verb
        "Weekly visits for 4 weeks followed the infusion.",  # a visit rate, not a dose rate
        "Weekly infusions of MSCs for 2 months were planned.",  # weeks vs months do not convert
        "Six cycles of chemotherapy preceded enrolment.",  # not the cells
        "Scores were recorded for 3 consecutive days.",  # no administration verb
    ],
)
def test_not_real_world_regimen_wordings(text: str) -> None:
    assert parse_regimen(text) == []


def test_infusions_per_patient_from_a_total_over_patients() -> None:
    rec = record(
        ("METHODS", "Twelve children with GVHD were treated with third-party MSCs weekly."),
        ("RESULTS", "Altogether the twelve children received 48 infusions."),
    )
    dosing = extract_dosing(parse_record(rec))
    assert (dosing.n_patients.value, dosing.n_infusions.value) == (12, 4)
    assert "48 infusions" in dosing.n_infusions.evidence


def test_a_total_that_does_not_divide_gives_nothing() -> None:
    rec = record(
        ("METHODS", "Twelve children with GVHD were treated with third-party MSCs weekly."),
        ("RESULTS", "Altogether the twelve children received 50 infusions."),
    )
    assert n_infusions(rec) is None


@pytest.mark.parametrize(
    "text, want",
    [
        ("MSCs were infused intravenously at 2 x 10(6) cells/kg on day 5, for 3 times.", 3),
        ("Patients received transplantation of UC-MSCs 4 times.", 4),
        ("Patients received the cells on two consecutive days.", 2),
    ],
)
def test_bare_times_and_consecutive_days(text: str, want: int) -> None:
    assert max(c.value for c in parse_regimen(text)) == want


@pytest.mark.parametrize(
    "text",
    [
        "IL-6 was 3 times higher after the infusion.",
        "MSCs were given 2 times a week.",  # a rate, read by the schedule rules
        "Patients were seen 4 times during follow-up.",  # no administration word
    ],
)
def test_not_bare_times(text: str) -> None:
    assert [c for c in parse_regimen(text) if "times" in c.text] == []


def test_only_the_verb_of_one_administration_implies_one() -> None:
    sents = ["Twenty patients were enrolled.", "UC-MSCs were infused intravenously at 1 x 10(6)."]
    assert implied_single(sents) == 1
    assert implied_single([*sents, "The infusion was repeated after a month."]) is None
