"""``msc-mine review``: run a review pipeline end to end and write its outputs.

Example::

    $ msc-mine review pipelines/msc_iv_safety.toml --input corpora/demo/demo.xml \\
          corpora/demo/demo_extra.nbib --out outputs/demo
    identified 45 records (2 files), 5 duplicates, 40 screened
    excluded 28 (preliminary 14, eligibility 14), maybe 3, included 9
    outputs/demo: table.csv table.xlsx table.parquet included.csv maybe.csv funnel.json
    prisma.svg prisma.png manifest.json

Without ``--input`` the pipeline's searches run against PubMed through NCBI E-utilities
(``--email`` or ``NCBI_EMAIL`` required by NCBI; ``--api-key`` or ``NCBI_API_KEY`` raises the
rate limit), and the responses are cached beside the database.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from msc_mine.cli.app import app
from msc_mine.cli.options import ApiKey, Email, OutDir, Processes, ReviewDb
from msc_mine.errors import UsageError
from msc_mine.pipeline import load_pipeline
from msc_mine.review import default_out_dir, run_review


@app.command("review")
def review(
    pipeline: Annotated[
        Path,
        typer.Argument(
            help="Review pipeline file (TOML): its searches and screening rules, e.g. "
            "pipelines/msc_iv_safety.toml. See pipelines/README.md.",
            show_default=False,
        ),
    ],
    input: Annotated[
        list[Path] | None,
        typer.Option(
            "--input",
            "-i",
            help="Exported files to screen instead of searching PubMed (PubMed XML, MEDLINE "
            ".nbib, RIS); repeat for several. Each file is one source in the funnel.",
        ),
    ] = None,
    more_inputs: Annotated[
        list[Path] | None,
        typer.Argument(
            help="More input files, so that `--input a.xml b.nbib` reads both "
            "(the same as repeating --input).",
            show_default=False,
        ),
    ] = None,
    out: OutDir = None,
    db: ReviewDb = None,
    processes: Processes = 1,
    email: Email = None,
    api_key: ApiKey = None,
    quiet: Annotated[bool, typer.Option("--quiet", help="Print nothing but errors.")] = False,
) -> None:
    """Screen a review: identify records (files or PubMed), deduplicate, extract, apply the
    pipeline's rules, and write the table (CSV/XLSX/Parquet), included.csv, maybe.csv (the
    records a human must check), funnel.json, the PRISMA 2020 diagram and manifest.json.

    Screening terms: the preliminary stage asks "is this a human clinical study of MSCs?",
    the eligibility stage applies the review's criteria (route, cell type, SAE reporting);
    "maybe" marks records the rules cannot decide with confidence.
    """
    console = Console(stderr=True, quiet=quiet)
    if more_inputs and not input:
        raise UsageError(
            f"unexpected argument {more_inputs[0]}: input files follow --input "
            "(msc-mine review PIPELINE --input FILE...)"
        )
    input = [*(input or []), *(more_inputs or [])]
    p = load_pipeline(pipeline)
    out_dir = out or default_out_dir(p)
    client = None
    if not input:
        from msc_mine.entrez import EntrezClient

        client = EntrezClient(out_dir / "http_cache.sqlite", email=email, api_key=api_key)
    try:
        result = run_review(
            p,
            inputs=list(input) if input else None,
            client=client,
            out_dir=out_dir,
            db=db,
            processes=processes,
            progress=None if quiet else console.print,
        )
    finally:
        if client is not None:
            client.close()
    f = result.funnel
    per_stage = ", ".join(f"{s} {c.excluded}" for s, c in f.excluded.items())
    excluded = sum(c.excluded for c in f.excluded.values())
    Console(quiet=quiet).print(
        f"identified {f.identified_total} records ({len(f.identified)} sources), "
        f"{f.duplicates} duplicates, {f.screened} screened\n"
        f"excluded {excluded} ({per_stage}), maybe {f.maybe_total}, included {f.included}\n"
        f"{result.out_dir}: {' '.join(result.files)}",
        highlight=False,
    )
