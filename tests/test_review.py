"""The review run end to end on the scaled corpus: funnel, outputs, reruns, offline search."""

from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from openpyxl import load_workbook

from msc_mine.codebook import TABLE_COLUMNS, Extraction
from msc_mine.errors import UsageError
from msc_mine.funnel import load_funnel
from msc_mine.manifest import without_timestamps
from msc_mine.pipeline import load_pipeline
from msc_mine.records import Record
from msc_mine.review import ReviewResult, format_dose, run_review, search_screened
from scaled_corpus import REVIEW_OUTPUTS, load_generator

REPO = Path(__file__).resolve().parent.parent
IV = load_pipeline(REPO / "pipelines" / "msc_iv_safety.toml")


GEN = load_generator()


@pytest.fixture(scope="module")
def scaled(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Path], dict[str, Any]]:
    a, b, gold = GEN.generate(tmp_path_factory.mktemp("scaled"))
    return [a, b], GEN.read_gold(gold)


class GoldExtractor:
    """Returns the gold values: tests the review mechanism without the NLP."""

    def __init__(self, gold: dict[str, Any]) -> None:
        self.gold = gold
        self.calls = 0

    def __call__(self, records: Sequence[Record], n_process: int) -> Iterable[Extraction]:
        self.calls += len(records)
        return [GEN.gold_extraction(self.gold[r.key]) for r in records]


def run(
    paths: list[Path],
    gold: dict[str, Any],
    out: Path,
    version: str = "gold-1",
    extractor: GoldExtractor | None = None,
) -> ReviewResult:
    return run_review(
        IV,
        inputs=paths,
        out_dir=out,
        extractor=extractor or GoldExtractor(gold),
        extractor_version=version,
    )


@pytest.fixture(scope="module")
def gold_run(
    scaled: tuple[list[Path], dict[str, Any]], tmp_path_factory: pytest.TempPathFactory
) -> ReviewResult:
    paths, gold = scaled
    return run(paths, gold, tmp_path_factory.mktemp("out"))


def test_scaled_corpus_gives_664_to_117_with_the_gold_breakdown(gold_run: ReviewResult) -> None:
    f = gold_run.funnel
    assert f.identified == {"scaled_a.xml": 398, "scaled_b.xml": 306}
    assert (f.identified_total, f.duplicates, f.screened) == (704, GEN.DUPLICATES, 664)
    assert f.excluded["preliminary"].excluded == 0  # all 664 met the preliminary criteria
    eligibility = {k: v for k, v in f.excluded["eligibility"].reasons.items() if v}
    expected = {k: v for k, v in GEN.BREAKDOWN.items() if k != "included"}
    assert eligibility == expected
    assert (f.maybe_total, f.included) == (0, 117)


def test_every_decision_matches_its_gold(
    gold_run: ReviewResult, scaled: tuple[list[Path], dict[str, Any]]
) -> None:
    _, gold = scaled
    wrong = [
        k
        for k, d in gold_run.decisions.items()
        if (d.include, d.exclude_reason) != (gold[k].include, gold[k].exclude_reason)
    ]
    assert wrong == []


def test_all_outputs_are_written(gold_run: ReviewResult) -> None:
    out = gold_run.out_dir
    for name in (*REVIEW_OUTPUTS, "manifest.json"):
        assert (out / name).stat().st_size > 0, name
    with (out / "table.csv").open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert tuple(rows[0]) == TABLE_COLUMNS
    assert [r["pmid"] for r in rows] == sorted(r["pmid"] for r in rows)
    assert len(rows) == 664
    assert Counter(r["include"] for r in rows) == {"yes": 117, "no": 547}
    excluded = next(r for r in rows if r["exclude_reason"] == "non_iv_route")
    assert excluded["include_evidence"].startswith("non_iv_route: MSCs not given intravenously | ")
    assert "patients received" in excluded["include_evidence"]
    with (out / "included.csv").open(newline="", encoding="utf-8") as fh:
        assert sum(1 for _ in csv.DictReader(fh)) == 117
    assert (out / "maybe.csv").read_text().splitlines() == [",".join(TABLE_COLUMNS)]
    assert load_funnel(out / "funnel.json") == gold_run.funnel


def test_xlsx_and_parquet_hold_the_same_table(gold_run: ReviewResult) -> None:
    out = gold_run.out_dir
    table = pq.read_table(out / "table.parquet")
    assert table.num_rows == 664 and tuple(table.column_names) == TABLE_COLUMNS
    routes = table.column("route").to_pylist()
    assert all(isinstance(r, list) for r in routes) and ["intravenous"] in routes
    sheet = load_workbook(out / "table.xlsx", read_only=True).active
    assert sheet is not None
    values = list(sheet.iter_rows(values_only=True))
    assert tuple(values[0]) == TABLE_COLUMNS and len(values) == 665


