"""Reading queue items for the read API: the live items (clocks still running), policies, pauses and settings.

Resolved items' clocks are stored once per item (`core.queues.rollup`) and aggregated in SQL by
`core.queues.facts.QueueFacts`; only the items whose clocks still run at `now` are read here and
put on the SLA clock (`core.queues.clock`) from their status history. Scopes are: created in
[start, end), some projects, some member regions (empty filters mean all).
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import Engine, String, and_, or_, select
from sqlalchemy.types import TypeDecorator

from core.frames import as_timestamp, loader_columns, read_frame
from core.models import Member, QueueItem, Setting
from core.queues.calendar import pause_statuses, policies_query
from core.queues.clock import ITEM_TIMESTAMPS, empty_pauses, pause_spells_query, sla_status
from core.queues import rollup

DAY_US = 86_400_000_000
STUCK_DEFAULTS = {"stuck_after_hours": 24.0, "stuck_max_retries": 3}


# --- moments as microseconds -----------------------------------------------------------------------


def micros_of(moment) -> int:
    """One moment as integer microseconds since the epoch (UTC)."""
    return as_timestamp(moment).value // 1000  # Timestamp.value is nanoseconds whatever the unit


def micros_series(timestamps: pd.Series) -> np.ndarray:
    """Aware timestamps as float microseconds since the epoch (NaN for NaT), exact below 2**53."""
    values = timestamps.dt.tz_convert("UTC").dt.as_unit("us")
    return np.where(values.isna(), np.nan, values.to_numpy(dtype="datetime64[us]").astype("int64").astype("float64"))


def in_window(micros, low, high, closed: str):
    """The window [low, high) when closed='left', (low, high] when 'right' (None = unbounded): a boolean mask
    for an array of microseconds, or the list of SQL conditions for a column."""
    inside = np.ones(len(micros), dtype=bool) if isinstance(micros, np.ndarray) else None
    conditions = []
    if low is not None:
        conditions.append(micros >= low if closed == "left" else micros > low)
    if high is not None:
        conditions.append(micros < high if closed == "left" else micros <= high)
    if inside is None:
        return conditions
    for condition in conditions:
        inside &= condition
    return inside


def utc_days(numbers) -> pd.Series:
    """UTC day numbers (days since 1970-01-01) as tz-naive midnight timestamps."""
    values = np.asarray(numbers, dtype="int64") * DAY_US
    return pd.Series(values.astype("datetime64[us]"))


# --- scopes ------------------------------------------------------------------------------------------


def item_scope(*, start=None, end=None, projects=None, regions=None) -> list:
    """SQL conditions on queue_item (and member, for regions) for items created in [start, end) in scope."""
    item, member = QueueItem.__table__, Member.__table__
    conditions = []
    if start is not None:
        conditions.append(item.c.created_at >= as_timestamp(start).to_pydatetime())
    if end is not None:
        conditions.append(item.c.created_at < as_timestamp(end).to_pydatetime())
    if projects:
        conditions.append(item.c.project_id.in_(list(projects)))
    if regions:
        conditions.append(member.c.region.in_(list(regions)))
    return conditions


def clock_scope(*, start=None, end=None, projects=None, regions=None, queues=None, priorities=None,
                created_index: bool = True) -> list:
    """SQL conditions on the clock roll-up for items created in [start, end) in scope."""
    # `created_us + 0` is the same bound that no index can serve: SQLite, which keeps no statistics here,
    # then takes the narrower index the query offers instead of the creation range.
    clock = rollup.clock
    created = clock.c.created_us if created_index else clock.c.created_us + 0
    conditions = []
    if start is not None:
        conditions.append(created >= micros_of(start))
    if end is not None:
        conditions.append(created < micros_of(end))
    for column, values in (("project_id", projects), ("queue", queues), ("priority", priorities)):
        if values:
            conditions.append(clock.c[column].in_(list(values)))
    if regions:
        member = Member.__table__
        conditions.append(clock.c.member_id.in_(select(member.c.member_id).where(member.c.region.in_(list(regions)))))
    return conditions


# --- loaders -----------------------------------------------------------------------------------------


def load_queue_items(engine: Engine, *, start=None, end=None, projects=None, regions=None, queue=None,
                     among=None) -> pd.DataFrame:
    """Queue items created in [start, end) with their member's region and country (empty filters mean all);
    `among` (a select of item ids) narrows them further."""
    item, member = QueueItem.__table__, Member.__table__
    statement = (
        select(*loader_columns(item, without=["attributes"]), member.c.region, member.c.country)
        .select_from(item.outerjoin(member, item.c.member_id == member.c.member_id))
        .where(*item_scope(start=start, end=end, projects=projects, regions=regions))
        .order_by(item.c.created_at, item.c.item_id)
    )
    if queue is not None:
        statement = statement.where(item.c.queue == queue)
    if among is not None:
        statement = statement.where(item.c.item_id.in_(among))
    frame = read_frame(engine, statement, timestamps=ITEM_TIMESTAMPS)
    # A text column no row fills (no assignee among the open items, say) would read as None objects, where one
    # with values reads as pandas strings with NaN: type them alike, so the same items read the same either way.
    # (No rows stay untyped: they merge with any other empty read.)
    if frame.empty:
        return frame
    return frame.astype({c.name: "str" for c in statement.selected_columns if _is_text(c)})


def _is_text(column) -> bool:
    """Whether a selected column holds text (SQLModel's AutoString wraps String; timestamps are read as text)."""
    kind = column.type.impl_instance if isinstance(column.type, TypeDecorator) else column.type
    return isinstance(kind, String) and column.name not in ITEM_TIMESTAMPS


def load_policies(engine: Engine) -> pd.DataFrame:
    """All SLA policies, one row per queue and priority."""
    return read_frame(engine, policies_query(), flags=("business_hours",))


def load_pauses(engine: Engine, policies: pd.DataFrame, *, start=None, end=None, projects=None,
                regions=None, among=None) -> pd.DataFrame:
    """Spells items spent in a pause status of any policy: item_id, status, paused_from, paused_until (NaT = still).

    Items are scoped like `load_queue_items`.
    """
    statuses = pause_statuses(policies)
    if not statuses:
        return empty_pauses()
    statement = pause_spells_query(statuses, item_scope(start=start, end=end, projects=projects, regions=regions),
                                   with_member=True, among=among)
    return read_frame(engine, statement, timestamps=("paused_from", "paused_until"))


@dataclass(frozen=True)
class LiveInputs:
    """What the live clocks are computed from: the items in scope whose clocks still ran at `since`, every SLA
    policy and those items' pause spells. Later moments need no new read: an item only leaves the live set
    (its clock settles), so `live_status` filters these at any `now` from `since` on."""

    since: pd.Timestamp
    items: pd.DataFrame
    policies: pd.DataFrame
    pauses: pd.DataFrame


def load_live_inputs(engine: Engine, now, *, start=None, end=None, projects=None, regions=None) -> LiveInputs:
    """The inputs of the SLA clocks of the items in scope whose clocks still run at `now`: open ones, and resolved
    ones whose clock was paused and that `now` precedes. Found through the clock roll-up's index."""
    clock, now_us = rollup.clock, micros_of(now)
    live = or_(clock.c.resolved_us.is_(None), and_(clock.c.pausable, clock.c.resolved_us > now_us))
    ids = select(clock.c.item_id).where(live, *clock_scope(start=start, end=end, projects=projects))
    items = load_queue_items(engine, regions=regions, among=ids)
    policies = load_policies(engine)
    pauses = load_pauses(engine, policies, start=start, end=end, projects=projects, regions=regions, among=ids)
    return LiveInputs(as_timestamp(now), items, policies, pauses)


def live_status(inputs: LiveInputs, now) -> pd.DataFrame:
    """The SLA clocks at `now` (not before `inputs.since`) of the inputs' items whose clocks still run then."""
    now = as_timestamp(now)
    if now < inputs.since:
        raise ValueError(f"Live clocks read at {inputs.since} cannot be placed at the earlier {now}.")
    items = inputs.items
    if now > inputs.since and not items.empty:
        items = items[(items["resolved_at"].isna() | (items["resolved_at"] > now)).to_numpy()]
    return sla_status(items, inputs.policies, now, pauses=inputs.pauses)


def load_live_status(engine: Engine, now, *, start=None, end=None, projects=None, regions=None) -> pd.DataFrame:
    """The SLA clocks at `now` of the items in scope whose clocks still run then (see `load_live_inputs`)."""
    inputs = load_live_inputs(engine, now, start=start, end=end, projects=projects, regions=regions)
    return live_status(inputs, now)


def load_stuck_thresholds(engine: Engine) -> dict:
    """The stuck-item thresholds from settings (hours without progress, retries), with defaults."""
    setting = Setting.__table__
    with engine.connect() as connection:
        stored = dict(connection.execute(select(setting.c.key, setting.c.value)
                                         .where(setting.c.key.in_(list(STUCK_DEFAULTS)))).all())
    return {key: type(default)(stored.get(key) if stored.get(key) is not None else default)
            for key, default in STUCK_DEFAULTS.items()}


def load_arrivals(engine: Engine, queue: str, *, start=None, end=None) -> pd.DataFrame:
    """When each item of one queue created in [start, end) arrived (`created_at`), read from the clock roll-up."""
    clock = rollup.clock
    statement = select(clock.c.created_us).where(clock.c.queue == queue, *clock_scope(start=start, end=end))
    micros = read_frame(engine, statement)["created_us"].to_numpy(dtype="float64").astype("int64")
    return pd.DataFrame({"created_at": pd.Series(micros.astype("datetime64[us]")).dt.tz_localize("UTC")})
