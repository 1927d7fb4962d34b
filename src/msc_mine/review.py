"""The review run: search or read, deduplicate, extract, screen, and write the outputs.

Example::

    >>> from msc_mine.pipeline import load_pipeline
    >>> from msc_mine.review import run_review, search_screened
    >>> p = load_pipeline("pipelines/msc_iv_safety.toml")
    >>> result = run_review(p, inputs=["corpora/demo/demo.xml"],
    ...                     out_dir="outputs/msc_iv_safety")          # doctest: +SKIP
    >>> result.funnel.screened, result.funnel.included                # doctest: +SKIP
    (40, 12)
    >>> sorted(p.name for p in result.out_dir.iterdir())             # doctest: +SKIP
    ['funnel.json', 'included.csv', 'manifest.json', 'maybe.csv', 'prisma.png', ...]
    >>> rows = search_screened("outputs/msc_iv_safety/review.sqlite", "lupus")  # doctest: +SKIP

One run goes fetch -> parse -> store -> extract -> screen -> export, never back:

1. **Identify**: with input files, each file is one source of the funnel (records read);
   without, each ``[[search.queries]]`` of the pipeline is sent to PubMed through Entrez
   (:func:`msc_mine.fetch.fetch_query`) and counts as one source (ids returned).
2. **Deduplicate and store**: records go into the review database (``msc_mine.store``),
   which merges duplicates; the run's screened set is the unique records it identified.
3. **Extract** only what changed: a record is re-extracted when its text hash or the
   extractor version differs from the stored extraction (``Store.extraction_state``).
4. **Screen** with :func:`msc_mine.screen.screen`; decisions are saved in the store.
5. **Write** ``table.csv``/``.xlsx``/``.parquet`` (one row per screened record, sorted by
   key), ``included.csv``, ``maybe.csv``, ``funnel.json`` (checked to add up),
   ``prisma.svg``/``.png`` and ``manifest.json``. Every output but the manifest's timestamps
   is a function of the inputs, so a rerun with no new records rewrites identical bytes.

Identify is separate from extract -> screen -> write (:func:`execute_run`): a review
identifies from files or a full Entrez search, a refresh (:mod:`msc_mine.refresh`)
incrementally, and both then share the same steps, so their outputs cannot drift apart.
A run holds the database's lock (:mod:`msc_mine.lock`) and writes every output to a
temporary file renamed into place once all are written (:mod:`msc_mine.atomic`): a run
that dies leaves the previous outputs whole.
"""

from __future__ import annotations

import time
import tomllib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from msc_mine.atomic import Staging, sweep
from msc_mine.codebook import TABLE_COLUMNS, Decision, Extraction
from msc_mine.dedup import deduplicate
from msc_mine.errors import MscMineError, UsageError
from msc_mine.funnel import Funnel, build_funnel
from msc_mine.lock import review_lock
from msc_mine.manifest import Manifest, file_sha256
from msc_mine.pipeline import Pipeline
from msc_mine.records import Record
from msc_mine.screen import screen
from msc_mine.store import Store, text_hash

if TYPE_CHECKING:
    from msc_mine.entrez import EntrezClient

#: ``extractor(records, n_process)`` -> one Extraction per record (any order).
Extractor = Callable[[Sequence[Record], int], Iterable[Extraction]]

BATCH = 2000  # records per store transaction and per extraction batch
TABLE_FILES = ("table.csv", "table.xlsx", "table.parquet")


@dataclass
class ReviewResult:
    """What a run produced: the funnel, the decisions (by key) and where the files are."""

    out_dir: Path
    db: Path
    funnel: Funnel
    decisions: dict[str, Decision]
    files: dict[str, Path]
    timings: dict[str, float] = field(default_factory=dict)
    extracted: int = 0


def default_out_dir(pipeline: Pipeline) -> Path:
    return Path("outputs") / pipeline.id


