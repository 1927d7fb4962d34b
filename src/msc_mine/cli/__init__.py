"""Command-line interface: ``msc-mine COMMAND --help`` explains each command.

Commands live in one module per stage (``ingest``, ``extract``, ``review``, ``living``),
each registering itself on :data:`msc_mine.cli.app.app`.
"""

from __future__ import annotations

import sys
import warnings

from rich.console import Console

from msc_mine.cli.app import app
from msc_mine.errors import MscMineError

# Imported for their side effect: each module registers its commands on ``app``.
from msc_mine.cli import ingest  # noqa: F401  isort: skip
from msc_mine.cli import extract  # noqa: F401  isort: skip
from msc_mine.cli import import_cmd  # noqa: F401  isort: skip
from msc_mine.cli import review  # noqa: F401  isort: skip
from msc_mine.cli import refresh_cmd  # noqa: F401  isort: skip
from msc_mine.cli import export_cmd  # noqa: F401  isort: skip
from msc_mine.cli import report_cmd  # noqa: F401  isort: skip

__all__ = ["app", "main"]


def main() -> None:
    """Entry point of the ``msc-mine`` console script."""
    warnings.filterwarnings("ignore", message="Possible set union", category=FutureWarning)
    warnings.filterwarnings("ignore", message=r".*\[W036\].*")
    try:
        app()
    except MscMineError as exc:
        Console(stderr=True).print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        Console(stderr=True).print("interrupted: work stored so far is kept; run again to resume")
        sys.exit(130)
