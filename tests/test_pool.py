"""Pooled proportions: the estimators against metafor's published BCG results, zero
events, single studies, subgroups, and (when R with metafor is installed) the demo's
``ae_long`` against metafor itself."""

from __future__ import annotations

import math
import shutil
import subprocess
from pathlib import Path

import pytest

from msc_mine.errors import UsageError
from msc_mine.pool import (
    StudyCount,
    clopper_pearson,
    logit_effect,
    pool_ae_rows,
    pool_category,
    pool_json,
    random_effects,
)

# metafor's dat.bcg (Colditz et al. 1994): BCG vaccine trials, TB cases among vaccinated
# (tpos/tneg) and unvaccinated (cpos/cneg) people. Counts as published.
BCG = [
    # tpos, tneg, cpos, cneg
    (4, 119, 11, 128),
    (6, 300, 29, 274),
    (3, 228, 11, 209),
    (62, 13536, 248, 12619),
    (33, 5036, 47, 5761),
    (180, 1361, 372, 1079),
    (8, 2537, 10, 619),
    (505, 87886, 499, 87892),
    (29, 7470, 45, 7232),
    (17, 1699, 65, 1600),
    (186, 50448, 141, 27197),
    (5, 2493, 3, 2338),
    (27, 16886, 29, 17825),
]


# "To 3 decimals": within half a unit of the third decimal of the published value.
TO_3_DECIMALS = 5e-4


def _bcg_log_rr() -> tuple[list[float], list[float]]:
    """escalc(measure="RR"): log risk ratio and its sampling variance per trial."""
    yi, vi = [], []
    for a, b, c, d in BCG:
        yi.append(math.log((a / (a + b)) / (c / (c + d))))
        vi.append(1 / a - 1 / (a + b) + 1 / c - 1 / (c + d))
    return yi, vi


def test_bcg_dersimonian_laird_matches_metafor() -> None:
    yi, vi = _bcg_log_rr()
    r = random_effects(yi, vi, "dl")
    assert r.k == 13
    assert r.estimate == pytest.approx(-0.7141, abs=TO_3_DECIMALS)
    assert r.se == pytest.approx(0.1787, abs=TO_3_DECIMALS)
    assert r.tau2 == pytest.approx(0.3088, abs=TO_3_DECIMALS)
    assert r.q == pytest.approx(152.233, abs=1e-2)


def test_bcg_reml_matches_metafor() -> None:
    yi, vi = _bcg_log_rr()
    r = random_effects(yi, vi, "reml")
    assert r.estimate == pytest.approx(-0.7145, abs=TO_3_DECIMALS)
    assert r.se == pytest.approx(0.1798, abs=TO_3_DECIMALS)
    assert r.tau2 == pytest.approx(0.3132, abs=TO_3_DECIMALS)
    assert r.i2 == pytest.approx(92.22, abs=1e-2)
    assert r.ci_low == pytest.approx(-1.0669, abs=TO_3_DECIMALS)
    assert r.ci_high == pytest.approx(-0.3622, abs=TO_3_DECIMALS)


def test_dl_tau2_is_truncated_at_zero_when_studies_agree() -> None:
    # Q < df: DerSimonian-Laird's moment estimate is negative and must become 0, leaving
    # the fixed-effect (inverse-variance) mean.
    yi, vi = [0.10, 0.11, 0.09, 0.10], [0.2, 0.3, 0.25, 0.2]
    r = random_effects(yi, vi, "dl")
    assert r.tau2 == 0.0
    assert r.i2 == 0.0
    w = [1 / v for v in vi]
    assert r.estimate == pytest.approx(sum(wi * y for wi, y in zip(w, yi, strict=True)) / sum(w))
    assert r.se == pytest.approx(math.sqrt(1 / sum(w)))


def test_random_effects_needs_two_studies() -> None:
    with pytest.raises(ValueError):
        random_effects([0.1], [0.2], "dl")