def run_review(
    pipeline: Pipeline,
    inputs: Sequence[str | Path] | None = None,
    client: EntrezClient | None = None,
    out_dir: str | Path | None = None,
    db: str | Path | None = None,
    processes: int = 1,
    extractor: Extractor | None = None,
    extractor_version: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> ReviewResult:
    """Run the whole review (see the module docstring); return counts, decisions and files.

    Give ``inputs`` (files) or a ``client`` (Entrez searches). ``extractor`` and
    ``extractor_version`` replace the NLP extraction (tests use a gold extractor to check
    the mechanism alone); by default :func:`msc_mine.extract.extract_many` runs.
    """
    if not inputs and client is None:
        raise UsageError("give input files (--input) or an Entrez client to search PubMed")
    ctx = RunContext.create(
        pipeline, out_dir, db, processes, extractor, extractor_version, progress
    )
    manifest = ctx.new_manifest("files" if inputs else "entrez")

    def identify(store: Store) -> Identification:
        if inputs:
            return identify_files(store, [Path(p) for p in inputs], manifest)
        assert client is not None
        return identify_entrez(store, pipeline, client, manifest)

    with review_lock(ctx.db), Store(ctx.db) as store:
        return execute_run(ctx, store, "review", manifest, identify)


@dataclass
class RunContext:
    """What every run of a review shares: where it writes, how it extracts, what it says."""

    pipeline: Pipeline
    out: Path
    db: Path
    processes: int
    extractor: Extractor
    version: str
    say: Callable[[str], None]

    @classmethod
    def create(
        cls,
        pipeline: Pipeline,
        out_dir: str | Path | None,
        db: str | Path | None,
        processes: int = 1,
        extractor: Extractor | None = None,
        extractor_version: str | None = None,
        progress: Callable[[str], None] | None = None,
    ) -> RunContext:
        out = Path(out_dir) if out_dir is not None else default_out_dir(pipeline)
        out.mkdir(parents=True, exist_ok=True)
        db_path = Path(db) if db is not None else out / "review.sqlite"
        if extractor is None:
            extractor, extractor_version = _default_extractor()
        return cls(
            pipeline,
            out,
            db_path,
            processes,
            extractor,
            extractor_version or "",
            progress or (lambda _msg: None),
        )

    def new_manifest(self, mode: str) -> Manifest:
        return Manifest(
            review=self.pipeline.id,
            pipeline_path=str(self.pipeline.path),
            pipeline_sha256=self.pipeline.sha256,
            mode=mode,
            started=_now(),
            extractor_version=self.version,
        )


@dataclass
class Identification:
    """What the identify step found: records per source, the run's unique store keys.

    ``searches`` (Entrez runs) maps each search id to its query, date scope and the
    ``searches`` rows holding its hits; it is kept in the run's info, so that a refresh
    can start from the last complete hit list instead of searching everything again.
    """

    identified: dict[str, int]
    keys: set[str]
    label: str
    searches: dict[str, dict[str, Any]] = field(default_factory=dict)


#: ``extra(staging, decisions)``: stage more files (the change report) with the outputs.
ExtraOutputs = Callable[[Staging, dict[str, Decision]], None]


def execute_run(
    ctx: RunContext,
    store: Store,
    kind: str,
    manifest: Manifest,
    identify: Callable[[Store], Identification],
    extra: ExtraOutputs | None = None,
) -> ReviewResult:
    """identify -> extract -> screen -> write, recorded as one run of ``kind`` in the store.

    The caller holds the review's lock. Outputs are staged and renamed together
    (:class:`msc_mine.atomic.Staging`), and decisions are saved only once the outputs are
    in place, so the stored decisions always describe the outputs on disk.
    """
    sweep(ctx.out)
    run_id = store.start_run(kind, ctx.pipeline.id)
    try:
        timings: dict[str, float] = {}
        t0 = time.perf_counter()
        ident = identify(store)
        timings["identify_and_store"] = time.perf_counter() - t0
        ctx.say(f"identified {sum(ident.identified.values())} records, {len(ident.keys)} unique")
        result = _extract_screen_write(ctx, store, ident, manifest, timings, extra)
        info: dict[str, Any] = dict(manifest.counts)
        if ident.searches:
            info["searches"] = ident.searches
        store.finish_run(run_id, "ok", info)
    except BaseException:
        store.finish_run(run_id, "failed")
        raise
    return result


def _extract_screen_write(
    ctx: RunContext,
    store: Store,
    ident: Identification,
    manifest: Manifest,
    timings: dict[str, float],
    extra: ExtraOutputs | None,
) -> ReviewResult:
    pipeline, keys, out = ctx.pipeline, ident.keys, ctx.out
    t0 = time.perf_counter()
    extracted = _extract_changed(store, keys, ctx.extractor, ctx.version, ctx.processes)
    timings["extract"] = time.perf_counter() - t0
    ctx.say(f"extracted {extracted} new or changed records")

    t0 = time.perf_counter()
    extractions = store.load_extractions()
    decisions: dict[str, Decision] = {}
    rows: list[dict[str, Any]] = []
    for key in sorted(keys):
        record = store.get(key)
        if record is None:  # identify resolved every key against the store
            raise MscMineError(f"record {key} vanished from {ctx.db} during the run")
        ex = extractions.get(key) or Extraction(pmid=key)
        decisions[key] = screen(record, ex, pipeline)
        rows.append(_row(record, ex, decisions[key]))
    funnel = build_funnel(pipeline, ident.identified, decisions.values(), sources_label=ident.label)
    timings["screen"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    with Staging() as staging:
        files = write_outputs(out, rows, funnel, staging=staging)
        manifest.counts = {
            "identified": funnel.identified_total,
            "duplicates": funnel.duplicates,
            "screened": funnel.screened,
            "excluded": sum(s.excluded for s in funnel.excluded.values()),
            "maybe": funnel.maybe_total,
            "included": funnel.included,
            "extracted_this_run": extracted,
        }
        manifest.outputs = {
            name: file_sha256(staging.temp_of(path)) for name, path in files.items()
        }
        manifest.finished = _now()
        manifest.write(staging.path(out / "manifest.json"))
        files["manifest.json"] = out / "manifest.json"
        if extra is not None:
            extra(staging, decisions)
    store.save_decisions(pipeline.id, decisions.values())
    # The page is built from the files now in place (the change report included), so it is
    # written after they are committed; it is not listed in the manifest it quotes.
    from msc_mine.report import write_report

    files["report.html"] = write_report(out, pipeline)
    timings["write"] = time.perf_counter() - t0
    return ReviewResult(out, ctx.db, funnel, decisions, files, timings, extracted)


# -- identification ---------------------------------------------------------------------


def identify_files(store: Store, paths: list[Path], manifest: Manifest) -> Identification:
    """Each input file is one source; its records are stored (merging duplicates)."""
    from msc_mine.readers import pick_format, read_records

    identified: dict[str, int] = {}
    stubs: list[Record] = []
    for path in paths:
        if not path.is_file():
            raise UsageError(f"{path}: no such input file")
        fmt = pick_format(path)
        name = _source_name(path, identified)
        count = 0
        for batch in _batches(read_records(path), BATCH):
            store.upsert_records(batch, source=fmt.name, origin=str(path))
            stubs.extend(_stub(r) for r in batch)
            count += len(batch)
        identified[name] = count
        manifest.add_input(path, file_sha256(path), count, fmt.name)
    label = "files" if len(paths) > 1 else "file"
    return Identification(identified, _resolve_keys(store, stubs), label)


def identify_entrez(
    store: Store,
    pipeline: Pipeline,
    client: EntrezClient,
    manifest: Manifest,
    only: Iterable[str] | None = None,
) -> Identification:
    """Each ``[[search.queries]]`` (those in ``only``, if given) searched and fetched in full."""
    from msc_mine.fetch import fetch_query

    search = pipeline.search
    wanted = set(only) if only is not None else None
    identified: dict[str, int] = {}
    searches: dict[str, dict[str, Any]] = {}
    pmids: set[str] = set()
    for entry in search.queries:
        if wanted is not None and entry.id not in wanted:
            continue
        term = search_term(pipeline, entry)
        report = fetch_query(
            client,
            store,
            term,
            mindate=search.mindate or None,
            maxdate=search.maxdate or None,
            datetype=search.datetype,
        )
        if report.failed:
            first = sorted(report.failed)[0]
            raise MscMineError(
                f"search {entry.id}: {len(report.failed)} records could not be fetched "
                f"(first: {first}: {report.failed[first]}); run again to resume"
            )
        ids: set[str] = set()
        for search_id in report.search_ids:
            ids.update(store.search_hits(search_id))
        identified[entry.id] = len(ids)
        pmids.update(ids)
        searches[entry.id] = search_info(pipeline, term, report.search_ids)
        manifest.add_search(
            entry.id,
            term,
            report.count,
            db=search.db,
            datetype=search.datetype,
            mindate=search.mindate,
            maxdate=search.maxdate,
            run_at=_now(),
            retrieved=report.stored,
        )
    require_stored(store, pmids)
    return Identification(identified, pmids, "PubMed", searches)


def require_stored(store: Store, pmids: Iterable[str]) -> None:
    """Stop the run (before anything is written) when a searched id is not in the store."""
    known = store.keys()
    missing = sorted(p for p in pmids if p not in known)
    if missing:
        raise MscMineError(
            f"{len(missing)} PubMed ids were found but not stored "
            f"(first: {', '.join(missing[:5])}); run again to resume"
        )


def search_term(pipeline: Pipeline, entry: Any) -> str:
    """The PubMed query of one ``[[search.queries]]`` entry."""
    from msc_mine.queries import build_query

    return build_query(pipeline.search.table, _query_entry(entry))


def search_info(pipeline: Pipeline, term: str, search_ids: Sequence[int]) -> dict[str, Any]:
    """What a run records about one search: its query, date scope and hit rows."""
    s = pipeline.search
    return {
        "term": term,
        "scope": [s.datetype, s.mindate, s.maxdate],
        "search_ids": list(search_ids),
    }


def _query_entry(entry: Any) -> dict[str, str]:
    d = {"id": entry.id}
    if entry.disease:
        d["disease"] = entry.disease
    if entry.query:
        d["query"] = entry.query
    return d


def _stub(record: Record) -> Record:
    # Only the identity fields matter for counting unique records: keeping whole abstracts
    # of every input record in memory would cost ~hundreds of MB at 20,000 records.
    return Record(
        pmid=record.pmid,
        doi=record.doi,
        title=record.title,
        year=record.year,
        source_ids=list(record.source_ids),
        publication_types=list(record.publication_types)[:1],
    )


def _resolve_keys(store: Store, stubs: list[Record]) -> set[str]:
    """Store keys of the run's unique records (the same dedup cascade the store applies)."""
    unique = deduplicate(stubs).records
    known = store.keys()
    keys: set[str] = set()
    for rec in unique:
        candidates = [rec.key, rec.pmid, f"doi:{rec.doi}" if rec.doi else "", *rec.source_ids]
        key = next((c for c in candidates if c and c in known), None)
        if key is None:
            raise MscMineError(f"record {rec.key} was read but is not in the review database")
        keys.add(key)
    return keys


def _source_name(path: Path, taken: dict[str, int]) -> str:
    name = path.name
    return name if name not in taken else str(path)


def _batches(items: Iterable[Record], size: int) -> Iterator[list[Record]]:
    batch: list[Record] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


# -- extraction -------------------------------------------------------------------------


def _default_extractor() -> tuple[Extractor, str]:
    from msc_mine.extract import EXTRACTOR_VERSION, extract_many

    def run(records: Sequence[Record], n_process: int) -> Iterable[Extraction]:
        return extract_many(records, n_process=n_process)

    return run, EXTRACTOR_VERSION


def _extract_changed(
    store: Store, keys: set[str], extractor: Extractor, version: str, processes: int
) -> int:
    state = store.extraction_state()
    # The store keeps each record's text hash: compare those, and load only what changed.
    hashes = store.text_hashes()
    todo: list[Record] = []
    done = 0
    for key in sorted(keys):
        if key in hashes and state.get(key) == (version, hashes[key]):
            continue
        record = store.get(key)
        if record is None:
            continue
        todo.append(record)
        if len(todo) >= BATCH:
            done += _extract_batch(store, todo, extractor, version, processes)
            todo = []
    if todo:
        done += _extract_batch(store, todo, extractor, version, processes)
    return done


def _extract_batch(
    store: Store, records: list[Record], extractor: Extractor, version: str, processes: int
) -> int:
    hashes = {r.key: text_hash(r) for r in records}
    extractions = []
    for ex in extractor(records, processes):
        # The store keys extractions by record key; extractors name them by pmid, which is
        # the key except for records without one.
        ex.extractor_version = version
        extractions.append(ex)
    by_key = {ex.pmid: ex for ex in extractions}
    missing = [k for k in hashes if k not in by_key]
    if missing:
        raise MscMineError(
            f"extraction returned nothing for {len(missing)} records (first: {missing[0]})"
        )
    store.save_extractions([by_key[k] for k in hashes], [hashes[k] for k in hashes])
    return len(hashes)


# -- outputs ----------------------------------------------------------------------------


def include_evidence(decision: Decision) -> str:
    """The table's ``include_evidence``: the rule that decided, its reason, its evidence."""
    head = f"{decision.rule_id}: {decision.reason}" if decision.rule_id else decision.reason
    return f"{head} | {decision.evidence}" if decision.evidence else head


def _row(record: Record, extraction: Extraction, decision: Decision) -> dict[str, Any]:
    from msc_mine.table import build_row

    row = build_row(record, extraction, decision)
    # The rule id leads, so a reviewer sees which rule to question, then why and on what.
    row["include_evidence"] = include_evidence(decision)
    return row


def write_outputs(
    out: Path, rows: list[dict[str, Any]], funnel: Funnel, staging: Staging | None = None
) -> dict[str, Path]:
    """Write every table, the funnel and the diagram into ``out``; return name -> path.

    Files go to temporary names first (``staging``, committed by the caller; without one,
    here) and replace the previous outputs only once all are written.
    """
    if staging is None:
        with Staging() as own:
            return write_outputs(out, rows, funnel, own)
    files: dict[str, Path] = {}
    rows = sorted(rows, key=lambda r: str(r["pmid"]))
    for name in TABLE_FILES:
        path = out / name
        write_table_file(rows, staging.path(path))
        files[name] = path
    for name, include in (("included.csv", "yes"), ("maybe.csv", "maybe")):
        path = out / name
        write_table_file([r for r in rows if r["include"] == include], staging.path(path))
        files[name] = path
    funnel.write_json(staging.path(out / "funnel.json"))
    files["funnel.json"] = out / "funnel.json"
    svg, png = out / "prisma.svg", out / "prisma.png"
    tmp_svg, tmp_png = staging.path(svg), staging.path(png)
    # matplotlib is imported only when a diagram is drawn: every CLI command imports this
    # module, and the import alone costs a third of a second.
    from msc_mine.prisma import write_prisma

    # write_prisma names both files after one stem; the staged names share it.
    assert tmp_png == tmp_svg.with_suffix(".png")
    write_prisma(funnel, out, stem=tmp_svg.stem)
    files["prisma.svg"], files["prisma.png"] = svg, png
    return files


def write_table_file(rows: list[dict[str, Any]], path: Path) -> None:
    """Write rows (codebook columns) deterministically; format by extension.

    CSV and Parquet go through :func:`msc_mine.writers.write_table` (its bytes depend on
    the rows only); XLSX through :func:`msc_mine.exports.write_table_with_codebook`, which
    adds the codebook sheet (a reviewer opens one file) and fixes the times openpyxl would
    stamp into the workbook, so identical runs write identical bytes.
    """
    from msc_mine.exports import write_table_with_codebook
    from msc_mine.writers import write_table

    if path.suffix.lower() == ".xlsx":
        write_table_with_codebook(rows, path)
    else:
        write_table(rows, path, columns=TABLE_COLUMNS)


# -- offline search -----------------------------------------------------------------------


def disease_name(query: str) -> str:
    """The lexicon name for a disease name or synonym (case-insensitive); UsageError if none."""
    text = resources.files("msc_mine").joinpath("lexicons/diseases.toml").read_text("utf-8")
    q = query.strip().casefold()
    for entry in tomllib.loads(text).get("disease", []):
        names = [entry["name"], *entry.get("synonyms", []), *entry.get("mesh", [])]
        if q in {n.casefold() for n in names}:
            return str(entry["name"])
    raise UsageError(f"unknown disease {query!r}: see src/msc_mine/lexicons/diseases.toml")


def search_screened(
    db_path: str | Path, disease: str, pipeline_id: str | None = None
) -> list[dict[str, Any]]:
    """Screened records in a review database whose ``conditions`` include ``disease``.

    Offline: reads the stored extractions and decisions only. ``pipeline_id`` defaults to
    the review the database belongs to (its folder name, ``outputs/<review>/review.sqlite``,
    else the first pipeline under ``./pipelines`` with decisions in it).
    Rows: pmid, year, title, include, exclude_reason, route, cell_source, dose, sae_status.
    """
    path = Path(db_path)
    if not path.is_file():
        raise UsageError(f"{path}: no review database (run `msc-mine review` first)")
    name = disease_name(disease)
    with Store(path) as store:
        decisions = _decisions_for(store, path, pipeline_id)
        rows = []
        for key, ex in store.load_extractions().items():
            if name not in ex.conditions.value:
                continue
            record = store.get(key)
            d = decisions.get(key)
            rows.append(
                {
                    "pmid": key,
                    "year": record.year if record else None,
                    "title": record.title if record else "",
                    "include": d.include if d else "not screened",
                    "exclude_reason": d.exclude_reason if d else "",
                    "route": ";".join(ex.route.value),
                    "cell_source": ";".join(ex.cell_source.value),
                    "dose": format_dose(ex.dose_low.value, ex.dose_high.value, ex.dose_unit.value),
                    "sae_status": ex.sae_status.value,
                }
            )
    order = {"yes": 0, "maybe": 1, "no": 2}
    return sorted(rows, key=lambda r: (order.get(r["include"], 3), r["pmid"]))


def _decisions_for(store: Store, db_path: Path, pipeline_id: str | None) -> dict[str, Decision]:
    if pipeline_id:
        return store.load_decisions(pipeline_id)
    # The store cannot list the pipelines it holds decisions for; try the review the
    # database's folder is named after, then the pipelines of the current project.
    candidates = [db_path.parent.name]
    for toml_path in sorted(Path("pipelines").glob("*.toml")):
        try:
            candidates.append(str(tomllib.loads(toml_path.read_text("utf-8"))["review"]["id"]))
        except (OSError, KeyError, TypeError, tomllib.TOMLDecodeError):
            continue
    for candidate in candidates:
        found = store.load_decisions(candidate)
        if found:
            return found
    return {}


def format_dose(low: float | None, high: float | None, unit: str) -> str:
    """``1e6-2e6 cells/kg``-style text for a dose range; ``not_stated`` without numbers."""
    if low is None and high is None:
        return "not_stated"

    def num(v: float | None) -> str:
        return "?" if v is None else f"{v:.3g}".replace("e+0", "e").replace("e+", "e")

    text = num(low) if low == high or high is None else f"{num(low)}-{num(high)}"
    return f"{text} {unit}"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


__all__ = [
    "ExtraOutputs",
    "Identification",
    "ReviewResult",
    "RunContext",
    "default_out_dir",
    "disease_name",
    "execute_run",
    "format_dose",
    "identify_entrez",
    "identify_files",
    "include_evidence",
    "run_review",
    "search_info",
    "search_screened",
    "search_term",
    "write_outputs",
    "write_table_file",
]
