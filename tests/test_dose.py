"""Cell-dose parsing: every notation of the codebook, the traps, totals, and the summary."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from msc_mine.extract.dose import DoseMention, DoseUnit, parse_doses, summarize

M = 1_000_000.0

# (sentence, expected [(low, high, unit), ...]); sentences are our own, in the style of
# PubMed abstracts (superscripts rendered as parentheses, as PubMed does).
PARSES: list[tuple[str, list[tuple[float, float, str]]]] = [
    # the codebook's notations
    ("Patients received 1 x 10^6 cells/kg intravenously.", [(M, M, "cells/kg")]),
    ("MSCs were infused at 1 × 10(6) cells/kg.", [(M, M, "cells/kg")]),
    ("Each patient was given 1x10e6 cells/kg.", [(M, M, "cells/kg")]),
    ("A dose of 1.0E+06 cells/kg was used.", [(M, M, "cells/kg")]),
    ("We infused 10^6 cells/kg on day 0.", [(M, M, "cells/kg")]),
    ("They received 2 million cells per kg.", [(2 * M, 2 * M, "cells/kg")]),
    ("Participants received 100 million cells.", [(100 * M, 100 * M, "cells")]),
    ("The product contained 1.5 billion MSCs.", [(1.5e9, 1.5e9, "cells")]),
    ("Doses were 2-5 x 10(6)/kg.", [(2 * M, 5 * M, "cells/kg")]),
    ("Cohorts received 1, 3 and 10 million cells/kg.", [(M, 10 * M, "cells/kg")]),
    ("MSCs (2 × 10(6) cells/kg body weight) were infused.", [(2 * M, 2 * M, "cells/kg")]),
    ("The dose was 1.5 × 10(6) cells per kilogram.", [(1.5 * M, 1.5 * M, "cells/kg")]),
    ("Patients got 1 × 106 cells/kg of UC-MSCs.", [(M, M, "cells/kg")]),
    # the brief's further notations
    ("Patients received 1-2 × 10(6) cells/kg.", [(M, 2 * M, "cells/kg")]),
    ("Doses ranged from 1 × 10(6) to 1 × 10(7) cells.", [(M, 10 * M, "cells")]),
    ("Each received (1.0 ± 0.2) × 10(6) MSCs/kg.", [(M, M, "cells/kg")]),
    ("hUC-MSCs were given at 2 ×10⁶ cells/kg.", [(2 * M, 2 * M, "cells/kg")]),
    ("A suspension of 10 millions MSCs was infused.", [(10 * M, 10 * M, "cells")]),
    ("Each patient received 5 × 10(7) MSCs.", [(50 * M, 50 * M, "cells")]),
    ("They received 2.0 × 10^6 hUC-MSCs/kg.", [(2 * M, 2 * M, "cells/kg")]),
    ("Cells were infused at 3 × 10(6)/kg.", [(3 * M, 3 * M, "cells/kg")]),
    ("Cells were infused at 3 × 10(6) per kg.", [(3 * M, 3 * M, "cells/kg")]),
    ("MSCs were dosed at 3 × 10(6)/kg BW.", [(3 * M, 3 * M, "cells/kg")]),
    ("MSCs at 3 × 10(6) cells/kg of body weight.", [(3 * M, 3 * M, "cells/kg")]),
    ("Escalation used 1 to 4 × 10(6) cells/kg.", [(M, 4 * M, "cells/kg")]),
    ("The range was 1 × 10(6)–5 × 10(6) cells/kg.", [(M, 5 * M, "cells/kg")]),
    ("The range was 1 × 10(6) - 5 × 10(6) cells/kg.", [(M, 5 * M, "cells/kg")]),
    ("Three groups got 0.5, 1.0 or 2.0 × 10(6) cells/kg.", [(0.5 * M, 2 * M, "cells/kg")]),
    (
        "A low dose (1 × 10(6)/kg) and a high dose (5 × 10(6)/kg) of MSCs were compared.",
        [(M, M, "cells/kg"), (5 * M, 5 * M, "cells/kg")],
    ),
    # more real-world spellings
    ("MSCs (1.2 ± 0.3 × 10^6 cells/kg) were infused.", [(1.2 * M, 1.2 * M, "cells/kg")]),
    (
        "They received 2 × 10(6) autologous bone marrow-derived MSCs per kg.",
        [(2 * M, 2 * M, "cells/kg")],
    ),
    ("Each infusion was 10(8) cells.", [(100 * M, 100 * M, "cells")]),
    ("Patients received two million cells per kilogram.", [(2 * M, 2 * M, "cells/kg")]),
    ("We gave 5,000,000 cells per kg.", [(5 * M, 5 * M, "cells/kg")]),
    ("A total of 1,000,000,000 cells was infused.", [(1e9, 1e9, "cells")]),
    ("The dose was 1e6 cells/kg.", [(M, M, "cells/kg")]),
    ("The dose was 2.5E+07 cells.", [(25 * M, 25 * M, "cells")]),
    ("The dose was 1 x 10^(6) cells/kg.", [(M, M, "cells/kg")]),
    ("The dose was 1 x 10 ^ 6 cells/kg.", [(M, M, "cells/kg")]),
    ("The dose was 1 × 10(+6) cells/kg.", [(M, M, "cells/kg")]),
    ("The dose was 1 X 10(6) cells/kg.", [(M, M, "cells/kg")]),
    ("The dose was 1*10^6 cells/kg.", [(M, M, "cells/kg")]),
    ("The dose was 4 × 107 cells.", [(40 * M, 40 * M, "cells")]),
    ("The dose was 1 × 1010 cells.", [(1e10, 1e10, "cells")]),
    ("MSCs were infused at 1 × 10(6) cells kg(-1).", [(M, M, "cells/kg")]),
    ("MSCs were infused at 1 × 10(6) cells·kg-1.", [(M, M, "cells/kg")]),
    ("Each patient got 1 × 10(8) cells/patient.", [(100 * M, 100 * M, "cells")]),
    ("Each patient got 3–5 × 10(7)/person.", [(30 * M, 50 * M, "cells")]),
    ("Doses of 2, 5 and 10 × 10(6)/kg were tested.", [(2 * M, 10 * M, "cells/kg")]),
    ("We used 10(6), 10(7) and 10(8) cells.", [(M, 100 * M, "cells")]),
    ("Doses ranged from 100 million to 2 billion cells.", [(100 * M, 2e9, "cells")]),
    ("Most received 1–2 billion cells per treatment.", [(1e9, 2e9, "cells")]),
    ("WJ-MSCs (1 × 10(6)/kg) were given i.v.", [(M, M, "cells/kg")]),
    ("Patients received 1 × 10(6) of cells per kg.", [(M, M, "cells/kg")]),
    ("ADSCs were infused at a dose of 2 × 10(8).", [(200 * M, 200 * M, "cells")]),
    ("The infused dose was 2 million.", [(2 * M, 2 * M, "cells")]),
    ("MSCs, 1 × 10(6) cells/kg, were infused on days 1 and 8.", [(M, M, "cells/kg")]),
    ("hMSCs were given at 1 ×10(6)/kg twice.", [(M, M, "cells/kg")]),
    ("The cell dose was 0.9 × 10(6)/kg.", [(0.9 * M, 0.9 * M, "cells/kg")]),
    ("Up to 1.2 × 10(9) cells were delivered.", [(1.2e9, 1.2e9, "cells")]),
    ("A total of 4 × 10(7) to 1.2 × 10(9) cells was given.", [(40 * M, 1.2e9, "cells")]),
    ("MSCs (8 × 10⁵ cells/kg) were infused.", [(0.8 * M, 0.8 * M, "cells/kg")]),
    (
        "MSCs (2 × 10⁻⁶ of the bag) were irrelevant; they got 2 × 10⁶/kg.",
        [(2 * M, 2 * M, "cells/kg")],
    ),
]

# Numbers that are not cell doses.
NOT_DOSES = [
    "Patients aged 45 years were enrolled.",
    "The difference was significant (p < 0.05).",
    "Genome-wide significance was p = 5 × 10(-8).",
    "Interferon 10(6) IU was given daily before MSCs.",
    "Cyclophosphamide 5 mg/kg was infused with the cells.",
    "CD34+ cells were counted by flow cytometry.",
    "Cells were resuspended in 20 ml of saline.",
    "Between 2015 and 2019, 30 patients were treated.",
    "In 2019 the trial enrolled its first patient.",
    "Fever occurred in 20% of patients.",
    "Twenty patients received MSCs; 20 patients received placebo.",
    "IL-6 and TNF-α levels fell after the infusion of cells.",
    "A 10 × 10 cm wound was covered.",
    "Cells were seeded at 1 × 10(5) cells/mL.",
    "MSCs were plated at 5,000 cells/cm2.",
    "Platelets were 150 × 10(9)/L before the infusion.",
    "Neutrophils rose to 1.5 × 10(9)/L after the cells were given.",
    "An estimated 2 million people live with multiple sclerosis.",
    "The vector dose was 1 × 10(12) vg/kg.",
    "The market reached 2 billion dollars for cell therapy.",
    "The study ran for 12 months with 3 infusions.",
    "Serum creatinine was 1.2 mg/dL after the cells.",
    "Follow-up lasted 24 weeks after the MSC dose.",
    "We counted 500 cells per field.",
    "Each patient received 3 infusions of MSCs.",
    "The cells were passaged 4 times.",
    "HbA1c fell by 1.5% after MSC infusion.",
    "The ratio was 10 × 10 in the grid of cells.",
    "Grade 3 toxicity after infusion of cells was absent.",
    "Viral load fell below 10(3) copies/mL after infusion.",
]

# Doses of other cells: parsed (a study of those cells states its dose so) but flagged.
NON_MSC: list[tuple[str, list[tuple[float, float, str, bool]]]] = [
    ("The graft contained 5 × 10(6) CD34+ cells/kg.", [(5 * M, 5 * M, "cells/kg", True)]),
    ("Bone marrow mononuclear cells (2 × 10(8)) were injected.", [(2e8, 2e8, "cells", True)]),
    ("A mean of 2.4 × 10(8) mononuclear cells was infused.", [(2.4e8, 2.4e8, "cells", True)]),
    ("They got 3.2 × 10(6)/kg CD34+ cells.", [(3.2 * M, 3.2 * M, "cells/kg", True)]),
    ("SVF with 3 × 10(8) nucleated cells was infused.", [(3e8, 3e8, "cells", True)]),
    ("The mean number was 5.1 × 10(6) CD133+ cells.", [(5.1 * M, 5.1 * M, "cells", True)]),
    (
        "Patients got 3.2 × 10(6)/kg CD34+ cells with UC-MSCs at 1 × 10(6) cells/kg.",
        [(3.2 * M, 3.2 * M, "cells/kg", True), (M, M, "cells/kg", False)],
    ),
]

TOTALS = [
    ("A total of 2 × 10(8) cells was given in two infusions.", True, False),
    ("The cumulative dose of 6 × 10(6) cells/kg was well tolerated.", True, False),
    ("Patients received 4 × 10(8) cells in total.", True, False),
    ("MSCs were given at 1 × 10(6) cells/kg per infusion.", False, True),
    ("Each infusion contained 1 × 10(8) MSCs.", False, True),
    ("A single infusion of 2 × 10(6) cells/kg was given.", False, True),
    ("Three doses of 1 × 10(6) cells/kg each were given.", False, None),
    ("MSCs, 2 × 10(6) cells/kg/infusion, were given weekly.", False, True),
    ("A total of 20 patients received 1 × 10(6) cells/kg.", False, None),
]


def _triples(text: str) -> list[tuple[float, float, str]]:
    return [(m.low, m.high, m.unit) for m in parse_doses(text)]


@pytest.mark.parametrize(("text", "expected"), PARSES)
def test_parses(text: str, expected: list[tuple[float, float, str]]) -> None:
    assert _triples(text) == expected


@pytest.mark.parametrize("text", NOT_DOSES)
def test_not_a_dose(text: str) -> None:
    assert parse_doses(text) == []


@pytest.mark.parametrize(("text", "expected"), NON_MSC)
def test_other_cells_are_flagged(text: str, expected: list[tuple[float, float, str, bool]]) -> None:
    assert [(m.low, m.high, m.unit, m.non_msc) for m in parse_doses(text)] == expected


def test_summarize_uses_other_cells_only_alone() -> None:
    mixed = "Patients got 3.2 × 10(6)/kg CD34+ cells with UC-MSCs at 1 × 10(6) cells/kg."
    assert summarize(parse_doses(mixed)) == (M, M, "cells/kg")
    alone = "A mean of 2.4 × 10(8) mononuclear cells was infused."
    assert summarize(parse_doses(alone)) == (2.4e8, 2.4e8, "cells")


@pytest.mark.parametrize(("text", "total", "per_infusion"), TOTALS)
def test_total_and_per_infusion(text: str, total: bool, per_infusion: bool | None) -> None:
    (m,) = parse_doses(text)
    assert (m.total, m.per_infusion) == (total, per_infusion)


@pytest.mark.parametrize(
    ("text", "span"),
    [
        ("MSCs were infused at 1 × 10(6) cells/kg on day 0.", "1 × 10(6) cells/kg"),
        ("Doses were 2-5 x 10(6)/kg BW in all.", "2-5 x 10(6)/kg BW"),
        ("They got 100 million cells.", "100 million cells"),
        (
            "Dose: 2 × 10(6) cells per kilogram of body weight.",
            "2 × 10(6) cells per kilogram of body weight",
        ),
    ],
)
def test_span_is_the_evidence(text: str, span: str) -> None:
    (m,) = parse_doses(text)
    assert m.text == span
    assert text[m.start : m.end] == span


def test_two_levels_in_one_abstract_keep_their_order() -> None:
    text = (
        "METHODS: Ten patients received 1 × 10(6) cells/kg and ten received 2 × 10(6) cells/kg. "
        "RESULTS: Interferon 10(6) IU was not used; no patient aged over 65 years was included."
    )
    assert _triples(text) == [(M, M, "cells/kg"), (2 * M, 2 * M, "cells/kg")]
    starts = [m.start for m in parse_doses(text)]
    assert starts == sorted(starts)


def test_lost_superscript_needs_a_plausible_magnitude() -> None:
    # 10^6 per kg is plausible; 10^16 per kg is not, so "1016" is not a lost superscript.
    assert _triples("The dose was 1 × 106 cells/kg.") == [(M, M, "cells/kg")]
    assert parse_doses("The dose was 1 × 1016 cells/kg.") == []
    # Without a cell unit the "106" reading is too weak to make.
    assert parse_doses("The cells were given; the index was 1 × 106.") == []


def _mention(low: float, high: float, unit: DoseUnit, total: bool = False) -> DoseMention:
    return DoseMention(low, high, unit, 0, 1, "x", False if total else None, total)


def test_summarize_prefers_per_kg_and_spans_levels() -> None:
    mentions = [
        _mention(M, M, "cells/kg"),
        _mention(7e7, 7e7, "cells"),
        _mention(5 * M, 5 * M, "cells/kg"),
    ]
    assert summarize(mentions) == (M, 5 * M, "cells/kg")


def test_summarize_sets_totals_aside() -> None:
    mentions = [_mention(1e8, 1e8, "cells"), _mention(4e8, 4e8, "cells", total=True)]
    assert summarize(mentions) == (1e8, 1e8, "cells")


def test_summarize_total_alone_only_for_one_administration() -> None:
    only_total = [_mention(4e8, 4e8, "cells", total=True)]
    assert summarize(only_total) == (4e8, 4e8, "cells")
    assert summarize(only_total, n_infusions=1) == (4e8, 4e8, "cells")
    assert summarize(only_total, n_infusions=4) == (None, None, "not_stated")


def test_summarize_nothing() -> None:
    assert summarize([]) == (None, None, "not_stated")


def test_summarize_on_parsed_text() -> None:
    text = (
        "Patients were randomized to 1 × 10(6) or 2 × 10(6) hUC-MSCs/kg (about 7 × 10(7) "
        "to 1.4 × 10(8) cells) by intravenous infusion."
    )
    assert summarize(parse_doses(text)) == (M, 2 * M, "cells/kg")


# --- generated notations ------------------------------------------------------------------

_TEMPLATES = [
    "{m} x 10^{e}",
    "{m} × 10({e})",
    "{m}x10e{e}",
    "{m} × 10⁽{e}⁾",  # replaced below by real superscripts
    "{m}E+0{e}",
    "{m} × 10 ^ {e}",
    "{m} X 10({e})",
]
_SUP = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def _render(template: str, mantissa: str, exponent: int) -> str:
    if "⁽" in template:
        return f"{mantissa} × 10{str(exponent).translate(_SUP)}"
    return template.format(m=mantissa, e=exponent)


@given(
    whole=st.integers(min_value=1, max_value=99),
    frac=st.one_of(st.none(), st.integers(min_value=0, max_value=9)),
    exponent=st.integers(min_value=4, max_value=9),
    template=st.sampled_from(_TEMPLATES),
    unit=st.sampled_from(["cells/kg", "cells", "MSCs/kg", "MSCs per kg", "cells/kg BW", "/kg"]),
)
def test_generated_notations(
    whole: int, frac: int | None, exponent: int, template: str, unit: str
) -> None:
    mantissa = str(whole) if frac is None else f"{whole}.{frac}"
    value = Decimal(mantissa) * Decimal(10) ** exponent
    per_kg = "kg" in unit
    lo, hi = (10**3, 10**9) if per_kg else (10**4, 10**11)
    assume(lo <= value <= hi)
    quantity = _render(template, mantissa, exponent)
    sep = "" if unit.startswith("/") else " "
    text = f"Patients received {quantity}{sep}{unit} by intravenous infusion."
    mentions = parse_doses(text)
    assert len(mentions) == 1, text
    (m,) = mentions
    assert m.low == m.high == float(value), text
    assert m.unit == ("cells/kg" if per_kg else "cells")
    assert text[m.start : m.end].startswith(mantissa)


@given(
    low=st.integers(min_value=1, max_value=9),
    width=st.integers(min_value=1, max_value=9),
    exponent=st.integers(min_value=5, max_value=7),
    sep=st.sampled_from(["-", "–", " to ", " - "]),
)
def test_generated_ranges(low: int, width: int, exponent: int, sep: str) -> None:
    high = low + width
    text = f"Doses of {low}{sep}{high} × 10({exponent}) cells/kg were tested."
    (m,) = parse_doses(text)
    assert (m.low, m.high) == (low * 10.0**exponent, high * 10.0**exponent)


@given(
    count=st.integers(min_value=2, max_value=4),
    words=st.sampled_from(["million", "millions", "billion"]),
    data=st.data(),
)
def test_generated_word_lists(count: int, words: str, data: st.DataObject) -> None:
    numbers = data.draw(
        st.lists(st.integers(min_value=1, max_value=50), min_size=count, max_size=count)
    )
    listed = ", ".join(str(n) for n in numbers[:-1]) + f" and {numbers[-1]}"
    text = f"Cohorts received {listed} {words} cells."
    mult = 1e9 if words == "billion" else 1e6
    assume(max(numbers) * mult <= 1e11)
    (m,) = parse_doses(text)
    assert (m.low, m.high) == (min(numbers) * mult, max(numbers) * mult)


def test_module_examples_run() -> None:
    # The module docstring's session is documentation users copy: keep it true.
    import doctest

    import msc_mine.extract.dose as module

    result = doctest.testmod(module)
    assert result.attempted > 0
    assert result.failed == 0
