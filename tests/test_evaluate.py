"""Scoring rules, and the dev-split regression guard (figures measured on the dev split)."""

from __future__ import annotations

from pathlib import Path

import pytest

from msc_mine.codebook import Extraction, Value
from msc_mine.evaluate import evaluate_gold, score

REPO = Path(__file__).resolve().parent.parent
DEV = REPO / "corpora" / "gold" / "dev"


def test_score_lists_numbers_and_scalars() -> None:
    ex = Extraction(
        pmid="1",
        route=Value(["intravenous", "intrathecal"], "e"),
        cell_source=Value(["not_stated"]),
        dose_low=Value(1.005e6, "e"),
        dose_high=Value(2.1e6, "e"),
        sae_status=Value("none_reported", "e"),
    )
    gold = {
        "pmid": "1",
        "route": ["intravenous"],
        "cell_source": ["bone_marrow"],
        "dose_low": 1000000,
        "dose_high": 2000000,
        "sae_status": "none_reported",
    }
    r = score([(ex, gold)])
    f = r["fields"]
    assert f["route"]["precision"] == 0.5 and f["route"]["recall"] == 1.0
    assert f["route"]["accuracy"] == 0.0
    # not_stated is an absence: neither a true nor a false positive.
    assert (f["cell_source"]["tp"], f["cell_source"]["fp"], f["cell_source"]["fn"]) == (0, 0, 1)
    assert f["dose_low"]["accuracy"] == 1.0  # within 1%
    assert f["dose_high"]["accuracy"] == 0.0  # 5% off
    assert f["sae_status"]["accuracy"] == 1.0
    assert {m["field"] for m in r["mismatches"]} == {"route", "cell_source", "dose_high"}


# Figures reached on the dev split (60 records) when this guard was written, minus a small
# margin for dev records added later. A drop below them is a regression to look at.
DEV_FLOORS = {
    "conditions": ("f1", 0.95),
    "route": ("f1", 0.95),
    "cell_source": ("f1", 0.94),
    "sae_types": ("f1", 0.90),
    "nonserious_aes": ("f1", 0.88),
    "allo_auto": ("accuracy", 0.92),
    "sae_status": ("accuracy", 0.93),
    "sae_count": ("accuracy", 0.90),
    "dose_unit": ("accuracy", 0.93),
    "dose_low": ("accuracy", 0.93),
    "dose_high": ("accuracy", 0.93),
    "phase": ("accuracy", 0.93),
    "study_design": ("accuracy", 0.90),
    # Raised after the regimen/arm rules (dev 0.933 and 0.950 on 2026-12-05).
    "n_patients": ("accuracy", 0.90),
    "n_infusions": ("accuracy", 0.90),
}


@pytest.mark.skipif(not any(DEV.glob("*.json")), reason="dev gold split not present")
def test_dev_split_scores_do_not_regress() -> None:
    report = evaluate_gold(REPO / "corpora" / "gold", split="dev")
    assert report["n"] >= 60
    low = {
        field: (metric, report["fields"][field][metric], floor)
        for field, (metric, floor) in DEV_FLOORS.items()
        if report["fields"][field][metric] < floor
    }
    assert not low, f"dev scores below their floors: {low}"


TEST = REPO / "corpora" / "gold" / "test"

# Scores measured on the held-out test split (62 records) on 2026-12-05, with extractor
# version as committed then, truncated to two decimals. The test split is scored, never tuned
# on: a rule change that drops a field below its floor is a regression, whatever dev says.
TEST_FLOORS = {
    "conditions": ("f1", 0.96),
    "route": ("f1", 0.96),
    "cell_source": ("f1", 0.96),
    # Re-measured after the real-world AE/donor wording rules (issue 3: test/ never read).
    "sae_types": ("f1", 0.90),
    "nonserious_aes": ("f1", 0.95),
    "allo_auto": ("accuracy", 0.93),
    "sae_status": ("accuracy", 0.95),
    # Raised from 0.91 after "(n = 2)" was read as the later event's own count (0.935).
    "sae_count": ("accuracy", 0.93),
    "dose_unit": ("accuracy", 1.0),
    "dose_low": ("accuracy", 0.98),
    "dose_high": ("accuracy", 0.98),
    "phase": ("accuracy", 1.0),
    "study_design": ("accuracy", 0.91),
    # Re-measured after the dev-tuned regimen/arm rules (extract/regimen.py, arms.py);
    # n_infusions raised from 0.69 after the real-world schedule wordings (0.726 measured).
    "n_patients": ("accuracy", 0.79),
    "n_infusions": ("accuracy", 0.72),
}


@pytest.mark.skipif(not any(TEST.glob("*.json")), reason="test gold split not present")
def test_test_split_scores_do_not_regress() -> None:
    report = evaluate_gold(REPO / "corpora" / "gold", split="test")
    assert report["n"] >= 62
    low = {
        field: (metric, report["fields"][field][metric], floor)
        for field, (metric, floor) in TEST_FLOORS.items()
        if report["fields"][field][metric] < floor
    }
    assert not low, f"test scores below their floors: {low}"
