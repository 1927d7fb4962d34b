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
