"""NCBI E-utilities client for PubMed: esearch and efetch, polite, cached and retried.

Example::

    >>> from msc_mine.entrez import EntrezClient
    >>> from msc_mine.pubmed_xml import parse_pubmed_xml
    >>> client = EntrezClient("outputs/msc_iv_safety/http_cache.sqlite",
    ...                       email="you@example.org")          # or NCBI_EMAIL
    >>> hits = client.esearch('"mesenchymal stem cells"[MeSH Terms] AND fever[tiab]',
    ...                       retmax=100)
    >>> hits.count, hits.ids[:2]                                 # doctest: +SKIP
    (412, ['39912345', '39876543'])
    >>> xml = client.efetch(webenv=hits.webenv, query_key=hits.query_key, retmax=100)
    >>> records = parse_pubmed_xml(xml)
    >>> windows = client.search_windows("mesenchymal stem cells", datetype="pdat")
    >>> sum(w.count for w in windows) >= 9999                    # doctest: +SKIP
    True

Shape (as Biopython's ``Bio.Entrez``): :meth:`EntrezClient.esearch` and
:meth:`EntrezClient.efetch` only build parameters; one private ``_request`` owns the
etiquette: the rate limit shared by all threads (3 requests/s, 10 with an API key), retries
with exponential backoff and jitter (429 honouring ``Retry-After``, 5xx, connection errors,
timeouts, and HTTP 200 bodies that carry an ``<ERROR>`` or are truncated), the cache, and
the secrets. A final failure is a :class:`~msc_mine.errors.FetchError` naming the query and
the batch; the API key and email never appear in it, in logs or in the cache file.

Cache: a ``requests_cache.CachedSession`` on SQLite at the path the caller gives (the review
folder). Only HTTP 200 responses whose body is complete are stored; ``api_key`` and
``email`` are ignored parameters, so requests-cache stores them as ``REDACTED``. esearch
answers expire after a day (searches change); efetch answers never do (records are fetched
by id, and the store decides by revision date whether a refetch updates one).

Date windows: PubMed's esearch returns at most 9,999 ids per query. When a count exceeds
that, :meth:`EntrezClient.search_windows` halves the date range on the chosen ``datetype``
recursively until every window fits, as NCBI's EDirect does; callers deduplicate ids across
windows (a record can match two ``[pdat]`` windows, by print and by electronic date).

Configuration: ``base_url`` argument, else ``MSC_MINE_EUTILS_URL``, else NCBI. ``email``
argument or ``NCBI_EMAIL`` (required against NCBI's own host, optional elsewhere);
``api_key`` argument or ``NCBI_API_KEY``.
"""

from __future__ import annotations

import json
import logging
import os
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import requests
import requests_cache

from msc_mine.errors import FetchError, UsageError

__all__ = [
    "DATETYPES",
    "ESEARCH_CAP",
    "NCBI_EUTILS",
    "EntrezClient",
    "RetryPolicy",
    "SearchResult",
    "format_date",
    "parse_date",
]

log = logging.getLogger(__name__)

