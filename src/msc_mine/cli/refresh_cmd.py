"""``msc-mine refresh``: the scheduled, incremental update of a living review.

Example::

    $ msc-mine refresh pipelines/msc_iv_safety.toml --email you@example.org --quiet
    2026-12-05 msc_iv_safety: 3 new records, 1 new inclusion, 0 changed decisions, ...

Searches PubMed only for what entered or was revised since the last run, fetches only
those records, rescreens and rewrites the outputs, and writes the change report
``<out>/changes/<date>.md`` and ``.json``. See :mod:`msc_mine.refresh` and
docs/scheduling.md for cron and systemd set-ups.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from msc_mine.cli.app import app
from msc_mine.cli.options import ApiKey, Email, OutDir, Processes, ReviewDb
from msc_mine.pipeline import load_pipeline
from msc_mine.review import default_out_dir


@app.command(
    "refresh",
    short_help="Bring a review up to date: fetch only new and revised PubMed records, "
    "rescreen, rewrite the outputs, report what changed (cron-safe).",
)
def refresh(
    pipeline: Annotated[
        Path,
        typer.Argument(
            help="Review pipeline file (TOML) whose searches and rules to refresh, e.g. "
            "pipelines/msc_iv_safety.toml.",
            show_default=False,
        ),
    ],
    out: OutDir = None,
    db: ReviewDb = None,
    email: Email = None,
    api_key: ApiKey = None,
    overlap_days: Annotated[
        int,
        typer.Option(
            "--overlap-days",
            min=0,
            help="Days before the last run's date to search again (PubMed's time zone and "
            "indexing lag).",
        ),
    ] = 3,
    processes: Processes = 1,
    quiet: Annotated[
        bool,
        typer.Option(
            "--quiet",
            help="For cron: print nothing unless there are new inclusions, a retracted "
            "included study, or an error.",
        ),
    ] = False,
) -> None:
    """Refresh a living review: search PubMed for records that entered (edat) or were
    revised (mdat) since the last successful run (minus --overlap-days), fetch only those
    not stored or stored in an older revision, re-extract changed records, rescreen, rewrite
    the outputs (as a full `msc-mine review` would) and write the change report
    <out>/changes/<date>.md and .json. Prints one summary line. Without a previous run it
    searches in full. Only one run per database at a time (a lock file beside it); outputs
    are replaced only once all are written, so an interrupted refresh leaves the previous
    ones whole and the next run resumes. Responses are not cached: a refresh must see
    today's PubMed.

    \b
    Exit codes: 0 done; 1 error; 2 usage error (bad pipeline, option or file);
    3 PubMed fetch failed (nothing replaced; run again); 4 another run holds the lock.
    """
    from msc_mine.entrez import EntrezClient
    from msc_mine.refresh import run_refresh

    err = Console(stderr=True, quiet=quiet)
    p = load_pipeline(pipeline)
    out_dir = out or default_out_dir(p)
    with EntrezClient(None, email=email, api_key=api_key) as client:
        result = run_refresh(
            p,
            client,
            out_dir=out_dir,
            db=db,
            overlap_days=overlap_days,
            processes=processes,
            progress=err.print,
        )
    changes = result.changes
    news = bool(changes.new_inclusions or changes.included_retracted)
    if quiet and not news:
        return
    if result.previous_run is None:
        err.print("no previous run: every search ran in full")
    err.print(f"change report: {result.report_files[0]}", highlight=False)
    typer.echo(changes.summary)
