"""A local NCBI E-utilities stand-in (esearch + efetch on PubMed) for tests and benchmarks.

Example::

    >>> import requests
    >>> from eutils_server import EutilsServer, synthetic_records
    >>> with EutilsServer(synthetic_records(50)) as server:
    ...     server.force("503")  # the next request fails once
    ...     first = requests.get(server.url + "esearch.fcgi", params={"term": "fever"})
    ...     second = requests.get(server.url + "esearch.fcgi", params={"term": "fever"})
    ...     (first.status_code, second.status_code, server.counts["esearch"])
    (503, 200, 2)

It answers the way NCBI does where clients stumble: XML and JSON esearch, ``usehistory=y``
(WebEnv + query_key), ``retstart``/``retmax``, the 9,999-id cap of esearch (HTTP 200 with
an ``<ERROR>`` body) and of history efetch (HTTP 400), ``mindate``/``maxdate`` on the
``pdat``/``edat``/``mdat`` dates, efetch by id list over GET or POST, and 429 with
``Retry-After`` when requests come faster than the configured rate. Tests queue faults
(5xx HTML pages, truncated bodies, ``<ERROR>`` bodies) and read back every request's
parameters and arrival time.

Searching: a term registered with :meth:`EutilsServer.add_term` returns its PMIDs; any
other term is matched crudely: it is split at top-level ``AND``; each part matches when
any of its quoted phrases or bare words occurs in a record's title, abstract or MeSH. A
part that is a date range in PubMed's syntax, ``("2000/01/01"[pdat] : "3000"[pdat])``
(tags ``pdat``/``dp``, ``edat``, ``mdat``), filters on that date instead. A record's dates
come from :func:`msc_mine.pubmed_writer.record_dates`; :meth:`EutilsServer.set_dates`
overrides them (a record that entered PubMed today, say).
"""

from __future__ import annotations

import json
import random
import re
import threading
import time
from collections import Counter, deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

from msc_mine.pubmed_writer import article_xml, record_dates, wrap_articles
from msc_mine.records import AbstractSection, MeshHeading, Record

ESEARCH_CAP = 9999
FAULTS = ("429", "500", "502", "503", "truncated", "error")


@dataclass
class LoggedRequest:
    endpoint: str
    method: str
    params: dict[str, str]
    at: float  # time.monotonic() at arrival
    status: int = 0


@dataclass
class _History:
    ids: list[str]
    term: str


@dataclass
class _State:
    records: dict[str, Record] = field(default_factory=dict)
    fragments: dict[str, bytes] = field(default_factory=dict)
    dates: dict[str, dict[str, date | None]] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)
    terms: dict[str, list[str]] = field(default_factory=dict)
    histories: dict[str, dict[str, _History]] = field(default_factory=dict)
    faults: deque[tuple[str, str | None]] = field(default_factory=deque)
    log: list[LoggedRequest] = field(default_factory=list)
    accepted: deque[float] = field(default_factory=deque)


