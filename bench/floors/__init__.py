"""The DuckDB floor: each headline figure computed from the raw tables, beside the app's own computation.

Issue 20 asks every headline figure to be within 2× of what the raw data allows. The floor is the
same figure computed by DuckDB from the source tables (never the roll-ups), copied once into a
DuckDB file next to the bench database. For each figure the bench times, in interleaved rounds,

* the app: the `core` function a page or the CLI calls for that figure, on a fresh engine
  (no Streamlit cache; `core` has none), and
* the floor: the DuckDB query over the copied raw tables,

checks that both give the same answer (so a fast but wrong app path cannot pass), and reports
app ÷ floor. Each area adds its figures in its own module (`bench/floors/<area>.py`, a
`FIGURES` list); this module only copies, runs and times them.
"""

import datetime as dt
import importlib
import json
import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, inspect, text

from core.db import make_engine

AREA_MODULES = ("bench.floors.queues", "bench.floors.health", "bench.floors.workforce", "bench.floors.feedback")

# The floor copies only source tables; roll-ups, audit and bookkeeping are not "the raw data".
SOURCE_TABLES = ("member", "project", "activity", "slapolicy", "queueitem", "queueevent", "feedback",
                 "survey", "surveyresponse", "resource", "roster", "event")


@dataclass(frozen=True)
class Figure:
    """One headline figure: the app's way and DuckDB's way to the same numbers.

    `app(engine)` and `floor(duck)` each return a value `same` can compare (a dict of label →
    number is the usual shape); `duck` is a DuckDB connection over the copied raw tables, which
    keep the source table names and columns. `as_of` is the bench's present (the figure's
    window ends there), passed so both sides use the same window.
    """
    name: str
    area: str
    app: Callable[[Engine, dt.datetime], Any]
    floor: Callable[[Any, dt.datetime], Any]
    same: Callable[[Any, Any], bool] = field(default=lambda a, b: a == b)


def figures() -> list[Figure]:
    """Every area's figures, in area order."""
    found: list[Figure] = []
    for name in AREA_MODULES:
        found.extend(importlib.import_module(name).FIGURES)
    return found


def close_numbers(tolerance: float = 1e-6) -> Callable[[Any, Any], bool]:
    """A `same` for dicts (or lists) of numbers that may differ by float rounding."""
    def same(app: Any, floor: Any) -> bool:
        if isinstance(app, dict) and isinstance(floor, dict):
            return app.keys() == floor.keys() and all(same(app[k], floor[k]) for k in app)
        if isinstance(app, (list, tuple)) and isinstance(floor, (list, tuple)):
            return len(app) == len(floor) and all(same(a, b) for a, b in zip(app, floor))
        if app is None or floor is None:
            return app is None and floor is None
        if isinstance(app, (int, float)) and isinstance(floor, (int, float)):
            return abs(float(app) - float(floor)) <= tolerance * max(1.0, abs(float(app)), abs(float(floor)))
        return app == floor
    return same


# --- the DuckDB copy -----------------------------------------------------------------------------


def duckdb_path(url: str) -> Path:
    """Where the DuckDB copy of a database lives: beside a SQLite file, or under data/ for a server."""
    engine = make_engine(url)
    try:
        if engine.dialect.name == "sqlite" and engine.url.database:
            return Path(engine.url.database).with_suffix(".floor.duckdb")
        from core.settings import DATA_DIR
        return DATA_DIR / f"floor-{engine.url.database or 'db'}.duckdb"
    finally:
        engine.dispose()


def _fingerprint(engine: Engine) -> str:
    """Row counts of the source tables: a changed database gets a fresh copy."""
    with engine.connect() as connection:
        present = set(inspect(connection).get_table_names())
        return ",".join(f"{t}={connection.execute(text(f'SELECT COUNT(*) FROM {t}')).scalar_one()}"
                        for t in SOURCE_TABLES if t in present)


def duckdb_copy(url: str, *, progress: Callable[[str], None] = lambda _m: None, chunk: int = 200_000):
    """A DuckDB connection over a copy of the source tables of `url`, made once and reused."""
    import duckdb

    engine = make_engine(url)
    path = duckdb_path(url)
    try:
        fingerprint = _fingerprint(engine)
        marker = path.with_suffix(".fingerprint")
        if path.exists() and marker.exists() and marker.read_text() == fingerprint:
            return duckdb.connect(str(path), read_only=True)
        progress(f"Copying the raw tables into {path} for the DuckDB floor (once per database)…")
        started = time.perf_counter()
        for stale in (path, marker, Path(f"{path}.wal")):
            stale.unlink(missing_ok=True)
        duck = duckdb.connect(str(path))
        with engine.connect() as connection:
            present = set(inspect(connection).get_table_names())
            for table in (t for t in SOURCE_TABLES if t in present):
                _copy_table(duck, connection, table, chunk)
        duck.execute("CHECKPOINT")
        duck.close()
        marker.write_text(fingerprint)
        progress(f"Copied in {time.perf_counter() - started:.0f} s.")
        return duckdb.connect(str(path), read_only=True)
    finally:
        engine.dispose()


