"""``msc-mine export`` and ``msc-mine pool``: meta-analysis files and pooled safety estimates.

Example::

    $ msc-mine review pipelines/msc_iv_safety.toml --input corpora/demo/demo.xml \\
          corpora/demo/demo_extra.nbib --out outputs/demo
    $ msc-mine export pipelines/msc_iv_safety.toml --out outputs/demo
    outputs/demo: ae_long.csv (131 rows, 15 studies) included.ris (15) table.xlsx (51 rows)
    $ msc-mine pool pipelines/msc_iv_safety.toml --out outputs/demo --by allo_auto
    (a table of pooled proportions per category; pool.csv, pool.json, forest/*.png|svg)

Both read the review database the last ``msc-mine review`` (or refresh) wrote
(``<out>/review.sqlite`` unless ``--db``): nothing is re-extracted or re-screened.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, cast

import typer
from rich import box
from rich.console import Console
from rich.table import Table

from msc_mine.cli.app import app
from msc_mine.errors import UsageError
from msc_mine.lock import review_lock
from msc_mine.pipeline import load_pipeline
from msc_mine.pool import PoolRow
from msc_mine.review import default_out_dir

__all__ = ["export_cmd", "pool_cmd"]


class TableFormat(StrEnum):
    csv = "csv"
    xlsx = "xlsx"
    parquet = "parquet"


class ByField(StrEnum):
    route = "route"
    cell_source = "cell_source"
    allo_auto = "allo_auto"
    condition = "condition"


class MethodChoice(StrEnum):
    dl = "dl"
    reml = "reml"
    both = "both"


_PIPELINE_HELP = (
    "Review pipeline file (TOML) naming the review, e.g. pipelines/msc_iv_safety.toml; "
    "`msc-mine review` must have run on it."
)
_OUT_HELP = "Review output folder (default: outputs/<review id>/); files are written here."
_DB_HELP = "Review database (default: <out>/review.sqlite)."


def _paths(pipeline: Path, out: Path | None, db: Path | None) -> tuple[str, Path, Path]:
    p = load_pipeline(pipeline)
    out_dir = out or default_out_dir(p)
    db_path = db or out_dir / "review.sqlite"
    if not db_path.is_file():
        raise UsageError(
            f"{db_path}: no review database (run `msc-mine review {pipeline}` first, or give --db)"
        )
    return p.id, out_dir, db_path


@app.command(
    "export",
    short_help="Write ae_long.csv (for metafor/RevMan), included.ris and table.xlsx with its "
    "codebook sheet.",
)
def export_cmd(
    pipeline: Annotated[Path, typer.Argument(help=_PIPELINE_HELP, show_default=False)],
    out: Annotated[Path | None, typer.Option("--out", help=_OUT_HELP)] = None,
    db: Annotated[Path | None, typer.Option("--db", help=_DB_HELP)] = None,
    format: Annotated[
        list[TableFormat] | None,
        typer.Option(
            "--format",
            "-f",
            help="Table format(s) for ae_long and table; repeat for several "
            "(default: ae_long.csv and table.xlsx).",
        ),
    ] = None,
) -> None:
    """Write the files meta-analysts and reference managers read:

    ae_long.csv: one row per included study and adverse-event category (events = patients
    with the event, n = patients given MSCs; 0 = the text says it did not happen; blank =
    not reported), ready for metafor's escalc(measure="PLO", xi=events, ni=n) or RevMan.

    included.ris: the included studies for Zotero, EndNote, Covidence or Rayyan.

    table.xlsx: the evidence table of every screened record with a "codebook" sheet
    explaining each column and its values.
    """
    from msc_mine.exports import export_review, load_review

    review_id, out_dir, db_path = _paths(pipeline, out, db)
    # The review's lock: no refresh may rewrite the database or the folder meanwhile.
    with review_lock(db_path):
        data = load_review(db_path, review_id)
        files = export_review(data, out_dir, [f.value for f in format or []])
    n_included = len(data.included)
    parts = []
    for name in files:
        if name.startswith("ae_long"):
            parts.append(f"{name} ({n_included} studies)")
        elif name == "included.ris":
            parts.append(f"{name} ({n_included} references)")
        else:
            parts.append(f"{name} ({len(data.records)} records)")
    Console().print(f"{out_dir}: " + " ".join(parts), highlight=False, soft_wrap=True)


def _results_table(review_id: str, results: list[PoolRow], subgroups: bool) -> Table:
    """Pooled rows as a rich table; notes become numbered marks printed below it."""
    notes = list(dict.fromkeys(r.note for r in results if r.note))
    table = Table(
        title=f"{review_id}: pooled proportion of patients with the event",
        box=box.SIMPLE_HEAD,  # no vertical rules: the table fits 80 columns
        pad_edge=False,
    )
    columns = ["category", *(["subgroup"] if subgroups else []), "method", "k",
               "events/n", "estimate", "95% CI", "tau²", "I²", "note"]  # fmt: skip
    for col in columns:
        numeric = col in ("k", "events/n", "estimate", "tau²", "I²")
        folds = col in ("category", "subgroup")
        table.add_column(
            col,
            justify="right" if numeric else "left",
            overflow="fold" if folds else "ellipsis",
            no_wrap=not folds,
            min_width=10 if folds else None,
        )
    for r in results:
        ci = "" if r.ci_low is None else f"{_fmt(r.ci_low)[:-1]}-{_fmt(r.ci_high)}"
        i2 = "" if r.i2 is None else f"{r.i2:.0f}%"
        mark = f"[{notes.index(r.note) + 1}]" if r.note else ""
        cells = [r.category, *([r.subgroup or "all"] if subgroups else []), r.method, str(r.k),
                 f"{r.events}/{r.n_patients}", _fmt(r.estimate), ci, _fmt(r.tau2, pct=False),
                 i2, mark]  # fmt: skip
        table.add_row(*cells)
    return table


def _fmt(x: float | None, pct: bool = True) -> str:
    if x is None:
        return ""
    return f"{100 * x:.1f}%" if pct else f"{x:.3f}"


@app.command("pool")
def pool_cmd(
    pipeline: Annotated[Path, typer.Argument(help=_PIPELINE_HELP, show_default=False)],
    out: Annotated[Path | None, typer.Option("--out", help=_OUT_HELP)] = None,
    db: Annotated[Path | None, typer.Option("--db", help=_DB_HELP)] = None,
    by: Annotated[
        ByField | None,
        typer.Option("--by", help="Also pool within subgroups of this column."),
    ] = None,
    category: Annotated[
        list[str] | None,
        typer.Option(
            "--category",
            "-c",
            help="Adverse-event category to pool (repeat for several; default: every "
            "category of ae_long: sae, death, thromboembolism, infection, malignancy, "
            "fever, infusion_reaction and the other terms studies report).",
        ),
    ] = None,
    method: Annotated[
        MethodChoice,
        typer.Option("--method", help="tau^2 estimator: dl, reml or both."),
    ] = MethodChoice.both,
) -> None:
    """Pool the proportion of patients with each adverse event over the included studies.

    Random effects on the logit scale, tau^2 by DerSimonian-Laird (dl) and/or restricted
    maximum likelihood (reml); 95% CI back-transformed to proportions; I^2 is the share
    of variability due to between-study differences. Studies with 0 events (or all
    patients with the event) get 0.5 added to each cell; the forest plot shows each
    study's exact (Clopper-Pearson) interval. One study: reported, not pooled.

    Writes pool.csv, pool.json and forest/<category>.png|.svg
    (with --by: forest/<category>__<by>.png|.svg) into the output folder.
    """
    from msc_mine.exports import ae_long_rows, load_review
    from msc_mine.pool import METHODS, Method, categories_of, pool_ae_rows, write_pool_outputs

    review_id, out_dir, db_path = _paths(pipeline, out, db)
    with review_lock(db_path):
        data = load_review(db_path, review_id)
        rows = ae_long_rows(data)
    known = categories_of(rows)
    wanted = list(dict.fromkeys(category or known))
    unknown = [c for c in wanted if c not in known]
    if unknown:
        raise UsageError(
            f"no category {unknown[0]!r} in this review's ae_long (known: {', '.join(known)})"
        )
    methods: tuple[Method, ...] = (
        METHODS if method is MethodChoice.both else cast(tuple[Method, ...], (method.value,))
    )
    by_name = by.value if by else None
    results = pool_ae_rows(rows, wanted, methods, by_name)
    with review_lock(db_path):
        files = write_pool_outputs(review_id, results, out_dir, methods, by_name)
        report = None
        if (out_dir / "funnel.json").is_file() and (out_dir / "table.csv").is_file():
            # The review's page shows the estimates too: rebuild it now rather than leave a
            # report.html that says "run msc-mine pool" beside a pool.json.
            from msc_mine.pipeline import load_pipeline
            from msc_mine.report import write_report

            report = write_report(out_dir, load_pipeline(pipeline))
    forests = sum(1 for name in files if name.endswith(".png"))

    console = Console()
    console.print(_results_table(review_id, results, by_name is not None))
    notes = list(dict.fromkeys(r.note for r in results if r.note))
    for i, note in enumerate(notes, start=1):
        console.print(f"  [{i}] {note}", highlight=False, soft_wrap=True)
    console.print(
        f"{out_dir}: pool.csv pool.json forest/ ({forests} plots, PNG and SVG)"
        + (" report.html" if report is not None else ""),
        highlight=False,
    )
