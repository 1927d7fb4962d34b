"""The review database: one SQLite file per review holding records, their provenance,
searches, extractions, screening decisions and runs.

Example::

    >>> import tempfile, pathlib
    >>> from msc_mine.records import Record
    >>> from msc_mine.store import Store
    >>> db = pathlib.Path(tempfile.mkdtemp()) / "demo" / "review.sqlite"
    >>> with Store(db) as store:
    ...     stats = store.upsert_records(
    ...         [Record(pmid="90000001", title="Intravenous MSCs in MS", year=2020)],
    ...         source="medline", origin="sample.nbib")
    ...     stats
    UpsertStats(new=1, updated=0, unchanged=0, duplicates=0)
    >>> with Store(db) as store:
    ...     store.get("90000001").title, store.keys()
    ('Intravenous MSCs in MS', {'90000001'})

Every write method is one transaction: ``upsert_records`` commits all of its records or
none, so a run interrupted by Ctrl-C, ``kill -9`` or a lost network loses at most the batch
in flight, and running it again stores the rest without duplicates (deduplication by PMID,
DOI, then normalized title + year, via :mod:`msc_mine.dedup`). The file uses WAL, so readers
never block the writer. The schema version lives in ``PRAGMA user_version``; opening an older
file applies the missing steps of :data:`MIGRATIONS` in order, each in its own transaction.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from msc_mine.codebook import Decision, Extraction
from msc_mine.dedup import (
    DedupIndex,
    merge_records,
    primary_source_ids,
    title_year_key,
)
from msc_mine.errors import UsageError
from msc_mine.records import Record, normalize_doi, normalize_title

__all__ = [
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "RunInfo",
    "Store",
    "UpsertStats",
    "default_db_path",
    "text_hash",
]


def default_db_path(review_id: str, root: Path = Path("outputs")) -> Path:
    """``outputs/<review_id>/review.sqlite``; :class:`Store` creates the folder on open."""
    return root / review_id / "review.sqlite"


def text_hash(record: Record) -> str:
    """sha256 of what extraction reads: title, abstract sections, MeSH, publication types.

    Canonical JSON rather than plain concatenation, so that moving text between fields
    changes the hash. The NLM category of a section is left out: MEDLINE text exports do
    not carry it, and the same article read from XML and from MEDLINE must hash the same.
    """
    payload = {
        "title": record.title,
        "abstract": [[s.label, s.text] for s in record.abstract],
        "mesh": [[m.descriptor, m.major, list(m.qualifiers)] for m in record.mesh],
        "publication_types": list(record.publication_types),
    }
    blob = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


# --- schema ------------------------------------------------------------------------------

_V1 = """
CREATE TABLE records (
    key TEXT PRIMARY KEY,
    pmid TEXT,
    doi TEXT,
    title_norm TEXT,
    year INTEGER,
    revised TEXT,
    text_hash TEXT,
    data TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    updated TEXT NOT NULL
);
CREATE TABLE sources (
    key TEXT NOT NULL,
    source TEXT NOT NULL,
    source_id TEXT NOT NULL,
    origin TEXT NOT NULL,
    PRIMARY KEY (key, source, source_id, origin)
);
CREATE TABLE searches (
    id INTEGER PRIMARY KEY,
    query TEXT NOT NULL,
    db TEXT NOT NULL,
    run_at TEXT NOT NULL,
    count INTEGER,
    webenv TEXT,
    query_key TEXT,
    datetype TEXT,
    mindate TEXT,
    maxdate TEXT
);
CREATE TABLE search_hits (
    search_id INTEGER NOT NULL REFERENCES searches(id),
    pmid TEXT NOT NULL,
    PRIMARY KEY (search_id, pmid)
);
CREATE TABLE extractions (
    key TEXT PRIMARY KEY,
    extractor_version TEXT NOT NULL,
    text_hash TEXT NOT NULL,
    data TEXT NOT NULL,
    extracted_at TEXT NOT NULL
);
CREATE TABLE runs (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    pipeline TEXT NOT NULL,
    started TEXT NOT NULL,
    finished TEXT,
    status TEXT NOT NULL,
    info TEXT
);
CREATE TABLE decisions (
    pipeline TEXT NOT NULL,
    key TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (pipeline, key)
);
"""

# v2: lookups that dedup (store opening) and provenance queries do by value, not by key.
_V2 = """
CREATE INDEX IF NOT EXISTS records_pmid ON records(pmid);
CREATE INDEX IF NOT EXISTS records_doi ON records(doi);
CREATE INDEX IF NOT EXISTS sources_source_id ON sources(source_id);
CREATE INDEX IF NOT EXISTS runs_kind ON runs(kind, pipeline, status);
"""


def _script(sql: str) -> Callable[[sqlite3.Connection], None]:
    def step(conn: sqlite3.Connection) -> None:
        for statement in sql.split(";"):
            if statement.strip():
                conn.execute(statement)

    return step


#: Migration ``i`` takes a database from ``user_version`` i to i + 1. Append, never edit:
#: files in the field were made by the steps as they stand.
MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [_script(_V1), _script(_V2)]
SCHEMA_VERSION = len(MIGRATIONS)


def migrate(
    conn: sqlite3.Connection, migrations: Sequence[Callable[..., None]] = MIGRATIONS
) -> int:
    """Bring ``conn`` up to ``len(migrations)``; returns the version it started from."""
    start = int(conn.execute("PRAGMA user_version").fetchone()[0])
    if start > len(migrations):
        raise UsageError(
            f"database schema version {start} is newer than this msc-mine knows "
            f"({len(migrations)}): upgrade msc-mine"
        )
    for version in range(start, len(migrations)):
        conn.execute("BEGIN IMMEDIATE")
        try:
            migrations[version](conn)
            # PRAGMA inside the transaction: the step and its version number commit together.
            conn.execute(f"PRAGMA user_version = {version + 1}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return start


# --- API ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class UpsertStats:
    """What one ``upsert_records`` call did.

    ``new + updated + unchanged`` is the number of records given. ``duplicates`` counts
    new sightings of a known article under another identity (an Embase copy of a PubMed
    record, two RIS entries for one paper): each source id added to an existing record is
    one duplicate. Seeing the same id again (re-importing a file, re-fetching a PMID from
    another search) is not a duplicate, so refreshes never inflate the PRISMA count.
    """

    new: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicates: int = 0


@dataclass(frozen=True)
class RunInfo:
    """One row of the ``runs`` table."""

    id: int
    kind: str
    pipeline: str
    started: str
    finished: str
    status: str
    info: dict[str, Any]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


_RECORD_FIELDS = tuple(f.name for f in dataclasses.fields(Record))


def _record_dict(record: Record) -> dict[str, Any]:
    """``Record.to_dict()`` without ``dataclasses.asdict``'s deep copy, which took half of
    the import time; tests check the two agree."""
    d: dict[str, Any] = {name: getattr(record, name) for name in _RECORD_FIELDS}
    d["abstract"] = [
        {"label": s.label, "text": s.text, "nlm_category": s.nlm_category} for s in record.abstract
    ]
    d["mesh"] = [
        {"descriptor": m.descriptor, "major": m.major, "qualifiers": list(m.qualifiers),
         "ui": m.ui}
        for m in record.mesh
    ]  # fmt: skip
    return d


class Store:
    """A review database; use it as a context manager (``with Store(path) as store``)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            # isolation_level=None: we issue BEGIN/COMMIT ourselves, so a transaction is
            # exactly one API call and nothing is committed behind our back.
            self._conn = sqlite3.connect(self.path, isolation_level=None, timeout=30.0)
            self._conn.execute("PRAGMA journal_mode = WAL")
            # NORMAL is crash-safe in WAL mode (a killed process loses nothing committed);
            # only a power cut may lose the last commits, which a rerun fetches again.
            self._conn.execute("PRAGMA synchronous = NORMAL")
            self._conn.execute("PRAGMA foreign_keys = ON")
            migrate(self._conn)
        except sqlite3.DatabaseError as exc:
            raise UsageError(f"{self.path}: not a usable msc-mine database ({exc})") from None
        self._index: DedupIndex | None = None
        self._index_version = -1

    # context manager -------------------------------------------------------------------

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._conn.close()

    @property
    def schema_version(self) -> int:
        return int(self._conn.execute("PRAGMA user_version").fetchone()[0])

    def _transaction(self) -> _Transaction:
        return _Transaction(self._conn)

    # records ---------------------------------------------------------------------------

    def _dedup_index(self) -> DedupIndex:
        """The key index, reloaded when another connection has committed since."""
        version = int(self._conn.execute("PRAGMA data_version").fetchone()[0])
        if self._index is None or version != self._index_version:
            index = DedupIndex()
            rows = self._conn.execute(
                "SELECT key, pmid, doi, title_norm, year FROM records ORDER BY first_seen, key"
            )
            for key, pmid, doi, title_norm, year in rows:
                title_year = (title_norm, year) if title_norm and year is not None else None
                index.add_keys(key, pmid or "", doi or "", title_year)
            self._index, self._index_version = index, version
        return self._index

    def upsert_records(
        self, records: Iterable[Record], source: str, origin: str = ""
    ) -> UpsertStats:
        """Store ``records`` in one transaction, merging duplicates; see :class:`UpsertStats`.

        ``source`` names the reader or client (``pubmed``, ``medline``, ``ris``), ``origin``
        where the records came from (a file path, a search id). A matched record is
        replaced only by a newer revision (or a PubMed copy of a non-PubMed one); its
        source ids always accumulate. If anything raises, nothing of this call is stored.
        """
        new = updated = unchanged = duplicates = 0
        try:
            with self._transaction():
                index = self._dedup_index()
                for record in records:
                    result = self._upsert_one(index, record, source, origin)
                    if result[0] == "new":
                        new += 1
                    elif result[0] == "updated":
                        updated += 1
                    else:
                        unchanged += 1
                    duplicates += result[1]
        except BaseException:
            # The index may hold keys of the rolled-back batch: rebuild it from the file.
            self._index = None
            raise
        # Our own commit changes nothing for data_version, so the index stays valid.
        return UpsertStats(new, updated, unchanged, duplicates)

    def _upsert_one(
        self, index: DedupIndex, record: Record, source: str, origin: str
    ) -> tuple[str, int]:
        incoming = dataclasses.replace(
            record, doi=normalize_doi(record.doi), source_ids=primary_source_ids(record)
        )
        found = index.match(incoming)
        now = _now()
        if found is None:
            key = incoming.key
            self._write_record(key, incoming, first_seen=now, updated=now, insert=True)
            index.add(key, incoming)
            added = self._add_sources(key, incoming.source_ids, source, origin)
            # A record that arrives already merged (an in-memory pass) brings its
            # duplicates with it: every id beyond its first is one.
            return "new", max(0, added - 1)
        old_key = found.key
        row = self._conn.execute(
            "SELECT data, first_seen FROM records WHERE key = ?", (old_key,)
        ).fetchone()
        stored = Record.from_dict(json.loads(row[0]))
        merged = merge_records(stored, incoming)
        # The key follows Record.key: a DOI-keyed record moves to its PMID once one is known.
        new_key = merged.key
        if new_key != old_key and new_key in index:
            new_key = old_key  # never collide with another stored record
        if new_key != old_key:
            self._rekey(old_key, new_key)
            index.remove(old_key)
        added = self._add_sources(new_key, incoming.source_ids, source, origin)
        changed = merged != stored or new_key != old_key
        if changed:
            self._write_record(new_key, merged, first_seen=row[1], updated=now, insert=False)
        index.add(new_key, merged)
        return ("updated" if changed else "unchanged"), added

    def _write_record(
        self, key: str, record: Record, first_seen: str, updated: str, insert: bool
    ) -> None:
        title_year = title_year_key(record)
        values = (
            record.pmid or None,
            normalize_doi(record.doi) or None,
            title_year[0] if title_year else normalize_title(record.title),
            record.year,
            record.revised or None,
            text_hash(record),
            _dumps(_record_dict(record)),
            updated,
        )
        if insert:
            self._conn.execute(
                "INSERT INTO records (pmid, doi, title_norm, year, revised, text_hash, data,"
                " updated, key, first_seen) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (*values, key, first_seen),
            )
        else:
            self._conn.execute(
                "UPDATE records SET pmid = ?, doi = ?, title_norm = ?, year = ?, revised = ?,"
                " text_hash = ?, data = ?, updated = ? WHERE key = ?",
                (*values, key),
            )

    def _rekey(self, old_key: str, new_key: str) -> None:
        """Move a record to its PMID key when its PubMed copy arrives."""
        self._conn.execute("UPDATE records SET key = ? WHERE key = ?", (new_key, old_key))
        self._conn.execute("UPDATE OR IGNORE sources SET key = ? WHERE key = ?", (new_key, old_key))
        self._conn.execute("DELETE FROM sources WHERE key = ?", (old_key,))
        # Extraction and decisions were made on the other copy's text: redo them.
        self._conn.execute("DELETE FROM extractions WHERE key = ?", (old_key,))
        self._conn.execute("DELETE FROM decisions WHERE key = ?", (old_key,))

    def _add_sources(self, key: str, source_ids: list[str], source: str, origin: str) -> int:
        """Record the sighting; returns how many source ids were new for this key."""
        known = {
            r[0] for r in self._conn.execute("SELECT source_id FROM sources WHERE key = ?", (key,))
        }
        for sid in source_ids:
            self._conn.execute(
                "INSERT OR IGNORE INTO sources (key, source, source_id, origin)"
                " VALUES (?, ?, ?, ?)",
                (key, source, sid, origin),
            )
        return len(set(source_ids) - known)

    def get(self, key: str) -> Record | None:
        row = self._conn.execute("SELECT data FROM records WHERE key = ?", (key,)).fetchone()
        return Record.from_dict(json.loads(row[0])) if row else None

    def iter_records(self) -> Iterator[Record]:
        """Every record, ordered by key, streamed (memory stays flat)."""
        cursor = self._conn.execute("SELECT data FROM records ORDER BY key")
        while rows := cursor.fetchmany(500):
            for (data,) in rows:
                yield Record.from_dict(json.loads(data))

    def keys(self) -> set[str]:
        return {r[0] for r in self._conn.execute("SELECT key FROM records")}

    def __len__(self) -> int:
        return int(self._conn.execute("SELECT count(*) FROM records").fetchone()[0])

    def revised_dates(self) -> dict[str, str]:
        """PMID -> stored revision date (``""`` when unknown): what a refresh compares.

        Only records stored from PubMed itself (a source id ``pubmed:<pmid>``: efetch, PubMed
        XML or MEDLINE) are listed: an Embase or Scopus copy that merely names its PMID
        lacks MeSH and publication types, so a fetch should still get the PubMed copy.
        """
        rows = self._conn.execute(
            "SELECT r.pmid, r.revised FROM records AS r WHERE r.pmid IS NOT NULL AND EXISTS"
            " (SELECT 1 FROM sources AS s"
            " WHERE s.key = r.key AND s.source_id = 'pubmed:' || r.pmid)"
        )
        return {pmid: revised or "" for pmid, revised in rows}

    def text_hashes(self) -> dict[str, str]:
        """Key -> :func:`text_hash` of the stored record."""
        return dict(self._conn.execute("SELECT key, text_hash FROM records"))

    def sources(self, key: str) -> list[tuple[str, str, str]]:
        """The (source, source_id, origin) sightings of one record."""
        rows = self._conn.execute(
            "SELECT source, source_id, origin FROM sources WHERE key = ? ORDER BY source_id,"
            " source, origin",
            (key,),
        )
        return [(s, i, o) for s, i, o in rows]

    def duplicate_count(self) -> int:
        """Duplicates merged so far: distinct source ids beyond the first, over all records."""
        ids = self._conn.execute(
            "SELECT count(*) FROM (SELECT DISTINCT key, source_id FROM sources)"
        ).fetchone()[0]
        with_sources = self._conn.execute("SELECT count(DISTINCT key) FROM sources").fetchone()[0]
        return int(ids) - int(with_sources)

    # searches --------------------------------------------------------------------------

    def add_search(
        self,
        query: str,
        db: str = "pubmed",
        count: int | None = None,
        webenv: str = "",
        query_key: str = "",
        datetype: str = "",
        mindate: str = "",
        maxdate: str = "",
        run_at: str = "",
    ) -> int:
        """Record one esearch (or one date window of it); returns its id."""
        with self._transaction():
            cursor = self._conn.execute(
                "INSERT INTO searches (query, db, run_at, count, webenv, query_key, datetype,"
                " mindate, maxdate) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (query, db, run_at or _now(), count, webenv, query_key, datetype, mindate, maxdate),
            )
        return int(cursor.lastrowid or 0)

    def add_search_hits(self, search_id: int, pmids: Iterable[str]) -> None:
        """Remember which PMIDs a search returned (repeats are ignored)."""
        with self._transaction():
            self._conn.executemany(
                "INSERT OR IGNORE INTO search_hits (search_id, pmid) VALUES (?, ?)",
                ((search_id, str(p)) for p in pmids),
            )

    def search_hits(self, search_id: int) -> list[str]:
        rows = self._conn.execute(
            "SELECT pmid FROM search_hits WHERE search_id = ? ORDER BY pmid", (search_id,)
        )
        return [r[0] for r in rows]

    # extractions -----------------------------------------------------------------------

    def save_extractions(
        self, extractions: Sequence[Extraction], text_hashes: Mapping[str, str] | Sequence[str]
    ) -> None:
        """Store extractions with the text hash each was made from.

        ``text_hashes`` maps key (``Extraction.pmid``) to hash, or lists hashes in the
        order of ``extractions``.
        """
        if isinstance(text_hashes, Mapping):
            hashes = [text_hashes[ex.pmid] for ex in extractions]
        else:
            hashes = list(text_hashes)
            if len(hashes) != len(extractions):
                raise ValueError("save_extractions: one text hash per extraction")
        now = _now()
        with self._transaction():
            self._conn.executemany(
                "INSERT OR REPLACE INTO extractions (key, extractor_version, text_hash, data,"
                " extracted_at) VALUES (?, ?, ?, ?, ?)",
                (
                    (ex.pmid, ex.extractor_version, h, _dumps(ex.to_dict()), now)
                    for ex, h in zip(extractions, hashes, strict=True)
                ),
            )

    def load_extractions(self) -> dict[str, Extraction]:
        rows = self._conn.execute("SELECT key, data FROM extractions ORDER BY key")
        return {key: Extraction.from_dict(json.loads(data)) for key, data in rows}

    def extraction_state(self) -> dict[str, tuple[str, str]]:
        """Key -> (extractor version, text hash): what decides whether to re-extract."""
        rows = self._conn.execute("SELECT key, extractor_version, text_hash FROM extractions")
        return {key: (version, h) for key, version, h in rows}

    # runs ------------------------------------------------------------------------------

    def start_run(self, kind: str, pipeline: str = "") -> int:
        with self._transaction():
            cursor = self._conn.execute(
                "INSERT INTO runs (kind, pipeline, started, status) VALUES (?, ?, ?, 'running')",
                (kind, pipeline, _now()),
            )
        return int(cursor.lastrowid or 0)

    def finish_run(self, run_id: int, status: str, info: Mapping[str, Any] | None = None) -> None:
        with self._transaction():
            self._conn.execute(
                "UPDATE runs SET finished = ?, status = ?, info = ? WHERE id = ?",
                (_now(), status, _dumps(dict(info or {})), run_id),
            )

    def last_run(self, kind: str, pipeline: str = "", status: str = "ok") -> RunInfo | None:
        """The latest run of ``kind`` for ``pipeline`` that ended with ``status``."""
        row = self._conn.execute(
            "SELECT id, kind, pipeline, started, finished, status, info FROM runs"
            " WHERE kind = ? AND pipeline = ? AND status = ? ORDER BY id DESC LIMIT 1",
            (kind, pipeline, status),
        ).fetchone()
        if row is None:
            return None
        return RunInfo(
            row[0], row[1], row[2], row[3], row[4] or "", row[5], json.loads(row[6] or "{}")
        )

    # decisions -------------------------------------------------------------------------

    def save_decisions(self, pipeline_id: str, decisions: Iterable[Decision]) -> None:
        """Replace the latest decision per record for ``pipeline_id``."""
        with self._transaction():
            self._conn.executemany(
                "INSERT OR REPLACE INTO decisions (pipeline, key, data) VALUES (?, ?, ?)",
                ((pipeline_id, d.pmid, _dumps(d.to_dict())) for d in decisions),
            )

    def load_decisions(self, pipeline_id: str) -> dict[str, Decision]:
        rows = self._conn.execute(
            "SELECT key, data FROM decisions WHERE pipeline = ? ORDER BY key", (pipeline_id,)
        )
        return {key: Decision(**json.loads(data)) for key, data in rows}


class _Transaction:
    """``BEGIN IMMEDIATE`` ... ``COMMIT``, or ``ROLLBACK`` on any exception (Ctrl-C too)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def __enter__(self) -> None:
        # IMMEDIATE takes the write lock up front, so two importers queue instead of
        # failing half-way with "database is locked".
        self._conn.execute("BEGIN IMMEDIATE")

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self._conn.execute("COMMIT")
        else:
            self._conn.execute("ROLLBACK")
