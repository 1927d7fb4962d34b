"""Search PubMed and store what is not stored yet: resumable, nothing silently dropped.

Example::

    >>> from msc_mine.entrez import EntrezClient
    >>> from msc_mine.fetch import fetch_query
    >>> from msc_mine.store import Store
    >>> client = EntrezClient("outputs/demo/http_cache.sqlite", email="you@example.org")
    >>> with Store("outputs/demo/review.sqlite") as store:
    ...     report = fetch_query(client, store, '"mesenchymal stem cells"[MeSH Terms]',
    ...                          mindate="2020", maxdate="2021")
    >>> report.count == report.stored + len(report.failed)          # always checked
    True
    >>> report.summary()                                            # doctest: +SKIP
    '1,234 records: 1,234 newly stored, 0 already stored, 0 failed (2 esearch windows)'

Steps: (1) esearch with date windows when the count passes 9,999
(:meth:`~msc_mine.entrez.EntrezClient.search_windows`); each window and its PMIDs are
recorded in the store (``searches``/``search_hits``). (2) PMIDs already in the store are
skipped. (3) The rest is fetched in batches: straight from the history server (WebEnv +
query_key, ``retstart``/``retmax``) when a fresh window needs everything, else as id lists
(POST for long ones), since a cached esearch's WebEnv may have expired on NCBI's side.
(4) Each batch is parsed and stored in one transaction, so an interrupted run loses at most
the batch in flight and the next run resumes where it stopped. A batch that fails after
all retries does not stop the run: its PMIDs are reported in ``failed`` with the reason.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from msc_mine.entrez import EntrezClient, SearchResult
from msc_mine.errors import FetchError, UsageError
from msc_mine.pubmed_xml import parse_pubmed_xml
from msc_mine.store import Store

__all__ = ["DEFAULT_BATCH", "FetchReport", "fetch_query"]

DEFAULT_BATCH = 500  # NCBI's suggested efetch batch; 10,000 is its hard maximum

Progress = Callable[[int, int], None]  # (records handled so far, records to fetch)


@dataclass
class FetchReport:
    """What one :func:`fetch_query` did. ``count`` is the number of distinct PMIDs found."""

    term: str
    count: int = 0
    stored_new: int = 0
    already_stored: int = 0
    failed: dict[str, str] = field(default_factory=dict)  # PMID -> why
    windows: int = 0
    search_ids: list[int] = field(default_factory=list)

    @property
    def stored(self) -> int:
        return self.stored_new + self.already_stored

    @property
    def complete(self) -> bool:
        """Every PMID found is stored or reported as failed (the invariant we check)."""
        return self.stored + len(self.failed) == self.count

    def summary(self) -> str:
        text = (
            f"{self.count:,} records: {self.stored_new:,} newly stored, "
            f"{self.already_stored:,} already stored, {len(self.failed):,} failed "
            f"({self.windows} esearch window{'s' if self.windows != 1 else ''})"
        )
        if self.failed:
            reasons = sorted(set(self.failed.values()))
            text += "; failures: " + " | ".join(reasons[:3])
        return text


def fetch_query(
    client: EntrezClient,
    store: Store,
    term: str,
    *,
    mindate: str | None = None,
    maxdate: str | None = None,
    datetype: str = "pdat",
    batch_size: int = DEFAULT_BATCH,
    progress: Progress | None = None,
) -> FetchReport:
    """Search ``term`` and store every record not stored yet; see the module docstring."""
    if not term.strip():
        raise UsageError("empty query: give a PubMed query or --disease NAME")
    if not 1 <= batch_size <= 10_000:
        raise UsageError("batch size must be between 1 and 10,000 (NCBI's efetch limit)")
    windows = client.search_windows(term, mindate=mindate, maxdate=maxdate, datetype=datetype)
    report = FetchReport(term, windows=len(windows))
    window_ids: list[int] = []
    seen: set[str] = set()
    for window in windows:
        search_id = store.add_search(
            term,
            "pubmed",
            count=window.count,
            webenv=window.webenv,
            query_key=window.query_key,
            datetype=window.datetype if (window.mindate or window.maxdate) else "",
            mindate=window.mindate,
            maxdate=window.maxdate,
        )
        store.add_search_hits(search_id, window.ids)
        window_ids.append(search_id)
        # [pdat] windows overlap (print or electronic date): count each PMID once.
        seen.update(window.ids)
    report.search_ids = window_ids
    report.count = len(seen)

    stored = set(store.revised_dates())
    wanted = seen - stored
    report.already_stored = len(seen) - len(wanted)
    total = len(wanted)
    done: set[str] = set()
    for window, search_id in zip(windows, window_ids, strict=True):
        todo = [i for i in dict.fromkeys(window.ids) if i in wanted and i not in done]
        if not todo:
            continue
        for batch, fetch in _batches(client, window, todo, batch_size):
            _fetch_batch(store, report, batch, fetch, f"search:{search_id}")
            done.update(batch)
            if progress:
                progress(len(done), total)
    if not report.complete:
        # A bug, not bad luck: say so rather than let a count drift silently.
        raise FetchError(
            f"fetch {term!r}: {report.count} found but {report.stored} stored and "
            f"{len(report.failed)} failed; please report this"
        )
    return report


def _batches(
    client: EntrezClient, window: SearchResult, todo: list[str], size: int
) -> list[tuple[list[str], Callable[[], bytes]]]:
    """(expected PMIDs, fetch function) per batch, choosing history or id lists."""
    term = window.term
    use_history = (
        window.webenv
        and window.query_key
        and not window.from_cache
        and len(todo) == len(window.ids)
    )
    plans: list[tuple[list[str], Callable[[], bytes]]] = []
    if use_history:
        for start in range(0, len(window.ids), size):

            def fetch(start: int = start) -> bytes:
                return client.efetch(
                    webenv=window.webenv,
                    query_key=window.query_key,
                    retstart=start,
                    retmax=size,
                    query=term,
                )

            plans.append((window.ids[start : start + size], fetch))
    else:
        for start in range(0, len(todo), size):
            chunk = todo[start : start + size]

            def fetch_ids(chunk: Sequence[str] = chunk) -> bytes:
                return client.efetch(ids=chunk, query=term)

            plans.append((chunk, fetch_ids))
    return plans


def _fetch_batch(
    store: Store,
    report: FetchReport,
    expected: list[str],
    fetch: Callable[[], bytes],
    origin: str,
) -> None:
    try:
        records = parse_pubmed_xml(fetch())
    except FetchError as exc:
        report.failed.update(dict.fromkeys(expected, str(exc)))
        return
    except UsageError as exc:  # a complete but unparsable body
        report.failed.update(dict.fromkeys(expected, f"unparsable efetch answer: {exc}"))
        return
    wanted = set(expected)
    keep = {r.pmid: r for r in records if r.pmid in wanted}
    if keep:
        store.upsert_records(list(keep.values()), source="pubmed", origin=origin)
    report.stored_new += len(keep)
    for pmid in expected:
        if pmid not in keep:
            report.failed[pmid] = "not returned by efetch (withdrawn or unknown PMID)"
