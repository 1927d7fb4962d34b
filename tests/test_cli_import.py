"""``msc-mine import``: per-file counts, dedup across files, clean failure on bad input."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from msc_mine.cli import main
from msc_mine.store import Store

SAMPLES = Path(__file__).resolve().parent.parent / "corpora" / "import_samples"
ALL = [
    SAMPLES / n for n in ("sample.nbib", "sample_embase.ris", "sample_wos.ris", "sample_scopus.ris")
]


def run(monkeypatch: pytest.MonkeyPatch, *args: object) -> int:
    monkeypatch.setattr(sys, "argv", ["msc-mine", "import", *map(str, args)])
    with pytest.raises(SystemExit) as info:
        main()
    return int(info.value.code or 0)


def test_import_four_exports_merges_duplicates(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    db = tmp_path / "r.sqlite"
    assert run(monkeypatch, *ALL, "--db", db, "--quiet") == 0
    out = capsys.readouterr().out
    assert "sample.nbib (medline): read 4, new 4, updated 0, unchanged 0, duplicates 0" in out
    assert "sample_embase.ris (ris): read 4, new 2, updated 2, unchanged 0, duplicates 2" in out
    assert "sample_wos.ris (ris): read 3, new 1, updated 2, unchanged 0, duplicates 2" in out
    assert "sample_scopus.ris (ris): read 3, new 1, updated 2, unchanged 0, duplicates 2" in out
    assert f"{db}: 8 records, 6 duplicates merged in all" in out
    with Store(db) as store:
        assert len(store) == 8
        kept = store.get("90050001")
        assert kept is not None and kept.mesh  # the PubMed copy was kept
        assert kept.source_ids == ["pubmed:90050001", "ris:embase:L2016000001"]
        # The Embase-only record seen again in WoS stays under its DOI key.
        assert store.get("doi:10.1000/vr.2023.s12") is not None
    # Importing again changes nothing and adds no duplicates.
    assert run(monkeypatch, *ALL, "--db", db, "--quiet") == 0
    out = capsys.readouterr().out
    assert "new 0, updated 0, unchanged 4, duplicates 0" in out
    assert f"{db}: 8 records, 6 duplicates merged in all" in out


def test_review_option_uses_default_path(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    assert run(monkeypatch, ALL[0], "--review", "demo", "--quiet") == 0
    assert (tmp_path / "outputs" / "demo" / "review.sqlite").is_file()
    assert run(monkeypatch, ALL[0]) == 2
    assert "give --db PATH or --review ID" in capsys.readouterr().err


def test_malformed_file_stops_with_one_line_and_keeps_stored_batches(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    good = (SAMPLES / "sample_embase.ris").read_text(encoding="utf-8")
    bad = tmp_path / "cut.ris"
    bad.write_text(good + "TY  - JOUR\nTI  - truncated export\n", encoding="utf-8")
    db = tmp_path / "r.sqlite"
    code = run(monkeypatch, ALL[0], bad, "--db", db, "--batch-size", "3", "--quiet")
    assert code == 2
    # Rich folds long lines at the terminal width; the message itself is one line.
    err = " ".join(capsys.readouterr().err.split())
    assert err.startswith("error: ") and err.count("error:") == 1
    assert "cut.ris, line 64: record has no ER line" in err
    with Store(db) as store:
        # sample.nbib fully; of cut.ris the first batch of 3 committed, the 4th record's
        # batch was in flight when the error came and was rolled back.
        assert store.keys() >= {"90050001", "90050002", "90050003", "90050004"}
        keys = store.keys()
        assert "doi:10.1000/vr.2023.s12" in keys
        assert "ris:embase:L2016000004" not in keys


def test_forced_format_and_unknown_file(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    renamed = tmp_path / "export.dat"
    renamed.write_text((SAMPLES / "sample_wos.ris").read_text(encoding="utf-8-sig"))
    db = tmp_path / "r.sqlite"
    assert run(monkeypatch, renamed, "--format", "ris", "--db", db, "--quiet") == 0
    assert "export.dat (ris): read 3, new 3" in capsys.readouterr().out
    table = tmp_path / "table.csv"
    table.write_text("pmid,title\n1,x\n")
    # The unknown file is found before anything is imported.
    assert run(monkeypatch, ALL[0], table, "--db", tmp_path / "other.sqlite") == 2
    assert "table.csv: not a format msc-mine reads" in " ".join(capsys.readouterr().err.split())
    assert not (tmp_path / "other.sqlite").exists()
