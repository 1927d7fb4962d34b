"""A second review written as data only: intra-articular MSCs for knee osteoarthritis."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from msc_mine.codebook import Extraction, Value
from msc_mine.pipeline import load_pipeline
from msc_mine.records import AbstractSection, MeshHeading, Record
from msc_mine.screen import screen

REPO = Path(__file__).resolve().parent.parent
OA = load_pipeline(REPO / "pipelines" / "msc_oa_intraarticular.toml")
IV = load_pipeline(REPO / "pipelines" / "msc_iv_safety.toml")

METHOD = "Twenty patients with knee osteoarthritis received an intra-articular injection of MSCs."
SAFETY = "No serious adverse events occurred; four patients had transient knee pain."


def record(
    text: str = METHOD + " " + SAFETY, title: str = "Intra-articular MSCs for knee osteoarthritis"
) -> Record:
    return Record(
        pmid="7",
        title=title,
        abstract=[AbstractSection("", text)],
        publication_types=["Clinical Trial"],
        mesh=[MeshHeading("Humans")],
    )


def extraction(**kw: Any) -> Extraction:
    base: dict[str, Any] = {
        "pmid": "7",
        "conditions": Value(["osteoarthritis"], METHOD),
        "study_design": Value("case_series", METHOD),
        "route": Value(["intra_articular"], METHOD),
        "sae_status": Value("none_reported", SAFETY),
        "nonserious_aes": Value(["pain"], SAFETY),
        "cues": {"msc": Value(["MSCs"], METHOD), "human_clinical": Value(["patients"], METHOD)},
    }
    base.update(kw)
    return Extraction(**base)


def test_the_file_loads_with_its_own_searches() -> None:
    assert OA.id == "msc_oa_intraarticular"
    assert [q.id for q in OA.search.queries] == ["osteoarthritis", "intra_articular_knee"]
    assert OA.search.mindate == "2005/01/01" and OA.search.maxdate == ""


def test_knee_oa_intra_articular_study_is_included_here_and_excluded_by_the_iv_review() -> None:
    assert screen(record(), extraction(), OA).include == "yes"
    iv = screen(record(), extraction(), IV)
    assert (iv.include, iv.exclude_reason) == ("no", "non_iv_route")


@pytest.mark.parametrize(
    ("rule_id", "rec", "ex_kw"),
    [
        ("not_intra_articular", record(), {"route": Value(["intravenous"], "IV MSCs")}),
        (
            "not_osteoarthritis",
            record(),
            {"conditions": Value(["rheumatoid arthritis"], "patients with RA")},
        ),
        (
            "not_the_knee",
            record("Hip osteoarthritis patients got MSCs. " + SAFETY[:35], "MSCs for hip OA"),
            {},
        ),
        (
            "with_surgery_or_drug",
            record(),
            {
                "cues": {
                    "msc": Value(["MSCs"], METHOD),
                    "combined_intervention": Value(["osteotomy"], "with high tibial osteotomy"),
                }
            },
        ),
        ("no_msc", record(), {"cues": {}}),
        ("review_article", record(), {"study_design": Value("review", "A systematic review.")}),
    ],
)
def test_exclusions(rule_id: str, rec: Record, ex_kw: dict[str, Any]) -> None:
    d = screen(rec, extraction(**ex_kw), OA)
    assert (d.include, d.rule_id) == ("no", rule_id)


@pytest.mark.parametrize(
    ("rule_id", "ex_kw"),
    [
        ("route_not_stated", {"route": Value(["not_stated"])}),
        ("safety_not_reported", {"sae_status": Value("not_stated"), "nonserious_aes": Value([])}),
    ],
)
def test_maybes(rule_id: str, ex_kw: dict[str, Any]) -> None:
    d = screen(record(), extraction(**ex_kw), OA)
    assert (d.include, d.rule_id) == ("maybe", rule_id)


def test_every_rule_of_the_second_review_is_exercised() -> None:
    tested = {
        "not_intra_articular",
        "not_osteoarthritis",
        "not_the_knee",
        "with_surgery_or_drug",
        "no_msc",
        "review_article",
        "route_not_stated",
        "safety_not_reported",
    }
    shared = {
        "retracted",
        "animal_study",
        "in_vitro_study",
        "trial_protocol",
        "cell_free_product",
        "genetically_modified",
    }  # same rules as the IV review
    assert {r.id for r in OA.rules} == tested | shared
    assert shared <= {r.id for r in IV.rules}
