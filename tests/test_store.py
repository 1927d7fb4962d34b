"""The review database: schema and migrations, upserts and dedup, the other tables."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from msc_mine.codebook import Decision, Extraction, Value
from msc_mine.errors import UsageError
from msc_mine.readers import read_records
from msc_mine.records import AbstractSection, MeshHeading, Record
from msc_mine.store import (
    MIGRATIONS,
    SCHEMA_VERSION,
    Store,
    UpsertStats,
    _record_dict,
    default_db_path,
    migrate,
    text_hash,
)

TITLE = "Intravenous bone marrow mesenchymal stromal cells in relapsing multiple sclerosis"


def rec(pmid: str = "90050001", **kw: object) -> Record:
    base: dict[str, object] = dict(
        pmid=pmid,
        title=f"{TITLE} {pmid}",
        year=2022,
        abstract=[AbstractSection("RESULTS", "No serious adverse events occurred.")],
        publication_types=["Journal Article"],
        mesh=[MeshHeading("Multiple Sclerosis", major=True, qualifiers=("therapy",))],
        revised="2023-06-11",
    )
    base.update(kw)
    return Record(**base)  # type: ignore[arg-type]


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "review" / "review.sqlite"


def test_default_db_path_and_parent_folder_created(tmp_path: Path) -> None:
    assert default_db_path("msc_iv_safety") == Path("outputs/msc_iv_safety/review.sqlite")
    path = default_db_path("r1", root=tmp_path)
    with Store(path):
        pass
    assert path.is_file()


def test_schema_wal_and_version(db: Path) -> None:
    with Store(db) as store:
        assert store.schema_version == SCHEMA_VERSION == len(MIGRATIONS)
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {
        "records",
        "sources",
        "searches",
        "search_hits",
        "extractions",
        "runs",
        "decisions",
    } <= tables
    cols = [r[1] for r in conn.execute("PRAGMA table_info(records)")]
    assert cols == [
        "key",
        "pmid",
        "doi",
        "title_norm",
        "year",
        "revised",
        "text_hash",
        "data",
        "first_seen",
        "updated",
    ]


def test_migrates_an_empty_v0_file(db: Path) -> None:
    db.parent.mkdir(parents=True)
    sqlite3.connect(db).close()  # an empty file: user_version 0
    with Store(db) as store:
        assert store.schema_version == SCHEMA_VERSION


def test_migrates_an_older_database_and_keeps_its_data(db: Path) -> None:
    with Store(db) as store:
        store.upsert_records([rec()], "pubmed", "search:1")
    # Roll the file back to v1: drop what v2 added and lower the version number.
    conn = sqlite3.connect(db, isolation_level=None)
    for (name,) in conn.execute(
        "SELECT name FROM sqlite_master WHERE type='index' AND sql NOT NULL"
    ).fetchall():
        conn.execute(f"DROP INDEX {name}")
    conn.execute("PRAGMA user_version = 1")
    conn.close()
    with Store(db) as store:
        assert store.schema_version == SCHEMA_VERSION
        assert store.keys() == {"90050001"}
    conn = sqlite3.connect(db)
    indexes = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='index'")}
    assert "records_pmid" in indexes


def test_migration_steps_run_in_order_and_only_missing_ones() -> None:
    calls: list[int] = []
    steps = [lambda c, i=i: calls.append(i) for i in range(3)]
    conn = sqlite3.connect(":memory:", isolation_level=None)
    assert migrate(conn, steps) == 0
    assert calls == [0, 1, 2]
    calls.clear()
    steps.append(lambda c: calls.append(3))
    assert migrate(conn, steps) == 3
    assert calls == [3]


def test_failed_migration_step_leaves_version_unchanged() -> None:
    def broken(conn: sqlite3.Connection) -> None:
        conn.execute("CREATE TABLE half_done (x)")
        raise RuntimeError("step failed")

    conn = sqlite3.connect(":memory:", isolation_level=None)
    with pytest.raises(RuntimeError):
        migrate(conn, [MIGRATIONS[0], broken])
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    assert "half_done" not in names


def test_newer_schema_is_refused(db: Path) -> None:
    db.parent.mkdir(parents=True)
    conn = sqlite3.connect(db)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    conn.close()
    with pytest.raises(UsageError, match="newer"):
        Store(db)


def test_not_a_database_is_a_usage_error(db: Path) -> None:
    db.parent.mkdir(parents=True)
    db.write_text("this is not sqlite" * 100)
    with pytest.raises(UsageError, match=r"review\.sqlite"):
        Store(db)


def test_upsert_round_trip_and_stats(db: Path) -> None:
    with Store(db) as store:
        stats = store.upsert_records([rec("90050001"), rec("90050002")], "pubmed", "search:1")
        assert stats == UpsertStats(new=2)
        again = store.upsert_records([rec("90050001")], "pubmed", "search:2")
        assert again == UpsertStats(unchanged=1)  # same id from another search: no duplicate
        assert store.get("90050001") == rec("90050001", source_ids=["pubmed:90050001"])
        assert store.get("nope") is None
        assert [r.key for r in store.iter_records()] == ["90050001", "90050002"]
        assert store.revised_dates() == {"90050001": "2023-06-11", "90050002": "2023-06-11"}
        assert store.duplicate_count() == 0
        assert store.text_hashes()["90050001"] == text_hash(rec("90050001"))
        assert store.sources("90050001") == [
            ("pubmed", "pubmed:90050001", "search:1"),
            ("pubmed", "pubmed:90050001", "search:2"),
        ]


def test_only_a_newer_revision_replaces(db: Path) -> None:
    with Store(db) as store:
        store.upsert_records([rec(title="first", revised="2023-01-01")], "pubmed", "a")
        older = store.upsert_records([rec(title="older", revised="2020-01-01")], "pubmed", "b")
        assert older == UpsertStats(unchanged=1)
        assert store.get("90050001").title == "first"  # type: ignore[union-attr]
        newer = store.upsert_records([rec(title="newer", revised="2024-01-01")], "pubmed", "c")
        assert newer == UpsertStats(updated=1)
        stored = store.get("90050001")
        assert stored is not None and stored.title == "newer" and stored.revised == "2024-01-01"
        assert store.text_hashes()["90050001"] == text_hash(stored)


def test_cross_source_duplicates_are_counted_and_rekeyed_to_pmid(db: Path) -> None:
    embase = Record(
        title=TITLE,
        year=2022,
        doi="10.1000/ABC",
        journal="Embase Journal",
        source_ids=["ris:embase:L1"],
    )
    wos = Record(title=TITLE.upper() + ".", year=2022, source_ids=["ris:wos:WOS:1"])
    with Store(db) as store:
        assert store.upsert_records([embase], "ris", "e.ris") == UpsertStats(new=1)
        assert store.keys() == {"doi:10.1000/abc"}
        # A title + year duplicate in the same batch as a PubMed copy found by DOI.
        pm = rec("90050001", title=TITLE, doi="https://doi.org/10.1000/abc", journal="")
        stats = store.upsert_records([wos, pm], "mixed", "m")
        assert stats == UpsertStats(updated=2, duplicates=2)
        assert store.keys() == {"90050001"}
        merged = store.get("90050001")
        assert merged is not None
        assert merged.mesh and merged.journal == "Embase Journal"
        assert merged.source_ids == ["ris:embase:L1", "ris:wos:WOS:1", "pubmed:90050001"]
        assert {s[1] for s in store.sources("90050001")} == set(merged.source_ids)
        assert store.duplicate_count() == 2
        # Importing the same files again adds nothing.
        assert store.upsert_records([embase], "ris", "e.ris") == UpsertStats(unchanged=1)
        assert store.duplicate_count() == 2


def test_premerged_record_brings_its_duplicates(db: Path) -> None:
    with Store(db) as store:
        stats = store.upsert_records(
            [rec(source_ids=["pubmed:90050001", "ris:embase:L1"])], "pubmed", "x"
        )
        assert stats == UpsertStats(new=1, duplicates=1)
        assert store.duplicate_count() == 1


def test_index_sees_commits_from_another_connection(db: Path) -> None:
    with Store(db) as first, Store(db) as second:
        first.upsert_records([rec()], "pubmed", "a")  # first loads its index
        second.upsert_records(
            [Record(title=TITLE, year=2022, doi="10.1000/z", source_ids=["ris:x:1"])], "ris", "b"
        )
        stats = first.upsert_records(
            [Record(doi="10.1000/Z", title="x", source_ids=["ris:y:2"])], "ris", "c"
        )
        assert stats == UpsertStats(updated=1, duplicates=1)
        assert len(first) == 2


def test_extractions_round_trip(db: Path) -> None:
    ex = Extraction(
        pmid="90050001",
        route=Value(["intravenous"], "MSCs were infused intravenously."),
        n_patients=Value(42, "Forty-two adults were randomized."),
        extractor_version="v1",
    )
    with Store(db) as store:
        store.save_extractions([ex], {"90050001": "h1"})
        assert store.load_extractions() == {"90050001": ex}
        assert store.extraction_state() == {"90050001": ("v1", "h1")}
        store.save_extractions([ex], ["h2"])
        assert store.extraction_state() == {"90050001": ("v1", "h2")}
        with pytest.raises(ValueError):
            store.save_extractions([ex], ["h1", "h2"])


def test_decisions_runs_and_searches(db: Path) -> None:
    with Store(db) as store:
        d = Decision("90050001", "no", "non_iv_route", "eligibility", "route", "route=x", "ev")
        store.save_decisions("msc_iv_safety", [d])
        assert store.load_decisions("msc_iv_safety") == {"90050001": d}
        assert store.load_decisions("other") == {}
        d2 = Decision("90050001", "yes", stage="eligibility")
        store.save_decisions("msc_iv_safety", [d2])
        assert store.load_decisions("msc_iv_safety")["90050001"].include == "yes"

        run = store.start_run("review", "msc_iv_safety")
        assert store.last_run("review", "msc_iv_safety") is None
        store.finish_run(run, "ok", {"records": 3})
        last = store.last_run("review", "msc_iv_safety")
        assert last is not None and last.id == run and last.info == {"records": 3}
        assert last.finished

        sid = store.add_search("msc[tiab]", count=2, webenv="W", query_key="1", mindate="2000")
        store.add_search_hits(sid, ["90050002", "90050001", "90050001"])
        assert store.search_hits(sid) == ["90050001", "90050002"]


def test_text_hash_covers_what_extraction_reads() -> None:
    base = rec()
    assert text_hash(base) == text_hash(rec())
    assert text_hash(base) != text_hash(rec(title="other"))
    assert text_hash(base) != text_hash(rec(abstract=[AbstractSection("", "other")]))
    assert text_hash(base) != text_hash(rec(mesh=[]))
    assert text_hash(base) != text_hash(rec(publication_types=["Review"]))
    # Not part of what extraction reads: the hash does not move.
    assert text_hash(base) == text_hash(rec(revised="2030-01-01", journal="J", doi="10.1/x"))
    with_category = rec(
        abstract=[AbstractSection("RESULTS", "No serious adverse events occurred.", "RESULTS")]
    )
    assert text_hash(base) == text_hash(with_category)


def test_revised_dates_list_only_pubmed_copies(db: Path) -> None:
    embase = Record(
        pmid="90050009",
        title="Embase copy naming its PMID",
        year=2021,
        source_ids=["ris:embase:L9"],
    )
    with Store(db) as store:
        store.upsert_records([rec("90050001"), embase], "mixed", "x")
        assert store.revised_dates() == {"90050001": "2023-06-11"}
        # Once the PubMed copy is fetched it is listed, with its revision date.
        stats = store.upsert_records([rec("90050009")], "pubmed", "search:1")
        assert stats == UpsertStats(updated=1, duplicates=1)
        assert store.revised_dates() == {"90050001": "2023-06-11", "90050009": "2023-06-11"}


def test_fast_record_serializer_matches_to_dict() -> None:
    samples = Path(__file__).resolve().parent.parent / "corpora" / "import_samples"
    records = [r for p in sorted(samples.iterdir()) for r in read_records(p)]
    records.append(rec(mesh=[MeshHeading("Humans", False, ("a", "b"), "D006801")]))
    for record in records:
        as_json = json.loads(json.dumps(_record_dict(record)))
        assert as_json == json.loads(json.dumps(record.to_dict()))
        assert Record.from_dict(as_json) == record
