"""Ingest commands: ``msc-mine search`` and ``msc-mine fetch`` (PubMed through Entrez).

Example session (a shell)::

    $ export NCBI_EMAIL=you@example.org           # NCBI asks every user for one
    $ msc-mine search --disease "multiple sclerosis" --since 2015 --limit 5
    $ msc-mine search '"Mesenchymal Stem Cells"[MeSH Terms] AND fever[tiab]' --format csv
    $ msc-mine fetch --disease "multiple sclerosis" --db outputs/msc_iv_safety/review.sqlite

``search`` shows how many PubMed records a query matches and the first ``--limit`` of them;
``fetch`` stores every match in the review database, resuming where an interrupted run
stopped. Both cache HTTP answers next to the database (or in ``outputs/``), so asking again
costs no requests. Set ``MSC_MINE_EUTILS_URL`` to use another E-utilities server (a mirror,
or the tests' local one).
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from msc_mine.cli.app import app
from msc_mine.entrez import DATETYPES, EntrezClient
from msc_mine.errors import FetchError, UsageError
from msc_mine.fetch import DEFAULT_BATCH, fetch_query
from msc_mine.pubmed_xml import parse_pubmed_xml
from msc_mine.queries import disease_search
from msc_mine.store import Store, default_db_path

__all__ = ["fetch", "search"]

FORMATS = ("table", "csv", "json")
DEFAULT_CACHE = Path("outputs") / "http_cache.sqlite"
CACHE_NAME = "http_cache.sqlite"
DEFAULT_DB = default_db_path("msc_iv_safety")

_QUERY_HELP = (
    "A PubMed query, as typed on the PubMed site: field tags such as [MeSH Terms] "
    "(indexed subject headings, narrower ones included), [tiab] (title/abstract words) "
    "and [pt] (publication type), combined with AND, OR, NOT and parentheses."
)
_DISEASE_HELP = (
    "Build the query from the disease lexicon (its MeSH headings OR its synonyms in "
    "title/abstract) ANDed with the MSC query of the pipeline, e.g. 'multiple sclerosis'."
)
_SINCE_HELP = "Earliest date, YYYY, YYYY/MM or YYYY/MM/DD (on --datetype)."
_UNTIL_HELP = "Latest date, YYYY, YYYY/MM or YYYY/MM/DD (on --datetype)."
_DATETYPE_HELP = (
    "Which date --since/--until filter: pdat (publication date, print or electronic), "
    "edat (date the record entered PubMed; best for catching up on new records) or "
    "mdat (date last revised)."
)
_EMAIL_HELP = "Contact email NCBI requires with every request [env: NCBI_EMAIL]."
_KEY_HELP = (
    "NCBI API key: raises the rate limit from 3 to 10 requests/s [env: NCBI_API_KEY]. "
    "Never written to the cache, logs or outputs."
)
_PIPELINE_HELP = "Pipeline file whose [search] msc_query --disease uses (default: msc_iv_safety)."


def _term(query: str | None, disease: str | None, pipeline: Path | None) -> str:
    if query and disease:
        raise UsageError("give a QUERY or --disease NAME, not both")
    if disease:
        return disease_search(disease, pipeline)
    if query and query.strip():
        return query.strip()
    raise UsageError("give a PubMed QUERY or --disease NAME (see --help)")


def _check_choice(value: str, choices: tuple[str, ...], option: str) -> str:
    if value not in choices:
        raise UsageError(f"{option} must be one of {', '.join(choices)}, not {value!r}")
    return value


@app.command()
def search(
    query: Annotated[
        str | None, typer.Argument(help=escape(_QUERY_HELP), show_default=False)
    ] = None,
    disease: Annotated[str | None, typer.Option(help=escape(_DISEASE_HELP))] = None,
    limit: Annotated[
        int, typer.Option(help="How many hits to list (the count is always exact).")
    ] = 20,
    since: Annotated[str | None, typer.Option(help=escape(_SINCE_HELP))] = None,
    until: Annotated[str | None, typer.Option(help=escape(_UNTIL_HELP))] = None,
    datetype: Annotated[str, typer.Option(help=escape(_DATETYPE_HELP))] = "pdat",
    fmt: Annotated[
        str, typer.Option("--format", help="Output: table (readable), csv or json (for scripts).")
    ] = "table",
    db: Annotated[
        Path | None,
        typer.Option(
            help="Review database. With --disease and no QUERY: search the screened table "
            "offline instead of PubMed. Otherwise the HTTP cache is kept beside it."
        ),
    ] = None,
    email: Annotated[str | None, typer.Option(help=escape(_EMAIL_HELP))] = None,
    api_key: Annotated[str | None, typer.Option(help=escape(_KEY_HELP))] = None,
    pipeline: Annotated[Path | None, typer.Option(help=escape(_PIPELINE_HELP))] = None,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Only the results, no chatter.")
    ] = False,
) -> None:
    """Count the PubMed records a query matches and list the first of them (PMID, year,
    journal, title). Nothing is stored; use `fetch` for that."""
    _check_choice(fmt, FORMATS, "--format")
    _check_choice(datetype, DATETYPES, "--datetype")
    if limit < 0:
        raise UsageError("--limit must be 0 or more")
    if db is not None and disease and not query:
        _search_offline(db, disease, limit, fmt, pipeline, quiet)
        return
    term = _term(query, disease, pipeline)
    cache = db.parent / CACHE_NAME if db is not None else DEFAULT_CACHE
    with EntrezClient(cache, email=email, api_key=api_key) as client:
        found = client.esearch(
            term,
            retmax=limit,
            usehistory=False,
            mindate=since,
            maxdate=until,
            datetype=datetype,
        )
        records = parse_pubmed_xml(client.efetch(ids=found.ids, query=term)) if found.ids else []
    order = {pmid: i for i, pmid in enumerate(found.ids)}
    records.sort(key=lambda r: order.get(r.pmid, len(order)))
    rows = [
        {"pmid": r.pmid, "year": r.year, "journal": r.journal, "title": r.title} for r in records
    ]
    _print_hits(term, found.count, rows, fmt, quiet)


def _print_hits(term: str, count: int, rows: list[dict[str, Any]], fmt: str, quiet: bool) -> None:
    if fmt == "json":
        json.dump({"query": term, "count": count, "hits": rows}, sys.stdout, ensure_ascii=False)
        sys.stdout.write("\n")
        return
    if fmt == "csv":
        writer = csv.DictWriter(sys.stdout, fieldnames=["pmid", "year", "journal", "title"])
        writer.writeheader()
        writer.writerows(rows)
        return
    console = Console()
    if not quiet:
        console.print(f"[bold]{count:,}[/] PubMed records match: {term}", highlight=False)
    if not rows:
        return
    table = Table(show_lines=False, title=None if quiet else f"first {len(rows)}")
    table.add_column("PMID", no_wrap=True)
    table.add_column("year", no_wrap=True)
    table.add_column("journal", overflow="fold", max_width=24)
    table.add_column("title", overflow="fold")
    for row in rows:
        table.add_row(row["pmid"], str(row["year"] or ""), row["journal"], row["title"])
    console.print(table)


OFFLINE_COLUMNS = (
    "pmid",
    "year",
    "include",
    "exclude_reason",
    "route",
    "cell_source",
    "dose",
    "sae_status",
    "title",
)


def _search_offline(
    db: Path, disease: str, limit: int, fmt: str, pipeline: Path | None, quiet: bool
) -> None:
    """Search the screened rows of a review database by disease, without the network.

    Shows what a reviewer asks first ("what do we have on lupus?"): the decision, route,
    cell source, dose and SAE status of each screened record whose conditions match.
    """
    from msc_mine.pipeline import load_pipeline
    from msc_mine.review import search_screened

    pipeline_id = load_pipeline(pipeline).id if pipeline is not None else None
    rows = search_screened(db, disease, pipeline_id)
    shown = [{c: row[c] for c in OFFLINE_COLUMNS} for row in rows[:limit]]
    if fmt == "json":
        payload = {"disease": disease, "db": str(db), "count": len(rows), "hits": shown}
        json.dump(payload, sys.stdout, ensure_ascii=False)
        sys.stdout.write("\n")
        return
    if fmt == "csv":
        writer = csv.DictWriter(sys.stdout, fieldnames=list(OFFLINE_COLUMNS))
        writer.writeheader()
        writer.writerows(shown)
        return
    console = Console()
    if not quiet:
        counts = {k: sum(r["include"] == k for r in rows) for k in ("yes", "maybe", "no")}
        console.print(
            f"[bold]{len(rows):,}[/] screened records on {disease} in {db}: "
            f"{counts['yes']} included, {counts['maybe']} maybe, {counts['no']} excluded",
            highlight=False,
        )
    if not shown:
        return
    table = Table(title=None if quiet or len(shown) == len(rows) else f"first {len(shown)}")
    for column in OFFLINE_COLUMNS:
        wrap = column in ("title", "route", "cell_source", "exclude_reason")
        table.add_column(column, overflow="fold", no_wrap=not wrap)
    for row in shown:
        table.add_row(*(str(row[c] if row[c] is not None else "") for c in OFFLINE_COLUMNS))
    console.print(table)


@app.command()
def fetch(
    query: Annotated[
        str | None, typer.Argument(help=escape(_QUERY_HELP), show_default=False)
    ] = None,
    disease: Annotated[str | None, typer.Option(help=escape(_DISEASE_HELP))] = None,
    db: Annotated[
        Path,
        typer.Option(help="Review database to store into (created if missing)."),
    ] = DEFAULT_DB,
    since: Annotated[str | None, typer.Option(help=escape(_SINCE_HELP))] = None,
    until: Annotated[str | None, typer.Option(help=escape(_UNTIL_HELP))] = None,
    datetype: Annotated[str, typer.Option(help=escape(_DATETYPE_HELP))] = "pdat",
    batch_size: Annotated[
        int,
        typer.Option(help="Records per efetch request (NCBI suggests at most 500)."),
    ] = DEFAULT_BATCH,
    email: Annotated[str | None, typer.Option(help=escape(_EMAIL_HELP))] = None,
    api_key: Annotated[str | None, typer.Option(help=escape(_KEY_HELP))] = None,
    pipeline: Annotated[Path | None, typer.Option(help=escape(_PIPELINE_HELP))] = None,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No progress bar or summary (for cron).")
    ] = False,
) -> None:
    """Store every PubMed record a query matches in the review database.

    Queries over 9,999 records are split into date windows; records already stored are
    not fetched again, each batch is stored as it arrives, so an interrupted run resumes
    where it stopped. Exits 3 if any record could not be fetched (listed)."""
    _check_choice(datetype, DATETYPES, "--datetype")
    term = _term(query, disease, pipeline)
    console = Console(stderr=True)
    with (
        EntrezClient(db.parent / CACHE_NAME, email=email, api_key=api_key) as client,
        Store(db) as store,
        Progress(
            TextColumn("fetching"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=console,
            disable=quiet,
            transient=True,
        ) as bar,
    ):
        task = bar.add_task("fetch", total=None)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        report = fetch_query(
            client,
            store,
            term,
            mindate=since,
            maxdate=until,
            datetype=datetype,
            batch_size=batch_size,
            progress=advance,
        )
    if not quiet:
        console.print(report.summary(), highlight=False)
    if report.failed:
        for pmid, why in sorted(report.failed.items())[:10]:
            console.print(f"  {pmid}: {why}", highlight=False)
        raise FetchError(
            f"{len(report.failed)} of {report.count} records could not be fetched; "
            "the rest is stored: run again to retry"
        )
