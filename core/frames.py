"""From SQL to typed DataFrames, and the conventions every domain's read API shares.

`read_frame` (on an engine) and `frame_on` (on an open connection) run one select and type its
timestamps, days and flags; `driver_rows` is the fast path for 100k+ plain rows. Conventions:

- timestamps are tz-aware UTC pandas datetimes; calendar days (`day`, `date`) are tz-naive
  datetime64 values at midnight, meaning the UTC day;
- loaders filter timestamps on the half-open range [start, end) and days on the closed
  range [start, end], because a day range is named by its first and last day;
- `by` takes a column name or a list of them; without it a function returns one row.
"""

import datetime as dt
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
from sqlalchemy import Column, Connection, Engine, Float, Integer, Numeric, String, Table, type_coerce
from sqlalchemy.types import TypeDecorator
from sqlalchemy.sql import ColumnElement, Select

from core.errors import UnknownMetric

Grouping = str | Sequence[str] | None


def read_frame(
    engine: Engine,
    statement: Select,
    *,
    timestamps: Iterable[str] = (),
    days: Iterable[str] = (),
    flags: Iterable[str] = (),
) -> pd.DataFrame:
    """Run one query and return its rows with UTC timestamps, calendar days and booleans typed."""
    with engine.connect() as connection:
        return frame_on(connection, statement, timestamps=timestamps, days=days, flags=flags)


def frame_on(
    connection: Connection,
    statement: Select,
    *,
    timestamps: Iterable[str] = (),
    days: Iterable[str] = (),
    flags: Iterable[str] = (),
) -> pd.DataFrame:
    """`read_frame` on an open connection (inside a write's transaction, say)."""
    result = connection.execute(statement)
    keys = list(result.keys())
    frame = rows_frame(keys, result.fetchall())
    for name in timestamps:
        frame[name] = as_utc(frame[name])
    for name in days:
        frame[name] = as_days(frame[name])
    for name in flags:
        frame[name] = frame[name].fillna(False).astype(bool)
    return frame


def rows_frame(keys: Sequence[str], rows: Sequence[tuple]) -> pd.DataFrame:
    """Rows as a frame, column by column, each typed as pandas infers it from the values."""
    # Column-wise construction is several times faster than building from Row objects.
    columns = list(zip(*rows)) if rows else [[] for _ in keys]
    return pd.DataFrame({key: _column(values) for key, values in zip(keys, columns)}, columns=keys)


def _column(values: Sequence) -> Sequence:
    """A text column through Arrow (~3× faster than pandas' own inference, same `str` dtype); others as given."""
    if not isinstance(next((value for value in values if value is not None), None), str):
        return list(values)
    try:
        array = pa.array(values)
    except (pa.ArrowException, ValueError, TypeError, OverflowError):
        return list(values)
    if not pa.types.is_string(array.type) or array.null_count == len(array):
        return list(values)
    return pd.array(array, dtype="str")


def driver_rows(engine: Engine, statement: Select) -> list[tuple]:
    """Run a select on the database driver's own cursor and return its rows as plain tuples.

    SQLAlchemy's per-row processing costs more than the query itself for reads of 100k+ rows. Only
    for selects whose bound values are plain strings and numbers and whose columns need no
    conversion on the way out.
    """
    with engine.connect() as connection:
        compiled = statement.compile(dialect=connection.dialect, compile_kwargs={"render_postcompile": True})
        params = compiled.construct_params()
        if compiled.positional:
            params = tuple(params[name] for name in compiled.positiontup)
        cursor = connection.connection.cursor()
        try:
            cursor.execute(str(compiled), params)
            return cursor.fetchall()
        finally:
            cursor.close()


def driver_frame(engine: Engine, statement: Select) -> pd.DataFrame:
    """`driver_rows` as a frame: numeric columns float64 (NaN for NULL), the others as the driver gives them.

    `read_frame` builds the same through SQLAlchemy's rows at 2-3 times the cost on reads of a quarter
    of a million rows (the queues' per-item durations), hence the driver's rows here.
    """
    rows = driver_rows(engine, statement)
    names = [column.key for column in statement.selected_columns]
    if not rows:
        return pd.DataFrame({name: pd.Series(dtype="object") for name in names})
    table = np.array(rows, dtype=object)
    numeric = [isinstance(column.type, (Integer, Float, Numeric)) for column in statement.selected_columns]
    return pd.DataFrame({name: table[:, number].astype("float64") if numeric[number] else table[:, number]
                         for number, name in enumerate(names)})


