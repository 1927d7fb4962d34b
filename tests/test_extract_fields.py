"""Field extractors on sentences written for these tests (in the style of real abstracts)."""

from __future__ import annotations

import pytest

from msc_mine.extract.allo_auto import extract_allo_auto
from msc_mine.extract.conditions import extract_conditions
from msc_mine.extract.cues import extract_cues
from msc_mine.extract.dosing import extract_dosing
from msc_mine.extract.parsed import ParsedRecord, parse_record
from msc_mine.extract.route import extract_route
from msc_mine.extract.source import extract_source
from msc_mine.records import AbstractSection, MeshHeading, Record


def rec(
    *sections: tuple[str, str], title: str = "A study", mesh: tuple[str, ...] = ()
) -> ParsedRecord:
    return parse_record(
        Record(
            pmid="1",
            title=title,
            abstract=[AbstractSection(label, text, label) for label, text in sections],
            mesh=[MeshHeading(m) for m in mesh],
        )
    )


def body(text: str, title: str = "A study") -> ParsedRecord:
    return rec(("", text), title=title)


# --- route -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, want",
    [
        ("Patients received 1 x 10(6) MSCs/kg i.v. over 30 minutes.", ["intravenous"]),
        ("MSCs were infused through a peripheral vein.", ["intravenous"]),
        ("The cells were delivered by lumbar puncture.", ["intrathecal"]),
        (
            "Each knee received one intra-articular injection of 40 million cells.",
            ["intra_articular"],
        ),
        ("BM-MSCs were injected transendocardially under NOGA guidance.", ["intracardiac"]),
        ("Cells were implanted stereotactically into the putamen.", ["intracerebral"]),
        ("ASCs were injected into the fistula tract.", ["local_injection"]),
        (
            "MSCs were given intrathecally and intravenously in one session.",
            ["intrathecal", "intravenous"],
        ),
        (
            "All patients had been treated with intravenous methylprednisolone before MSCs.",
            ["not_stated"],
        ),
        ("Pain improved after the procedure.", ["not_stated"]),
    ],
)
def test_route(text: str, want: list[str]) -> None:
    got = extract_route(body(text))
    assert got.value == want
    assert bool(got.evidence) is (want != ["not_stated"])


def test_route_of_other_drug_without_cells_is_ignored() -> None:
    p = body("Tacrolimus was given intravenously. Umbilical cord MSCs were injected intrathecally.")
    assert extract_route(p).value == ["intrathecal"]


def test_route_from_background_only_when_nothing_else() -> None:
    p = rec(
        ("BACKGROUND", "MSCs are usually infused intravenously."),
        ("METHODS", "MSCs were injected intramuscularly into the ischemic limb."),
    )
    assert extract_route(p).value == ["intramuscular"]


# --- source ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, want",
    [
        ("Autologous BM-MSCs were expanded for 3 weeks.", ["bone_marrow"]),
        ("Wharton's jelly-derived MSCs were thawed before infusion.", ["umbilical_cord"]),
        ("hUC-MSCs were given twice.", ["umbilical_cord"]),
        ("The stromal vascular fraction was injected.", ["adipose"]),
        ("Mesenchymal stem cells derived from adipose tissue were used.", ["adipose"]),
        ("Stem cells from human exfoliated deciduous teeth were given.", ["dental_pulp"]),
        ("Menstrual blood-derived stem cells were infused.", ["menstrual_blood"]),
        ("iPSC-derived MSCs (CYP-001) were infused.", ["ipsc"]),
        ("Patients had undergone bone marrow transplantation for leukemia.", ["not_stated"]),
        ("MSCs from bone marrow and adipose tissue were compared.", ["adipose", "bone_marrow"]),
    ],
)
def test_source(text: str, want: list[str]) -> None:
    assert extract_source(body(text)).value == want


def test_source_from_harvest_sentence() -> None:
    p = body("Bone marrow was aspirated from the iliac crest and MSCs were expanded in serum.")
    assert extract_source(p).value == ["bone_marrow"]


# --- allogeneic / autologous -------------------------------------------------------------


@pytest.mark.parametrize(
    "text, want",
    [
        ("Autologous MSCs were expanded from each patient's marrow.", "autologous"),
        ("Allogeneic umbilical cord MSCs were infused.", "allogeneic"),
        ("MSCs came from healthy donors.", "allogeneic"),
        (
            "Patients with GVHD after allogeneic hematopoietic stem cell transplantation "
            "received MSCs.",
            "not_stated",
        ),
        ("Autologous and allogeneic MSCs were compared in two arms.", "both"),
    ],
)
def test_allo_auto(text: str, want: str) -> None:
    assert extract_allo_auto(body(text)).value == want


# --- conditions --------------------------------------------------------------------------


def test_conditions_mesh_first() -> None:
    p = body("Patients with lupus nephritis and hypertension.", title="MSCs in lupus")
    p2 = rec(("", "Patients with knee osteoarthritis."), mesh=("Osteoarthritis, Knee", "Humans"))
    assert extract_conditions(p2).value == ["osteoarthritis"]
    assert extract_conditions(p2).evidence.startswith("MeSH: Osteoarthritis, Knee")
    assert extract_conditions(p).value == ["systemic lupus erythematosus"]


def test_conditions_title_wins_over_comorbidity() -> None:
    p = body(
        "Many of the patients also had type 2 diabetes.",
        title="Umbilical cord MSCs for knee osteoarthritis",
    )
    assert extract_conditions(p).value == ["osteoarthritis"]


# --- dose and counts (number helpers wired to sections) -------------------------------------


def test_dosing_reads_methods_not_background() -> None:
    p = rec(
        ("BACKGROUND", "Earlier trials used 2 x 10(8) cells."),
        ("METHODS", "Twelve patients received 1 × 10(6) cells/kg intravenously, twice."),
    )
    d = extract_dosing(p)
    assert (d.dose_low.value, d.dose_high.value, d.dose_unit.value) == (1e6, 1e6, "cells/kg")
    assert "Twelve patients" in d.dose_low.evidence
    assert d.n_patients.value == 12


def test_dose_escalation_gives_range() -> None:
    p = body("Cohorts received 1, 3 and 10 million cells/kg by intravenous infusion.")
    d = extract_dosing(p)
    assert (d.dose_low.value, d.dose_high.value) == (1e6, 1e7)


def test_no_dose_is_not_stated_without_evidence() -> None:
    d = extract_dosing(body("MSCs were well tolerated."))
    assert d.dose_unit.value == "not_stated" and d.dose_low.value is None
    assert d.dose_low.evidence == ""


# --- cues ------------------------------------------------------------------------------------


def test_cues() -> None:
    p = body(
        "CD34+ cells and MSC-derived exosomes were compared in rats; lentiviral "
        "transduction marked the cells."
    )
    cues = extract_cues(p)
    assert "cd34+ cells" in cues["hsc"].value
    assert cues["cell_derived_product"].value == ["msc-derived exosomes"]
    assert cues["animal"].value == ["rats"]
    assert "transduction" in cues["genetically_modified"].value
    assert cues["hsc"].evidence


def test_route_named_for_contrast_is_ignored() -> None:
    p = body("Intrathecal MSCs are less invasive than intraparenchymal injection of cells.")
    assert extract_route(p).value == ["intrathecal"]


def test_menstrual_alone_is_not_a_source() -> None:
    p = body("Amniotic MSCs were infused. Menstrual resumption was recorded at 6 months.")
    assert extract_source(p).value == ["amniotic"]
