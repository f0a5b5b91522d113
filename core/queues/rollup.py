"""Roll-ups for the queues area (see `core.rollups`): every queue item's SLA clocks, computed once.

A resolved item's clocks never change again: they depend only on its timestamps, its policy and
its status history. So each item gets one row in `rollup_queue_clock` with its timestamps as
integer microseconds (UTC), its first-response and resolution seconds, and, once resolved, both
clocks' due moment and state (met, breached or no_target) exactly as `core.queues.clock.sla_status`
computes them. The Queues, Today, Health and Weekly figures aggregate those rows in SQL and add
the few open items, whose clocks still run, computed live from their status history
(`core.queues.facts.QueueFacts`).

A resolved item whose clock was ever paused is the one exception: a pause still running at "now"
is cut there, so when "now" is before its resolution it is computed live too (`pausable`).

The clocks depend on the SLA policies as well: the policies they were computed with are
fingerprinted in `rollup_queue_state`, and a reader finding other policies rebuilds first.
Refresh by ids recomputes just those items (an import passes the item ids it wrote; a retry
passes its item).
"""

import datetime as dt
import hashlib
import json
import logging
import time
from collections.abc import Callable

import numpy as np
import pandas as pd
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    Engine,
    Float,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    delete,
    func,
    select,
)

from core import bulk
from core.frames import frame_on, loader_columns
from core.models import QueueEvent, QueueItem
from core.queues.calendar import pause_statuses, policies_query
from core.queues.clock import ITEM_TIMESTAMPS, empty_pauses, pause_spells_query, sla_status
from core.queues.packing import pack

log = logging.getLogger(__name__)

NAME = "queues"
VERSION = 8
ENTITIES: frozenset[str] = frozenset({"queue_items", "sla_policies"})
METADATA = MetaData()  # this area's roll-up tables

DAY_US = 86_400_000_000
# Items recomputed per pass of a rebuild: bounds the memory a rebuild at `large` needs.
REBUILD_CHUNK_DAYS = 30
# Ids per IN (...) list when refreshing by ids (SQLite's bound-parameter limit is 32,766).
IDS_PER_QUERY = 5_000

clock = Table(
    "rollup_queue_clock", METADATA,
    Column("item_id", String, nullable=False),
    Column("queue", String, nullable=False),
    Column("priority", String, nullable=False),
    Column("project_id", String),
    Column("member_id", String),
    Column("created_us", BigInteger, nullable=False),
    Column("created_day", Integer, nullable=False),  # UTC days since 1970-01-01
    Column("resolved_us", BigInteger),  # NULL while open
    Column("resolved_day", Integer),
    Column("response_seconds", Float),  # first_response_at − created_at
    Column("resolution_seconds", Float),  # resolved_at − created_at
    Column("pausable", Boolean, nullable=False),  # ever in a status some policy pauses on
    # Both clocks once resolved (NULL while open): due moment, its UTC day, state.
    Column("due_us", BigInteger),
    Column("due_day", Integer),
    Column("state", String),
    Column("response_due_us", BigInteger),
    Column("response_due_day", Integer),
    Column("response_state", String),
    Column("escalation_reason", String),
    Column("owner_team", String),
    # Scope scans read created ranges; "open now" and due windows have indexes of their own. No primary
    # key: a unique index built after a rebuild's bulk insert is far cheaper than a key kept in order.
    Index("ix_rollup_queue_clock_item", "item_id", unique=True),
    # The created index covers the response-time read (index-only: a few times faster in SQLite); whole
    # days are counted from the per-day tables, so the due indexes serve only part-day windows and regions.
    Index("ix_rollup_queue_clock_created", "created_us", "queue", "priority", "project_id", "response_seconds",
          "resolution_seconds"),
    Index("ix_rollup_queue_clock_resolved", "resolved_us", "created_us", "queue", "priority", "project_id"),
    Index("ix_rollup_queue_clock_pausable", "pausable", "resolved_us"),
    # The ever-paused clocks due in a window, counted item by item beside the per-day table (a few hundred of
    # a window's quarter million at large): without these SQLite walked every due clock or every paused one.
    Index("ix_rollup_queue_clock_pausable_due", "pausable", "due_us"),
    Index("ix_rollup_queue_clock_pausable_response_due", "pausable", "response_due_us"),
    Index("ix_rollup_queue_clock_due", "due_us"),
    Index("ix_rollup_queue_clock_response_due", "response_due_us"),
)