def test_logit_effect_continuity_correction_only_for_zero_or_all() -> None:
    yi, vi, corrected = logit_effect(0, 10)
    assert corrected
    assert yi == pytest.approx(math.log(0.5 / 10.5))
    assert vi == pytest.approx(1 / 0.5 + 1 / 10.5)
    yi, vi, corrected = logit_effect(10, 10)
    assert corrected and yi == pytest.approx(math.log(10.5 / 0.5))
    yi, vi, corrected = logit_effect(3, 10)
    assert not corrected
    assert yi == pytest.approx(math.log(3 / 7)) and vi == pytest.approx(1 / 3 + 1 / 7)


def test_clopper_pearson_exact_bounds() -> None:
    low, high = clopper_pearson(0, 14)
    assert low == 0.0
    # Exact upper bound for 0/n: 1 - (alpha/2)^(1/n).
    assert high == pytest.approx(1 - 0.025 ** (1 / 14))
    low, high = clopper_pearson(14, 14)
    assert high == 1.0 and low == pytest.approx(0.025 ** (1 / 14))


def _studies(*counts: tuple[int | None, int | None], subgroup: str = "") -> list[StudyCount]:
    return [
        StudyCount(str(i), f"Author {2000 + i} ({i})", e, n, subgroup)
        for i, (e, n) in enumerate(counts, start=1)
    ]


def test_zero_event_studies_are_pooled_with_a_noted_correction() -> None:
    studies = _studies((0, 20), (3, 30), (1, 12), (0, 8))
    row = pool_category("death", studies, "dl")
    assert row.k == 4 and row.n_patients == 70 and row.events == 4
    assert row.estimate is not None and row.ci_low is not None and row.ci_high is not None
    assert 0 < row.ci_low < row.estimate < row.ci_high < 1
    assert "continuity correction 0.5 in 2 of 4 studies" in row.note


def test_all_zero_events_still_pooled_but_flagged() -> None:
    row = pool_category("malignancy", _studies((0, 20), (0, 30)), "reml")
    assert row.k == 2 and row.events == 0
    assert row.estimate is not None and row.estimate < 0.05
    assert row.note.startswith("no events in any study")


def test_single_study_is_not_pooled() -> None:
    row = pool_category("fever", _studies((2, 4)), "reml")
    assert row.k == 1
    assert row.estimate == 0.5
    assert (row.ci_low, row.ci_high) == pytest.approx(clopper_pearson(2, 4))
    assert row.tau2 is None and row.i2 is None
    assert "not pooled" in row.note


def test_no_usable_study() -> None:
    row = pool_category("thromboembolism", _studies((None, 10), (2, None)), "dl")
    assert row.k == 0 and row.estimate is None and row.n_patients == 0
    assert "no study reports a count" in row.note
    assert "2 studies mention the category without a usable count" in row.note


def test_impossible_counts_are_left_out() -> None:
    row = pool_category("sae", _studies((5, 4), (1, 10), (2, 10)), "dl")
    assert row.k == 2 and row.n_patients == 20


def _ae(pmid: str, category: str, events: str, n: str, **extra: str) -> dict[str, str]:
    row = {
        "pmid": pmid,
        "first_author": "Smith AB",
        "year": "2020",
        "condition": "stroke",
        "route": "intravenous",
        "cell_source": "bone_marrow",
        "allo_auto": "allogeneic",
        "category": category,
        "events": events,
        "n": n,
        "relatedness": "not_stated",
        "evidence": "a sentence" if events != "" else "",
    }
    row.update(extra)
    return row


def test_subgroups_pool_overall_then_each_group() -> None:
    rows = [
        _ae("1", "fever", "2", "20"),
        _ae("2", "fever", "4", "30"),
        _ae("3", "fever", "1", "10", allo_auto="autologous"),
        _ae("4", "fever", "0", "12", allo_auto="autologous"),
        _ae("5", "fever", "", "15", allo_auto="autologous"),  # not reported: no study
        _ae("1", "sae", "0", "20"),
    ]
    out = pool_ae_rows(rows, ["fever"], ("dl", "reml"), by="allo_auto")
    keys = [(r.subgroup, r.method) for r in out]
    assert keys == [
        (None, "dl"),
        (None, "reml"),
        ("allogeneic", "dl"),
        ("allogeneic", "reml"),
        ("autologous", "dl"),
        ("autologous", "reml"),
    ]
    overall = out[0]
    assert overall.k == 4 and overall.n_patients == 72 and overall.events == 7
    allo = out[2]
    assert allo.k == 2 and allo.n_patients == 50
    # The subgroup pooled alone equals pooling its studies directly.
    direct = pool_category("fever", _studies((2, 20), (4, 30)), "dl")
    assert allo.estimate == pytest.approx(direct.estimate)


