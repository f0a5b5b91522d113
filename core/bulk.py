"""Fast bulk writes of DataFrames into our tables (demo seeding and large imports).

SQLAlchemy's per-row type processing costs ~10 µs a value; for millions of rows we
format values once with pandas and hand them to the driver's fastest path
(executemany on SQLite, COPY on PostgreSQL).  Stored formats match what
SQLAlchemy itself writes, so ORM reads see the same values.
"""

import json

import numpy as np
import pandas as pd
from sqlalchemy import JSON, Boolean, Connection, Date, DateTime, Integer, Table
from sqlalchemy.types import TypeDecorator

# SQLAlchemy's SQLite DATETIME storage format; lexicographic order = time order.
SQLITE_DATETIME = "%Y-%m-%d %H:%M:%S.%f"


def _base_type(column):
    """The SQLAlchemy type under any TypeDecorator wrapping it."""
    kind = column.type
    while isinstance(kind, TypeDecorator):
        kind = kind.impl if not isinstance(kind.impl, type) else kind.impl()
    return kind


def _format_column(series: pd.Series, column, dialect: str) -> list:
    kind = _base_type(column)
    if isinstance(kind, DateTime):
        values = pd.to_datetime(series, utc=True)
        fmt = SQLITE_DATETIME if dialect == "sqlite" else "%Y-%m-%d %H:%M:%S.%f+00:00"
        text = values.dt.strftime(fmt)
        return [None if pd.isna(v) else v for v in text.tolist()]
    if isinstance(kind, Date):
        # numpy writes days as ISO text in C, far faster than strftime per value
        days = pd.to_datetime(series).to_numpy(dtype="datetime64[D]")
        text = days.astype(str).astype(object)
        missing = np.isnat(days)
        if missing.any():
            text[missing] = None
        return text.tolist()
    if isinstance(kind, JSON):
        return [None if v is None else json.dumps(v) for v in series.tolist()]
    if isinstance(kind, Boolean):
        if dialect == "sqlite":
            return [None if pd.isna(v) else int(bool(v)) for v in series.tolist()]
        return [None if pd.isna(v) else bool(v) for v in series.tolist()]
    if isinstance(kind, Integer) and series.dtype.kind in "iu" and not series.isna().any():
        return series.to_numpy(dtype="int64").tolist()  # Python ints, without a test per value
    if isinstance(kind, Integer):
        # Blanks become None, the rest Python ints (a whole-number column with blanks arrives as floats, and
        # PostgreSQL's COPY refuses "95.0" for an integer), converted by numpy rather than one test per value.
        missing = series.isna().to_numpy()
        whole = series[~missing].to_numpy(dtype="int64").tolist()
        if not missing.any():
            return whole
        out = np.full(len(series), None, dtype=object)
        out[~missing] = whole
        return out.tolist()
    if series.dtype.kind == "f":  # floats: NaN is NULL
        values = series.to_numpy(dtype="float64", na_value=np.nan)
        out = values.tolist()
        if np.isnan(values).any():
            out = [None if v != v else v for v in out]
        return out
    if isinstance(series.dtype, pd.StringDtype):  # already Python strings: no test per value
        return series.to_numpy(dtype=object, na_value=None).tolist()
    out = series.astype(object).where(series.notna(), None).tolist()
    return [v.item() if isinstance(v, np.generic) else v for v in out]


def bulk_insert(connection: Connection, table: Table, frame: pd.DataFrame, chunk_rows: int = 50_000) -> int:
    """Insert every row of `frame` into `table` (columns by name); returns the row count."""
    if frame.empty:
        return 0
    columns = [c for c in table.columns if c.name in frame.columns]
    dialect = connection.dialect.name
    names = [c.name for c in columns]
    total = 0
    for start in range(0, len(frame), chunk_rows):
        part = frame.iloc[start:start + chunk_rows]
        formatted = [_format_column(part[c.name], c, dialect) for c in columns]
        rows = list(zip(*formatted))
        if dialect == "postgresql":
            _copy_rows(connection, table.name, names, rows)
        else:
            placeholders = ", ".join("?" for _ in names)
            quoted = ", ".join(f'"{n}"' for n in names)
            connection.exec_driver_sql(f'INSERT INTO "{table.name}" ({quoted}) VALUES ({placeholders})', rows)
        total += len(rows)
    return total


def _copy_rows(connection: Connection, table: str, names: list[str], rows: list[tuple]) -> None:
    raw = connection.connection.driver_connection
    quoted = ", ".join(f'"{n}"' for n in names)
    with raw.cursor() as cursor, cursor.copy(f'COPY "{table}" ({quoted}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row(row)