# Per creation day, the two tables below answer the page-wide questions without reading items:
# how many items were created and resolved each day (backlog, choices), and how many clocks met or
# breached their target each due day. Only clocks no "now" can change count there (not `pausable`).
flow = Table(
    "rollup_queue_flow", METADATA,
    Column("created_day", Integer, nullable=False),
    Column("resolved_day", Integer),
    Column("queue", String, nullable=False),
    Column("priority", String, nullable=False),
    Column("project_id", String),
    Column("items", Integer, nullable=False),
    Index("ix_rollup_queue_flow_created", "created_day"),
)

sla_day = Table(
    "rollup_queue_sla_day", METADATA,
    Column("target", String, nullable=False),  # resolution or first_response
    Column("due_day", Integer, nullable=False),
    Column("created_day", Integer, nullable=False),
    Column("queue", String, nullable=False),
    Column("priority", String, nullable=False),
    Column("project_id", String),
    Column("met", Integer, nullable=False),
    Column("breached", Integer, nullable=False),
    Index("ix_rollup_queue_sla_day_due", "target", "due_day"),
    Index("ix_rollup_queue_sla_day_created", "created_day"),
)

# Per creation day and group, every item's first-response and resolution seconds (`core.queues.packing`): medians
# and p90s over whole days read a few thousand rows instead of a quarter million items.
seconds = Table(
    "rollup_queue_seconds", METADATA,
    Column("created_day", Integer, nullable=False),
    Column("queue", String, nullable=False),
    Column("priority", String, nullable=False),
    Column("project_id", String),
    Column("items", Integer, nullable=False),  # items created (with or without a value)
    Column("response", LargeBinary, nullable=False),  # sorted response_seconds of those that have one
    Column("resolution", LargeBinary, nullable=False),  # sorted resolution_seconds
    Index("ix_rollup_queue_seconds_created", "created_day", "queue"),
)

state = Table(
    "rollup_queue_state", METADATA,
    Column("key", String, primary_key=True),
    Column("value", String),
)

POLICY_KEY = "policies"


def rebuild(connection: Connection) -> None:
    """Fill the clock table for every queue item, a month of creation times at a time."""
    item = QueueItem.__table__
    first, last = connection.execute(select(func.min(item.c.created_at), func.max(item.c.created_at))).one()
    started = time.perf_counter()
    policies = stored_policies(connection)
    _record_policies(connection, policies)
    if first is None:
        return
    start = pd.Timestamp(first).tz_localize(None).normalize()
    end = pd.Timestamp(last).tz_localize(None) + pd.Timedelta(days=1)
    # Indexing a million rows once is several times cheaper than keeping four indexes up to date.
    for index in clock.indexes:
        index.drop(connection)
    while start < end:
        stop = start + pd.Timedelta(days=REBUILD_CHUNK_DAYS)
        where = [item.c.created_at >= _utc(start), item.c.created_at < _utc(stop)]
        rows = _clocks(connection, policies, where)
        _write_rows(connection, clock, rows)
        # Chunks split by creation time, so their per-creation-day counts never overlap.
        for table, counts in [*_day_counts(rows).items(), (seconds, _packed(rows) if len(rows) else rows)]:
            _write_rows(connection, table, counts)
        start = stop
    for index in clock.indexes:
        index.create(connection)
    log.info("queue clocks computed and indexed in %.1f s", time.perf_counter() - started)


def _day_counts(rows: pd.DataFrame) -> dict:
    """The per-day tables' rows counted from these clock rows."""
    if rows.empty:
        return {}
    keys = ["created_day", "resolved_day", "queue", "priority", "project_id"]
    flows = rows.groupby(keys, dropna=False).size().rename("items").reset_index()
    parts = []
    for target, prefix in (("resolution", ""), ("first_response", "response_")):
        verdict = rows[f"{prefix}state"]
        decided = rows[~rows["pausable"].astype(bool) & verdict.isin(["met", "breached"])]
        counts = decided.assign(due_day=decided[f"{prefix}due_day"], met=(verdict[decided.index] == "met").astype("int64"),
                                breached=(verdict[decided.index] == "breached").astype("int64")) \
            .groupby(["due_day", "created_day", "queue", "priority", "project_id"], dropna=False)[["met", "breached"]] \
            .sum().reset_index()
        parts.append(counts.assign(target=target))
    return {flow: flows, sla_day: pd.concat(parts, ignore_index=True)}


def _packed(rows: pd.DataFrame) -> pd.DataFrame:
    """The seconds table's rows for these clock rows (whole creation days)."""
    keys = ["created_day", "queue", "priority", "project_id"]
    groups = rows.groupby(keys, dropna=False, sort=True)
    packed = groups.size().rename("items").reset_index()
    for name, column in (("response", "response_seconds"), ("resolution", "resolution_seconds")):
        packed[name] = groups[column].agg(pack).to_numpy()
    return packed


