"""The run manifest: what a review run searched, read and wrote, for PRISMA-S reporting.

Example::

    >>> from msc_mine.manifest import Manifest, file_sha256
    >>> m = Manifest(review="msc_iv_safety", pipeline_path="pipelines/msc_iv_safety.toml",
    ...              pipeline_sha256="ab" * 32, mode="files")
    >>> m.add_input("corpora/demo/demo.xml", sha256="cd" * 32, records=40, format="pubmed_xml")
    >>> m.to_dict()["inputs"][0]["records"]
    40
    >>> sorted(m.to_dict())[:3]
    ['counts', 'database', 'extractor_version']

A manifest answers the PRISMA-S checklist items a search report needs: the database and
interface (PubMed through NCBI E-utilities, or the files read), each search's full query as
sent with its date limits and the number of records it returned, the date it ran, the
deduplication method, and the software and pipeline versions (the pipeline file's SHA-256).
Only ``started``, ``finished`` and each search's ``run_at`` change from one identical run to
the next; everything else is reproducible, so two manifests can be compared with
:func:`without_timestamps`.
"""

from __future__ import annotations

import hashlib
import json
import platform
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

TIMESTAMP_KEYS = ("started", "finished", "run_at")
DEDUP_METHOD = (
    "PMID, then DOI, then normalized title + publication year (msc_mine.dedup); "
    "records with different PMIDs or DOIs are never merged"
)


def software_version() -> str:
    try:
        return metadata.version("msc-mine")
    except metadata.PackageNotFoundError:  # running from a source tree without install
        from msc_mine import __version__

        return __version__


def file_sha256(path: str | Path, chunk: int = 1 << 20) -> str:
    """SHA-256 of a file, read in chunks (inputs can be large)."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


@dataclass
class Manifest:
    """Everything needed to report and rerun a review run."""

    review: str
    pipeline_path: str
    pipeline_sha256: str
    mode: str  # "files" or "entrez"
    started: str = ""
    finished: str = ""
    extractor_version: str = ""
    database: dict[str, Any] = field(default_factory=dict)
    searches: list[dict[str, Any]] = field(default_factory=list)
    inputs: list[dict[str, Any]] = field(default_factory=list)
    counts: dict[str, Any] = field(default_factory=dict)
    outputs: dict[str, str] = field(default_factory=dict)

    def add_input(self, path: str | Path, sha256: str, records: int, format: str) -> None:
        self.inputs.append(
            {"path": str(path), "format": format, "sha256": sha256, "records": records}
        )

    def add_search(
        self,
        search_id: str,
        query: str,
        count: int,
        *,
        db: str = "pubmed",
        datetype: str = "",
        mindate: str = "",
        maxdate: str = "",
        run_at: str = "",
        retrieved: int | None = None,
    ) -> None:
        self.searches.append(
            {
                "id": search_id,
                "database": db,
                "query": query,
                "datetype": datetype,
                "mindate": mindate,
                "maxdate": maxdate,
                "count": count,
                "retrieved": count if retrieved is None else retrieved,
                "run_at": run_at,
            }
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "review": self.review,
            "software": {
                "name": "msc-mine",
                "version": software_version(),
                "python": platform.python_version(),
            },
            "pipeline": {"path": self.pipeline_path, "sha256": self.pipeline_sha256},
            "mode": self.mode,
            "started": self.started,
            "finished": self.finished,
            "database": self.database or _database(self.mode),
            "searches": self.searches,
            "inputs": self.inputs,
            "deduplication": DEDUP_METHOD,
            "extractor_version": self.extractor_version,
            "counts": self.counts,
            "outputs": dict(sorted(self.outputs.items())),
        }

    def write(self, path: str | Path) -> None:
        text = json.dumps(self.to_dict(), indent=2, ensure_ascii=False)
        Path(path).write_text(text + "\n", encoding="utf-8")


def _database(mode: str) -> dict[str, Any]:
    if mode == "entrez":
        return {"name": "PubMed", "interface": "NCBI E-utilities (esearch, efetch)"}
    return {"name": "exported files", "interface": "msc_mine.readers (PubMed XML, MEDLINE, RIS)"}


def without_timestamps(manifest: dict[str, Any]) -> dict[str, Any]:
    """A copy with every timestamp blanked: what must match between identical runs."""

    def strip(obj: Any) -> Any:
        if isinstance(obj, dict):
            return {k: "" if k in TIMESTAMP_KEYS else strip(v) for k, v in obj.items()}
        if isinstance(obj, list):
            return [strip(v) for v in obj]
        return obj

    result: dict[str, Any] = strip(manifest)
    return result
