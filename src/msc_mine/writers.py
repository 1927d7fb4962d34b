"""Table writers chosen by file extension: CSV, XLSX, Parquet (one registry).

Example::

    >>> import tempfile, pathlib
    >>> from msc_mine.writers import write_table, WRITERS
    >>> sorted(WRITERS)
    ['.csv', '.parquet', '.xlsx']
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
    >>> write_table([{"pmid": "1", "route": "intravenous;intrathecal"}], out)
    PosixPath('...t.csv')
    >>> out.read_text().splitlines()
    ['pmid,route', '1,intravenous;intrathecal']

Rows are dicts in codebook form (see :func:`msc_mine.table.build_row`): lists ``;``-joined,
missing numbers ``""``. The CSV and XLSX writers keep that form; the Parquet writer turns
the codebook's list columns into real list columns and numbers into nullable numeric
columns, so a meta-analyst's ``pd.read_parquet`` gets typed data. Adding a format means
adding one function to :data:`WRITERS`.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from msc_mine.codebook import LIST_COLUMNS
from msc_mine.errors import UsageError
from msc_mine.table import NUMBER_COLUMNS

__all__ = ["WRITERS", "read_table", "write_table", "xlsx_cell"]

Rows = Sequence[dict[str, Any]]
_INT_COLUMNS = frozenset({"year", "n_infusions", "n_patients", "sae_count", "events", "n"})
_FLOAT_COLUMNS = frozenset({"dose_low", "dose_high"})


def _columns(rows: Rows, columns: Sequence[str] | None) -> list[str]:
    if columns is not None:
        return list(columns)
    return list(rows[0]) if rows else []


def _write_csv(rows: Rows, path: Path, columns: list[str]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)


def _write_xlsx(rows: Rows, path: Path, columns: list[str]) -> None:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("table")
    ws.append(columns)
    for row in rows:
        # Excel's cell limit is 32,767 characters; evidence is cut rather than refused.
        ws.append([xlsx_cell(row.get(c, "")) for c in columns])
    wb.save(path)


XLSX_CELL_MAX = 32_000


def xlsx_cell(v: Any) -> Any:
    """A value as an Excel cell takes it: text past Excel's limit is cut, marked ``[...]``."""
    if isinstance(v, str) and len(v) > XLSX_CELL_MAX:
        return v[:XLSX_CELL_MAX] + " [...]"
    return v


def _write_parquet(rows: Rows, path: Path, columns: list[str]) -> None:
    import pyarrow as pa  # type: ignore[import-untyped]
    import pyarrow.parquet as pq  # type: ignore[import-untyped]

    arrays = []
    fields = []
    for c in columns:
        values = [row.get(c, "") for row in rows]
        if c in LIST_COLUMNS:
            typ: Any = pa.list_(pa.string())
            data: list[Any] = [[x for x in str(v).split(";") if x] for v in values]
        elif c in _INT_COLUMNS:
            typ, data = pa.int64(), [None if v in ("", None) else int(v) for v in values]
        elif c in _FLOAT_COLUMNS or c in NUMBER_COLUMNS:
            typ, data = pa.float64(), [None if v in ("", None) else float(v) for v in values]
        else:
            typ, data = pa.string(), ["" if v is None else str(v) for v in values]
        arrays.append(pa.array(data, type=typ))
        fields.append(pa.field(c, typ))
    pq.write_table(pa.Table.from_arrays(arrays, schema=pa.schema(fields)), path)


WRITERS: dict[str, Callable[[Rows, Path, list[str]], None]] = {
    ".csv": _write_csv,
    ".xlsx": _write_xlsx,
    ".parquet": _write_parquet,
}


def write_table(rows: Rows, path: str | Path, columns: Sequence[str] | None = None) -> Path:
    """Write ``rows`` to ``path`` in the format its extension names; returns the path."""
    path = Path(path)
    writer = WRITERS.get(path.suffix.lower())
    if writer is None:
        raise UsageError(
            f"cannot write {path.name}: unknown table format {path.suffix!r} "
            f"(use one of {', '.join(sorted(WRITERS))})"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    writer(rows, path, _columns(rows, columns))
    return path


def read_table(path: str | Path) -> list[dict[str, Any]]:
    """Read a table written by :func:`write_table` back as dicts (tests, round trips)."""
    import pandas as pd

    path = Path(path)
    if path.suffix.lower() == ".parquet":
        df = pd.read_parquet(path)
    elif path.suffix.lower() == ".xlsx":
        df = pd.read_excel(path, dtype=str, keep_default_na=False)
    else:
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
    return [{str(k): v for k, v in r.items()} for r in df.to_dict(orient="records")]