def _repack(connection: Connection, days: list[int]) -> None:
    """Pack the seconds of these creation days again from their clock rows."""
    columns = ["created_day", "queue", "priority", "project_id", "response_seconds", "resolution_seconds"]
    for start in range(0, len(days), IDS_PER_QUERY):
        part = days[start:start + IDS_PER_QUERY]
        connection.execute(delete(seconds).where(seconds.c.created_day.in_(part)))
        rows = frame_on(connection, select(*[clock.c[name] for name in columns]).where(clock.c.created_day.in_(part)))
        if len(rows):
            _write_rows(connection, seconds, _packed(rows.astype({"response_seconds": "float64",
                                                                  "resolution_seconds": "float64"})))


# The clock columns the per-day tables are counted from.
DAY_SOURCE = ["created_day", "resolved_day", "queue", "priority", "project_id", "pausable", "due_day", "state",
              "response_due_day", "response_state"]
DAY_KEYS = {"rollup_queue_flow": ["created_day", "resolved_day", "queue", "priority", "project_id"],
            "rollup_queue_sla_day": ["target", "due_day", "created_day", "queue", "priority", "project_id"]}


def _stored_clocks(connection: Connection, ids: list[str]) -> pd.DataFrame:
    """The stored clock rows of these items (the columns the per-day tables count)."""
    parts = [frame_on(connection, select(*[clock.c[name] for name in DAY_SOURCE])
                    .where(clock.c.item_id.in_(list(ids[start:start + IDS_PER_QUERY]))))
             for start in range(0, len(ids), IDS_PER_QUERY)]
    frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=DAY_SOURCE)
    for name in ("created_day", "resolved_day", "due_day", "response_due_day"):
        frame[name] = pd.to_numeric(frame[name]).astype("Int64")
    frame["pausable"] = frame["pausable"].astype(bool)
    return frame


def _apply_day_changes(connection: Connection, before: pd.DataFrame, after: pd.DataFrame) -> None:
    """Move the per-day counts from the items' old clock rows to their new ones, touching only their days."""
    old, new = _day_counts(before), _day_counts(after)
    days = sorted({int(d) for frame in (before, after) for d in frame["created_day"].dropna()})
    _repack(connection, days)
    for table in (flow, sla_day):
        keys = DAY_KEYS[table.name]
        values = [c.name for c in table.columns if c.name not in keys]
        stored = [frame_on(connection, select(table).where(table.c.created_day.in_(days[start:start + IDS_PER_QUERY])))
                  for start in range(0, len(days), IDS_PER_QUERY)]
        removed = old.get(table, pd.DataFrame(columns=[*keys, *values]))
        combined = pd.concat([*stored, removed.assign(**{v: -removed[v] for v in values}),
                              new.get(table, pd.DataFrame(columns=[*keys, *values]))], ignore_index=True)
        for name in ("created_day", "resolved_day", "due_day"):
            if name in combined:
                combined[name] = pd.to_numeric(combined[name]).astype("Int64")
        combined = combined.groupby(keys, dropna=False)[values].sum().reset_index()
        combined = combined[(combined[values] != 0).any(axis=1)]
        for start in range(0, len(days), IDS_PER_QUERY):
            connection.execute(delete(table).where(table.c.created_day.in_(days[start:start + IDS_PER_QUERY])))
        _write_rows(connection, table, combined)


def refresh(connection: Connection, *, ids: list[str] | None, since: dt.date | None,
            entity: str | None = None) -> None:
    """Recompute the clocks of the written items (`ids`), or of every item after a policy change."""
    if ids is None:
        for table in (clock, flow, sla_day, seconds, state):
            connection.execute(delete(table))
        rebuild(connection)
        return
    policies = stored_policies(connection)
    if _fingerprint(policies) != stored_fingerprint(connection):
        refresh(connection, ids=None, since=None)
        return
    _recompute(connection, list(ids), policies)


def refresh_policy_change(connection: Connection, before: pd.DataFrame,
                          progress: Callable[[float, str], None] = lambda _share, _message: None) -> int:
    """Recompute, with the policies stored now, the clocks of the items a change from the `before` policies can
    move (their queue and priority, or a pause status that entered or left the policies); returns how many.

    `progress(share done, what is happening)` is told after each chunk of items."""
    after = stored_policies(connection)
    if _fingerprint(before) != stored_fingerprint(connection):  # stale already: only a rebuild makes them right
        progress(0.0, "Recomputing every item's SLA clocks")
        refresh(connection, ids=None, since=None)
        return connection.execute(select(func.count()).select_from(clock)).scalar_one()
    ids = _items_moved_by(connection, before, after)
    _recompute(connection, ids, after, progress)
    _record_policies(connection, after)
    return len(ids)


