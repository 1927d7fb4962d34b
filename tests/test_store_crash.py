"""Interrupted writes: an exception, Ctrl-C or kill -9 mid-batch loses at most that batch."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from msc_mine.records import Record
from msc_mine.store import Store, UpsertStats

BATCH = 200


def make(i: int) -> Record:
    return Record(
        pmid=str(90100000 + i),
        title=f"Mesenchymal stromal cell infusion safety report number {i}",
        year=2000 + i % 20,
        doi=f"10.1000/crash.{i}",
        publication_types=["Journal Article"],
        revised="2024-01-01",
    )


def records(start: int, stop: int, fail_at: int | None = None) -> Iterator[Record]:
    for i in range(start, stop):
        if i == fail_at:
            raise RuntimeError("reader failed mid-batch")
        yield make(i)


@pytest.mark.parametrize("error", [RuntimeError, KeyboardInterrupt])
def test_exception_mid_batch_keeps_earlier_batches_only(
    tmp_path: Path, error: type[BaseException]
) -> None:
    db = tmp_path / "r.sqlite"

    def failing() -> Iterator[Record]:
        yield from records(10, 15)
        raise error()

    with Store(db) as store:
        store.upsert_records(records(0, 10), "pubmed", "a")
        with pytest.raises(error):
            store.upsert_records(failing(), "pubmed", "a")
        assert len(store) == 10
        # The store stays usable and its dedup index forgot the rolled-back keys.
        rerun = store.upsert_records(records(0, 20), "pubmed", "a")
        assert rerun == UpsertStats(new=10, unchanged=10)
        assert len(store) == 20
        assert store.duplicate_count() == 0


_CHILD = textwrap.dedent(
    """
    import sys
    sys.path[:0] = [{src!r}, {tests!r}]
    from test_store_crash import BATCH, records
    from msc_mine.store import Store
    with Store({db!r}) as store:
        start = 0
        while True:  # until killed
            store.upsert_records(records(start, start + BATCH), "pubmed", "loop")
            start += BATCH
    """
)


def _count(db: Path) -> int:
    if not db.exists():
        return 0
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
        try:
            return int(conn.execute("SELECT count(*) FROM records").fetchone()[0])
        finally:
            conn.close()
    except sqlite3.OperationalError:
        return 0  # schema not created yet


def test_sigkill_during_long_write_loop_loses_at_most_one_batch(tmp_path: Path) -> None:
    db = tmp_path / "killed.sqlite"
    here = Path(__file__).resolve().parent
    code = _CHILD.format(src=str(here.parent / "src"), tests=str(here), db=str(db))
    child = subprocess.Popen([sys.executable, "-c", code])
    try:
        deadline = time.monotonic() + 60
        while _count(db) < 3 * BATCH:
            assert child.poll() is None, "writer died on its own"
            assert time.monotonic() < deadline, "writer too slow"
            time.sleep(0.05)
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
    assert child.returncode == -signal.SIGKILL

    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
    with Store(db) as store:
        stored = len(store)
        # Whole batches only: the batch in flight was rolled back, nothing half-written.
        assert stored >= 3 * BATCH and stored % BATCH == 0
        assert store.keys() == {str(90100000 + i) for i in range(stored)}
        # The rerun stores the rest and nothing twice.
        rerun = store.upsert_records(records(0, stored + BATCH), "pubmed", "loop")
        assert rerun == UpsertStats(new=BATCH, unchanged=stored)
        assert len(store) == stored + BATCH
        assert store.duplicate_count() == 0