# DuckDB column types for the source tables' SQLAlchemy types; SQLite keeps dates as text, and a
# chunk whose column happens to be all empty must not decide the column's type.
_DUCK_TYPES = {"DATETIME": "TIMESTAMPTZ", "TIMESTAMP": "TIMESTAMPTZ", "DATE": "DATE", "INTEGER": "BIGINT",
               "BIGINT": "BIGINT", "SMALLINT": "BIGINT", "FLOAT": "DOUBLE", "REAL": "DOUBLE", "DOUBLE": "DOUBLE",
               "DOUBLE_PRECISION": "DOUBLE", "NUMERIC": "DOUBLE", "BOOLEAN": "BOOLEAN"}


def _copy_table(duck, connection, table: str, chunk: int) -> None:
    """Copy one source table into DuckDB with typed columns, a chunk at a time."""
    import pandas as pd

    kinds = {c["name"]: type(c["type"]).__name__.upper() for c in inspect(connection).get_columns(table)}
    columns = ", ".join(f'"{name}" {_DUCK_TYPES.get(kind, "VARCHAR")}' for name, kind in kinds.items())
    duck.execute(f"CREATE TABLE {table} ({columns})")
    for frame in pd.read_sql(text(f"SELECT * FROM {table}"), connection, chunksize=chunk):
        for column, kind in kinds.items():
            if kind in ("JSON", "JSONB"):  # PostgreSQL hands JSON back parsed; store the text, as SQLite has it
                frame[column] = frame[column].map(lambda v: v if v is None or isinstance(v, str) else json.dumps(v))
            elif kind in ("DATETIME", "TIMESTAMP"):
                frame[column] = pd.to_datetime(frame[column], utc=True, format="mixed")
            elif kind == "DATE":
                frame[column] = pd.to_datetime(frame[column], format="mixed").dt.date
        duck.register("incoming", frame)
        duck.execute(f"INSERT INTO {table} SELECT * FROM incoming")
        duck.unregister("incoming")


# --- timing ----------------------------------------------------------------------------------------


def _timed(call: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    value = call()
    return (time.perf_counter() - started) * 1000, value


def measure_floors(url: str, as_of: dt.datetime, *, repeat: int = 3, only: list[str] | None = None,
                   progress: Callable[[str], None] = lambda _m: None) -> list[dict]:
    """Time every figure's app path and DuckDB floor in interleaved rounds; medians and the ratio.

    The app side runs on a fresh engine each round, so no connection pool or SQLite page cache
    kept by the app carries over; the operating system's file cache is warm for both sides, as it
    is on a serving machine.
    """
    duck = duckdb_copy(url, progress=progress)
    duck.execute(f"SET threads = {os.cpu_count() or 1}")
    rows = []
    try:
        for figure in figures():
            if only and figure.name not in only and figure.area not in only:
                continue
            app_ms, floor_ms, app_value, floor_value, error = [], [], None, None, None
            try:
                for _ in range(repeat):
                    engine = make_engine(url)
                    try:
                        elapsed, app_value = _timed(lambda: figure.app(engine, as_of))
                    finally:
                        engine.dispose()
                    app_ms.append(elapsed)
                    elapsed, floor_value = _timed(lambda: figure.floor(duck, as_of))
                    floor_ms.append(elapsed)
            except Exception as exc:  # one broken figure must not hide the others' figures
                error = f"{type(exc).__name__}: {exc}"
            app_median = statistics.median(app_ms) if app_ms else None
            floor_median = statistics.median(floor_ms) if floor_ms else None
            rows.append({
                "figure": figure.name, "area": figure.area,
                "app_ms": app_median, "floor_ms": floor_median,
                "ratio": (app_median / floor_median) if app_median and floor_median else None,
                "same": None if error else bool(figure.same(app_value, floor_value)),
                "error": error,
            })
            progress(f"floor {figure.name}: app {app_median or float('nan'):.0f} ms, "
                     f"DuckDB {floor_median or float('nan'):.0f} ms")
    finally:
        duck.close()
    return rows
