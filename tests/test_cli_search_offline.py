"""``msc-mine search --disease NAME --db PATH``: the screened rows of a review, offline."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from msc_mine.cli import app
from msc_mine.errors import UsageError
from msc_mine.pipeline import load_pipeline
from msc_mine.review import ReviewResult, run_review

REPO = Path(__file__).resolve().parent.parent
DEMO = REPO / "corpora" / "demo"
runner = CliRunner()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> ReviewResult:
    pipeline = load_pipeline(REPO / "pipelines" / "msc_iv_safety.toml")
    inputs = [DEMO / "demo.xml", DEMO / "demo_extra.nbib"]
    return run_review(pipeline, inputs=inputs, out_dir=tmp_path_factory.mktemp("msc_iv_safety"))


def test_json_rows_carry_decision_route_source_dose_and_sae_status(demo: ReviewResult) -> None:
    args = ["search", "--disease", "lupus", "--db", str(demo.db), "--format", "json"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    with (demo.out_dir / "table.csv").open(newline="", encoding="utf-8") as fh:
        table = list(csv.DictReader(fh))
    lupus = {r["pmid"] for r in table if "systemic lupus erythematosus" in r["conditions"]}
    assert payload["count"] == len(payload["hits"]) == len(lupus) > 0
    for hit in payload["hits"]:
        assert hit["pmid"] in lupus
        assert hit["include"] == demo.decisions[hit["pmid"]].include
        assert {"route", "cell_source", "dose", "sae_status", "exclude_reason"} <= set(hit)


def test_csv_and_limit(demo: ReviewResult) -> None:
    args = ["search", "--disease", "multiple sclerosis", "--db", str(demo.db)]
    args += ["--format", "csv", "--limit", "2"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == 2
    assert rows[0]["include"] == "yes"  # included rows come first


def test_table_names_the_counts_per_decision(demo: ReviewResult) -> None:
    result = runner.invoke(app, ["search", "--disease", "lupus", "--db", str(demo.db)])
    assert result.exit_code == 0, result.output
    assert "screened records on lupus" in result.stdout
    assert "included" in result.stdout


def test_unknown_disease_is_a_usage_error(demo: ReviewResult) -> None:
    result = runner.invoke(app, ["search", "--disease", "dragon pox", "--db", str(demo.db)])
    assert isinstance(result.exception, UsageError)
