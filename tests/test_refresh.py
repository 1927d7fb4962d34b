"""``msc-mine refresh`` against the local E-utilities server: incremental requests, the
change report, retractions, outputs equal to a full run's, the lock and crash safety."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from eutils_server import EutilsServer
from msc_mine import atomic
from msc_mine.changes import read_rows
from msc_mine.cli import main
from msc_mine.codebook import Extraction
from msc_mine.entrez import EntrezClient, RetryPolicy
from msc_mine.errors import FetchError, LockedError
from msc_mine.lock import review_lock
from msc_mine.manifest import without_timestamps
from msc_mine.pipeline import Pipeline, SearchQuery, load_pipeline
from msc_mine.records import AbstractSection, Record
from msc_mine.refresh import RefreshResult, run_refresh
from msc_mine.review import ReviewResult, run_review
from msc_mine.store import Store
from scaled_corpus import REVIEW_OUTPUTS, load_generator

REPO = Path(__file__).resolve().parent.parent
FAST = RetryPolicy(attempts=2, backoff=0.001, max_backoff=0.01, timeout=5)
TODAY = datetime.now(UTC).date()


GEN = load_generator()


def _pipeline() -> Pipeline:
    # Two overlapping literal searches and an open upper date limit: a living review.
    iv = load_pipeline(REPO / "pipelines" / "msc_iv_safety.toml")
    search = dataclasses.replace(
        iv.search,
        queries=(SearchQuery("msc", query="mesenchymal"), SearchQuery("iv", query="intravenous")),
        maxdate="",
    )
    return dataclasses.replace(iv, search=search)


PIPE = _pipeline()


class GoldExtractor:
    """The gold values of the generated records (the NLP is not under test here)."""

    def __init__(self, gold: dict[str, Any]) -> None:
        self.gold = gold
        self.seen: list[str] = []

    def __call__(self, records: Sequence[Record], n_process: int) -> Iterable[Extraction]:
        self.seen.extend(r.key for r in records)
        return [GEN.gold_extraction(self.gold[r.key]) for r in records]


def _client(server: EutilsServer) -> EntrezClient:
    return EntrezClient(None, base_url=server.url, rate=1000.0, retry=FAST, seed=0)


@dataclasses.dataclass
class Corpus:
    records: dict[str, Record]
    gold: dict[str, Any]
    new: list[str] = dataclasses.field(default_factory=list)
    revised: list[str] = dataclasses.field(default_factory=list)
    retracted: str = ""
    moved: str = ""  # included study revised to a non-intravenous route
    recoded: str = ""  # included study whose condition changed
    touched: str = ""  # excluded study whose text changed, nothing else


def _base() -> Corpus:
    pairs = list(GEN.gold_records(80))
    return Corpus({r.pmid: r for r, _ in pairs}, {g.pmid: g for _, g in pairs})


def _changed(base: Corpus) -> Corpus:
    """The base corpus plus 4 new records, 3 revisions and 1 retraction (all dated today)."""
    c = Corpus(dict(base.records), dict(base.gold))
    today = TODAY.isoformat()
    extra = [(r, g) for r, g in GEN.gold_records(40, seed=7) if g.cue != "hsc"]
    picks = [p for p in extra if p[1].include == "yes"][:2]
    picks += [p for p in extra if p[1].include == "no"][:2]
    for i, (rec, g) in enumerate(picks):
        pmid = str(92_000_001 + i)
        c.records[pmid] = dataclasses.replace(
            rec, pmid=pmid, doi=f"10.5555/new.{pmid}", revised=today, source_ids=[f"pubmed:{pmid}"]
        )
        c.gold[pmid] = dataclasses.replace(g, pmid=pmid)
        c.new.append(pmid)
    included = sorted(k for k, g in base.gold.items() if g.include == "yes")
    excluded = sorted(k for k, g in base.gold.items() if g.exclude_reason == "non_iv_route")
    c.retracted, c.moved, c.recoded = included[:3]
    c.touched = excluded[0]

    def revise(pmid: str, **changes: Any) -> None:
        rec = c.records[pmid]
        note = AbstractSection("NOTE", "Follow-up data were added in a revision.", "")
        c.records[pmid] = dataclasses.replace(
            rec, abstract=[*rec.abstract, note], revised=today, **changes
        )
        c.revised.append(pmid)

    rec = c.records[c.retracted]
    c.records[c.retracted] = dataclasses.replace(
        rec,
        publication_types=[*rec.publication_types, "Retracted Publication"],
        retraction_in=["93000001"],
        revised=today,
    )
    c.revised.append(c.retracted)
    revise(c.moved)
    c.gold[c.moved] = dataclasses.replace(c.gold[c.moved], route="intrathecal")
    revise(c.recoded)
    other = "frailty" if c.gold[c.recoded].condition != "frailty" else "cerebral palsy"
    c.gold[c.recoded] = dataclasses.replace(c.gold[c.recoded], condition=other)
    revise(c.touched)
    return c


def _serve(server: EutilsServer, corpus: Corpus) -> None:
    server.set_records(corpus.records.values())
    for pmid in corpus.new:
        server.set_dates(pmid, edat=TODAY)


def _review(server: EutilsServer, corpus: Corpus, out: Path) -> ReviewResult:
    with _client(server) as client:
        return run_review(
            PIPE, client=client, out_dir=out, extractor=GoldExtractor(corpus.gold),
            extractor_version="gold-1",
        )  # fmt: skip


def _refresh(
    server: EutilsServer, corpus: Corpus, out: Path, extractor: GoldExtractor | None = None
) -> RefreshResult:
    with _client(server) as client:
        return run_refresh(
            PIPE, client, out_dir=out, extractor=extractor or GoldExtractor(corpus.gold),
            extractor_version="gold-1",
        )  # fmt: skip


def _snapshot(out: Path) -> dict[str, bytes]:
    return {name: (out / name).read_bytes() for name in (*REVIEW_OUTPUTS, "manifest.json")}


def _comparable_manifest(out: Path) -> dict[str, Any]:
    m = without_timestamps(json.loads((out / "manifest.json").read_text()))
    # The documented differences of a refresh's manifest.
    m["mode"] = m["database"] = None
    m["counts"].pop("extracted_this_run")
    return m


@pytest.fixture
def refreshed(eutils_server: EutilsServer, tmp_path: Path) -> dict[str, Any]:
    """A review of the base corpus, then a refresh after the corpus changed."""
    base = _base()
    _serve(eutils_server, base)
    first = _review(eutils_server, base, tmp_path / "live")
    changed = _changed(base)
    _serve(eutils_server, changed)
    eutils_server.reset_log()
    extractor = GoldExtractor(changed.gold)
    result = _refresh(eutils_server, changed, tmp_path / "live", extractor)
    return {
        "first": first,
        "result": result,
        "corpus": changed,
        "log": eutils_server.log,
        "extractor": extractor,
        "server": eutils_server,
        "tmp": tmp_path,
    }


def test_refresh_asks_one_esearch_per_search_and_date_type_and_fetches_only_changes(
    refreshed: dict[str, Any],
) -> None:
    log, corpus = refreshed["log"], refreshed["corpus"]
    searches = [r for r in log if r.endpoint == "esearch"]
    assert sorted((r.params["term"].split(" AND ")[0], r.params["datetype"]) for r in searches) == [
        ("(intravenous)", "edat"),
        ("(intravenous)", "mdat"),
        ("(mesenchymal)", "edat"),
        ("(mesenchymal)", "mdat"),
    ]
    for r in searches:  # the window runs from the last run's day minus 3 days to today
        assert r.params["maxdate"] == TODAY.strftime("%Y/%m/%d")
        assert '"2000/01/01"[pdat] : "3000"[pdat]' in r.params["term"]
    fetched = [i for r in log if r.endpoint == "efetch" for i in r.params["id"].split(",")]
    assert sorted(fetched) == sorted(corpus.new + corpus.revised)  # each once
    result: RefreshResult = refreshed["result"]
    assert sorted(result.new_ids) == sorted(corpus.new)
    assert sorted(result.revised_ids) == sorted(corpus.revised)
    # Only new or changed text is extracted again.
    assert sorted(refreshed["extractor"].seen) == sorted(corpus.new + corpus.revised)
    assert result.previous_run is not None and not result.full_searches


def test_change_report_lists_exactly_the_changes_retracted_inclusion_first(
    refreshed: dict[str, Any],
) -> None:
    corpus: Corpus = refreshed["corpus"]
    result: RefreshResult = refreshed["result"]
    md, js = result.report_files
    assert js == refreshed["tmp"] / "live" / "changes" / f"{TODAY.isoformat()}.json"
    report = json.loads(js.read_text())
    assert set(report) >= {
        "date", "review", "previous_run", "retractions", "new_records", "new_inclusions",
        "changed_decisions", "changed_values", "summary",
    }  # fmt: skip
    assert result.previous_run is not None and result.previous_run.kind == "review"
    assert report["previous_run"] == result.previous_run.started
    title = {k: r.title for k, r in corpus.records.items()}
    assert report["retractions"] == [
        {"pmid": corpus.retracted, "title": title[corpus.retracted], "was_included": True}
    ]
    assert [x["pmid"] for x in report["new_records"]] == sorted(corpus.new)
    new_yes = sorted(k for k in corpus.new if corpus.gold[k].include == "yes")
    assert [x["pmid"] for x in report["new_inclusions"]] == new_yes and len(new_yes) == 2
    changed = {x["pmid"]: x for x in report["changed_decisions"]}
    assert set(changed) == {corpus.retracted, corpus.moved}
    old = changed[corpus.retracted]["old"]
    assert (old["include"], old["exclude_reason"]) == ("yes", "")
    assert changed[corpus.retracted]["new"] == {
        "include": "no", "exclude_reason": "retracted", "rule_id": "retracted"
    }  # fmt: skip
    assert changed[corpus.moved]["new"]["exclude_reason"] == "non_iv_route"
    assert report["changed_values"] == [
        {
            "pmid": corpus.recoded,
            "field": "conditions",
            "old": _base().gold[corpus.recoded].condition,
            "new": corpus.gold[corpus.recoded].condition,
        }
    ]
    text = md.read_text()
    # The retracted inclusion is the first thing a reader sees after the summary.
    first_section = text.split("\n## ")[1]
    assert first_section.startswith("RETRACTED") and corpus.retracted in first_section
    assert report["summary"] == result.summary
    assert result.summary.endswith("1 retraction (1 of an included study)")


def test_outputs_after_refresh_equal_a_full_review_of_the_same_records(
    refreshed: dict[str, Any],
) -> None:
    server, corpus, tmp = refreshed["server"], refreshed["corpus"], refreshed["tmp"]
    full = _review(server, corpus, tmp / "full")
    live = tmp / "live"
    for name in REVIEW_OUTPUTS:
        assert (live / name).read_bytes() == (full.out_dir / name).read_bytes(), name
    assert _comparable_manifest(live) == _comparable_manifest(full.out_dir)
    assert json.loads((live / "manifest.json").read_text())["mode"] == "refresh"
    assert refreshed["result"].review.funnel == full.funnel


def test_refresh_without_a_previous_run_searches_in_full(
    eutils_server: EutilsServer, tmp_path: Path
) -> None:
    base = _base()
    _serve(eutils_server, base)
    result = _refresh(eutils_server, base, tmp_path / "new")
    assert result.previous_run is None and result.full
    assert result.full_searches == ["msc", "iv"]
    report = json.loads(result.report_files[1].read_text())
    assert report["previous_run"] is None and report["details"]["mode"] == "full"
    assert len(report["new_records"]) == result.review.funnel.screened
    # A second refresh the same day is incremental, changes nothing, and is numbered -2.
    eutils_server.reset_log()
    before = _snapshot(tmp_path / "new")
    hit_rows = _count_hit_rows(tmp_path / "new" / "review.sqlite")
    again = _refresh(eutils_server, base, tmp_path / "new")
    # Same outputs but the manifest's timestamps and mode, and no copy of the hit lists.
    assert {k: v for k, v in _snapshot(tmp_path / "new").items() if k != "manifest.json"} == {
        k: v for k, v in before.items() if k != "manifest.json"
    }
    assert _count_hit_rows(tmp_path / "new" / "review.sqlite") == hit_rows
    assert again.review.funnel == result.review.funnel
    assert again.report_files[1].name == f"{TODAY.isoformat()}-2.json"
    assert eutils_server.counts == {"esearch": 4}
    assert again.summary.endswith(
        "0 new records, 0 new inclusions, 0 changed decisions, 0 changed values, 0 retractions"
    )


def _count_hit_rows(db: Path) -> int:
    conn = sqlite3.connect(db)
    try:
        return int(conn.execute("SELECT count(*) FROM search_hits").fetchone()[0])
    finally:
        conn.close()


def test_a_held_lock_stops_a_second_refresh_at_once(
    eutils_server: EutilsServer, tmp_path: Path
) -> None:
    base = _base()
    _serve(eutils_server, base)
    out = tmp_path / "live"
    with review_lock(out / "review.sqlite"):
        started = time.monotonic()
        with pytest.raises(LockedError, match="another msc-mine run"):
            _refresh(eutils_server, base, out)
        assert time.monotonic() - started < 5
    assert eutils_server.counts == {}  # nothing searched


def test_cli_exits_with_the_lock_code_when_a_refresh_runs(
    eutils_server: EutilsServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "live"
    args = ["msc-mine", "refresh", str(REPO / "pipelines" / "msc_iv_safety.toml")]
    monkeypatch.setattr(sys, "argv", [*args, "--out", str(out), "--quiet"])
    with review_lock(out / "review.sqlite"), pytest.raises(SystemExit) as exit_info:
        main()
    assert exit_info.value.code == LockedError.exit_code == 4
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:") and "another msc-mine run" in err and "\n" not in err


def test_a_lock_left_by_a_killed_process_does_not_block(tmp_path: Path) -> None:
    db = tmp_path / "review.sqlite"
    code = (
        "import sys, time; from msc_mine.lock import review_lock\n"
        f"lock = review_lock({str(db)!r}); lock.acquire(); print('held', flush=True)\n"
        "time.sleep(60)\n"
    )
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "held"
        with pytest.raises(LockedError, match=f"pid {child.pid}"):
            review_lock(db).acquire()
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
    with review_lock(db) as lock:  # flock died with its process: no stale lock
        assert lock.path.is_file()


def test_a_refresh_that_dies_while_writing_leaves_the_outputs_whole(
    eutils_server: EutilsServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = _base()
    _serve(eutils_server, base)
    out = tmp_path / "live"
    _review(eutils_server, base, out)
    before = _snapshot(out)
    changed = _changed(base)
    _serve(eutils_server, changed)

    def disk_full(src: Path, dst: Path) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomic, "_replace", disk_full)  # every temp file written, then this
    with pytest.raises(OSError, match="No space left"):
        _refresh(eutils_server, changed, out)
    assert _snapshot(out) == before
    assert not [p.name for p in out.rglob(".*.tmp*")]  # no temporary files left behind
    assert not (out / "changes").exists() or not list((out / "changes").iterdir())
    with Store(out / "review.sqlite") as store:
        assert store.last_run("refresh", PIPE.id, status="failed") is not None

    monkeypatch.undo()
    monkeypatch.setenv("MSC_MINE_EUTILS_URL", eutils_server.url)
    eutils_server.reset_log()
    result = _refresh(eutils_server, changed, out)
    # The failed run stored the fetched records: the rerun only searches again.
    assert eutils_server.counts == {"esearch": 4}
    assert [x["pmid"] for x in result.changes.retractions] == [changed.retracted]
    assert sorted(x["pmid"] for x in result.changes.new_records) == sorted(changed.new)
    full = _review(eutils_server, changed, tmp_path / "full")
    for name in REVIEW_OUTPUTS:
        assert (out / name).read_bytes() == (full.out_dir / name).read_bytes(), name


def test_stale_temporary_files_of_a_killed_run_are_swept(tmp_path: Path) -> None:
    (tmp_path / ".table.ab12cd34.tmp.csv").write_text("half")
    (tmp_path / "table.csv").write_text("whole")
    (tmp_path / ".notes.tmp").write_text("a user's own file")
    assert atomic.sweep(tmp_path) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == [".notes.tmp", "table.csv"]


def test_the_base_corpus_predates_the_refresh_window() -> None:
    # The premise of the tests above: nothing of the base corpus entered or changed lately.
    assert max(r.year or 0 for r in _base().records.values()) < TODAY.year
    assert date.fromisoformat(max(r.revised for r in _base().records.values())) < TODAY


def _pipeline_file(folder: Path) -> Path:
    """PIPE as a file: the review's rules with two literal searches and no upper date."""
    text = (REPO / "pipelines" / "msc_iv_safety.toml").read_text()
    head, rest = text.split("[[search.queries]]", 1)
    rules = rest[rest.index("# ----") :]
    queries = (
        '[[search.queries]]\nid = "msc"\nquery = "mesenchymal"\n\n'
        '[[search.queries]]\nid = "iv"\nquery = "intravenous"\n\n'
    )
    head = "\n".join(line for line in head.splitlines() if not line.startswith("maxdate"))
    path = folder / "living.toml"
    path.write_text(head + "\n" + queries + rules)
    return path


