"""Table writers: CSV, XLSX and Parquet round trips (Parquet guards the pyarrow/numpy trap)."""

from __future__ import annotations

from pathlib import Path

import pytest

from msc_mine.codebook import TABLE_COLUMNS, Extraction, Value
from msc_mine.errors import UsageError
from msc_mine.records import Record
from msc_mine.table import build_row
from msc_mine.writers import read_table, write_table


def _rows() -> list[dict[str, object]]:
    rec = Record(pmid="1", title="Título ×", authors=["Núñez A"], year=2020)
    ex = Extraction(
        pmid="1",
        route=Value(["intravenous", "intrathecal"], "Cells were given i.v. and intrathecally."),
        dose_low=Value(1e6, "e"),
        dose_high=Value(1e6, "e"),
        dose_unit=Value("cells/kg", "e"),
    )
    return [build_row(rec, ex), build_row(Record(pmid="2", title="empty"), Extraction(pmid="2"))]


def test_csv_round_trip(tmp_path: Path) -> None:
    path = write_table(_rows(), tmp_path / "t.csv")
    back = read_table(path)
    assert list(back[0]) == list(TABLE_COLUMNS)
    assert back[0]["route"] == "intrathecal;intravenous"
    assert back[0]["dose_low"] == "1000000"  # never 1e+06
    assert back[0]["title"] == "Título ×"


def test_parquet_has_list_and_numeric_columns(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    path = write_table(_rows(), tmp_path / "t.parquet")
    table = pq.read_table(path)
    import pyarrow as pa

    route_type = table.schema.field("route").type
    assert pa.types.is_list(route_type) and pa.types.is_string(route_type.value_type)
    assert pa.types.is_int64(table.schema.field("year").type)
    back = read_table(path)
    assert list(back[0]["route"]) == ["intrathecal", "intravenous"]
    assert back[0]["dose_low"] == 1e6
    assert list(back[1]["conditions"]) == []
    assert back[1]["year"] is None or back[1]["year"] != back[1]["year"]  # null (None or NaN)


def test_xlsx_round_trip(tmp_path: Path) -> None:
    path = write_table(_rows(), tmp_path / "t.xlsx")
    back = read_table(path)
    assert back[0]["route"] == "intrathecal;intravenous" and back[0]["pmid"] == "1"


def test_unknown_extension_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="unknown table format"):
        write_table(_rows(), tmp_path / "t.json")
