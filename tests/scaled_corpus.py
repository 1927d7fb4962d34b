"""Shared by the review/refresh tests and benchmarks: the scaled-corpus generator and the
list of files a review run writes (and a refresh must rewrite identically)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parent.parent

REVIEW_OUTPUTS = (
    "table.csv",
    "table.xlsx",
    "table.parquet",
    "included.csv",
    "maybe.csv",
    "funnel.json",
    "prisma.svg",
    "prisma.png",
)


def load_generator() -> ModuleType:
    """``corpora/scaled/generate.py`` as a module (it is a script, not a package)."""
    if "scaled_generate" in sys.modules:
        return sys.modules["scaled_generate"]
    spec = importlib.util.spec_from_file_location(
        "scaled_generate", REPO / "corpora" / "scaled" / "generate.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["scaled_generate"] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module
