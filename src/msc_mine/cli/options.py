"""Options several commands share, declared once so their names and help stay the same."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

OutDir = Annotated[
    Path | None,
    typer.Option("--out", help="Output folder (default: outputs/<review id>/)."),
]
ReviewDb = Annotated[
    Path | None,
    typer.Option("--db", help="Review database (default: <out>/review.sqlite)."),
]
Email = Annotated[
    str | None,
    typer.Option("--email", help="Contact email NCBI asks for (or NCBI_EMAIL)."),
]
ApiKey = Annotated[
    str | None,
    typer.Option("--api-key", help="NCBI API key (or NCBI_API_KEY); never stored."),
]
Processes = Annotated[int, typer.Option("--processes", min=1, help="Extraction worker processes.")]
