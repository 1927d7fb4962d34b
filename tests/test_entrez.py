"""EntrezClient end to end over real HTTP against the local E-utilities server."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests

from eutils_server import EutilsServer, synthetic_records
from msc_mine.entrez import NCBI_EUTILS, EntrezClient, RetryPolicy
from msc_mine.errors import FetchError, UsageError
from msc_mine.pubmed_xml import parse_pubmed_xml

KEY = "SECRET-API-KEY-0123456789"
EMAIL = "reviewer@example.org"
FAST = RetryPolicy(attempts=4, backoff=0.001, max_backoff=0.01, timeout=5)

ClientFactory = Callable[..., EntrezClient]


@pytest.fixture
def make_client(eutils_server: EutilsServer, tmp_path: Path) -> ClientFactory:
    def make(**kwargs: Any) -> EntrezClient:
        options: dict[str, Any] = {
            "base_url": eutils_server.url,
            "email": EMAIL,
            "api_key": KEY,
            "rate": 1000.0,
            "retry": FAST,
            "seed": 1,
        }
        options.update(kwargs)
        return EntrezClient(options.pop("cache_path", tmp_path / "cache.sqlite"), **options)

    return make


def test_esearch_pages_and_history_batches(
    eutils_server: EutilsServer, make_client: ClientFactory
) -> None:
    records = synthetic_records(230, seed=2)
    eutils_server.set_records(records)
    client = make_client()
    pages = [client.esearch("mesenchymal", retstart=s, retmax=100) for s in (0, 100, 200)]
    assert [p.count for p in pages] == [230, 230, 230]
    ids = [i for p in pages for i in p.ids]
    assert len(ids) == len(set(ids)) == 230
    assert pages[0].webenv and pages[0].query_key
    fetched = []
    for start in range(0, 230, 100):
        xml = client.efetch(
            webenv=pages[0].webenv, query_key=pages[0].query_key, retstart=start, retmax=100
        )
        fetched.extend(r.pmid for r in parse_pubmed_xml(xml))
    assert fetched == ids
    assert eutils_server.counts == {"esearch": 3, "efetch": 3}


def test_efetch_by_ids_get_and_post(
    eutils_server: EutilsServer, make_client: ClientFactory
) -> None:
    records = synthetic_records(300, seed=4)
    eutils_server.set_records(records)
    client = make_client()
    few = [r.pmid for r in records[:5]]
    many = [r.pmid for r in records]
    assert [r.pmid for r in parse_pubmed_xml(client.efetch(ids=few))] == few
    assert [r.pmid for r in parse_pubmed_xml(client.efetch(ids=many))] == many
    assert [r.method for r in eutils_server.log] == ["GET", "POST"]


def test_responses_are_cached_and_counted(
    eutils_server: EutilsServer, make_client: ClientFactory
) -> None:
    eutils_server.set_records(synthetic_records(20))
    client = make_client()
    first = client.esearch("fever", retmax=50)
    again = client.esearch("fever", retmax=50)
    assert not first.from_cache and again.from_cache
    assert again.ids == first.ids
    client.efetch(ids=first.ids)
    client.efetch(ids=first.ids)
    assert eutils_server.counts == {"esearch": 1, "efetch": 1}
    assert client.sent == {"esearch": 1, "efetch": 1}
    assert client.cache_hits == {"esearch": 1, "efetch": 1}


def test_esearch_expires_efetch_does_not(
    eutils_server: EutilsServer, make_client: ClientFactory
) -> None:
    from datetime import timedelta

    eutils_server.set_records(synthetic_records(5))
    client = make_client(esearch_expiry=timedelta(seconds=1))
    hits = client.esearch("fever")
    client.efetch(ids=hits.ids)
    time.sleep(1.2)
    client.esearch("fever")
    client.efetch(ids=hits.ids)
    assert eutils_server.counts == {"esearch": 2, "efetch": 1}


def test_server_errors_and_bad_bodies_are_retried(
    eutils_server: EutilsServer, make_client: ClientFactory
) -> None:
    eutils_server.set_records(synthetic_records(10))
    client = make_client(retry=RetryPolicy(attempts=6, backoff=0.001, max_backoff=0.01))
    hits = client.esearch("fever")
    eutils_server.force("500", "502", "503", "truncated", "error", endpoint="efetch")
    records = parse_pubmed_xml(client.efetch(ids=hits.ids))
    assert [r.pmid for r in records] == hits.ids
    assert [r.status for r in eutils_server.log if r.endpoint == "efetch"] == [
        500,
        502,
        503,
        200,
        200,
        200,
    ]
    # A truncated esearch JSON body is retried too.
    eutils_server.force("truncated", endpoint="esearch")
    assert client.esearch("headache").count == client.esearch("headache").count


def test_error_body_retried_then_fetch_error_naming_query_and_batch(
    eutils_server: EutilsServer, make_client: ClientFactory
) -> None:
    eutils_server.set_records(synthetic_records(10))
    client = make_client()
    hits = client.esearch("mesenchymal")
    eutils_server.force(*["error"] * FAST.attempts, endpoint="efetch")
    with pytest.raises(FetchError) as info:
        client.efetch(
            webenv=hits.webenv, query_key=hits.query_key, retstart=0, retmax=5, query="mesenchymal"
        )
    message = str(info.value)
    assert "'mesenchymal'" in message and "batch 0..4" in message and "<ERROR>" in message
    assert KEY not in message and EMAIL not in message
    assert eutils_server.counts["efetch"] == FAST.attempts
    # The error bodies were not cached: the next call asks the server and succeeds.
    xml = client.efetch(webenv=hits.webenv, query_key=hits.query_key, retstart=0, retmax=5)
    assert len(parse_pubmed_xml(xml)) == 5
    assert eutils_server.counts["efetch"] == FAST.attempts + 1


def test_429_honours_retry_after(eutils_server: EutilsServer, make_client: ClientFactory) -> None:
    eutils_server.set_records(synthetic_records(5))
    eutils_server.retry_after = 0.3
    client = make_client()
    eutils_server.force("429")
    client.esearch("fever")
    first, second = eutils_server.log
    assert first.status == 429 and second.status == 200
    assert second.at - first.at >= 0.3


def test_rate_limit_exceeded_then_recovered(
    eutils_server: EutilsServer, make_client: ClientFactory
) -> None:
    """A client set faster than the server allows is answered 429 and still gets through."""
    eutils_server.set_records(synthetic_records(5))
    eutils_server.rate = 5
    eutils_server.retry_after = 0.25
    client = make_client(rate=1000.0, retry=RetryPolicy(attempts=8, backoff=0.01))
    results = [client.esearch(f"term{i}") for i in range(8)]
    assert all(r.count == 0 for r in results)
    assert any(r.status == 429 for r in eutils_server.log)
    assert sum(r.status == 200 for r in eutils_server.log) == 8


def test_rate_limit_across_threads(eutils_server: EutilsServer, make_client: ClientFactory) -> None:
    eutils_server.set_records(synthetic_records(5))
    rate = 20
    eutils_server.rate = rate  # the server would answer 429 if the client were too fast
    client = make_client(rate=float(rate))

    def work(worker: int) -> None:
        for i in range(8):
            client.esearch(f"w{worker}q{i}")

    threads = [threading.Thread(target=work, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    times = sorted(r.at for r in eutils_server.log)
    assert len(times) == 32
    assert all(r.status == 200 for r in eutils_server.log)
    # Any `rate` consecutive requests plus one span at least a second, at the server.
    spans = [times[i + rate] - times[i] for i in range(len(times) - rate)]
    assert min(spans) >= 0.98


def test_secrets_sent_but_never_cached(
    eutils_server: EutilsServer, make_client: ClientFactory, tmp_path: Path
) -> None:
    records = synthetic_records(250)
    eutils_server.set_records(records)
    client = make_client()
    hits = client.esearch("fever", retmax=300)
    client.efetch(ids=hits.ids)  # POST: the secrets travel in the form body
    client.efetch(webenv=hits.webenv, query_key=hits.query_key, retmax=10)
    eutils_server.force("429")
    client.esearch("headache")  # the 429 body echoes the key, as NCBI's does
    client.close()
    assert all(r.params.get("api_key") == KEY for r in eutils_server.log)
    assert all(r.params.get("email") == EMAIL for r in eutils_server.log)
    assert all(r.params.get("tool") == "msc-mine" for r in eutils_server.log)
    stored = b"".join(p.read_bytes() for p in tmp_path.glob("cache.sqlite*"))
    assert len(stored) > 10_000
    assert KEY.encode() not in stored
    assert EMAIL.encode() not in stored


def test_cap_splits_into_date_windows_without_loss(
    eutils_server: EutilsServer, make_client: ClientFactory
) -> None:
    records = synthetic_records(12_500, years=(2010, 2019))
    eutils_server.set_records(records)
    eutils_server.add_term("msc[tiab]", [r.pmid for r in records])
    client = make_client()
    windows = client.search_windows("msc[tiab]", mindate="2010", maxdate="2019")
    assert len(windows) >= 2
    assert all(w.count <= 9999 and len(w.ids) == w.count for w in windows)
    ids = [i for w in windows for i in w.ids]
    assert len(ids) == len(set(ids)) == 12_500
    assert set(ids) == {r.pmid for r in records}
    # Windows are contiguous date ranges on pdat, and each has its own history entry.
    assert all(w.datetype == "pdat" and w.webenv and w.query_key for w in windows)
    with pytest.raises(FetchError, match="9,999"):
        client.esearch("msc[tiab]", retstart=9999)


def test_server_enforces_cap_like_ncbi(eutils_server: EutilsServer) -> None:
    eutils_server.set_records(synthetic_records(20))
    base = eutils_server.url
    xml = requests.get(base + "esearch.fcgi", params={"term": "fever", "retstart": "9999"})
    assert xml.status_code == 200 and b"<ERROR>" in xml.content
    js = requests.get(
        base + "esearch.fcgi", params={"term": "fever", "retstart": "9999", "retmode": "json"}
    )
    with pytest.raises(ValueError):
        js.json()
    hist = requests.get(base + "esearch.fcgi", params={"term": "fever", "usehistory": "y"})
    webenv = hist.text.split("<WebEnv>")[1].split("<")[0]
    cut = requests.get(
        base + "efetch.fcgi",
        params={"db": "pubmed", "WebEnv": webenv, "query_key": "1", "retstart": "9999"},
    )
    assert cut.status_code == 400


def test_date_filters_on_server(eutils_server: EutilsServer, make_client: ClientFactory) -> None:
    records = synthetic_records(400, years=(2001, 2020))
    eutils_server.set_records(records)
    client = make_client()
    got = client.esearch("mesenchymal", mindate="2005", maxdate="2006", retmax=9999)
    expected = {r.pmid for r in records if r.year in (2005, 2006)}
    assert set(got.ids) == expected and got.count == len(expected)
    by_mdat = client.esearch("mesenchymal", mindate="2024/01/01", datetype="mdat", retmax=9999)
    assert set(by_mdat.ids) == {r.pmid for r in records if r.revised >= "2024-01-01"}


def test_connection_errors_end_in_fetch_error(tmp_path: Path) -> None:
    client = EntrezClient(None, base_url="http://127.0.0.1:9/eutils/", retry=FAST)
    with pytest.raises(FetchError, match=r"connection failed.*4 attempts"):
        client.esearch("fever")


def test_other_client_errors_are_not_retried(
    eutils_server: EutilsServer, make_client: ClientFactory
) -> None:
    client = make_client(base_url=eutils_server.url.replace("/eutils/", "/nothing/"))
    with pytest.raises(FetchError, match="HTTP 404"):
        client.esearch("fever")
    assert len(eutils_server.log) == 0  # 404 came from the path router, before logging


def test_email_required_for_ncbi_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NCBI_EMAIL", raising=False)
    with pytest.raises(UsageError, match="NCBI_EMAIL"):
        EntrezClient(None, base_url=NCBI_EUTILS)
    monkeypatch.setenv("NCBI_EMAIL", EMAIL)
    assert EntrezClient(None, base_url=NCBI_EUTILS).base_url == NCBI_EUTILS
    monkeypatch.delenv("NCBI_EMAIL")
    assert EntrezClient(None, base_url="http://127.0.0.1:9/e").base_url == "http://127.0.0.1:9/e/"


def test_base_url_and_key_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MSC_MINE_EUTILS_URL", "http://127.0.0.1:9/from-env/")
    monkeypatch.setenv("NCBI_API_KEY", KEY)
    client = EntrezClient(None)
    assert client.base_url == "http://127.0.0.1:9/from-env/"
    assert client.has_api_key
