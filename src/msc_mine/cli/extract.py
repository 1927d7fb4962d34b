"""``msc-mine extract`` and ``msc-mine evaluate``: the codebook table from records, and its score.

Example::

    $ msc-mine extract --input corpora/demo/demo.xml --input extra.nbib --out table.csv
    extracted 33 records (33 new) in 0.4 s -> table.csv
    $ msc-mine extract --db outputs/demo/review.sqlite --out outputs/demo/table.parquet
    extracted 2 records (31 up to date, extractor 0.1.0+lex...) -> outputs/demo/table.parquet
    $ msc-mine evaluate --gold corpora/gold --split dev --json outputs/eval_dev.json

``extract`` reads files (any format :func:`msc_mine.readers.read_records` knows) or a review
database. With ``--db`` it re-extracts only records whose text or extractor version changed
(a lexicon edit changes the version) and stores the results. The table's format follows the
``--out`` extension: .csv, .xlsx or .parquet.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Iterator
from itertools import islice
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from msc_mine.cli.app import app
from msc_mine.codebook import Extraction
from msc_mine.errors import UsageError
from msc_mine.records import Record

__all__ = ["evaluate_cmd", "extract_cmd"]

_SAVE_BATCH = 200  # extractions per store transaction: an interrupted run keeps the rest


def _progress(console: Console) -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )


def _read_inputs(paths: Iterable[Path]) -> Iterator[Record]:
    from msc_mine.readers import read_records

    for p in paths:
        if not p.exists():
            raise UsageError(f"input file not found: {p}")
        yield from read_records(p)


def _batches(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    it = iter(items)
    while batch := list(islice(it, size)):
        yield batch


@app.command("extract")
def extract_cmd(
    files: Annotated[
        list[Path] | None,
        typer.Argument(help="Input files (same as --input).", show_default=False),
    ] = None,
    input: Annotated[
        list[Path] | None,
        typer.Option(
            "--input",
            "-i",
            help="PubMed XML, MEDLINE (.nbib) or RIS file to extract; repeat for several.",
        ),
    ] = None,
    db: Annotated[
        Path | None,
        typer.Option(
            "--db",
            help="Review database: extract its stored records, re-extracting only those whose "
            "text or extractor version changed, and save the results in it.",
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="Table to write (.csv, .xlsx or .parquet): one row per record, the codebook's "
            "columns with an evidence sentence per value.",
        ),
    ] = None,
    ae_out: Annotated[
        Path | None,
        typer.Option(
            "--ae-out",
            help="Also write the ae_long table (one row per study and adverse-event category: "
            "events, n, relatedness) for meta-analysis.",
        ),
    ] = None,
    processes: Annotated[
        int, typer.Option("--processes", "-p", min=1, help="Worker processes (2 on 2 cores).")
    ] = 1,
    use_model: Annotated[
        str | None,
        typer.Option(
            "--use-model",
            help="An installed spaCy/scispaCy model to start the pipeline from (opt-in; the "
            "default needs none).",
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="With --db: re-extract every record.")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", help="Print nothing but errors.")] = False,
) -> None:
    """Extract route, cell source, allogeneic/autologous, dose, infusions, patients, serious
    and non-serious adverse events (negation-aware) and study design from titles and
    abstracts, each value with the sentence it was read from.

    Terms: an SAE is a serious adverse event; "not_stated" means the text does not say; an
    SAE the authors call unrelated to the cells still counts as reported.
    """
    from msc_mine.extract import EXTRACTOR_VERSION, extract_many
    from msc_mine.table import build_ae_rows, build_row
    from msc_mine.writers import write_table

    console = Console(stderr=True, quiet=quiet)
    paths = list(files or []) + list(input or [])
    if not paths and db is None:
        raise UsageError("give input files (--input FILE) or a review database (--db PATH)")
    if paths and db is not None:
        raise UsageError("give either input files or --db, not both (import files first)")
    if db is None and out is None:
        raise UsageError("--out is required when extracting files (where should the table go?)")
    started = time.perf_counter()
    rows: list[dict[str, Any]] = []
    ae_rows: list[dict[str, Any]] = []

    def collect(rec: Record, ex: Extraction) -> None:
        if out is not None:
            rows.append(build_row(rec, ex))
        if ae_out is not None:
            ae_rows.extend(build_ae_rows(rec, ex))

    if db is None:
        records = list(_read_inputs(paths))
        with _progress(console) as bar:
            task = bar.add_task("extracting", total=len(records))
            for rec, ex in zip(
                records,
                extract_many(records, n_process=processes, use_model=use_model),
                strict=True,
            ):
                collect(rec, ex)
                bar.advance(task)
        done, summary = len(records), f"{len(records)} records"
    else:
        done, summary = _extract_db(db, processes, use_model, force, console, collect)
    for path, table in ((out, rows), (ae_out, ae_rows)):
        if path is not None:
            from msc_mine.codebook import AE_LONG_COLUMNS, TABLE_COLUMNS

            cols = TABLE_COLUMNS if table is rows else AE_LONG_COLUMNS
            write_table(table, path, columns=cols)
    secs = time.perf_counter() - started
    target = f" -> {out}" if out else ""
    console.print(
        f"extracted {done} of {summary} in {secs:.1f} s (extractor {EXTRACTOR_VERSION}){target}",
        highlight=False,
    )


def _extract_db(
    db: Path,
    processes: int,
    use_model: str | None,
    force: bool,
    console: Console,
    collect: Any,
) -> tuple[int, str]:
    """Extract what is stale in the store; feed every record with its extraction to collect."""
    from msc_mine.extract import EXTRACTOR_VERSION, extract_many
    from msc_mine.store import Store

    if not db.exists():
        raise UsageError(f"review database not found: {db}")
    with Store(db) as store:
        state = store.extraction_state()
        hashes = store.text_hashes()
        stale = {
            key for key, h in hashes.items() if force or state.get(key) != (EXTRACTOR_VERSION, h)
        }
        # Read first, then write: the store's reading cursor is not held open across commits.
        todo = [r for r in store.iter_records() if r.key in stale]
        with _progress(console) as bar:
            task = bar.add_task("extracting", total=len(stale))
            for batch in _batches(
                extract_many(todo, n_process=processes, use_model=use_model), _SAVE_BATCH
            ):
                store.save_extractions(batch, {ex.pmid: hashes[ex.pmid] for ex in batch})
                bar.advance(task, len(batch))
        stored = store.load_extractions()
        for rec in store.iter_records():
            if rec.key in stored:
                collect(rec, stored[rec.key])
        total = len(hashes)
    return len(stale), f"{total} records ({total - len(stale)} up to date)"


@app.command("evaluate")
def evaluate_cmd(
    gold: Annotated[
        Path,
        typer.Option(
            "--gold",
            help="Gold folder: <split>/<id>.xml (one PubmedArticle) with <id>.json beside it "
            "holding the hand-annotated codebook values.",
        ),
    ],
    split: Annotated[
        str | None,
        typer.Option("--split", help="dev (tune on it) or test (held out: score only)."),
    ] = None,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Write the scores and mismatches as JSON.")
    ] = None,
    processes: Annotated[int, typer.Option("--processes", "-p", min=1)] = 1,
    use_model: Annotated[str | None, typer.Option("--use-model")] = None,
    show_errors: Annotated[
        bool, typer.Option("--errors", help="Also print every mismatch (id, field, got, want).")
    ] = False,
) -> None:
    """Score the extractor on hand-annotated gold records: accuracy per field (doses within
    1%), and micro-averaged precision/recall/F1 for the list fields (conditions, route,
    cell source, SAE types, non-serious AEs)."""
    from msc_mine.evaluate import LIST_FIELDS, evaluate_gold

    report = evaluate_gold(gold, split, n_process=processes, use_model=use_model)
    console = Console()
    table = Table(title=f"msc-mine evaluate: {report['split']} ({report['n']} records)")
    for col in ("field", "accuracy", "precision", "recall", "F1"):
        table.add_column(col, justify="left" if col == "field" else "right")
    for field, s in report["fields"].items():
        if field in LIST_FIELDS:
            table.add_row(
                field,
                f"{s['accuracy']:.3f}",
                f"{s['precision']:.3f}",
                f"{s['recall']:.3f}",
                f"{s['f1']:.3f}",
            )
        else:
            table.add_row(field, f"{s['accuracy']:.3f}", "", "", "")
    console.print(table)
    if show_errors:
        for m in report["mismatches"]:
            console.print(f"{m['id']} {m['field']}: got {m['pred']!r}, want {m['gold']!r}")
    if json_out is not None:
        json_out.parent.mkdir(parents=True, exist_ok=True)
        json_out.write_text(json.dumps(report, indent=1, default=str), encoding="utf-8")
        console.print(f"scores written to {json_out}", highlight=False)
