"""The funnel adds up, or the run stops."""

from __future__ import annotations

import doctest
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import msc_mine.funnel as funnel_mod
from msc_mine.codebook import Decision
from msc_mine.funnel import FunnelError, StageCounts, build_funnel, load_funnel
from msc_mine.pipeline import load_pipeline

REPO = Path(__file__).resolve().parent.parent
IV = load_pipeline(REPO / "pipelines" / "msc_iv_safety.toml")


def decisions() -> list[Decision]:
    return [
        Decision("1", "yes", stage="eligibility"),
        Decision("2", "yes", stage="eligibility"),
        Decision("3", "no", "review", "preliminary", "review_article"),
        Decision("4", "no", "animal", "preliminary", "animal_study"),
        Decision("5", "no", "review", "preliminary", "review_article"),
        Decision("6", "no", "non_iv_route", "eligibility", "non_iv_route"),
        Decision("7", "maybe", "", "eligibility", "route_not_stated"),
        Decision("8", "maybe", "", "eligibility", "msc_and_hsc"),
    ]


def test_counts_per_stage_and_reason() -> None:
    f = build_funnel(IV, {"multiple_sclerosis": 6, "lupus": 4}, decisions())
    assert (f.identified_total, f.duplicates, f.screened) == (10, 2, 8)
    pre, elig = f.excluded["preliminary"], f.excluded["eligibility"]
    assert (pre.assessed, pre.excluded) == (8, 3)
    assert pre.reasons["review"] == 2 and pre.reasons["animal"] == 1
    assert pre.reasons["retracted"] == 0  # criteria that excluded nothing still show
    assert (elig.assessed, elig.excluded, elig.reasons["non_iv_route"]) == (5, 1, 1)
    # Maybe rules are listed in the pipeline's rule order, not by count or name.
    assert list(f.maybe) == ["msc_and_hsc", "route_not_stated"]
    assert (f.maybe_total, f.included) == (2, 2)


def test_reasons_follow_the_codebook_order() -> None:
    f = build_funnel(IV, {"s": 8}, decisions())
    assert list(f.excluded["preliminary"].reasons) == [
        "retracted",
        "review",
        "animal",
        "in_vitro",
        "protocol",
        "cell_derived_product",
        "other",
    ]


def test_json_round_trip(tmp_path: Path) -> None:
    f = build_funnel(IV, {"multiple_sclerosis": 6, "lupus": 4}, decisions())
    f.write_json(tmp_path / "funnel.json")
    data = json.loads((tmp_path / "funnel.json").read_text())
    assert data["identified"] == {
        "from": "PubMed",
        "per_source": {"multiple_sclerosis": 6, "lupus": 4},
        "total": 10,
    }
    assert data["excluded"]["eligibility"]["total"] == 1
    assert data["maybe"]["total"] == 2 and data["included"] == 2
    assert load_funnel(tmp_path / "funnel.json") == f


@pytest.mark.parametrize(
    ("breakage", "message"),
    [
        ("duplicates", "identified 10 - duplicates 3 != screened 8"),
        ("included", "left after exclusions 4 != maybe 2 \\+ included 3"),
        ("assessed", "eligibility: assessed 6 != 5"),
        ("negative", "a count is negative"),
    ],
)
def test_check_raises_when_counts_do_not_add_up(breakage: str, message: str) -> None:
    f = build_funnel(IV, {"multiple_sclerosis": 6, "lupus": 4}, decisions())
    if breakage == "duplicates":
        f.duplicates = 3
    elif breakage == "included":
        f.included = 3
    elif breakage == "assessed":
        f.excluded["eligibility"] = StageCounts(6, f.excluded["eligibility"].reasons)
    else:
        f.maybe["route_not_stated"] = -1
        f.included = 4
    with pytest.raises(FunnelError, match=message):
        f.check()


def test_build_refuses_inconsistent_duplicates_and_unknown_stages() -> None:
    with pytest.raises(FunnelError, match="does not add up"):
        build_funnel(IV, {"s": 10}, decisions(), duplicates=0)
    with pytest.raises(FunnelError, match="unknown stage 'final'"):
        build_funnel(IV, {"s": 1}, [Decision("1", "no", "other", "final", "x")])


def test_write_json_refuses_a_broken_funnel(tmp_path: Path) -> None:
    f = build_funnel(IV, {"s": 8}, decisions())
    f.included += 1
    with pytest.raises(FunnelError):
        f.write_json(tmp_path / "funnel.json")
    assert not (tmp_path / "funnel.json").exists()


DECISION = st.one_of(
    st.just(("yes", "", "eligibility")),
    st.tuples(st.just("maybe"), st.just(""), st.sampled_from(["preliminary", "eligibility"])),
    st.tuples(
        st.just("no"), st.sampled_from(["review", "animal", "other"]), st.just("preliminary")
    ),
    st.tuples(
        st.just("no"),
        st.sampled_from(["hsc", "non_iv_route", "no_safety_reporting"]),
        st.just("eligibility"),
    ),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(DECISION, max_size=40), st.integers(0, 30))
def test_any_set_of_decisions_gives_a_funnel_that_adds_up(
    drawn: list[tuple[str, str, str]], dups: int
) -> None:
    ds = [
        Decision(str(i), inc, reason, stage, "route_not_stated" if inc == "maybe" else "r")
        for i, (inc, reason, stage) in enumerate(drawn)
    ]
    f = build_funnel(IV, {"a": len(ds), "b": dups}, ds)
    assert f.screened == len(ds) and f.duplicates == dups
    assert f.included == sum(d.include == "yes" for d in ds)
    total_excluded = sum(s.excluded for s in f.excluded.values())
    assert total_excluded + f.maybe_total + f.included == f.screened


def test_module_docstring_example_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    result = doctest.testmod(funnel_mod)
    assert result.attempted > 0 and result.failed == 0