def test_cli_prints_one_summary_line_and_quiet_only_news(
    eutils_server: EutilsServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import msc_mine.review as review

    base = _base()
    changed = _changed(base)
    gold = {"now": base.gold}
    monkeypatch.setattr(review, "_default_extractor", lambda: (GoldExtractor(gold["now"]), "g1"))
    pipeline, out = _pipeline_file(tmp_path), tmp_path / "live"
    argv = ["msc-mine", "refresh", str(pipeline), "--out", str(out), "--email", "t@example.org"]

    def cli(*extra: str) -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "argv", [*argv, *extra])
        with pytest.raises(SystemExit) as exit_info:  # click's standalone mode always exits
            main()
        captured = capsys.readouterr()
        return int(exit_info.value.code or 0), captured.out, captured.err

    _serve(eutils_server, base)
    code, stdout, stderr = cli()
    assert code == 0, stderr
    rows = read_rows(out / "table.csv")
    included = sum(r["include"] == "yes" for r in rows.values())
    assert stdout.splitlines() == [
        f"{TODAY.isoformat()} msc_iv_safety: {len(rows)} new records, {included} new "
        "inclusions, 0 changed decisions, 0 changed values, 0 retractions"
    ]
    assert len(rows) > 60 and included > 10
    assert "every search ran in full" in stderr

    # Quiet and nothing new: not a byte on either stream.
    code, stdout, stderr = cli("--quiet")
    assert (code, stdout, stderr) == (0, "", "")

    # Quiet with new inclusions and a retracted inclusion: the summary line only.
    gold["now"] = changed.gold
    _serve(eutils_server, changed)
    code, stdout, stderr = cli("--quiet")
    assert code == 0 and stderr == ""
    assert len(stdout.splitlines()) == 1
    assert "2 new inclusions" in stdout and "(1 of an included study)" in stdout


def test_a_fetch_failure_leaves_the_outputs_and_the_next_run_resumes(
    eutils_server: EutilsServer, tmp_path: Path
) -> None:
    base = _base()
    _serve(eutils_server, base)
    out = tmp_path / "live"
    _review(eutils_server, base, out)
    before = _snapshot(out)
    changed = _changed(base)
    _serve(eutils_server, changed)
    eutils_server.force("503", "503", endpoint="efetch")  # both attempts of the one batch
    with pytest.raises(FetchError, match="could not be fetched") as failure:
        _refresh(eutils_server, changed, out)
    assert failure.value.exit_code == 3
    assert _snapshot(out) == before
    result = _refresh(eutils_server, changed, out)
    assert sorted(result.new_ids) == sorted(changed.new)
    assert [x["pmid"] for x in result.changes.retractions] == [changed.retracted]
