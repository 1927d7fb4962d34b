"""``msc-mine export`` and ``msc-mine pool`` on the demo review (run once per module)."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from msc_mine.cli import app
from msc_mine.codebook import AE_CATEGORIES_CORE, AE_LONG_COLUMNS, TABLE_COLUMNS
from msc_mine.errors import MscMineError, UsageError
from msc_mine.readers import read_records
from msc_mine.writers import read_table

REPO = Path(__file__).resolve().parent.parent
DEMO = REPO / "corpora" / "demo"
PIPELINE = str(REPO / "pipelines" / "msc_iv_safety.toml")


def _invoke(args: list[str]) -> tuple[int, str, BaseException | None]:
    result = CliRunner().invoke(app, args, env={"MPLCONFIGDIR": os.environ["MPLCONFIGDIR"]})
    return result.exit_code, result.output, result.exception


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The demo review's output folder (review.sqlite and the review's files)."""
    out = tmp_path_factory.mktemp("demo_review")
    files = [str(DEMO / "demo.xml"), str(DEMO / "demo_extra.nbib")]
    code, output, _ = _invoke(["review", PIPELINE, "--input", *files, "--out", str(out)])
    assert code == 0, output
    yield out


@pytest.fixture
def review_copy(demo: Path, tmp_path: Path) -> Path:
    """A private copy of the demo folder, so tests do not see each other's files."""
    dest = tmp_path / "review"
    shutil.copytree(demo, dest)
    return dest


def test_export_writes_the_three_files(review_copy: Path) -> None:
    included = {r["pmid"] for r in read_table(review_copy / "included.csv")}
    code, output, _ = _invoke(["export", PIPELINE, "--out", str(review_copy)])
    assert code == 0, output
    assert "ae_long.csv" in output and "included.ris" in output
    ae = read_table(review_copy / "ae_long.csv")
    assert list(ae[0]) == list(AE_LONG_COLUMNS)
    assert {r["pmid"] for r in ae} == included
    for pmid in included:
        cats = [r["category"] for r in ae if r["pmid"] == pmid]
        assert cats[: len(AE_CATEGORIES_CORE)] == list(AE_CATEGORIES_CORE)
    # escalc(measure="PLO") needs 0 <= events <= n wherever both are given.
    for r in ae:
        if r["events"] != "" and r["n"] != "":
            assert 0 <= int(r["events"]) <= int(r["n"])
    ris = list(read_records(review_copy / "included.ris"))
    assert {r.pmid for r in ris} == included
    wb = load_workbook(review_copy / "table.xlsx", read_only=True)
    assert wb.sheetnames == ["table", "codebook"]
    rows = list(wb["table"].iter_rows(values_only=True))
    assert list(rows[0]) == list(TABLE_COLUMNS)
    assert len(rows) - 1 == len(read_table(review_copy / "table.csv"))


def test_export_twice_gives_identical_bytes(review_copy: Path) -> None:
    names = ("ae_long.csv", "included.ris", "table.xlsx")
    assert _invoke(["export", PIPELINE, "--out", str(review_copy)])[0] == 0
    first = {n: (review_copy / n).read_bytes() for n in names}
    assert _invoke(["export", PIPELINE, "--out", str(review_copy)])[0] == 0
    assert {n: (review_copy / n).read_bytes() for n in names} == first


def test_export_format_parquet(review_copy: Path) -> None:
    args = ["export", PIPELINE, "--out", str(review_copy), "--format", "parquet"]
    code, output, _ = _invoke(args)
    assert code == 0, output
    assert read_table(review_copy / "ae_long.parquet")
    assert len(read_table(review_copy / "table.parquet")) == len(
        read_table(review_copy / "table.csv")
    )


def test_pool_writes_json_csv_and_forests(review_copy: Path) -> None:
    code, output, _ = _invoke(["pool", PIPELINE, "--out", str(review_copy)])
    assert code == 0, output
    assert "pooled proportion" in output
    doc = json.loads((review_copy / "pool.json").read_text())
    assert doc["review"] == "msc_iv_safety" and doc["methods"] == ["dl", "reml"]
    assert doc["by"] is None and doc["continuity_correction"] == 0.5
    results = {(r["category"], r["method"]): r for r in doc["results"]}
    sae = results[("sae", "reml")]
    # The demo's included studies report SAEs (or their absence) with counts.
    assert sae["k"] >= 5 and sae["subgroup"] is None
    assert 0 < sae["ci_low"] < sae["estimate"] < sae["ci_high"] < 1
    pooled = [r for r in doc["results"] if r["k"] >= 1]
    for r in pooled:
        stem = r["category"].replace(" ", "_")
        assert (review_copy / "forest" / f"{stem}.png").is_file(), stem
        assert (review_copy / "forest" / f"{stem}.svg").is_file(), stem
    csv_rows = read_table(review_copy / "pool.csv")
    assert len(csv_rows) == len(doc["results"])
    # The review's report.html is rebuilt with the estimates and forest plots.
    page = (review_copy / "report.html").read_text(encoding="utf-8")
    assert 'id="pool-table"' in page
    assert "msc-mine pool" not in page.split('id="pool"', 1)[1].split("</section>", 1)[0]


def test_pool_by_subgroup_one_category_one_method(review_copy: Path) -> None:
    args = ["pool", PIPELINE, "--out", str(review_copy), "--by", "allo_auto"]
    args += ["--category", "sae", "--method", "reml"]
    code, output, _ = _invoke(args)
    assert code == 0, output
    doc = json.loads((review_copy / "pool.json").read_text())
    assert doc["by"] == "allo_auto" and doc["methods"] == ["reml"]
    assert {r["category"] for r in doc["results"]} == {"sae"}
    assert {r["method"] for r in doc["results"]} == {"reml"}
    subgroups = {r["subgroup"] for r in doc["results"]}
    assert None in subgroups and "allogeneic" in subgroups
    assert (review_copy / "forest" / "sae__allo_auto.png").is_file()
    assert not (review_copy / "forest" / "sae.png").exists()


def test_pool_unknown_category_is_a_usage_error(review_copy: Path) -> None:
    _, _, exc = _invoke(["pool", PIPELINE, "--out", str(review_copy), "-c", "dragons"])
    assert isinstance(exc, UsageError) and "dragons" in str(exc)


def test_clear_errors_without_database_or_review(tmp_path: Path) -> None:
    _, _, exc = _invoke(["export", PIPELINE, "--out", str(tmp_path / "nothing")])
    assert isinstance(exc, UsageError) and "no review database" in str(exc)
    assert not (tmp_path / "nothing").exists()
    _, _, exc = _invoke(["pool", PIPELINE, "--out", str(tmp_path / "nothing")])
    assert isinstance(exc, UsageError) and "no review database" in str(exc)


def test_no_review_run_for_this_pipeline(review_copy: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.toml"
    text = Path(PIPELINE).read_text(encoding="utf-8")
    other.write_text(text.replace('id = "msc_iv_safety"', 'id = "other_review"', 1))
    _, _, exc = _invoke(["pool", str(other), "--out", str(review_copy)])
    assert isinstance(exc, MscMineError) and "no screening decisions" in str(exc)
