"""`msc-mine search` and `msc-mine fetch` against the local E-utilities server."""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from eutils_server import EutilsServer, synthetic_records
from msc_mine.cli import app, main
from msc_mine.errors import FetchError, UsageError
from msc_mine.store import Store

runner = CliRunner()


@pytest.fixture
def served(
    eutils_server: EutilsServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> EutilsServer:
    eutils_server.set_records(synthetic_records(120, seed=5))
    monkeypatch.chdir(tmp_path)  # the default HTTP cache goes to ./outputs
    return eutils_server


def _ms_pmids(server: EutilsServer) -> set[str]:
    return {
        r.pmid for r in synthetic_records(120, seed=5) if "multiple sclerosis" in r.title.lower()
    }


def test_search_disease_table(served: EutilsServer) -> None:
    result = runner.invoke(app, ["search", "--disease", "multiple sclerosis", "--limit", "3"])
    assert result.exit_code == 0, result.output
    expected = len(_ms_pmids(served))
    assert expected > 3
    assert f"{expected:,} PubMed records match" in result.output
    assert '"Multiple Sclerosis"[MeSH Terms]' in result.output
    assert result.output.count("9000") >= 3  # three PMIDs listed
    [esearch] = [r for r in served.log if r.endpoint == "esearch"]
    assert "Mesenchymal Stem Cells" in esearch.params["term"]
    assert esearch.params["retmax"] == "3"
    assert Path("outputs/http_cache.sqlite").is_file()


def test_search_json_and_csv(served: EutilsServer) -> None:
    result = runner.invoke(app, ["search", "mesenchymal", "--limit", "5", "--format", "json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["count"] == 120 and len(doc["hits"]) == 5
    assert set(doc["hits"][0]) == {"pmid", "year", "journal", "title"}
    result = runner.invoke(app, ["search", "mesenchymal", "--limit", "4", "--format", "csv"])
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert [r["pmid"] for r in rows] == [h["pmid"] for h in doc["hits"][:4]]


def test_search_date_window(served: EutilsServer) -> None:
    records = synthetic_records(120, seed=5)
    args = ["search", "mesenchymal", "--since", "2010", "--until", "2012", "--format", "json"]
    doc = json.loads(runner.invoke(app, args).output)
    assert doc["count"] == sum(1 for r in records if 2010 <= (r.year or 0) <= 2012)
    assert all(2010 <= h["year"] <= 2012 for h in doc["hits"])


def test_fetch_stores_and_resumes_quietly(served: EutilsServer, tmp_path: Path) -> None:
    db = tmp_path / "review" / "review.sqlite"
    args = ["fetch", "--disease", "multiple sclerosis", "--db", str(db), "--batch-size", "2"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    with Store(db) as store:
        assert store.keys() == _ms_pmids(served)
    assert (db.parent / "http_cache.sqlite").is_file()
    served.reset_log()
    again = runner.invoke(app, [*args, "--quiet"])
    assert again.exit_code == 0 and again.output == ""
    assert served.counts["efetch"] == 0


def test_usage_errors(served: EutilsServer) -> None:
    result = runner.invoke(app, ["search", "--disease", "multiple sklerosis"])
    assert isinstance(result.exception, UsageError)
    assert "did you mean: multiple sclerosis" in str(result.exception)
    both = runner.invoke(app, ["search", "fever", "--disease", "frailty"])
    assert isinstance(both.exception, UsageError)
    neither = runner.invoke(app, ["fetch"])
    assert isinstance(neither.exception, UsageError)
    fmt = runner.invoke(app, ["search", "fever", "--format", "xml"])
    assert isinstance(fmt.exception, UsageError) and "--format" in str(fmt.exception)
    offline = runner.invoke(app, ["search", "--disease", "frailty", "--db", "x.sqlite"])
    assert isinstance(offline.exception, UsageError)


def test_main_prints_one_line_and_exits_nonzero(
    served: EutilsServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    monkeypatch.setattr(sys, "argv", ["msc-mine", "search", "--disease", "nonesuch"])
    with pytest.raises(SystemExit) as exit_info:
        main()
    assert exit_info.value.code == UsageError.exit_code
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:") and "nonesuch" in err and "\n" not in err

    # A server that answers 404 (wrong base URL): a FetchError, exit 3, nothing stored lost.
    db = tmp_path / "r" / "review.sqlite"
    with Store(db) as store:
        store.upsert_records(synthetic_records(2), source="pubmed", origin="before")
    monkeypatch.setenv("MSC_MINE_EUTILS_URL", served.url.replace("/eutils/", "/wrong/"))
    monkeypatch.setattr(sys, "argv", ["msc-mine", "fetch", "fever", "--db", str(db)])
    with pytest.raises(SystemExit) as exit_info:
        main()
    assert exit_info.value.code == FetchError.exit_code
    err = capsys.readouterr().err.strip()
    assert "HTTP 404" in err and "\n" not in err
    with Store(db) as store:
        assert len(store) == 2


def test_help_explains_pubmed_terms() -> None:
    result = runner.invoke(app, ["search", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    for term in ("[MeSH Terms]", "[tiab]", "edat", "NCBI_EMAIL"):
        assert term in result.output
