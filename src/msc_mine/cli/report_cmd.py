"""``msc-mine report``: write a review's report.html, one page to read or send.

Example::

    $ msc-mine review pipelines/msc_iv_safety.toml --input corpora/demo/demo.xml \\
          corpora/demo/demo_extra.nbib --out outputs/demo
    $ msc-mine report pipelines/msc_iv_safety.toml --out outputs/demo
    outputs/demo/report.html
    $ msc-mine report --out outputs/demo          # the pipeline named in the manifest

The page is built from the files the review run left in its folder (and pool.json, forest
plots and change reports when ``msc-mine pool``/``refresh`` have run); it needs no network
to open and is the same bytes each time it is written from the same files.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from msc_mine.cli.app import app
from msc_mine.errors import UsageError
from msc_mine.pipeline import Pipeline, load_pipeline
from msc_mine.report import write_report
from msc_mine.review import default_out_dir


@app.command("report")
def report(
    pipeline: Annotated[
        Path | None,
        typer.Argument(
            help="Review pipeline file (TOML), e.g. pipelines/msc_iv_safety.toml: gives the "
            "review's title, citation, searches and rules, and the default folder. Optional "
            "with --out: the pipeline named in the run's manifest is used if unchanged.",
            show_default=False,
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="The review's output folder, where `msc-mine review` wrote funnel.json and "
            "table.csv (default: outputs/<review id>/). report.html is written there.",
        ),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", help="Print nothing but errors.")] = False,
) -> None:
    """Write report.html, one self-contained page to read or send.

    The page (no network needed to open it) holds the search, the screening funnel and
    PRISMA diagram, the included studies with the evidence sentence of every value, the
    pooled safety estimates and forest plots (after `msc-mine pool`), the records left for
    a human to check ("maybe") and the last refresh's changes (after `msc-mine refresh`).
    """
    p: Pipeline | None = load_pipeline(pipeline) if pipeline is not None else None
    if out is None:
        if p is None:
            raise UsageError("give a PIPELINE file or the review's folder with --out")
        out = default_out_dir(p)
    if not out.is_dir():
        raise UsageError(f"{out}: no such folder: run `msc-mine review` first")
    path = write_report(out, p)
    Console(quiet=quiet).print(str(path), highlight=False, soft_wrap=True)
