"""Shared test set-up: keep every library's files inside the test's temp space."""

from __future__ import annotations

import os
import tempfile
import warnings
from pathlib import Path

_SCRATCH = Path(tempfile.mkdtemp(prefix="msc-mine-tests-"))
os.environ.setdefault("MPLCONFIGDIR", str(_SCRATCH / "mpl"))
os.environ.setdefault("SCISPACY_CACHE", str(_SCRATCH / "scispacy"))
# Tests must never reach NCBI: any client built without an explicit base URL gets a
# closed local port instead of the real host.
os.environ["MSC_MINE_EUTILS_URL"] = "http://127.0.0.1:9/entrez/eutils/"
os.environ.pop("NCBI_API_KEY", None)
warnings.filterwarnings("ignore", message="Possible set union", category=FutureWarning)

REPO = Path(__file__).resolve().parent.parent
CORPORA = REPO / "corpora"


# --- local E-utilities server (ingest-client) ------------------------------------------------
from collections.abc import Iterator  # noqa: E402

import pytest  # noqa: E402

from eutils_server import EutilsServer  # noqa: E402


@pytest.fixture
def eutils_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[EutilsServer]:
    """A fresh local E-utilities server (no records yet); ``MSC_MINE_EUTILS_URL`` points at it.

    Tests load it with ``server.set_records(...)``/``server.add_term(...)`` and queue faults
    with ``server.force(...)``.
    """
    server = EutilsServer().start()
    monkeypatch.setenv("MSC_MINE_EUTILS_URL", server.url)
    try:
        yield server
    finally:
        server.stop()
