"""Counts: patients treated (with roles), infusions per patient, patients with an event."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from msc_mine.extract.counts import (
    CountMention,
    choose_n_infusions,
    choose_n_patients,
    parse_event_count,
    parse_event_counts,
    parse_n_infusions,
    parse_n_patients,
    word_to_int,
)

# (sentence, [(value, role), ...]); our own sentences in the style of trial abstracts.
PATIENTS: list[tuple[str, list[tuple[int, str]]]] = [
    ("Twenty patients received MSCs intravenously.", [(20, "msc_arm")]),
    ("Patients (n = 12) received MSCs.", [(12, "group")]),
    (
        "12 patients were enrolled; 8 received MSCs and 4 placebo.",
        [(12, "enrolled_controlled"), (8, "msc_arm"), (4, "control_arm")],
    ),
    ("MSCs were infused in 15 children with cerebral palsy.", [(15, "msc_arm")]),
    ("A total of 36 participants were randomized.", [(36, "total")]),
    ("One hundred and twelve patients were screened.", [(112, "enrolled")]),
    ("Twenty-four adults with ARDS were enrolled.", [(24, "enrolled")]),
    ("Thirty consecutive patients with knee osteoarthritis were included.", [(30, "enrolled")]),
    (
        "The MSC group (n = 10) and the placebo group (n = 5) were compared.",
        [(10, "msc_arm"), (5, "control_arm")],
    ),
    (
        "They were randomized to MSCs (n = 20) or placebo (n = 10).",
        [(20, "msc_arm"), (10, "control_arm")],
    ),
    (
        "Ten MSC-treated patients and ten placebo-treated patients were compared.",
        [(10, "msc_arm"), (10, "control_arm")],
    ),
    ("Two patients died of sepsis.", [(2, "event")]),
    ("Nine patients completed the 12-month follow-up.", [(9, "completed")]),
    ("At 6 months, 10 patients improved.", [(10, "unspecified")]),
    (
        "Forty patients were randomized 1:1 to MSCs or placebo.",
        [(40, "enrolled_controlled"), (20, "msc_arm_derived")],
    ),
    (
        "Thirty patients were randomized 2:1 to placebo or MSCs.",
        [(30, "enrolled_controlled"), (10, "msc_arm_derived")],
    ),
    ("All 10 patients received both the cell infusion and placebo.", [(10, "msc_arm")]),
    (
        "Sixty were randomized to MSCs (10(8) cells per infusion, n = 30) or placebo (n = 30).",
        [(30, "msc_arm"), (30, "control_arm")],
    ),
    ("Severe BPD developed in 3 of 9 infants.", [(9, "denominator")]),
    ("Fever occurred in three cell-treated patients.", [(3, "event")]),
    ("We treated 11 patients with MSA using autologous MSCs.", [(11, "msc_arm")]),
    ("Menstruation resumed in 9 of 23 treated women.", [(23, "msc_arm")]),
    (
        "Twenty-three patients with relapsing MS and a poor response to first-line therapy "
        "were enrolled.",
        [(23, "enrolled")],
    ),
    (
        "Of the 30 patients, 20 received hUC-MSCs and 10 received standard care.",
        [(30, "total_controlled"), (20, "msc_arm"), (10, "control_arm")],
    ),
    ("Eight healthy volunteers were recruited.", [(8, "enrolled")]),
    ("We treated 6 women with premature ovarian failure.", [(6, "unspecified")]),
    ("UC-MSCs were administered to 18 patients with lupus.", [(18, "msc_arm")]),
    ("In all, 1,200 patients were screened.", [(1200, "enrolled")]),
    ("Fifty-five subjects were allocated to two arms.", [(55, "enrolled")]),
    ("Seven patients (4 men, 3 women) received BM-MSCs.", [(7, "msc_arm")]),
    ("Five patients in the placebo group had fever.", [(5, "event")]),
    ("Eleven patients in the MSC group improved.", [(11, "msc_arm")]),
    ("The cohort comprised 210 participants.", [(210, "unspecified")]),
]

# Numbers that are not patient counts.
NOT_PATIENTS = [
    "Patients aged 45 years received MSCs.",
    "A 45-year-old patient received MSCs.",
    "In 2019, patients were enrolled.",
    "Fever occurred in 20% of patients.",
    "Phase 2 patients were excluded.",
    "Type 2 diabetic patients received MSCs.",
    "MSCs (1 × 10(6) cells/kg) were infused on day 0.",
    "The p value was 0.03 for patients on MSCs.",
    "Patients were followed for 12 months.",
    "Grade 3 patients were not included.",
    "IL-6 fell in treated patients.",
    "The mean age was 54.2 years in patients.",
    "Cohort 2 patients received the higher dose.",
    "CD34 patients were none.",
]

INFUSIONS: list[tuple[str, list[tuple[int, str]]]] = [
    ("Patients received two infusions of MSCs.", [(2, "count")]),
    ("A second infusion was given at week 4.", [(2, "ordinal")]),
    ("Three doses at 4-week intervals were given.", [(3, "count")]),
    ("A single infusion of 1 × 10(6) cells/kg was given.", [(1, "single")]),
    ("MSCs were infused once weekly for 4 weeks.", [(4, "schedule")]),
    ("The infusion was repeated at day 7.", [(2, "repeat")]),
    ("MSCs were given monthly for 6 months.", [(6, "schedule")]),
    ("Cells were infused on days 0, 7 and 14.", [(3, "schedule")]),
    ("The infusion was repeated at weeks 4 and 8.", [(3, "repeat")]),
    ("MSCs were administered three times at 4-week intervals.", [(3, "count")]),
    ("MSCs were infused twice, one week apart.", [(2, "count")]),
    ("MSCs were given twice weekly for 2 weeks.", [(4, "schedule")]),
    ("MSCs were given every 2 weeks for 8 weeks.", [(4, "schedule")]),
    ("Patients received a single-dose of MSCs.", [(1, "single")]),
    ("Each patient received 4 intravenous infusions.", [(4, "count")]),
    ("Cells were given daily for 5 days.", [(5, "schedule")]),
    ("MSCs were given once a week for 3 weeks.", [(3, "schedule")]),
    ("A third injection followed at month 6.", [(3, "ordinal")]),
    ("The treatment was repeated once after 3 months.", [(2, "repeat")]),
    ("Patients had 2 transplantations of UC-MSCs.", [(2, "count")]),
    ("MSCs were given weekly for 2 months.", []),  # weeks vs months do not convert exactly
    ("MSCs were infused at 1 × 10(6) cells/kg seven times, at 3-month intervals.", [(7, "count")]),
    ("In total, 3,104 infusions were given to 1,317 patients.", [(3104, "total")]),
    (
        "Each patient first received cells intra-arterially, followed by three infusions.",
        [(4, "count")],
    ),
]

NOT_INFUSIONS = [
    "Three dose levels were tested.",
    "Patients received two different doses.",
    "Follow-up lasted 12 months.",
    "Infusion-related reactions occurred in 3 patients.",
    "Two dose cohorts of three patients each were enrolled.",
    "The study tested three escalating doses.",
    "The 2 infusion centres recruited patients.",
    "Blood was drawn 3 times a day.",
]

EVENTS: list[tuple[str, int | None]] = [
    ("Three patients (15%) developed fever.", 3),
    ("2 SAEs were reported.", 2),
    ("One death occurred.", 1),
    ("No deaths occurred.", 0),
    ("None of the patients developed infection.", 0),
    ("Fever occurred in 3 of 20 patients.", 3),
    ("There were no serious adverse events.", 0),
    ("Two patients died.", 2),
    ("One patient had a pulmonary embolism.", 1),
    ("Headache was reported in two patients.", 2),
    ("Four SAEs occurred during follow-up.", 4),
    ("Eleven adverse events were recorded.", 11),
    ("Transient fever was observed in 5 (25%) patients.", 5),
    ("Five of the 20 patients experienced headache.", 5),
    ("Two cases of pneumonia were seen.", 2),
    ("Grade 3 adverse events were absent.", None),
    ("P < 0.05 for 12 months.", None),
    ("The infusion was well tolerated by 20 patients aged 40 years.", None),
    ("Fever occurred in 20% of patients.", None),
]


@pytest.mark.parametrize(("text", "expected"), PATIENTS)
def test_patients(text: str, expected: list[tuple[int, str]]) -> None:
    assert [(c.value, c.role) for c in parse_n_patients(text)] == expected


@pytest.mark.parametrize("text", NOT_PATIENTS)
def test_not_patients(text: str) -> None:
    assert parse_n_patients(text) == []


@pytest.mark.parametrize(("text", "expected"), INFUSIONS)
def test_infusions(text: str, expected: list[tuple[int, str]]) -> None:
    assert [(c.value, c.role) for c in parse_n_infusions(text)] == expected


@pytest.mark.parametrize("text", NOT_INFUSIONS)
def test_not_infusions(text: str) -> None:
    assert parse_n_infusions(text) == []


@pytest.mark.parametrize(("text", "expected"), EVENTS)
def test_event_count(text: str, expected: int | None) -> None:
    assert parse_event_count(text) == expected


def test_event_counts_keep_patients_and_events_apart() -> None:
    text = "Four SAEs occurred in 3 patients."
    assert [(c.value, c.role) for c in parse_event_counts(text)] == [
        (4, "events"),
        (3, "patients"),
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12 patients were enrolled; 8 received MSCs and 4 placebo.", 8),
        ("A total of 36 participants were enrolled and 12 received placebo.", 24),
        ("Forty patients were randomized 1:1 to MSCs or placebo.", 20),
        ("Forty patients were randomized to MSCs or placebo.", None),
        (
            "Thirty participants were randomized 1:1:1 to 100 million MSCs (n = 10), 200 "
            "million MSCs "
            "(n = 10) or placebo (n = 10).",
            20,
        ),
        ("Severe BPD developed in 3 of 9 infants.", None),
        ("Nine patients were enrolled. Two patients died. Seven patients completed.", 9),
        ("The MSC group (n = 10) and the placebo group (n = 5) were compared.", 10),
        ("Two patients died of sepsis.", None),
        ("", None),
    ],
)
def test_choose_n_patients(text: str, expected: int | None) -> None:
    chosen = choose_n_patients(parse_n_patients(text))
    assert (chosen.value if chosen else None) == expected


def test_derived_msc_arm_points_at_the_total() -> None:
    text = "A total of 36 participants were enrolled and 12 received placebo."
    chosen = choose_n_patients(parse_n_patients(text))
    assert chosen is not None
    assert chosen.role == "msc_arm_derived"
    assert text[chosen.start : chosen.end] == "36 participants"


def test_choose_n_infusions_takes_the_largest() -> None:
    text = "Group A received a single infusion; group B received three infusions."
    chosen = choose_n_infusions(parse_n_infusions(text))
    assert chosen is not None
    assert chosen.value == 3
    assert choose_n_infusions([]) is None


def test_totals_never_give_n_infusions() -> None:
    text = (
        "Each patient received between one and four infusions. "
        "In total, 3,104 infusions were given."
    )
    chosen = choose_n_infusions(parse_n_infusions(text))
    assert chosen is not None
    assert chosen.value == 4


def test_spans_are_evidence() -> None:
    text = "Overall, MSCs were infused in 15 children; 3 of them received a second infusion."
    for c in parse_n_patients(text) + parse_n_infusions(text):
        assert text[c.start : c.end] == c.text
    assert [c.text for c in parse_n_infusions(text)] == ["a second infusion"]


def test_count_mention_default_role() -> None:
    # The architecture's four-field form still builds a mention.
    assert CountMention(3, 0, 1, "3").role == "unspecified"


_ONES = ["", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
_TEENS = ["ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen",
          "seventeen", "eighteen", "nineteen"]  # fmt: skip
_TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


def _spell(n: int) -> str:
    """Our own reference speller, to check the parser against."""
    parts = []
    if n >= 100:
        parts.append(_ONES[n // 100] + " hundred")
        n %= 100
        if n:
            parts.append("and")
    if 10 <= n < 20:
        parts.append(_TEENS[n - 10])
    elif n >= 20:
        parts.append(_TENS[n // 10] + ("-" + _ONES[n % 10] if n % 10 else ""))
    elif n:
        parts.append(_ONES[n])
    return " ".join(parts)


@given(st.integers(min_value=1, max_value=999))
def test_word_numbers_round_trip(n: int) -> None:
    words = _spell(n)
    assert word_to_int(words) == n
    text = f"{words.capitalize()} patients were enrolled."
    assert [(c.value, c.role) for c in parse_n_patients(text)] == [(n, "enrolled")]


@given(
    n=st.integers(min_value=2, max_value=12),
    unit=st.sampled_from(["day", "week", "month"]),
)
def test_generated_schedules(n: int, unit: str) -> None:
    rate = {"day": "daily", "week": "weekly", "month": "monthly"}[unit]
    text = f"MSCs were infused {rate} for {n} {unit}s."
    assert [c.value for c in parse_n_infusions(text)] == [n]


@given(age=st.integers(min_value=18, max_value=90), n=st.integers(min_value=2, max_value=300))
def test_ages_are_not_counts(age: int, n: int) -> None:
    text = f"{n} patients aged {age} years or a {age}-year-old man received MSCs."
    assert [c.value for c in parse_n_patients(text)] == [n]


def test_module_examples_run() -> None:
    # The module docstring's session is documentation users copy: keep it true.
    import doctest

    import msc_mine.extract.counts as module

    result = doctest.testmod(module)
    assert result.attempted > 0
    assert result.failed == 0


# Count wordings seen in real MSC trial abstracts (sentences written for these tests):
# arm sizes named in brackets or "each", cohorts of a dose escalation, lead-ins like "Of 40
# patients screened, ...", crossover trials and historical controls.
CHOSEN_PATIENTS: list[tuple[str, int | None]] = [
    ("Four dose cohorts of three patients each received one infusion of MSCs.", 12),
    ("Two sequential cohorts of 6 participants were given cells.", 12),
    ("Of 40 patients screened, 30 were enrolled and randomized 2:1 to MSCs or placebo.", 20),
    ("Of 20 enrolled patients, 17 received the infusion; the cells of 3 failed release.", 17),
    ("Of 9 children assessed, 8 were enrolled and treated with MSCs.", 8),
    (
        "Thirty patients with lupus treated with umbilical cord MSCs were compared with 60 "
        "matched controls.",
        30,
    ),
    (
        "Twenty patients were randomized to a one-infusion group (n = 8), a three-infusion "
        "group (n = 8) or a control group (n = 4).",
        16,
    ),
    (
        "Twelve patients were randomized to MSCs or placebo in a crossover design; after 6 "
        "months each crossed over to the other arm.",
        12,
    ),
    (
        "Eleven patients with Crohn's disease who had failed biologics were randomized to "
        "MSCs or placebo.",
        None,  # controlled, control arm not sized: the MSC count is not stated
    ),
    (
        "Thirty-six patients were divided into the MSC group (18 patients) and the control "
        "group (18 patients).",
        18,
    ),
    ("Forty adults were randomized into an MSC arm and a placebo arm (20 each).", 20),
    ("The study enrolled 50 patients, 25 in each arm, randomized to MSCs or saline.", 25),
    ("Twenty-two patients were randomly allocated to the MSC group and 11 to standard care.", 22),
    ("Patients received Two WJ-MSC infusions; 14 patients were enrolled.", 14),
    ("Fourteen patients (6 men, 8 women) received MSCs intravenously.", 14),
]


@pytest.mark.parametrize(("text", "expected"), CHOSEN_PATIENTS)
def test_chosen_patients_in_real_world_wordings(text: str, expected: int | None) -> None:
    chosen = choose_n_patients(parse_n_patients(text))
    assert (chosen.value if chosen else None) == expected


def test_a_relative_clause_with_had_is_not_an_event() -> None:
    found = parse_n_patients("Ten patients with MS who had relapses were enrolled.")
    assert [(c.value, c.role) for c in found] == [(10, "enrolled")]
    assert [(c.value, c.role) for c in parse_n_patients("Two patients had headache.")] == [
        (2, "event")
    ]


def test_screened_is_not_the_treated_count() -> None:
    found = parse_n_patients("Of 30 patients screened, 24 were enrolled.")
    assert [(c.value, c.role) for c in found] == [(30, "screened"), (24, "enrolled")]


CHOSEN_INFUSIONS: list[tuple[str, int | None]] = [
    ("MSCs were infused weekly for three consecutive weeks.", 3),
    ("Cells were given once a month for six successive months.", 6),
    ("The infusion was repeated 8 weeks later.", 2),
    ("MSCs were infused on day 1 and day 15.", 2),
    ("UC-MSCs were transfused on days 0 and 7.", 2),
    ("Cells were given at 0, 2 and 6 weeks.", 3),
    ("Patients received MSC infusions at baseline, month 3 and month 6.", 3),
    ("Each patient received a total of five infusions.", 5),
    ("Cells were infused every 2 weeks for a total of four infusions.", 4),
    ("Altogether the 10 patients received 30 infusions.", None),  # a total over patients
    ("Fever followed 7 infusions (4.2%).", None),  # a share of all infusions
    ("The cells were given as 20 intramuscular injections in a single session.", 1),
    ("MSCs were given once, on day 3.", 1),
]


@pytest.mark.parametrize(("text", "expected"), CHOSEN_INFUSIONS)
def test_chosen_infusions_in_real_world_wordings(text: str, expected: int | None) -> None:
    chosen = choose_n_infusions(parse_n_infusions(text))
    assert (chosen.value if chosen else None) == expected


MORE_CHOSEN_PATIENTS: list[tuple[str, int | None]] = [
    ("Patients were randomized to MSCs or placebo (n = 12/group).", 12),
    ("A total of 24 adults took part: MSC group, n = 12; placebo group, n = 12.", 12),
    ("Sixty patients formed a study group (n = 30) receiving UC-MSCs and a control group.", 30),
    ("Thirty patients were assigned to receive BM-MSC infusion and 30 to the control group.", 30),
    ("Eighty patients were enrolled; 40 patients received MSCs and 40 received placebo.", 40),
    ("Twenty patients were randomized, 10 to each arm, in this placebo-controlled trial.", 10),
    ("From 30 screened patients, 20 were randomized to MSCs or placebo (1:1).", 10),
    ("Among 25 enrolled adults, 21 received the cells.", 21),
    ("Eighteen patients were enrolled, and 16 received at least one infusion.", 16),
    ("Twelve patients were randomized to low-dose (n = 6) or high-dose (n = 6) MSCs.", 12),
    ("Sixteen patients were included in the MSC arm and 8 in the placebo arm.", 16),
]


@pytest.mark.parametrize(("text", "expected"), MORE_CHOSEN_PATIENTS)
def test_more_chosen_patients(text: str, expected: int | None) -> None:
    from msc_mine.extract.arms import refine_patient_mentions

    found = refine_patient_mentions(text, parse_n_patients(text), set())
    chosen = choose_n_patients(found)
    assert (chosen.value if chosen else None) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Patients received two MSC infusions one month apart.", 2),
        ("Each patient received three intravenous cell injections.", 3),
        ("Two cell infusions were given, four weeks apart.", 2),
    ],
)
def test_cells_may_name_the_administration(text: str, expected: int) -> None:
    chosen = choose_n_infusions(parse_n_infusions(text))
    assert chosen is not None and chosen.value == expected