def loader_columns(table: Table, *, without: Iterable[str] = ()) -> list[ColumnElement]:
    """A table's columns for a loader's select, with dates and timestamps left for `read_frame` to parse."""
    return [unparsed(column) if _is_temporal(column) else column for column in table.c if column.name not in without]


def unparsed(column: Column) -> ColumnElement:
    """A date or timestamp column as the driver returns it (SQLite text, PostgreSQL datetimes).

    Parsing 300k values in one vectorised `read_frame` step is faster than
    SQLAlchemy's per-row conversion, and accepts every ISO 8601 spelling SQLite may hold.
    """
    return type_coerce(column, String).label(column.name)


def _is_temporal(column: Column) -> bool:
    # SQLModel's UTCDateTime decorator reports python_type `object`: look at what it wraps.
    kind = column.type.impl_instance if isinstance(column.type, TypeDecorator) else column.type
    try:
        return issubclass(kind.python_type, dt.date)
    except NotImplementedError:
        return False


def as_utc(values) -> pd.Series:
    """Timestamps (aware datetimes or SQLite's UTC strings) as a tz-aware UTC datetime Series."""
    series = pd.Series(values)
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        series = series.dt.tz_convert("UTC")
    elif pd.api.types.is_datetime64_dtype(series.dtype):
        series = series.dt.tz_localize("UTC")
    else:
        series = pd.to_datetime(series, utc=True, format="ISO8601")
    return series.dt.as_unit("us")


def as_days(values) -> pd.Series:
    """Calendar days (dates, strings or timestamps) as tz-naive datetime64 at midnight."""
    series = pd.Series(values)
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        series = series.dt.tz_convert("UTC").dt.tz_localize(None)
    return pd.to_datetime(series).dt.normalize().dt.as_unit("us")


def as_timestamp(value) -> pd.Timestamp:
    """One moment as an aware UTC Timestamp; naive values are taken to be UTC."""
    stamp = pd.Timestamp(value)
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def as_day(value) -> pd.Timestamp:
    """One calendar day as a tz-naive midnight Timestamp (aware values are read in UTC)."""
    stamp = pd.Timestamp(value)
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert("UTC").tz_localize(None)
    return stamp.normalize()


def as_date(value) -> dt.date:
    """One calendar day as a `datetime.date`, for binding to SQL."""
    return as_day(value).date()


def period_start(timestamps: pd.Series, freq: str) -> pd.Series:
    """The start of the UTC period (day 'D', ISO week 'W', month 'M') each timestamp falls in, tz-naive."""
    naive = timestamps
    if isinstance(timestamps.dtype, pd.DatetimeTZDtype):
        naive = timestamps.dt.tz_convert("UTC").dt.tz_localize(None)
    if freq == "D":
        return naive.dt.normalize()
    return naive.dt.to_period(freq).dt.start_time.dt.as_unit("us")


def group_columns(frame: pd.DataFrame, by: Grouping) -> list[str]:
    """The grouping columns as a list, checked against the frame."""
    if by is None:
        return []
    columns = [by] if isinstance(by, str) else list(by)
    missing = [name for name in columns if name not in frame.columns]
    if missing:
        raise UnknownMetric(f"Cannot group by {', '.join(missing)}: no such column here.")
    return columns


def ratio(numerator, denominator):
    """numerator / denominator element-wise, NaN where the denominator is zero or missing."""
    num = np.asarray(numerator, dtype="float64")
    den = np.asarray(denominator, dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        values = np.where(den != 0, num / den, np.nan)
    for operand in (numerator, denominator):
        if isinstance(operand, pd.Series):
            return pd.Series(values, index=operand.index)
    return float(values) if values.ndim == 0 else values
