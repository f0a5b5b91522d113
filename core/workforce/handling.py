"""Handling time of queue items: the time someone spent working each item, and AHT per queue, priority and hour.

An item's handling time is its imported `handle_seconds` when the source records one, else the
time it spent in a working status in its history (in progress), pauses such as waiting on the
tasker excluded (DESIGN §7). Only finished items count: an item still being worked has no
handling time yet.
"""

import pandas as pd
from sqlalchemy import Engine, select

from core.frames import as_timestamp, read_frame, unparsed
from core.models import QueueEvent, QueueItem

WORKING_STATUSES = ("in_progress",)
FINISHED_STATUSES = ("resolved", "closed")
# Fewer measured items than this and a queue's AHT is not trusted for planning.
MIN_SAMPLE = 20


def handle_seconds_from_history(events: pd.DataFrame) -> pd.Series:
    """Seconds each finished item spent in a working status (item_id → seconds), pauses excluded."""
    if events.empty:
        return pd.Series(dtype="float64", name="handle_seconds")
    ordered = events.sort_values(["item_id", "at"], kind="stable")
    by_item = ordered.groupby("item_id", sort=False)
    next_at = by_item["at"].shift(-1)
    working = ordered["status"].isin(WORKING_STATUSES) & next_at.notna()
    spans = (next_at - ordered["at"]).dt.total_seconds().where(working, 0.0)
    totals = spans.groupby(ordered["item_id"]).sum()
    worked = working.groupby(ordered["item_id"]).any()
    finished = by_item["status"].last().isin(FINISHED_STATUSES)
    return totals[worked & finished].rename("handle_seconds").astype("float64")


def item_handle_seconds(items: pd.DataFrame, events: pd.DataFrame) -> pd.Series:
    """Each item's handling seconds: the imported value where there is one, else measured from its history."""
    imported = pd.to_numeric(items.get("handle_seconds"), errors="coerce") if "handle_seconds" in items else None
    measured = items["item_id"].map(handle_seconds_from_history(events))
    combined = measured if imported is None else imported.where(imported.notna(), measured)
    return combined.astype("float64").rename("handle_seconds")


def aht_table(items: pd.DataFrame, by=("queue", "priority")) -> pd.DataFrame:
    """Mean handling seconds (`aht_seconds`) and the number of measured items behind it (`items`) per group.

    `by` may name `hour` (the UTC hour of day the item arrived) besides any column of `items`.
    """
    handled = items[items["handle_seconds"].notna()]
    handled = handled.assign(hour=handled["created_at"].dt.hour) if "hour" in by else handled
    grouped = handled.groupby(list(by), observed=True)["handle_seconds"]
    table = grouped.agg(aht_seconds="mean", items="count").reset_index()
    return table.astype({"items": "int64"})


def measured_aht(items: pd.DataFrame) -> tuple[float | None, int]:
    """The mean handling seconds over the items that have one, and how many they are (None below MIN_SAMPLE)."""
    seconds = items["handle_seconds"].dropna()
    return (float(seconds.mean()) if len(seconds) >= MIN_SAMPLE else None), int(len(seconds))


def load_handled_items(engine: Engine, queue: str, *, start, end) -> pd.DataFrame:
    """Finished items of one queue that arrived in [start, end), each with its handling seconds (NaN when unknown)."""
    item, event = QueueItem.__table__, QueueEvent.__table__
    scope = (item.c.queue == queue, item.c.resolved_at.is_not(None),
             item.c.created_at >= as_timestamp(start).to_pydatetime(),
             item.c.created_at < as_timestamp(end).to_pydatetime())
    items = read_frame(engine, select(item.c.item_id, item.c.queue, item.c.priority, unparsed(item.c.created_at),
                                      item.c.handle_seconds, item.c.assignee).where(*scope),
                       timestamps=("created_at",))
    events = read_frame(engine, select(event.c.item_id, unparsed(event.c.at), event.c.status)
                        .where(event.c.item_id.in_(select(item.c.item_id).where(*scope, item.c.handle_seconds.is_(None)))),
                        timestamps=("at",))
    return items.assign(handle_seconds=item_handle_seconds(items, events))
