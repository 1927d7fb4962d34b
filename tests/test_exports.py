"""Exports: ae_long rules, the codebook sheet, RIS round trip, formats and errors."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
import rispy
from openpyxl import load_workbook

from msc_mine.codebook import (
    AE_CATEGORIES_CORE,
    AE_LONG_COLUMNS,
    TABLE_COLUMNS,
    AEFinding,
    Decision,
    Extraction,
    Value,
)
from msc_mine.errors import MscMineError, UsageError
from msc_mine.exports import (
    ReviewData,
    codebook_columns,
    export_review,
    load_review,
    ris_entries,
    study_ae_rows,
    table_rows,
    write_ris,
    write_table_with_codebook,
)
from msc_mine.readers import read_records
from msc_mine.records import AbstractSection, MeshHeading, Record
from msc_mine.store import Store
from msc_mine.writers import read_table


def _record(pmid: str = "90000101", **kw: object) -> Record:
    base: dict[str, object] = {
        "pmid": pmid,
        "doi": f"10.9999/test.{pmid}",
        "title": f"Intravenous MSCs in stroke: a phase 1 trial ({pmid})",
        "abstract": [AbstractSection("RESULTS", "We wrote this abstract for the test.")],
        "journal": "Journal of Test Medicine",
        "year": 2021,
        "authors": ["Moreno LA", "Ferreira-Lund RJ", "Chen W"],
        "keywords": ["stem cells", "safety"],
        "mesh": [MeshHeading("Stroke", major=True), MeshHeading("Humans")],
    }
    base.update(kw)
    return Record(**base)  # type: ignore[arg-type]


def _extraction(pmid: str = "90000101", **kw: object) -> Extraction:
    ex = Extraction(
        pmid=pmid,
        conditions=Value(["stroke", "hypertension"], "s1"),
        route=Value(["intravenous"], "s2"),
        cell_source=Value(["bone_marrow"], "s3"),
        allo_auto=Value("allogeneic", "s4"),
        n_patients=Value(20, "Twenty patients received MSCs."),
    )
    for k, v in kw.items():
        setattr(ex, k, v)
    return ex


def _by_category(rows: list[dict[str, object]]) -> dict[object, dict[str, object]]:
    return {r["category"]: r for r in rows}


def test_ae_rows_core_categories_always_present_others_only_when_mentioned() -> None:
    ex = _extraction(
        sae_status=Value("none_reported", "No serious adverse events occurred."),
        ae_findings=[
            AEFinding("fever", 3, "related", False, "Fever in three patients."),
            AEFinding("headache", 2, "not_stated", False, "Headache in two."),
            AEFinding("thromboembolism", 0, "not_stated", True, "No thromboembolic events."),
        ],
    )
    rows = study_ae_rows(_record(), ex)
    assert all(list(r) == list(AE_LONG_COLUMNS) for r in rows)
    cats = [r["category"] for r in rows]
    assert cats == [*AE_CATEGORIES_CORE, "headache"]  # core order first, then other terms
    by = _by_category(rows)
    assert by["fever"]["events"] == 3 and by["fever"]["relatedness"] == "related"
    assert by["thromboembolism"]["events"] == 0  # reported as absent
    assert by["sae"]["events"] == 0  # from sae_status none_reported
    assert by["sae"]["evidence"] == "No serious adverse events occurred."
    # Not reported: a row with blank events and no evidence.
    assert by["death"]["events"] == "" and by["death"]["evidence"] == ""
    assert by["malignancy"]["events"] == ""
    # Study-level columns as the codebook says: the first condition, lists ;-joined.
    r = by["fever"]
    assert (r["pmid"], r["first_author"], r["year"], r["condition"], r["n"]) == (
        "90000101",
        "Moreno LA",
        2021,
        "stroke",
        20,
    )
    assert (r["route"], r["cell_source"], r["allo_auto"]) == (
        "intravenous",
        "bone_marrow",
        "allogeneic",
    )


def test_term_and_category_of_the_same_name_merge() -> None:
    ex = _extraction(
        ae_findings=[
            AEFinding("infusion reaction", None, "not_stated", False, "Infusion reactions."),
            AEFinding("infusion_reaction", 1, "not_stated", False, "One infusion reaction."),
        ]
    )
    rows = study_ae_rows(_record(), ex)
    matching = [r for r in rows if "infusion" in str(r["category"])]
    assert len(matching) == 1
    assert matching[0]["category"] == "infusion_reaction" and matching[0]["events"] == 1


def test_sae_count_used_when_some_reported_without_a_finding() -> None:
    ex = _extraction(
        sae_status=Value("some_reported", "Two SAEs occurred."),
        sae_count=Value(2, "Two SAEs occurred."),
    )
    sae = _by_category(study_ae_rows(_record(), ex))["sae"]
    assert sae["events"] == 2 and sae["evidence"] == "Two SAEs occurred."


def test_count_above_n_is_not_a_proportion() -> None:
    ex = _extraction(ae_findings=[AEFinding("fever", 35, "not_stated", False, "35 episodes.")])
    fever = _by_category(study_ae_rows(_record(), ex))["fever"]
    assert fever["events"] == "" and fever["n"] == 20
    assert fever["evidence"] == "35 episodes."  # kept for a person to read


def test_every_table_column_has_a_description() -> None:
    docs = codebook_columns()
    assert set(docs) == set(TABLE_COLUMNS)
    for name in TABLE_COLUMNS:
        assert docs[name].meaning.strip() and docs[name].values.strip(), name
    ae_docs = codebook_columns("ae_long")
    assert set(ae_docs) == set(AE_LONG_COLUMNS)
    # Vocabularies in the descriptions follow the codebook's values.
    assert "none_reported" in docs["sae_status"].values
    assert "non_iv_route" in docs["exclude_reason"].values


def _data() -> ReviewData:
    records = {
        "90000101": _record("90000101"),
        "90000102": _record("90000102", authors=["WHO Collaborative Group"], doi=""),
        "90000103": _record("90000103"),
    }
    extractions = {k: _extraction(k) for k in records}
    decisions = {
        "90000101": Decision("90000101", "yes", reason="no exclusion rule applies"),
        "90000102": Decision("90000102", "yes", rule_id="", reason="included by default"),
        "90000103": Decision("90000103", "no", "animal", "preliminary", "animal", "mice"),
    }
    return ReviewData("test_review", records, extractions, decisions)


def test_xlsx_has_codebook_sheet_and_identical_bytes(tmp_path: Path) -> None:
    rows = table_rows(_data())
    a = write_table_with_codebook(rows, tmp_path / "a" / "table.xlsx")
    b = write_table_with_codebook(rows, tmp_path / "b" / "table.xlsx")
    assert a.read_bytes() == b.read_bytes()
    wb = load_workbook(a, read_only=True)
    assert wb.sheetnames == ["table", "codebook"]
    table = list(wb["table"].iter_rows(values_only=True))
    assert list(table[0]) == list(TABLE_COLUMNS)
    assert len(table) == 4  # header + every screened record
    codebook = list(wb["codebook"].iter_rows(values_only=True))
    assert codebook[0] == ("column", "meaning", "values")
    assert [r[0] for r in codebook[1:]] == list(TABLE_COLUMNS)
    with zipfile.ZipFile(a) as z:
        assert {i.date_time for i in z.infolist()} == {(2000, 1, 1, 0, 0, 0)}


def test_ris_round_trip_through_our_reader(tmp_path: Path) -> None:
    data = _data()
    path = write_ris(ris_entries(data), tmp_path / "included.ris")
    text = path.read_text(encoding="utf-8")
    assert text.startswith("TY  - JOUR")  # no rispy counter line before the record
    assert "UR  - https://pubmed.ncbi.nlm.nih.gov/90000101/" in text
    assert "AN  - 90000101" in text
    assert "AU  - Moreno, L.A." in text
    assert "N1  - msc-mine yes: no exclusion rule applies" in text
    assert "90000103" not in text  # excluded records are not exported
    back = {r.pmid: r for r in read_records(path)}
    assert set(back) == {"90000101", "90000102"}
    original = data.records["90000101"]
    r = back["90000101"]
    assert r.title == original.title
    assert r.authors == original.authors
    assert r.year == 2021 and r.doi == original.doi and r.journal == original.journal
    assert r.keywords == ["stem cells", "safety", "Stroke"]  # keywords + major MeSH
    assert back["90000102"].authors == ["WHO Collaborative Group"]
    # rispy itself reads the same references.
    entries = rispy.loads(text)
    assert [e["accession_number"] for e in entries] == ["90000101", "90000102"]


def test_export_review_default_and_other_formats(tmp_path: Path) -> None:
    data = _data()
    files = export_review(data, tmp_path)
    assert sorted(files) == ["ae_long.csv", "included.ris", "table.xlsx"]
    ae = read_table(tmp_path / "ae_long.csv")
    assert {r["pmid"] for r in ae} == {"90000101", "90000102"}
    assert len(ae) == 2 * len(AE_CATEGORIES_CORE)
    assert not list(tmp_path.glob(".*tmp*"))  # staged files were renamed
    files = export_review(data, tmp_path / "pq", ["parquet"])
    assert sorted(files) == ["ae_long.parquet", "included.ris", "table.parquet"]
    rows = read_table(tmp_path / "pq" / "ae_long.parquet")
    assert list(rows[0]) == list(AE_LONG_COLUMNS)
    with pytest.raises(UsageError, match="unknown table format"):
        export_review(data, tmp_path, ["docx"])


def test_load_review_errors(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no review database"):
        load_review(tmp_path / "missing.sqlite", "test_review")
    db = tmp_path / "review.sqlite"
    with Store(db) as store:
        store.upsert_records([_record()], source="test", origin="test")
    with pytest.raises(MscMineError, match="no screening decisions"):
        load_review(db, "test_review")
    with Store(db) as store:
        store.save_decisions("test_review", [Decision("90000101", "no", "animal")])
    data = load_review(db, "test_review")
    with pytest.raises(MscMineError, match="no included studies"):
        export_review(data, tmp_path / "out")
    assert not (tmp_path / "out").exists()