class EutilsServer:
    """Threaded HTTP server on 127.0.0.1 (free port) answering ``esearch.fcgi``/``efetch.fcgi``.

    ``rate``: requests per second allowed before answering 429 (``None``: unlimited);
    ``retry_after``: the ``Retry-After`` header sent with a 429, in seconds.
    """

    def __init__(
        self,
        records: Iterable[Record] = (),
        *,
        rate: float | None = None,
        retry_after: float = 1,
    ) -> None:
        self.rate = rate
        self.retry_after = retry_after
        self._lock = threading.Lock()
        self._state = _State()
        self._webenv_seq = 0
        self.set_records(records)
        handler = type("Handler", (_Handler,), {"owner": self})
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    # --- configuration ------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/entrez/eutils/"

    def set_records(self, records: Iterable[Record]) -> None:
        """Serve exactly ``records`` (their XML is rendered once, here)."""
        state = self._state
        with self._lock:
            state.records.clear()
            state.fragments.clear()
            state.dates.clear()
            state.texts.clear()
        self.add_records(records)

    def add_records(self, records: Iterable[Record]) -> None:
        with self._lock:
            for rec in records:
                d = record_dates(rec)
                st = self._state
                st.records[rec.pmid] = rec
                st.fragments[rec.pmid] = article_xml(rec)
                st.dates[rec.pmid] = {"pdat": d.pdat, "edat": d.edat, "mdat": d.mdat}
                mesh = " ".join(m.descriptor for m in rec.mesh)
                st.texts[rec.pmid] = f"{rec.title} {rec.abstract_text} {mesh}".lower()

    def set_dates(
        self,
        pmid: str,
        *,
        pdat: date | None = None,
        edat: date | None = None,
        mdat: date | None = None,
    ) -> None:
        """Override a served record's publication, entry or modification date."""
        with self._lock:
            dates = self._state.dates[pmid]
            for name, value in (("pdat", pdat), ("edat", edat), ("mdat", mdat)):
                if value is not None:
                    dates[name] = value

    def add_term(self, term: str, pmids: Sequence[str]) -> None:
        """Make ``term`` return ``pmids`` (before date filtering)."""
        with self._lock:
            self._state.terms[term] = list(pmids)

    def force(self, *faults: str, endpoint: str | None = None) -> None:
        """Queue faults for the next requests (to ``endpoint`` only, if given).

        ``"429"``, ``"500"``, ``"502"``, ``"503"``: that status (HTML page; 429 with
        Retry-After and a JSON body echoing the api_key as NCBI's does); ``"truncated"``:
        the real answer cut in half; ``"error"``: HTTP 200 whose body is an ``<ERROR>``.
        """
        for fault in faults:
            if fault not in FAULTS:
                raise ValueError(f"unknown fault {fault!r}")
            self._state.faults.append((fault, endpoint))

    # --- observations -------------------------------------------------------------------

    @property
    def log(self) -> list[LoggedRequest]:
        with self._lock:
            return list(self._state.log)

    @property
    def counts(self) -> Counter[str]:
        """Requests received per endpoint (``esearch``, ``efetch``), faults included."""
        return Counter(r.endpoint for r in self.log)

    def reset_log(self) -> None:
        with self._lock:
            self._state.log.clear()

    # --- life cycle ---------------------------------------------------------------------

    def start(self) -> EutilsServer:
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread:
            self._thread.join(timeout=5)

    def __enter__(self) -> EutilsServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- request handling (called from handler threads) ---------------------------------

    def _admit(
        self, endpoint: str, method: str, params: dict[str, str]
    ) -> tuple[str | None, LoggedRequest]:
        """Log the request; return the fault to answer with, if any."""
        now = time.monotonic()
        entry = LoggedRequest(endpoint, method, params, now)
        with self._lock:
            st = self._state
            st.log.append(entry)
            for i, (fault, target) in enumerate(st.faults):
                if target is None or target == endpoint:
                    del st.faults[i]
                    return fault, entry
            if self.rate is not None:
                while st.accepted and now - st.accepted[0] >= 1.0:
                    st.accepted.popleft()
                if len(st.accepted) >= self.rate:
                    return "429", entry
                st.accepted.append(now)
        return None, entry

    def _search_ids(self, params: dict[str, str]) -> list[str]:
        term = params.get("term", "")
        st = self._state
        if term in st.terms:
            # Registered terms may list PMIDs efetch cannot return (withdrawn records).
            ids = list(st.terms[term])
        else:
            parts = _split_and(term)
            ranges = [r for r in map(_date_range, parts) if r is not None]
            groups = [_phrases(part) for part in parts if _date_range(part) is None]
            ids = [
                pmid
                for pmid, text in st.texts.items()
                if all(any(p in text for p in g) for g in groups if g)
            ]
            for datetype, low, high in ranges:
                ids = self._in_dates(ids, datetype, low, high)
        datetype = params.get("datetype", "pdat")
        low = _parse_date(params.get("mindate", ""), upper=False)
        high = _parse_date(params.get("maxdate", ""), upper=True)
        if low or high:
            ids = self._in_dates(ids, datetype, low, high)
        # PubMed lists the newest first; numeric PMID order is a fair stand-in.
        return sorted(set(ids), key=int, reverse=True)

    def _in_dates(
        self, ids: list[str], datetype: str, low: date | None, high: date | None
    ) -> list[str]:
        kept = []
        for pmid in ids:
            d = self._state.dates.get(pmid, {}).get(datetype)
            if d is None or (low and d < low) or (high and d > high):
                continue
            kept.append(pmid)
        return kept

    def esearch(self, params: dict[str, str]) -> tuple[int, str, bytes]:
        json_mode = params.get("retmode") == "json"
        retstart = int(params.get("retstart", "0"))
        retmax = int(params.get("retmax", "20"))
        if retstart > ESEARCH_CAP - 1:
            msg = (
                "Search Backend failed: Exception:\n'retstart' cannot be larger than 9998. "
                "For PubMed, ESearch can only retrieve the first 9,999 records matching "
                "the query. To obtain more than 9,999 PubMed records, consider using EDirect"
            )
            if json_mode:  # NCBI's JSON error is not valid JSON: keep it so
                return (
                    200,
                    "application/json",
                    ('{"esearchresult": {"ERROR": "' + msg + '"}').encode(),
                )
            body = f"<eSearchResult><ERROR>{_esc(msg)}</ERROR></eSearchResult>"
            return 200, "text/xml", _esearch_head() + body.encode()
        with self._lock:
            ids = self._search_ids(params)
            webenv = query_key = ""
            if params.get("usehistory") == "y":
                webenv = params.get("WebEnv") or self._new_webenv()
                keys = self._state.histories.setdefault(webenv, {})
                query_key = str(len(keys) + 1)
                keys[query_key] = _History(ids, params.get("term", ""))
        page = ids[:ESEARCH_CAP][retstart : retstart + retmax]
        if json_mode:
            result: dict[str, Any] = {
                "count": str(len(ids)),
                "retmax": str(len(page)),
                "retstart": str(retstart),
                "idlist": page,
                "querytranslation": params.get("term", ""),
            }
            if webenv:
                result |= {"querykey": query_key, "webenv": webenv}
            doc = {"header": {"type": "esearch", "version": "0.3"}, "esearchresult": result}
            return 200, "application/json", json.dumps(doc).encode()
        hist = f"<QueryKey>{query_key}</QueryKey><WebEnv>{webenv}</WebEnv>" if webenv else ""
        id_xml = "".join(f"<Id>{i}</Id>" for i in page)
        body = (
            f"<eSearchResult><Count>{len(ids)}</Count><RetMax>{len(page)}</RetMax>"
            f"<RetStart>{retstart}</RetStart>{hist}<IdList>{id_xml}</IdList><TranslationSet/>"
            f"<QueryTranslation>{_esc(params.get('term', ''))}</QueryTranslation></eSearchResult>\n"
        )
        return 200, "text/xml", _esearch_head() + body.encode()

    def efetch(self, params: dict[str, str]) -> tuple[int, str, bytes]:
        if params.get("db", "pubmed") != "pubmed":
            return 200, "text/xml", _efetch_error("Unknown db")
        if params.get("id"):
            ids = [i.strip() for i in params["id"].split(",") if i.strip()]
        else:
            webenv, key = params.get("WebEnv", ""), params.get("query_key", "")
            with self._lock:
                hist = self._state.histories.get(webenv, {}).get(key)
            if hist is None:
                return 200, "text/xml", _efetch_error(f"Unable to obtain query #{key or 0}")
            retstart = int(params.get("retstart", "0"))
            retmax = int(params.get("retmax", "20"))
            if retstart >= ESEARCH_CAP:
                return 400, "text/html", _html(400, "Bad Request")
            ids = hist.ids[retstart : min(retstart + retmax, ESEARCH_CAP)]
        with self._lock:
            fragments = [self._state.fragments[i] for i in ids if i in self._state.fragments]
        return 200, "text/xml", wrap_articles(fragments)

    def _new_webenv(self) -> str:
        self._webenv_seq += 1
        return f"MCID_local_{self._webenv_seq:06d}"


