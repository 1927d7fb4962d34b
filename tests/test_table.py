"""Codebook rows: column order, list joining, plain numbers, decisions, ae_long."""

from __future__ import annotations

from msc_mine.codebook import AE_LONG_COLUMNS, TABLE_COLUMNS, AEFinding, Decision, Extraction, Value
from msc_mine.records import Record
from msc_mine.table import build_ae_rows, build_row, build_rows, plain_number


def _pair() -> tuple[Record, Extraction]:
    rec = Record(
        pmid="90000007",
        doi="10.1/x",
        title="UC-MSCs in lupus",
        authors=["Zhang Y", "Li Q"],
        journal="J",
        year=2019,
        publication_types=["Randomized Controlled Trial", "Journal Article"],
    )
    ex = Extraction(
        pmid="90000007",
        conditions=Value(["systemic lupus erythematosus"], "MeSH: Lupus Nephritis"),
        route=Value(["intravenous", "intrathecal"], "s1"),
        dose_low=Value(1e6, "s2"),
        dose_high=Value(2.5e6, "s2"),
        dose_unit=Value("cells/kg", "s2"),
        n_patients=Value(40, "s3"),
        sae_status=Value("some_reported", "s4"),
        sae_types=Value(["pneumonia", "infection", "death"], "s4"),
        ae_findings=[AEFinding("death", 1, "unrelated", True, "s4")],
    )
    return rec, ex


def test_row_has_codebook_columns_in_order_and_plain_values() -> None:
    rec, ex = _pair()
    row = build_row(rec, ex)
    assert tuple(row) == TABLE_COLUMNS
    assert row["first_author"] == "Zhang Y"
    assert row["publication_types"] == "Journal Article;Randomized Controlled Trial"
    assert row["route"] == "intrathecal;intravenous"
    assert row["sae_types"] == "death;infection;pneumonia"
    assert row["dose_low"] == 1000000 and isinstance(row["dose_low"], int)
    assert row["dose_high"] == 2500000
    assert row["n_infusions"] == "" and row["sae_count"] == ""
    assert row["cell_source"] == "not_stated" and row["cell_source_evidence"] == ""
    assert row["include"] == "" and row["exclude_reason"] == ""
    assert row["route_evidence"] == "s1"


def test_row_with_decision() -> None:
    rec, ex = _pair()
    d = Decision("90000007", "no", "non_iv_route", rule_id="r1", reason="route", evidence="s1")
    row = build_row(rec, ex, d)
    assert (row["include"], row["exclude_reason"], row["include_evidence"]) == (
        "no",
        "non_iv_route",
        "s1",
    )


def test_build_rows_skips_records_without_extraction() -> None:
    rec, ex = _pair()
    other = Record(pmid="2", title="no extraction")
    rows = build_rows([rec, other], {ex.pmid: ex})
    assert [r["pmid"] for r in rows] == ["90000007"]


def test_plain_number() -> None:
    assert plain_number(1e6) == 1000000 and plain_number(1.5) == 1.5 and plain_number(None) == ""


def test_ae_rows() -> None:
    rec, ex = _pair()
    rows = build_ae_rows(rec, ex)
    assert len(rows) == 1 and tuple(rows[0]) == AE_LONG_COLUMNS
    assert rows[0]["condition"] == "systemic lupus erythematosus"
    assert (rows[0]["category"], rows[0]["events"], rows[0]["n"]) == ("death", 1, 40)