def test_manifest_reports_inputs_pipeline_and_counts(gold_run: ReviewResult) -> None:
    m = json.loads((gold_run.out_dir / "manifest.json").read_text())
    assert m["review"] == "msc_iv_safety" and m["mode"] == "files"
    assert m["pipeline"]["sha256"] == IV.sha256
    assert [i["records"] for i in m["inputs"]] == [398, 306]
    assert all(len(i["sha256"]) == 64 for i in m["inputs"])
    assert m["counts"]["included"] == 117 and m["counts"]["extracted_this_run"] == 664
    assert m["extractor_version"] == "gold-1"
    assert set(m["outputs"]) == set(REVIEW_OUTPUTS)


def test_rerun_without_new_records_is_byte_identical(
    scaled: tuple[list[Path], dict[str, Any]], tmp_path: Path
) -> None:
    paths, gold = scaled
    first = run(paths, gold, tmp_path)
    before = {n: (tmp_path / n).read_bytes() for n in REVIEW_OUTPUTS}
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    extractor = GoldExtractor(gold)
    second = run(paths, gold, tmp_path, extractor=extractor)
    assert extractor.calls == 0 and second.extracted == 0  # nothing changed: no re-extraction
    for name in REVIEW_OUTPUTS:
        assert (tmp_path / name).read_bytes() == before[name], name
    again = json.loads((tmp_path / "manifest.json").read_text())
    again["counts"]["extracted_this_run"] = manifest["counts"]["extracted_this_run"]
    assert without_timestamps(again) == without_timestamps(manifest)
    assert first.funnel == second.funnel


def test_a_new_extractor_version_re_extracts_everything(
    scaled: tuple[list[Path], dict[str, Any]], tmp_path: Path
) -> None:
    paths, gold = scaled
    run(paths, gold, tmp_path, version="gold-1")
    extractor = GoldExtractor(gold)
    result = run(paths, gold, tmp_path, version="gold-2", extractor=extractor)
    assert extractor.calls == 664 and result.extracted == 664


def test_offline_search_by_disease(
    gold_run: ReviewResult,
    scaled: tuple[list[Path], dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, gold = scaled
    monkeypatch.chdir(REPO)  # where the project's pipelines/ are
    rows = search_screened(gold_run.db, "SLE", "msc_iv_safety")  # a synonym finds the name
    expected = {k for k, g in gold.items() if g.condition == "systemic lupus erythematosus"}
    assert {r["pmid"] for r in rows} == expected and rows
    assert {r["include"] for r in rows} <= {"yes", "no"}
    first = rows[0]
    assert first["include"] == "yes"  # included studies first
    assert set(first) == {
        "pmid",
        "year",
        "title",
        "include",
        "exclude_reason",
        "route",
        "cell_source",
        "dose",
        "sae_status",
    }
    # Without a pipeline id the review is found among the project's pipelines.
    assert search_screened(gold_run.db, "lupus") == rows
    with pytest.raises(UsageError, match="unknown disease 'dragon pox'"):
        search_screened(gold_run.db, "dragon pox")


def test_format_dose() -> None:
    assert format_dose(1e6, 1e6, "cells/kg") == "1e6 cells/kg"
    assert format_dose(1e6, 2.5e6, "cells/kg") == "1e6-2.5e6 cells/kg"
    assert format_dose(None, None, "not_stated") == "not_stated"


def test_missing_input_file_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no such input file"):
        run_review(
            IV,
            inputs=[tmp_path / "none.xml"],
            out_dir=tmp_path,
            extractor=GoldExtractor({}),
            extractor_version="x",
        )
    with pytest.raises(UsageError, match="give input files"):
        run_review(IV, out_dir=tmp_path)


def test_real_extraction_reproduces_the_scaled_gold(
    scaled: tuple[list[Path], dict[str, Any]], tmp_path: Path
) -> None:
    # The templated text is written to be unambiguous, so the NLP extraction must agree
    # with the gold on every record: 664 -> 117 with the same reasons.
    paths, gold = scaled
    result = run_review(IV, inputs=paths, out_dir=tmp_path)
    f = result.funnel
    assert (f.screened, f.included, f.maybe_total) == (664, 117, 0)
    eligibility = {k: v for k, v in f.excluded["eligibility"].reasons.items() if v}
    assert eligibility == {k: v for k, v in GEN.BREAKDOWN.items() if k != "included"}
    wrong = [
        k
        for k, d in result.decisions.items()
        if (d.include, d.exclude_reason) != (gold[k].include, gold[k].exclude_reason)
    ]
    assert wrong == []
