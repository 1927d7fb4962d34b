"""fetch_query end to end: search windows, batched efetch, store, resume, failures reported."""

from __future__ import annotations

from pathlib import Path

import pytest

from eutils_server import EutilsServer, synthetic_records
from msc_mine.entrez import EntrezClient, RetryPolicy
from msc_mine.fetch import fetch_query
from msc_mine.store import Store

FAST = RetryPolicy(attempts=3, backoff=0.001, max_backoff=0.01, timeout=5)


def _client(server: EutilsServer, tmp_path: Path) -> EntrezClient:
    return EntrezClient(
        tmp_path / "http_cache.sqlite", base_url=server.url, rate=1000.0, retry=FAST, seed=0
    )


def test_fetch_then_rerun_fetches_nothing(eutils_server: EutilsServer, tmp_path: Path) -> None:
    records = synthetic_records(1_200)
    eutils_server.set_records(records)
    with Store(tmp_path / "review.sqlite") as store:
        progress: list[tuple[int, int]] = []
        report = fetch_query(
            _client(eutils_server, tmp_path),
            store,
            "mesenchymal",
            batch_size=500,
            progress=lambda done, total: progress.append((done, total)),
        )
        assert (report.count, report.stored_new, report.already_stored) == (1_200, 1_200, 0)
        assert report.failed == {} and report.complete and report.windows == 1
        assert eutils_server.counts == {"esearch": 1, "efetch": 3}
        # A fresh search needing everything is fetched from the history server.
        assert all("WebEnv" in r.params for r in eutils_server.log if r.endpoint == "efetch")
        assert progress == [(500, 1_200), (1_000, 1_200), (1_200, 1_200)]
        assert store.keys() == {r.pmid for r in records}
        assert store.get(records[5].pmid) == records[5]
        assert len(store.search_hits(report.search_ids[0])) == 1_200

        eutils_server.reset_log()
        again = fetch_query(_client(eutils_server, tmp_path), store, "mesenchymal")
        assert (again.count, again.stored_new, again.already_stored) == (1_200, 0, 1_200)
        assert eutils_server.counts == {}  # esearch from the cache, nothing to fetch


def test_failed_batch_is_reported_and_resumed(eutils_server: EutilsServer, tmp_path: Path) -> None:
    records = synthetic_records(1_000)
    eutils_server.set_records(records)
    client = _client(eutils_server, tmp_path)
    with Store(tmp_path / "review.sqlite") as store:
        hits = client.esearch("mesenchymal", retmax=9999)  # warms the cache: ids mode later
        # Batch one succeeds, batch two fails every attempt (the network "goes down").
        eutils_server.reset_log()
        eutils_server.force("503", "503", "503", endpoint="efetch")
        report = fetch_query(client, store, "mesenchymal", batch_size=600)
        assert report.stored_new == 400 or report.stored_new == 600
        failed = set(report.failed)
        assert len(failed) == 1_000 - report.stored_new and report.complete
        assert all("HTTP 503" in why and "3 attempts" in why for why in report.failed.values())
        assert failed.isdisjoint(store.keys())

        eutils_server.reset_log()
        resumed = fetch_query(client, store, "mesenchymal", batch_size=600)
        assert resumed.stored_new == len(failed) and resumed.failed == {}
        assert resumed.already_stored == 1_000 - len(failed)
        assert eutils_server.counts == {"efetch": 1}
        assert store.keys() == set(hits.ids)


def test_only_missing_ids_fetched_by_post(eutils_server: EutilsServer, tmp_path: Path) -> None:
    records = synthetic_records(700)
    eutils_server.set_records(records)
    with Store(tmp_path / "review.sqlite") as store:
        store.upsert_records(records[:100], source="pubmed", origin="earlier")
        report = fetch_query(_client(eutils_server, tmp_path), store, "mesenchymal", batch_size=600)
        assert (report.stored_new, report.already_stored) == (600, 100)
        [efetch] = [r for r in eutils_server.log if r.endpoint == "efetch"]
        assert efetch.method == "POST" and len(efetch.params["id"].split(",")) == 600


def test_ids_efetch_does_not_return_are_failures(
    eutils_server: EutilsServer, tmp_path: Path
) -> None:
    records = synthetic_records(10)
    eutils_server.set_records(records)
    ghost = "99999999"
    eutils_server.add_term("ghosts", [records[0].pmid, ghost])
    with Store(tmp_path / "review.sqlite") as store:
        report = fetch_query(_client(eutils_server, tmp_path), store, "ghosts")
        assert report.count == 2 and report.stored_new == 1
        assert report.failed == {ghost: "not returned by efetch (withdrawn or unknown PMID)"}
        assert report.complete


def test_large_query_split_into_windows_nothing_dropped(
    eutils_server: EutilsServer, tmp_path: Path
) -> None:
    records = synthetic_records(11_000, years=(2012, 2019))
    eutils_server.set_records(records)
    with Store(tmp_path / "review.sqlite") as store:
        report = fetch_query(
            _client(eutils_server, tmp_path),
            store,
            "mesenchymal",
            mindate="2012",
            maxdate="2019",
            batch_size=2_000,
        )
        assert report.windows >= 2 and report.count == 11_000 == report.stored_new
        assert len(store) == 11_000
        # Every efetch asked the history server within the 9,999 limit.
        starts = [int(r.params["retstart"]) for r in eutils_server.log if r.endpoint == "efetch"]
        assert max(starts) < 9_999


def test_empty_query_is_a_usage_error(eutils_server: EutilsServer, tmp_path: Path) -> None:
    from msc_mine.errors import UsageError

    with Store(tmp_path / "review.sqlite") as store, pytest.raises(UsageError):
        fetch_query(_client(eutils_server, tmp_path), store, "  ")
