"""The scheduled refresh of a living review: fetch only what is new or revised, rescreen,
rewrite the outputs and say what changed.

Example::

    >>> from msc_mine.entrez import EntrezClient
    >>> from msc_mine.pipeline import load_pipeline
    >>> from msc_mine.refresh import run_refresh
    >>> p = load_pipeline("pipelines/msc_iv_safety.toml")
    >>> result = run_refresh(p, EntrezClient(None, email="you@example.org"))  # doctest: +SKIP
    >>> result.summary                                                        # doctest: +SKIP
    '2026-12-05 msc_iv_safety: 3 new records, 1 new inclusion, ... 0 retractions'

For each ``[[search.queries]]`` of the pipeline the refresh asks PubMed two questions,
one esearch each (more only if a window passes 9,999 ids): what *entered* PubMed
(``datetype=edat``) and what was *revised* (``datetype=mdat``) since the last successful
review or refresh, from that run's date minus ``overlap_days`` (time zones, NCBI's
indexing lag) to today. The pipeline's own date limits travel in the query as a PubMed
date-range clause (``("2000/01/01"[pdat] : "3000"[pdat])``), since esearch takes one
``datetype`` per request. Then it efetches only ids not stored yet, and revised ids whose
stored revision date is older than the last run's day. The search's full hit list is the
last run's (kept in the store, ``searches``/``search_hits``, named in the run's info) plus
what the windows found (the run's info lists the ``searches`` rows whose hits make it up),
so the funnel's identified counts stay those of the full search.

Then the steps of a review run (:func:`msc_mine.review.execute_run`): re-extract only
records whose text hash or extractor version changed, rescreen everything, rewrite every
output (staged and renamed together), and write the change report
(:mod:`msc_mine.changes`) with them. The outputs equal those of a full ``msc-mine review``
over the same records; the manifest differs in ``mode`` (``refresh``), the database
interface, ``counts.extracted_this_run`` and timestamps.

Without a previous successful Entrez run (a new review, or one screened from files), or
for a search whose query or date limits changed since, the search runs in full, and the
result says so (``full_searches``). Known limit: a record revised so that it no longer
matches a query stays in that query's hit list until a full ``msc-mine review``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from msc_mine.atomic import Staging, sweep
from msc_mine.changes import ChangeReport, build_changes, read_rows, stage_report
from msc_mine.codebook import Decision
from msc_mine.entrez import format_date
from msc_mine.errors import FetchError, MscMineError, UsageError
from msc_mine.lock import review_lock
from msc_mine.manifest import Manifest
from msc_mine.pipeline import Pipeline
from msc_mine.pubmed_xml import parse_pubmed_xml
from msc_mine.review import (
    Extractor,
    Identification,
    ReviewResult,
    RunContext,
    execute_run,
    identify_entrez,
    require_stored,
    search_info,
    search_term,
)
from msc_mine.store import RunInfo, Store

if TYPE_CHECKING:
    from msc_mine.entrez import EntrezClient

__all__ = ["RefreshResult", "SearchWindow", "last_successful_run", "run_refresh", "scoped_term"]

EFETCH_BATCH = 500
DATETYPES = ("edat", "mdat")


@dataclass
class SearchWindow:
    """One incremental esearch: which search, which date type and window, what it found."""

    search: str
    datetype: str
    mindate: str
    maxdate: str
    ids: list[str]


@dataclass
class RefreshResult:
    """A refresh: the review run it made, what it searched and fetched, what changed."""

    review: ReviewResult
    previous_run: RunInfo | None
    full_searches: list[str]  # searches run in full (no usable previous run)
    windows: list[SearchWindow]
    new_ids: list[str]  # efetched because not stored
    revised_ids: list[str]  # efetched because the stored copy is older
    changes: ChangeReport
    report_files: tuple[Path, Path]

    @property
    def full(self) -> bool:
        """True when every search ran in full (first refresh of a review)."""
        return self.previous_run is None or not self.windows

    @property
    def summary(self) -> str:
        return self.changes.summary


@dataclass
class _Progress:
    windows: list[SearchWindow] = field(default_factory=list)
    new_ids: list[str] = field(default_factory=list)
    revised_ids: list[str] = field(default_factory=list)
    full: list[str] = field(default_factory=list)


def run_refresh(
    pipeline: Pipeline,
    client: EntrezClient,
    out_dir: str | Path | None = None,
    db: str | Path | None = None,
    overlap_days: int = 3,
    processes: int = 1,
    extractor: Extractor | None = None,
    extractor_version: str | None = None,
    progress: Callable[[str], None] | None = None,
    today: date | None = None,
) -> RefreshResult:
    """Refresh the review (see the module docstring); the lock makes a second one fail.

    ``today`` (UTC date by default) closes the search windows and names the change report;
    ``extractor``/``extractor_version`` as in :func:`msc_mine.review.run_review`.
    """
    if overlap_days < 0:
        raise UsageError("--overlap-days must be 0 or more")
    if not pipeline.search.queries:
        raise UsageError(f"{pipeline.path}: the pipeline has no [[search.queries]] to refresh")
    day = today or datetime.now(UTC).date()
    ctx = RunContext.create(
        pipeline, out_dir, db, processes, extractor, extractor_version, progress
    )
    manifest = ctx.new_manifest("refresh")
    manifest.database = {
        "name": "PubMed",
        "interface": "NCBI E-utilities (esearch, efetch), incremental refresh",
    }
    done = _Progress()
    holder: dict[str, Any] = {}
    with review_lock(ctx.db), Store(ctx.db) as store:
        sweep(ctx.out / "changes")  # a killed run's temporary report files
        previous = last_successful_run(store, pipeline.id)
        if previous is None:
            ctx.say("no previous successful run of this review: searching in full")
        old_decisions = store.load_decisions(pipeline.id)
        old_rows = read_rows(ctx.out / "table.csv")

        def identify(st: Store) -> Identification:
            return _identify_incremental(
                st, ctx, client, manifest, previous, overlap_days, day, done
            )

        def extra(staging: Staging, decisions: dict[str, Decision]) -> None:
            new_rows = read_rows(staging.temp_of(ctx.out / "table.csv"))
            report = build_changes(
                pipeline.id,
                day,
                previous.started if previous else None,
                old_decisions,
                decisions,
                old_rows,
                new_rows,
                details={
                    "mode": "full" if previous is None or done.full else "incremental",
                    "full_searches": list(done.full),
                    "windows": [w.__dict__ | {"ids": len(w.ids)} for w in done.windows],
                    "fetched_new": len(done.new_ids),
                    "fetched_revised": len(done.revised_ids),
                },
            )
            holder["report"] = report
            holder["files"] = stage_report(staging, ctx.out / "changes", report)

        review = execute_run(ctx, store, "refresh", manifest, identify, extra)
    return RefreshResult(
        review,
        previous,
        done.full,
        done.windows,
        done.new_ids,
        done.revised_ids,
        holder["report"],
        holder["files"],
    )


def last_successful_run(store: Store, pipeline_id: str) -> RunInfo | None:
    """The latest review or refresh of ``pipeline_id`` that ended ``ok``."""
    runs = [store.last_run(kind, pipeline_id) for kind in ("review", "refresh")]
    found = [r for r in runs if r is not None]
    return max(found, key=lambda r: r.id) if found else None


def scoped_term(term: str, pipeline: Pipeline) -> str:
    """``term`` with the pipeline's date limits as a PubMed date-range clause, if it has any.

    PubMed reads boolean operators left to right, so ``term AND (range)`` restricts the
    whole of ``term``.
    """
    s = pipeline.search
    if not (s.mindate or s.maxdate):
        return term
    low, high = s.mindate or "1800", s.maxdate or "3000"
    return f'{term} AND ("{low}"[{s.datetype}] : "{high}"[{s.datetype}])'


def _identify_incremental(
    store: Store,
    ctx: RunContext,
    client: EntrezClient,
    manifest: Manifest,
    previous: RunInfo | None,
    overlap_days: int,
    today: date,
    done: _Progress,
) -> Identification:
    pipeline = ctx.pipeline
    search = pipeline.search
    prev_info: dict[str, Any] = previous.info.get("searches", {}) if previous else {}
    since = _run_day(previous) if previous else today
    low, high = format_date(since - timedelta(days=overlap_days)), format_date(today)
    scope = [search.datetype, search.mindate, search.maxdate]
    stored = store.revised_dates()
    fetched: set[str] = set()
    identified: dict[str, int] = {}
    searches: dict[str, dict[str, Any]] = {}
    keys: set[str] = set()
    failed: dict[str, str] = {}
    for entry in search.queries:
        term = search_term(pipeline, entry)
        info = prev_info.get(entry.id)
        if not info or info.get("term") != term or info.get("scope") != scope:
            if previous is not None:
                ctx.say(f"search {entry.id}: no usable previous run, searching in full")
            full = identify_entrez(store, pipeline, client, manifest, only=[entry.id])
            done.full.append(entry.id)
            identified.update(full.identified)
            searches.update(full.searches)
            keys |= full.keys
            stored = store.revised_dates()
            continue
        hit_rows = [int(sid) for sid in info.get("search_ids", [])]
        hits: set[str] = set()
        for sid in hit_rows:
            hits.update(store.search_hits(sid))
        scoped = scoped_term(term, pipeline)
        found: dict[str, set[str]] = {}
        for datetype in DATETYPES:
            ids: set[str] = set()
            for window in client.search_windows(
                scoped, mindate=low, maxdate=high, datetype=datetype, usehistory=False
            ):
                sid = store.add_search(
                    scoped,
                    search.db,
                    count=window.count,
                    datetype=datetype,
                    mindate=window.mindate,
                    maxdate=window.maxdate,
                )
                store.add_search_hits(sid, window.ids)
                ids.update(window.ids)
                if window.ids and not set(window.ids) <= hits:
                    hit_rows.append(sid)
            found[datetype] = ids
            done.windows.append(SearchWindow(entry.id, datetype, low, high, sorted(ids)))
        last_day = since.isoformat()
        new = sorted(i for i in found["edat"] | found["mdat"] if i not in stored)
        revised = sorted(
            i for i in found["mdat"] if i in stored and stored[i] < last_day and i not in fetched
        )
        todo = [i for i in new if i not in fetched] + revised
        ctx.say(
            f"search {entry.id}: {len(found['edat'])} entered, {len(found['mdat'])} revised "
            f"since {low}; fetching {len(todo)}"
        )
        failed.update(_fetch_ids(client, store, todo, scoped))
        fetched.update(todo)
        done.new_ids.extend(i for i in new if i not in done.new_ids)
        done.revised_ids.extend(revised)
        hits |= found["edat"] | found["mdat"]
        identified[entry.id] = len(hits)
        # The hit list is the previous rows plus the windows that added to it: the store
        # grows by what changed, not by a copy of every hit list per refresh.
        searches[entry.id] = search_info(pipeline, term, hit_rows)
        keys |= hits
        manifest.add_search(
            entry.id,
            term,
            len(hits),
            db=search.db,
            datetype=search.datetype,
            mindate=search.mindate,
            maxdate=search.maxdate,
            run_at=datetime.now(UTC).isoformat(timespec="seconds"),
            retrieved=len(hits),
        )
    if failed:
        first = sorted(failed)[0]
        raise FetchError(
            f"{len(failed)} records could not be fetched (first: {first}: {failed[first]}); "
            "the outputs are unchanged; run again to resume"
        )
    require_stored(store, keys)
    return Identification(identified, keys, "PubMed", searches)


def _fetch_ids(client: EntrezClient, store: Store, ids: Sequence[str], term: str) -> dict[str, str]:
    """efetch ``ids`` by id list and store them (newer revisions replace older); failures."""
    failed: dict[str, str] = {}
    for start in range(0, len(ids), EFETCH_BATCH):
        chunk = list(ids[start : start + EFETCH_BATCH])
        try:
            records = parse_pubmed_xml(client.efetch(ids=chunk, query=term))
        except (FetchError, UsageError) as exc:
            failed.update(dict.fromkeys(chunk, str(exc)))
            continue
        wanted = set(chunk)
        keep = [r for r in records if r.pmid in wanted]
        if keep:
            store.upsert_records(keep, source="pubmed", origin="refresh")
        got = {r.pmid for r in keep}
        for pmid in chunk:
            if pmid not in got:
                failed[pmid] = "not returned by efetch (withdrawn or unknown PMID)"
    return failed


def _run_day(run: RunInfo) -> date:
    try:
        return datetime.fromisoformat(run.started).astimezone(UTC).date()
    except ValueError:
        raise MscMineError(f"run {run.id}: unreadable start time {run.started!r}") from None