class _Handler(BaseHTTPRequestHandler):
    owner: EutilsServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep test output clean

    def do_GET(self) -> None:
        self._serve("GET", urlparse(self.path).query)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        form = self.rfile.read(length).decode()
        query = urlparse(self.path).query
        self._serve("POST", "&".join(q for q in (query, form) if q))

    def _serve(self, method: str, query: str) -> None:
        params = {k: v[-1] for k, v in parse_qs(query, keep_blank_values=True).items()}
        folder, _, name = urlparse(self.path).path.rpartition("/")
        name = name.removesuffix(".fcgi")
        if folder != "/entrez/eutils" or name not in ("esearch", "efetch"):
            self._send(404, "text/html", _html(404, "Not Found"))
            return
        fault, entry = self.owner._admit(name, method, params)
        if fault == "429":
            body = json.dumps(
                {
                    "error": "API rate limit exceeded",
                    "api-key": params.get("api_key", self.client_address[0]),
                    "count": "4",
                    "limit": "3",
                }
            ).encode()
            entry.status = 429
            self._send(
                429, "application/json", body, {"Retry-After": f"{self.owner.retry_after:g}"}
            )
            return
        if fault in ("500", "502", "503"):
            entry.status = int(fault)
            self._send(int(fault), "text/html", _html(int(fault), "Service Unavailable"))
            return
        if fault == "error":
            body = (
                _efetch_error("Unable to obtain query #1")
                if name == "efetch"
                else _esearch_head()
                + b"<eSearchResult><ERROR>Backend failure</ERROR></eSearchResult>"
            )
            entry.status = 200
            self._send(200, "text/xml", body)
            return
        status, ctype, body = getattr(self.owner, name)(params)
        if fault == "truncated":
            body = body[: max(1, len(body) // 2)]
        entry.status = status
        self._send(status, ctype, body)

    def _send(
        self, status: int, ctype: str, body: bytes, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", f"{ctype}; charset=UTF-8")
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)


# --- helpers --------------------------------------------------------------------------------


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _esearch_head() -> bytes:
    # NCBI's DOCTYPE names its DTD by URL; Biopython resolves it by file name from its
    # bundled DTDs. The system id here keeps that file name but points at a dead local port,
    # so a parser that tried to fetch it would fail instead of reaching the real host.
    return (
        b'<?xml version="1.0" encoding="UTF-8" ?>\n<!DOCTYPE eSearchResult PUBLIC '
        b'"-//NLM//DTD esearch 20060628//EN" '
        b'"http://127.0.0.1:9/eutils/dtd/20060628/esearch.dtd">\n'
    )


def _efetch_error(message: str) -> bytes:
    return (
        b'<?xml version="1.0" encoding="UTF-8" ?>\n<eFetchResult>\n\t<ERROR>'
        + _esc(message).encode()
        + b"</ERROR>\n</eFetchResult>\n"
    )


def _html(status: int, reason: str) -> bytes:
    title = f"{status} {reason}"
    return (
        f"<html><head><title>{title}</title></head><body><h1>{reason}</h1></body></html>".encode()
    )


def _parse_date(text: str, *, upper: bool) -> date | None:
    parts = [int(p) for p in re.split(r"[/-]", text.strip()) if p] if text.strip() else []
    if not parts:
        return None
    year = parts[0]
    month = parts[1] if len(parts) > 1 else (12 if upper else 1)
    if len(parts) > 2:
        return date(year, month, parts[2])
    if not upper:
        return date(year, month, 1)
    next_month = date(year + month // 12, month % 12 + 1, 1)
    return date.fromordinal(next_month.toordinal() - 1)


_DATE_TAGS = {"pdat": "pdat", "dp": "pdat", "edat": "edat", "mdat": "mdat"}
_DATE_RANGE = re.compile(
    r'^\(?\s*"([^"]+)"\[(\w+)\]\s*:\s*"([^"]+)"\[(\w+)\]\s*\)?$', re.IGNORECASE
)


def _date_range(part: str) -> tuple[str, date | None, date | None] | None:
    """``("2000/01/01"[pdat] : "3000"[pdat])`` -> ("pdat", low, high); else None."""
    m = _DATE_RANGE.match(part.strip())
    if m is None or m.group(2).lower() != m.group(4).lower():
        return None
    tag = _DATE_TAGS.get(m.group(2).lower())
    if tag is None:
        return None
    return tag, _parse_date(m.group(1), upper=False), _parse_date(m.group(3), upper=True)


def _split_and(term: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for m in re.finditer(r"[()]|\bAND\b", term):
        tok = m.group()
        if tok == "(":
            depth += 1
        elif tok == ")":
            depth -= 1
        elif depth == 0:
            parts.append(term[start : m.start()])
            start = m.end()
    parts.append(term[start:])
    stripped = [p.strip() for p in parts if p.strip()]
    # "(A AND B)" wrapped whole in parentheses: look inside.
    if len(stripped) == 1 and stripped[0].startswith("(") and stripped[0].endswith(")"):
        inner = stripped[0][1:-1]
        if inner.count("(") == inner.count(")"):
            return _split_and(inner)
    return stripped


def _phrases(part: str) -> list[str]:
    part = re.sub(r"\[[^\]]*\]", " ", part)
    quoted = re.findall(r'"([^"]+)"', part)
    rest = re.sub(r'"[^"]*"', " ", part)
    words = [w for w in re.findall(r"[\w'-]+", rest) if w not in ("AND", "OR", "NOT")]
    return [p.lower().rstrip("*") for p in [*quoted, *words] if p.strip("*")]


# --- synthetic records ------------------------------------------------------------------------

_DISEASES = [
    ("multiple sclerosis", "Multiple Sclerosis"),
    ("Crohn's disease", "Crohn Disease"),
    ("knee osteoarthritis", "Osteoarthritis, Knee"),
    ("systemic lupus erythematosus", "Lupus Erythematosus, Systemic"),
    ("amyotrophic lateral sclerosis", "Amyotrophic Lateral Sclerosis"),
    ("spinal cord injury", "Spinal Cord Injuries"),
    ("type 1 diabetes", "Diabetes Mellitus, Type 1"),
]
_SOURCES = ["bone marrow", "umbilical cord", "adipose tissue", "placenta"]
_ROUTES = ["intravenous", "intrathecal", "intra-articular"]
_DESIGNS = [
    ("a randomized, placebo-controlled phase 2 trial", "Randomized Controlled Trial"),
    ("an open-label phase 1 study", "Clinical Trial, Phase I"),
    ("a retrospective cohort", "Observational Study"),
    ("a systematic review", "Review"),
]
_FAMILIES = ["Garcia", "Okafor", "Lindqvist", "Nakamura", "Haddad", "Novak", "Moreau", "da Silva"]
_JOURNALS = ["Stem Cell Res Ther", "Cytotherapy", "Stem Cells Transl Med", "J Transl Med"]


def synthetic_records(
    n: int, *, seed: int = 0, start_pmid: int = 90_000_000, years: tuple[int, int] = (2005, 2024)
) -> list[Record]:
    """``n`` fictional but PubMed-shaped MSC records with PMIDs from ``start_pmid`` up."""
    return list(_iter_synthetic(n, seed, start_pmid, years))


def _iter_synthetic(n: int, seed: int, start_pmid: int, years: tuple[int, int]) -> Iterator[Record]:
    rng = random.Random(seed)
    for i in range(n):
        pmid = str(start_pmid + i)
        disease, mesh = rng.choice(_DISEASES)
        source, route = rng.choice(_SOURCES), rng.choice(_ROUTES)
        design, ptype = rng.choice(_DESIGNS)
        n_pat = rng.randint(6, 120)
        dose = rng.choice(["1", "2", "5"])
        title = f"{route.capitalize()} {source} mesenchymal stem cells in {disease}: {design}"
        abstract = [
            AbstractSection(
                "BACKGROUND",
                f"Mesenchymal stem cells (MSCs) from {source} may modulate {disease}.",
                "BACKGROUND",
            ),
            AbstractSection(
                "METHODS",
                f"{n_pat} patients received {dose} × 10(6) cells/kg by the {route} route.",
                "METHODS",
            ),
            AbstractSection(
                "RESULTS",
                rng.choice(
                    [
                        "No serious adverse events occurred; transient fever resolved in a day.",
                        f"Two serious adverse events (pneumonia) were judged unrelated; "
                        f"{rng.randint(1, 9)} patients reported headache.",
                    ]
                ),
                "RESULTS",
            ),
        ]
        authors = [
            f"{rng.choice(_FAMILIES)} {rng.choice('ABCDEFGHJKLMN')}{rng.choice(['', 'A', 'J'])}"
            for _ in range(rng.randint(1, 4))
        ]
        if i % 17 == 0:
            authors.append("MSC Safety Study Group")
        year = rng.randint(*years)
        rev_year = min(year + rng.randint(0, 3), 2025)
        revised = f"{rev_year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        yield Record(
            pmid=pmid,
            doi=f"10.9999/msc.{year}.{i:06d}",
            pmcid=f"PMC{9_000_000 + i}" if i % 3 == 0 else "",
            title=title,
            abstract=abstract,
            journal=rng.choice(_JOURNALS),
            year=year,
            authors=authors,
            publication_types=[ptype, "Journal Article"]
            + (["Retracted Publication"] if i % 41 == 7 else []),
            mesh=[
                MeshHeading("Humans", False, (), "D006801"),
                MeshHeading(
                    "Mesenchymal Stem Cell Transplantation",
                    True,
                    ("adverse effects", "methods"),
                    "D045164",
                ),
                MeshHeading(mesh, rng.random() < 0.5, ("therapy",), ""),
            ],
            keywords=["mesenchymal stem cells", disease],
            language="eng",
            revised=revised,
            retraction_in=[str(start_pmid + n + i)] if i % 41 == 7 else [],
            source_ids=[f"pubmed:{pmid}"],
        )
