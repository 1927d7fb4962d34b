"""``msc-mine import``: read exported files (PubMed XML, MEDLINE, RIS) into a review database.

Example::

    $ msc-mine import corpora/import_samples/sample.nbib \\
          corpora/import_samples/sample_embase.ris --review demo
    sample.nbib (medline): read 4, new 4, updated 0, unchanged 0, duplicates 0
    sample_embase.ris (ris): read 4, new 2, updated 2, unchanged 0, duplicates 2
    outputs/demo/review.sqlite: 6 records, 2 duplicates merged in all

Records are stored in batches, each one transaction: a malformed file stops the command with
one line naming the file and line (exit 2), and every batch stored before it is kept, so
fixing the file and running the command again completes the import without duplicates.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from msc_mine.cli.app import app
from msc_mine.errors import UsageError
from msc_mine.readers import format_names, pick_format
from msc_mine.store import Store, UpsertStats, default_db_path

T = TypeVar("T")

DEFAULT_BATCH = 500


def _batches(items: Iterable[T], size: int) -> Iterator[list[T]]:
    it = iter(items)
    while batch := list(islice(it, size)):
        yield batch


def _add(a: UpsertStats, b: UpsertStats) -> UpsertStats:
    return UpsertStats(
        a.new + b.new,
        a.updated + b.updated,
        a.unchanged + b.unchanged,
        a.duplicates + b.duplicates,
    )


_HELP = (
    "Import exported search results (PubMed XML, MEDLINE .nbib, RIS from Embase, Web of "
    "Science or Scopus) into the review database, merging duplicates across sources.\n\n"
    "A duplicate is the same article seen under another identity (an Embase copy of a PubMed "
    "record): it is found by PMID, then DOI, then normalized title + year. The PubMed copy is "
    "kept (it has MeSH terms and publication types), every source id is remembered, and the "
    "number of duplicates is counted for the PRISMA funnel. Each batch is one transaction: a "
    "malformed file stops the command with its file and line, keeping what was stored."
)


@app.command("import", help=_HELP)
def import_files(
    files: Annotated[
        list[Path],
        typer.Argument(
            help="Exported files: PubMed XML (.xml), MEDLINE (.nbib/.txt) or RIS (.ris).",
            show_default=False,
        ),
    ],
    db: Annotated[
        Path | None,
        typer.Option("--db", help="Review database (default: outputs/<review>/review.sqlite)."),
    ] = None,
    review: Annotated[
        str | None,
        typer.Option("--review", help="Review id; the database is outputs/<ID>/review.sqlite."),
    ] = None,
    format: Annotated[
        str | None,
        typer.Option(
            "--format",
            help=f"Force a reader instead of guessing: {', '.join(format_names())}.",
        ),
    ] = None,
    batch_size: Annotated[
        int, typer.Option("--batch-size", min=1, help="Records per transaction.")
    ] = DEFAULT_BATCH,
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress bar (for cron).")] = False,
) -> None:
    """Import exported search results, merging duplicates across sources (see ``_HELP``)."""
    if db is None:
        if review is None:
            raise UsageError("import: give --db PATH or --review ID")
        db = default_db_path(review)
    console = Console()
    # Choose every reader before storing anything: an unknown file fails the whole
    # command up front instead of after the files before it were imported.
    formats = [pick_format(path, format) for path in files]
    with Store(db) as store:
        with Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            TextColumn("{task.completed} records"),
            TimeElapsedColumn(),
            console=console,
            disable=quiet,
            transient=True,
        ) as progress:
            for path, fmt in zip(files, formats, strict=True):
                task = progress.add_task(f"{path.name} ({fmt.name})", total=None)
                totals = UpsertStats()
                for batch in _batches(fmt.read(path), batch_size):
                    totals = _add(totals, store.upsert_records(batch, fmt.name, str(path)))
                    progress.update(task, advance=len(batch))
                progress.remove_task(task)
                read = totals.new + totals.updated + totals.unchanged
                console.print(
                    f"{path.name} ({fmt.name}): read {read}, new {totals.new}, "
                    f"updated {totals.updated}, unchanged {totals.unchanged}, "
                    f"duplicates {totals.duplicates}",
                    highlight=False,
                    soft_wrap=True,  # one line per file, whatever the terminal width
                )
        console.print(
            f"{db}: {len(store)} records, {store.duplicate_count()} duplicates merged in all",
            highlight=False,
            soft_wrap=True,
        )