def test_unknown_by_field_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="cannot pool by"):
        pool_ae_rows([_ae("1", "sae", "0", "10")], by="journal")


def test_pool_json_contract() -> None:
    rows = [_ae("1", "sae", "1", "20"), _ae("2", "sae", "0", "10"), _ae("3", "death", "1", "9")]
    results = pool_ae_rows(rows)
    doc = pool_json("demo", results)
    assert set(doc) >= {"review", "methods", "continuity_correction", "by", "results"}
    assert doc["methods"] == ["dl", "reml"] and doc["by"] is None
    assert doc["continuity_correction"] == 0.5
    first = doc["results"][0]
    assert set(first) == {
        "category", "subgroup", "method", "k", "n_patients", "events", "estimate",
        "ci_low", "ci_high", "tau2", "i2", "note",
    }  # fmt: skip
    assert first["category"] == "sae" and first["subgroup"] is None
    assert 0 <= first["ci_low"] <= first["estimate"] <= first["ci_high"] <= 1
    assert [s["pmid"] for s in doc["studies"] if s["category"] == "sae"] == ["1", "2"]


R_SCRIPT = """
suppressMessages(library(metafor))
ae <- read.csv(commandArgs(TRUE)[1], stringsAsFactors = FALSE)
for (cat in c("sae", "fever", "death", "infection")) {
  d <- escalc(measure = "PLO", xi = events, ni = n, data = subset(ae, category == cat))
  d <- d[!is.na(d$yi), ]
  for (m in c("DL", "REML")) {
    p <- predict(rma(yi, vi, data = d, method = m), transf = transf.ilogit)
    cat(cat, tolower(m), nrow(d), p$pred, p$ci.lb, p$ci.ub, "\\n")
  }
}
"""


@pytest.mark.skipif(
    shutil.which("Rscript") is None
    or subprocess.run(
        ["Rscript", "-e", "library(metafor)"], capture_output=True, check=False
    ).returncode
    != 0,
    reason="R with metafor not installed (optional cross-check)",
)
def test_demo_ae_long_matches_metafor(tmp_path: Path) -> None:
    """metafor reads our ae_long.csv and pools it to the same figures (6 decimals)."""
    from msc_mine.writers import read_table, write_table

    rows = [
        _ae("1", "sae", "0", "20"), _ae("2", "sae", "3", "40"), _ae("3", "sae", "2", "15"),
        _ae("4", "sae", "", "12"), _ae("5", "sae", "9", "62"), _ae("6", "sae", "0", "8"),
        _ae("1", "fever", "2", "20"), _ae("2", "fever", "4", "40"),
        _ae("5", "fever", "5", "62"), _ae("1", "death", "1", "20"),
        _ae("3", "death", "5", "15"), _ae("5", "death", "3", "62"),
        _ae("2", "infection", "1", "40"), _ae("5", "infection", "3", "62"),
        _ae("6", "infection", "1", "8"),
    ]  # fmt: skip
    path = write_table(rows, tmp_path / "ae_long.csv")
    script = tmp_path / "check.R"
    script.write_text(R_SCRIPT)
    out = subprocess.run(
        ["Rscript", str(script), str(path)], capture_output=True, text=True, check=True
    ).stdout
    ours = {(r.category, r.method): r for r in pool_ae_rows(read_table(path))}
    lines = [line.split() for line in out.splitlines() if line.strip()]
    assert len(lines) == 8
    for cat, method, k, pred, low, high in lines:
        r = ours[(cat, method)]
        assert r.k == int(k)
        assert r.estimate == pytest.approx(float(pred), abs=1e-6)
        assert r.ci_low == pytest.approx(float(low), abs=1e-6)
        assert r.ci_high == pytest.approx(float(high), abs=1e-6)
