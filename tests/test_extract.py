"""extract() end to end on one record, extract_many (one and two processes), and the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from msc_mine.codebook import NOT_STATED, TABLE_COLUMNS
from msc_mine.extract import EXTRACTOR_VERSION, extract, extract_many
from msc_mine.records import AbstractSection, MeshHeading, Record

# Our own abstract, written in the style of a phase 1/2 report.
RECORD = Record(
    pmid="90099001",
    title=(
        "Intravenous allogeneic umbilical cord mesenchymal stromal cells in rheumatoid "
        "arthritis: a phase 1/2 dose-escalation trial"
    ),
    abstract=[
        AbstractSection(
            "BACKGROUND",
            "Earlier studies gave 2 x 10(8) cells intra-articularly in osteoarthritis.",
            "BACKGROUND",
        ),
        AbstractSection(
            "METHODS",
            "Eighteen patients with active rheumatoid arthritis received a single infusion "
            "of hUC-MSCs at 1, 2 or 4 x 10(6) cells/kg through a peripheral vein.",
            "METHODS",
        ),
        AbstractSection(
            "RESULTS",
            "No serious adverse events (SAEs) were observed; transient fever occurred in "
            "3 patients and headache in 2. No thromboembolic events were recorded.",
            "RESULTS",
        ),
    ],
    mesh=[MeshHeading("Arthritis, Rheumatoid", True), MeshHeading("Humans")],
    publication_types=["Clinical Trial, Phase I", "Clinical Trial, Phase II", "Journal Article"],
    authors=["Okafor CE"],
    year=2022,
    journal="Test J",
)


def test_extract_end_to_end() -> None:
    ex = extract(RECORD)
    assert ex.pmid == "90099001" and ex.extractor_version == EXTRACTOR_VERSION
    assert ex.conditions.value == ["rheumatoid arthritis"]
    assert ex.route.value == ["intravenous"]  # not the background's intra-articular
    assert ex.cell_source.value == ["umbilical_cord"]
    assert ex.allo_auto.value == "allogeneic"
    assert (ex.dose_low.value, ex.dose_high.value, ex.dose_unit.value) == (1e6, 4e6, "cells/kg")
    assert ex.n_patients.value == 18
    assert ex.phase.value == "1/2"
    assert ex.sae_status.value == "none_reported" and ex.sae_types.value == []
    assert ex.nonserious_aes.value == ["fever", "headache"]
    events = {f.category: f.events for f in ex.ae_findings}
    assert events["fever"] == 3 and events["headache"] == 2
    assert events["thromboembolism"] == 0 and events["sae"] == 0
    assert "msc" in ex.cues
    # Every stated value carries evidence; not_stated carries none.
    for name in ("conditions", "route", "cell_source", "allo_auto", "dose_low", "sae_status"):
        v = getattr(ex, name)
        assert v.evidence, name
    assert "peripheral vein" in ex.route.evidence


def test_not_stated_has_no_evidence() -> None:
    ex = extract(Record(pmid="1", title="Editorial on regenerative medicine"))
    assert ex.route.value == [NOT_STATED] and ex.route.evidence == ""
    assert ex.sae_status.value == NOT_STATED and ex.sae_status.evidence == ""


def test_extract_many_streams_in_order_and_two_processes_agree() -> None:
    recs = [RECORD, Record(pmid="2", title="Intrathecal BM-MSCs in ALS")] * 3
    one = [e.to_dict() for e in extract_many(recs, n_process=1)]
    two = [e.to_dict() for e in extract_many(recs, n_process=2)]
    assert [e["pmid"] for e in one] == ["90099001", "2"] * 3
    assert one == two


def _write_xml(path: Path) -> None:
    from msc_mine.pubmed_writer import records_to_pubmed_xml

    path.write_bytes(records_to_pubmed_xml([RECORD]))


@pytest.fixture()
def runner() -> CliRunner:
    return CliRunner()


def test_cli_extract_files_to_csv_and_parquet(tmp_path: Path, runner: CliRunner) -> None:
    from msc_mine.cli import app
    from msc_mine.writers import read_table

    xml = tmp_path / "in.xml"
    _write_xml(xml)
    for name in ("table.csv", "table.parquet"):
        out = tmp_path / name
        args = [
            "extract",
            "--input",
            str(xml),
            "--out",
            str(out),
            "--ae-out",
            str(tmp_path / "ae.csv"),
        ]
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
        rows = read_table(out)
        assert len(rows) == 1 and list(rows[0]) == list(TABLE_COLUMNS)
    assert read_table(tmp_path / "table.csv")[0]["route"] == "intravenous"
    ae = read_table(tmp_path / "ae.csv")
    assert {r["category"] for r in ae} >= {"fever", "sae", "thromboembolism"}


def test_cli_extract_db_reextracts_only_stale(tmp_path: Path, runner: CliRunner) -> None:
    from msc_mine.cli import app
    from msc_mine.store import Store

    db = tmp_path / "review.sqlite"
    with Store(db) as store:
        store.upsert_records([RECORD], source="pubmed", origin="test")
    first = runner.invoke(app, ["extract", "--db", str(db), "--out", str(tmp_path / "t.csv")])
    assert first.exit_code == 0, first.output
    assert "extracted 1 of 1 records" in first.output
    second = runner.invoke(app, ["extract", "--db", str(db)])
    assert "extracted 0 of 1 records (1 up to date)" in second.output
    with Store(db) as store:
        assert store.extraction_state()["90099001"][0] == EXTRACTOR_VERSION
        assert store.load_extractions()["90099001"].route.value == ["intravenous"]


def test_cli_extract_usage_errors(runner: CliRunner) -> None:
    from msc_mine.cli import app

    result = runner.invoke(app, ["extract"])
    assert result.exit_code != 0
    result = runner.invoke(app, ["extract", "--input", "missing.xml", "--out", "x.csv"])
    assert result.exit_code != 0


def test_cli_evaluate_writes_json(tmp_path: Path, runner: CliRunner) -> None:
    from msc_mine.cli import app

    gold = tmp_path / "gold" / "dev"
    gold.mkdir(parents=True)
    _write_xml(gold / "90099001.xml")
    (gold / "90099001.json").write_text(
        json.dumps({"pmid": "90099001", "route": ["intravenous"], "sae_status": "none_reported"})
    )
    out = tmp_path / "eval.json"
    result = runner.invoke(
        app, ["evaluate", "--gold", str(tmp_path / "gold"), "--split", "dev", "--json", str(out)]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text())
    assert report["n"] == 1 and report["fields"]["route"]["f1"] == 1.0
    assert report["fields"]["sae_status"]["accuracy"] == 1.0