NCBI_EUTILS = "https://eutils.ncbi.nlm.nih.gov/entrez/eutils/"
ESEARCH_CAP = 9999  # PubMed's esearch serves only the first 9,999 ids of a query
DATETYPES = ("pdat", "edat", "mdat")
TOOL = "msc-mine"
_NCBI_HOST_SUFFIX = "ncbi.nlm.nih.gov"
_EARLIEST = date(1800, 1, 1)  # before MEDLINE's oldest citations: an open lower bound
_GET_ID_LIMIT = 200  # longer id lists go by POST: URLs over ~8 kB get refused


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try. Tests shrink the delays; the defaults suit NCBI.

    The n-th retry waits ``min(backoff * 2**n, max_backoff)`` scaled by a random factor in
    ``[1 - jitter, 1 + jitter]`` (so parallel clients do not retry in lockstep), or the
    server's ``Retry-After`` when that is longer (capped at ``max_retry_after``).
    """

    attempts: int = 6
    backoff: float = 1.0
    max_backoff: float = 30.0
    jitter: float = 0.5
    max_retry_after: float = 60.0
    timeout: float = 60.0

    def delay(self, retry: int, rng: random.Random) -> float:
        base = min(self.backoff * 2**retry, self.max_backoff)
        return float(base * rng.uniform(1 - self.jitter, 1 + self.jitter))


@dataclass
class SearchResult:
    """One esearch answer. ``ids`` holds the page asked for (``retstart``..)."""

    term: str
    count: int
    ids: list[str]
    retstart: int = 0
    webenv: str = ""
    query_key: str = ""
    mindate: str = ""
    maxdate: str = ""
    datetype: str = "pdat"
    from_cache: bool = False

    @property
    def window(self) -> str:
        """``2001/01/01-2010/12/31 [pdat]``, or ``all dates``."""
        if not (self.mindate or self.maxdate):
            return "all dates"
        return f"{self.mindate or '...'}-{self.maxdate or '...'} [{self.datetype}]"


def parse_date(text: str, *, upper: bool = False) -> date:
    """``YYYY``, ``YYYY/MM`` or ``YYYY/MM/DD`` (``-`` works too) as the first or last day."""
    parts = [int(p) for p in text.replace("-", "/").split("/") if p.strip()]
    if not 1 <= len(parts) <= 3:
        raise UsageError(f"not a date: {text!r} (use YYYY, YYYY/MM or YYYY/MM/DD)")
    try:
        if len(parts) == 3:
            return date(*parts)
        month = parts[1] if len(parts) == 2 else (12 if upper else 1)
        if not upper:
            return date(parts[0], month, 1)
        first_next = date(parts[0] + month // 12, month % 12 + 1, 1)
        return first_next - timedelta(days=1)
    except ValueError as exc:
        raise UsageError(f"not a date: {text!r} ({exc})") from None


def format_date(d: date) -> str:
    """The form E-utilities expect: ``YYYY/MM/DD``."""
    return f"{d.year:04d}/{d.month:02d}/{d.day:02d}"


class _RateLimiter:
    """Spaces request starts at least ``1/rate`` s apart, across all threads.

    A slot is booked under the lock and slept for outside it, so waiting threads queue
    in booking order without holding the lock.
    """

    def __init__(self, rate: float, clock: Callable[[], float], sleep: Callable[[float], None]):
        # 5 % margin: the server sees arrival times, which network jitter can bunch up.
        self.interval = 1.05 / rate
        self._clock = clock
        self._sleep = sleep
        self._next = 0.0
        self._lock = threading.Lock()

    def wait(self) -> None:
        with self._lock:
            now = self._clock()
            slot = max(now, self._next)
            self._next = slot + self.interval
        if slot > now:
            self._sleep(slot - now)


def _body_problem(endpoint: str, body: bytes) -> str | None:
    """Why a 200 body is unusable (NCBI sends errors and cut-off pages with status 200)."""
    if endpoint == "esearch":
        try:
            doc = json.loads(body)
        except ValueError:
            return "truncated or malformed JSON"
        result = doc.get("esearchresult") if isinstance(doc, dict) else None
        if not isinstance(result, dict):
            return "no esearchresult in response"
        if "ERROR" in result or "count" not in result:
            return "<ERROR> in response"
        return None
    tail = body[-200:].rstrip()
    if b"<ERROR>" in body[:4096] or b"<ERROR>" in tail:
        return "<ERROR> in response"
    if not tail.endswith(b"</PubmedArticleSet>") and not tail.endswith(b"<PubmedArticleSet/>"):
        return "truncated XML"
    return None


def _endpoint_of(url: str) -> str:
    return urlparse(url).path.rsplit("/", 1)[-1].removesuffix(".fcgi")


def _cacheable(response: requests.Response) -> bool:
    """requests-cache ``filter_fn``: only complete, error-free 200 answers are stored."""
    return (
        response.status_code == 200
        and _body_problem(_endpoint_of(response.url), response.content) is None
    )


@dataclass
class _Outcome:
    body: bytes = b""
    from_cache: bool = False


class EntrezClient:
    """E-utilities for PubMed. See the module docstring for a session.

    ``cache_path``: SQLite file for the HTTP cache (``None``: no cache). ``rate``: requests
    per second (default 3, or 10 with an API key). ``retry``, ``sleep``, ``clock``: injectable
    so tests run in milliseconds.
    """

    def __init__(
        self,
        cache_path: str | Path | None = None,
        *,
        base_url: str | None = None,
        email: str | None = None,
        api_key: str | None = None,
        rate: float | None = None,
        retry: RetryPolicy | None = None,
        esearch_expiry: timedelta = timedelta(days=1),
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        seed: int | None = None,
    ) -> None:
        base = base_url or os.environ.get("MSC_MINE_EUTILS_URL") or NCBI_EUTILS
        self.base_url = base if base.endswith("/") else base + "/"
        self._email = email or os.environ.get("NCBI_EMAIL") or ""
        self._api_key = api_key or os.environ.get("NCBI_API_KEY") or ""
        host = urlparse(self.base_url).hostname or ""
        if host.endswith(_NCBI_HOST_SUFFIX) and not self._email:
            raise UsageError(
                "NCBI asks every E-utilities user for a contact email: pass --email "
                "you@example.org or set NCBI_EMAIL"
            )
        self.retry = retry or RetryPolicy()
        self.esearch_expiry = esearch_expiry
        self._sleep = sleep
        self._rng = random.Random(seed)
        self._limiter = _RateLimiter(rate or (10.0 if self._api_key else 3.0), clock, sleep)
        self._stats_lock = threading.Lock()
        self.sent: Counter[str] = Counter()  # requests that went over the network
        self.cache_hits: Counter[str] = Counter()
        self._session: requests.Session
        if cache_path is None:
            self._session = requests.Session()
            self._cached = False
        else:
            Path(cache_path).parent.mkdir(parents=True, exist_ok=True)
            self._session = requests_cache.CachedSession(
                str(cache_path),
                backend="sqlite",
                ignored_parameters=["api_key", "email"],
                allowable_codes=(200,),
                allowable_methods=("GET", "POST"),
                filter_fn=_cacheable,
                expire_after=requests_cache.NEVER_EXPIRE,
                stale_if_error=False,
            )
            self._cached = True
        self._session.headers["User-Agent"] = f"{TOOL} (python-requests)"

    # --- life cycle ---------------------------------------------------------------------

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> EntrezClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def has_api_key(self) -> bool:
        return bool(self._api_key)

    # --- E-utilities --------------------------------------------------------------------

    def esearch(
        self,
        term: str,
        *,
        retstart: int = 0,
        retmax: int = 20,
        usehistory: bool = True,
        mindate: str | None = None,
        maxdate: str | None = None,
        datetype: str = "pdat",
        webenv: str | None = None,
    ) -> SearchResult:
        """One esearch on PubMed (JSON answer). ``retstart`` above 9,998 is refused here,
        as PubMed would refuse it."""
        if retstart > ESEARCH_CAP - 1:
            raise FetchError(
                f"esearch {term!r}: retstart {retstart} is past PubMed's 9,999-id limit; "
                "split the query into date windows (search_windows)"
            )
        if datetype not in DATETYPES:
            raise UsageError(f"unknown datetype {datetype!r}: use one of {', '.join(DATETYPES)}")
        params: dict[str, str] = {
            "db": "pubmed",
            "term": term,
            "retmode": "json",
            "retstart": str(retstart),
            "retmax": str(retmax),
        }
        if usehistory:
            params["usehistory"] = "y"
        if webenv:
            params["WebEnv"] = webenv
        if mindate or maxdate:
            # E-utilities need both bounds; an open end becomes the widest date.
            low = parse_date(mindate) if mindate else _EARLIEST
            high = parse_date(maxdate, upper=True) if maxdate else date.today()
            params |= {
                "datetype": datetype,
                "mindate": format_date(low),
                "maxdate": format_date(high),
            }
        window = SearchResult(
            term,
            0,
            [],
            retstart,
            mindate=params.get("mindate", ""),
            maxdate=params.get("maxdate", ""),
            datetype=datetype,
        )
        what = f"esearch {term!r} ({window.window}, retstart {retstart})"
        outcome = self._request("esearch", params, what, expire_after=self.esearch_expiry)
        result = json.loads(outcome.body)["esearchresult"]
        return replace(
            window,
            count=int(result["count"]),
            ids=[str(i) for i in result.get("idlist", [])],
            webenv=str(result.get("webenv", "")),
            query_key=str(result.get("querykey", "")),
            from_cache=outcome.from_cache,
        )

    def efetch(
        self,
        *,
        ids: Sequence[str] | None = None,
        webenv: str = "",
        query_key: str = "",
        retstart: int = 0,
        retmax: int = 500,
        query: str = "",
    ) -> bytes:
        """PubMed XML for ``ids`` (GET, or POST for long lists) or for a history-server
        batch (``webenv`` + ``query_key``, ``retstart``/``retmax``). ``query`` only names
        the search in error messages."""
        params: dict[str, str] = {"db": "pubmed", "retmode": "xml", "rettype": "abstract"}
        label = f" for {query!r}" if query else ""
        method = "GET"
        if ids is not None:
            id_list = list(ids)
            params["id"] = ",".join(id_list)
            method = "POST" if len(id_list) > _GET_ID_LIMIT else "GET"
            span = f"{id_list[0]}..{id_list[-1]}" if id_list else "none"
            what = f"efetch{label}, {len(id_list)} ids ({span})"
        else:
            if not (webenv and query_key):
                raise UsageError("efetch needs ids or a WebEnv and query_key")
            if retstart >= ESEARCH_CAP:
                raise FetchError(
                    f"efetch{label}: retstart {retstart} is past the history server's "
                    "9,999-record limit; split the query into date windows"
                )
            params |= {
                "WebEnv": webenv,
                "query_key": query_key,
                "retstart": str(retstart),
                "retmax": str(retmax),
            }
            what = f"efetch{label}, batch {retstart}..{retstart + retmax - 1}"
        return self._request("efetch", params, what, method=method).body

    def search_windows(
        self,
        term: str,
        *,
        mindate: str | None = None,
        maxdate: str | None = None,
        datetype: str = "pdat",
        usehistory: bool = True,
    ) -> list[SearchResult]:
        """All ids of ``term``, as esearch answers of at most 9,999 ids each.

        One esearch per window visited (each asks for up to 9,999 ids at once). A window
        over the cap is halved by date and both halves searched, recursively, until each
        fits; a single day that still exceeds the cap is an error rather than a silent loss.
        """
        first = self.esearch(
            term,
            retmax=ESEARCH_CAP,
            usehistory=usehistory,
            mindate=mindate,
            maxdate=maxdate,
            datetype=datetype,
        )
        if first.count <= ESEARCH_CAP:
            return [first]
        low = parse_date(mindate) if mindate else _EARLIEST
        high = parse_date(maxdate, upper=True) if maxdate else date.today()
        return self._split(term, low, high, datetype, usehistory)

    def _split(
        self, term: str, low: date, high: date, datetype: str, usehistory: bool
    ) -> list[SearchResult]:
        if low >= high:
            raise FetchError(
                f"esearch {term!r}: more than 9,999 records on {format_date(low)} "
                f"[{datetype}] alone; narrow the query"
            )
        mid = low + (high - low) // 2
        windows: list[SearchResult] = []
        for lo, hi in ((low, mid), (mid + timedelta(days=1), high)):
            res = self.esearch(
                term,
                retmax=ESEARCH_CAP,
                usehistory=usehistory,
                mindate=format_date(lo),
                maxdate=format_date(hi),
                datetype=datetype,
            )
            log.info("esearch window %s: %d records", res.window, res.count)
            if res.count > ESEARCH_CAP:
                windows.extend(self._split(term, lo, hi, datetype, usehistory))
            elif res.count:
                windows.append(res)
        return windows

    # --- the one place that talks to the network ----------------------------------------

    def _request(
        self,
        endpoint: str,
        params: dict[str, str],
        what: str,
        *,
        method: str = "GET",
        expire_after: timedelta | None = None,
    ) -> _Outcome:
        """Send one E-utility request politely; return a complete, error-free body.

        ``what`` names the query and batch for errors; it never contains secrets, and
        neither do the log lines (no parameters, no response bodies: NCBI's 429 body
        echoes the API key).
        """
        url = self.base_url + endpoint + ".fcgi"
        full = {**params, "tool": TOOL}
        if self._email:
            full["email"] = self._email
        if self._api_key:
            full["api_key"] = self._api_key
        send: dict[str, Any] = {"data": full} if method == "POST" else {"params": full}
        cache_opts: dict[str, Any] = {}
        if self._cached:
            cache_opts["expire_after"] = (
                expire_after if expire_after is not None else requests_cache.NEVER_EXPIRE
            )
            # A cache hit costs no request, so it must not wait for a rate-limit slot.
            cached: Any = self._session  # a CachedSession; requests' stubs lack its kwargs
            hit = cached.request(method, url, only_if_cached=True, **send, **cache_opts)
            if hit.status_code == 200 and getattr(hit, "from_cache", False):
                with self._stats_lock:
                    self.cache_hits[endpoint] += 1
                return _Outcome(hit.content, from_cache=True)

        problem = "no attempt made"
        for attempt in range(self.retry.attempts):
            wait = 0.0
            self._limiter.wait()
            with self._stats_lock:
                self.sent[endpoint] += 1
            try:
                response = self._session.request(
                    method, url, timeout=self.retry.timeout, **send, **cache_opts
                )
            except requests.Timeout:
                problem = "timed out"
            except requests.ConnectionError:
                problem = "connection failed"
            else:
                status = response.status_code
                if status == 200:
                    problem = _body_problem(endpoint, response.content) or ""
                    if not problem:
                        return _Outcome(response.content)
                elif status == 429:
                    problem = "HTTP 429 (rate limit)"
                    wait = _retry_after(response.headers.get("Retry-After"))
                elif status >= 500:
                    problem = f"HTTP {status}"
                else:
                    # 4xx other than 429 will not get better by asking again.
                    raise FetchError(f"{what}: HTTP {status} from {self._host()}")
            if attempt + 1 < self.retry.attempts:
                delay = max(
                    self.retry.delay(attempt, self._rng), min(wait, self.retry.max_retry_after)
                )
                log.warning(
                    "%s: %s; retry %d/%d in %.1f s",
                    what,
                    problem,
                    attempt + 1,
                    self.retry.attempts - 1,
                    delay,
                )
                self._sleep(delay)
        raise FetchError(
            f"{what}: {problem} from {self._host()}, {self.retry.attempts} attempts; "
            "run again to resume"
        )

    def _host(self) -> str:
        return urlparse(self.base_url).netloc


def _retry_after(value: str | None) -> float:
    try:
        return max(0.0, float(value)) if value else 0.0
    except ValueError:
        return 0.0  # an HTTP-date: fall back to our own backoff