def _recompute(connection: Connection, ids: list[str], policies: pd.DataFrame,
               progress: Callable[[float, str], None] = lambda _share, _message: None) -> None:
    """Replace these items' clock rows, a chunk of ids at a time, and move their per-day counts."""
    item = QueueItem.__table__
    before = _stored_clocks(connection, ids)
    written = []
    for part in range(0, len(ids), IDS_PER_QUERY):
        chunk = ids[part:part + IDS_PER_QUERY]
        connection.execute(delete(clock).where(clock.c.item_id.in_(chunk)))
        rows = _clocks(connection, policies, [item.c.item_id.in_(chunk)])
        _write_rows(connection, clock, rows)
        written.append(rows)
        # The per-day counts after the loop take about as long as a third of it.
        progress(0.7 * (part + len(chunk)) / len(ids),
                 f"Recomputed the SLA clocks of {part + len(chunk):,} of {len(ids):,} items")
    progress(0.7, "Counting the met and breached targets per day")
    after = pd.concat(written, ignore_index=True) if written else before.iloc[:0]
    _apply_day_changes(connection, before, after)


def _items_moved_by(connection: Connection, before: pd.DataFrame, after: pd.DataFrame) -> list[str]:
    """The ids of the items whose clocks (or `pausable` flag) differ between the two sets of policies."""
    def keyed(policies):
        return {(row["queue"], row["priority"]): _fingerprint(pd.DataFrame([row])) for row in policies.to_dict("records")}
    old, new = keyed(before), keyed(after)
    changed = [key for key in old.keys() | new.keys() if old.get(key) != new.get(key)]
    item, event = QueueItem.__table__, QueueEvent.__table__
    wanted = set()
    for queue, priority in changed:
        wanted.update(connection.execute(select(item.c.item_id).where(item.c.queue == queue,
                                                                       item.c.priority == priority)).scalars())
    # `pausable` marks items ever in a status some policy pauses on: that set moves with the union of them.
    statuses = sorted(set(pause_statuses(before)) ^ set(pause_statuses(after)))
    if statuses:
        wanted.update(connection.execute(select(event.c.item_id).where(event.c.status.in_(statuses)).distinct())
                      .scalars())
    return sorted(wanted)


def is_current(connection: Connection) -> bool:
    """Whether the clocks were computed with the SLA policies stored now."""
    return _fingerprint(stored_policies(connection)) == stored_fingerprint(connection)


def ensure_current(engine: Engine) -> None:
    """Recompute every clock if the SLA policies changed since they were computed (a safety net for writes
    that changed policies without refreshing this roll-up)."""
    with engine.connect() as connection:
        if is_current(connection):
            return
    log.warning("SLA policies changed since the queue clocks were computed: recomputing them")
    with engine.begin() as connection:
        if not is_current(connection):
            refresh(connection, ids=None, since=None)


def stored_fingerprint(connection: Connection) -> str | None:
    """The fingerprint of the policies the stored clocks were computed with."""
    return connection.execute(select(state.c.value).where(state.c.key == POLICY_KEY)).scalar()


# --- computing ------------------------------------------------------------------------------------


def stored_policies(connection: Connection) -> pd.DataFrame:
    """The SLA policies as the clocks read them (business_hours as a flag)."""
    frame = frame_on(connection, policies_query())
    if "business_hours" in frame:
        frame["business_hours"] = frame["business_hours"].fillna(False).astype(bool)
    return frame


def _fingerprint(policies: pd.DataFrame) -> str:
    fields = ["queue", "priority", "first_response_minutes", "resolution_minutes", "business_hours", "timezone",
              "schedule", "holidays", "pause_statuses"]
    rows = [[None if _blank(row.get(name)) else row.get(name) for name in fields]
            for row in policies.to_dict("records")]
    text = json.dumps(rows, sort_keys=True, default=str)
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


def _blank(value) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value))


def _record_policies(connection: Connection, policies: pd.DataFrame) -> None:
    connection.execute(delete(state).where(state.c.key == POLICY_KEY))
    connection.execute(state.insert().values(key=POLICY_KEY, value=_fingerprint(policies)))


