"""Roll-up tables: aggregates derived from the stored data, kept in step with it.

Pages at the `large` scale cannot afford to read millions of raw rows, so each area keeps small
derived tables (per member, per day, per item) that its loaders read instead. They hold nothing
that cannot be rebuilt from the source tables:

* every write that changes source rows calls `refresh(connection, entity, ids=…, since=…)`
  inside its own transaction, so a failed import leaves the roll-ups as they were too;
* `ensure_built(engine)` (run after migrations) rebuilds any area whose roll-up definition
  changed (its `VERSION`) or that was never built, e.g. a database created before roll-ups.

Roll-up tables are disposable, so they live outside the Alembic schema: each area declares them
on its own `METADATA`, and a full build drops and recreates them before filling them. Changing
a roll-up's shape means bumping the area's `VERSION`, nothing more.

An area module defines `NAME`, `VERSION`, `METADATA`, `ENTITIES` (the import entity names it
depends on, see `core.ingest.contract.ENTITIES`), `rebuild(connection)` (fills its freshly created, empty
tables) and `refresh(connection, *, ids, since, entity)` (updates them in place; `entity` names
what was written, since ids mean different things per entity).
"""

import datetime as dt
import importlib
import logging
import time
from collections.abc import Callable, Iterable
from types import ModuleType

from sqlalchemy import Connection, Engine, delete, insert, select

from core import models

log = logging.getLogger(__name__)

AREAS = ("core.health.rollup", "core.workforce.rollup", "core.queues.rollup", "core.feedback.rollup")


def dialect_insert(connection: Connection) -> Callable:
    """The engine's own `insert` (with `on_conflict_do_update`), its dialect imported on first use: importing
    PostgreSQL's costs a SQLite command line ~0.07 s."""
    return importlib.import_module(f"sqlalchemy.dialects.{connection.dialect.name}").insert


def areas() -> list[ModuleType]:
    """The area modules, imported on first use."""
    return [importlib.import_module(name) for name in AREAS]


def refresh(connection: Connection, entity: str, *, ids: Iterable[str] | None = None,
            since: dt.date | None = None) -> None:
    """Bring every roll-up that depends on `entity` up to date after a write.

    `ids` names the changed rows by the first column of the entity's key (member_id for members and
    activity, item_id, feedback_id, response_id…) and `since` is the earliest day among the written
    rows (activity day, created day…; `core.ingest.contract.ROLLUP_DAY_COLUMNS`). A row updated in place may
    have had another day before, so an area that refreshes by day should also look at `ids`.
    With neither, the depending areas must rebuild in full.
    """
    ids = None if ids is None else list(ids)
    for area in areas():
        if entity in area.ENTITIES:
            started = time.perf_counter()
            area.refresh(connection, ids=ids, since=since, entity=entity)
            log.info("roll-up %s refreshed for %s in %.2f s", area.NAME, entity, time.perf_counter() - started)


def refresh_all(connection: Connection, progress: Callable[[str], None] = lambda _message: None) -> None:
    """Rebuild every area in full and record the definitions built (after a bulk load)."""
    built = _recorded(connection)
    for area in areas():
        progress(f"Building the {area.NAME} roll-ups")
        build(connection, area, recreate=built.get(area.NAME) != area.VERSION)


def ensure_built(engine: Engine, progress: Callable[[str], None] = lambda _message: None) -> list[str]:
    """Rebuild the areas never built or built by an older definition; returns their names."""
    with engine.connect() as connection:
        built = _recorded(connection)
    stale = [area for area in areas() if built.get(area.NAME) != area.VERSION]
    for area in stale:
        progress(f"Building the {area.NAME} roll-ups")
        started = time.perf_counter()
        with engine.begin() as connection:
            build(connection, area, recreate=True)
        log.info("roll-up %s built in %.1f s", area.NAME, time.perf_counter() - started)
    return [area.NAME for area in stale]


def _recorded(connection: Connection) -> dict[str, int]:
    state = models.RollupState.__table__
    return dict(connection.execute(select(state.c.name, state.c.version)).all())


def build(connection: Connection, area: ModuleType, *, recreate: bool = False) -> None:
    """Fill an area's tables afresh and record the definition built.

    Tables are dropped and recreated only for a new definition (`recreate`). Otherwise their rows
    are deleted: pysqlite runs DDL outside the transaction (it begins one at the first DML), so
    only a DML-only rebuild is undone with the rest of a failed or rolled-back transaction.
    """
    if recreate:
        area.METADATA.drop_all(connection)
    area.METADATA.create_all(connection)  # creates only what is missing
    for table in reversed(area.METADATA.sorted_tables):
        connection.execute(table.delete())
    area.rebuild(connection)
    state = models.RollupState.__table__
    connection.execute(delete(state).where(state.c.name == area.NAME))
    connection.execute(insert(state).values(name=area.NAME, version=area.VERSION, built_at=models.utcnow()))