def _clocks(connection: Connection, policies: pd.DataFrame, where: list) -> pd.DataFrame:
    """The clock rows of the items matching `where`, computed by `sla_status` from their status history."""
    item = QueueItem.__table__
    wanted = ["item_id", "queue", "priority", "project_id", "member_id", "created_at", "first_response_at",
              "resolved_at", "due_at", "escalation_reason", "owner_team"]
    columns = [c for c in loader_columns(item) if c.name in wanted]
    items = frame_on(connection, select(*columns).where(*where), timestamps=ITEM_TIMESTAMPS[:4])
    if items.empty:
        return items
    pauses = _pauses(connection, policies, where)
    # Later than every moment the items record: no pause is cut short and every clock is stopped or running.
    moments = [items[c].max() for c in ("created_at", "first_response_at", "resolved_at")]
    if len(pauses):
        moments += [pauses["paused_from"].max(), pauses["paused_until"].max()]
    now = max(m for m in moments if not pd.isna(m)) + pd.Timedelta(minutes=1)
    status = sla_status(items, policies, now, pauses=pauses)
    resolved = status["resolved_at"].notna()
    out = pd.DataFrame({name: status[name] for name in ("item_id", "queue", "priority", "project_id", "member_id",
                                                        "escalation_reason", "owner_team")})
    out["created_us"] = _micros(status["created_at"])
    out["created_day"] = out["created_us"] // DAY_US
    out["resolved_us"] = _micros(status["resolved_at"])
    out["resolved_day"] = out["resolved_us"] // DAY_US
    out["response_seconds"] = (status["first_response_at"] - status["created_at"]).dt.total_seconds()
    out["resolution_seconds"] = (status["resolved_at"] - status["created_at"]).dt.total_seconds()
    out["pausable"] = status["item_id"].isin(pauses["item_id"]) if len(pauses) else False
    for prefix, due in (("", "due_effective"), ("response_", "response_due")):
        micros = _micros(status[due]).where(resolved)
        out[f"{prefix}due_us"] = micros
        out[f"{prefix}due_day"] = micros // DAY_US
        out[f"{prefix}state"] = status[f"{prefix}state"].where(resolved)
    return out.sort_values("created_us", kind="stable")


def _pauses(connection: Connection, policies: pd.DataFrame, where: list) -> pd.DataFrame:
    """Pause spells (as `core.queues.read.load_pauses` reads them) of the items matching `where`."""
    statuses = pause_statuses(policies)
    if not statuses:
        return empty_pauses()
    return frame_on(connection, pause_spells_query(statuses, where), timestamps=("paused_from", "paused_until"))


def _write_rows(connection: Connection, table: Table, rows: pd.DataFrame) -> None:
    """Insert rows through the driver's fast path (`core.bulk` formats per value, too slow for 1M rows)."""
    if rows.empty:
        return
    sqlite = connection.dialect.name == "sqlite"
    names = [c.name for c in table.columns]
    values = [_driver_values(rows[name], table.c[name].type, sqlite) for name in names]
    tuples = list(zip(*values))
    if sqlite:
        quoted = ", ".join(f'"{n}"' for n in names)
        connection.exec_driver_sql(f'INSERT INTO "{table.name}" ({quoted}) VALUES ({", ".join("?" for _ in names)})',
                                   tuples)
    else:
        bulk._copy_rows(connection, table.name, names, tuples)


def _driver_values(series: pd.Series, kind, sqlite: bool) -> list:
    """A column as plain Python values (None for missing), vectorised."""
    missing = series.isna().to_numpy()
    if isinstance(kind, Boolean):
        out = series.fillna(False).to_numpy(dtype=bool)
        out = out.astype("int64").astype(object) if sqlite else out.astype(object)
    elif isinstance(kind, Integer):
        out = series.to_numpy(dtype="int64", na_value=0).astype(object)
    elif isinstance(kind, Float):
        out = series.to_numpy(dtype="float64", na_value=np.nan).astype(object)
    else:
        out = series.to_numpy(dtype=object, copy=True)
    if missing.any():
        out[missing] = None
    return out.tolist()


# --- small helpers ----------------------------------------------------------------------------------


def _micros(timestamps: pd.Series) -> pd.Series:
    """Aware timestamps as integer microseconds since the epoch (nullable Int64)."""
    values = timestamps.dt.tz_convert("UTC").dt.as_unit("us")
    micros = pd.Series(values.to_numpy(dtype="datetime64[us]").astype("int64"), index=timestamps.index)
    return micros.astype("Int64").where(values.notna())


def _utc(naive: pd.Timestamp) -> dt.datetime:
    return naive.tz_localize("UTC").to_pydatetime()
