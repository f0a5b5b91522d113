"""The moment the stored data describes, so pages and reports agree on 'now'."""

import datetime as dt

import pandas as pd
from sqlalchemy import Connection, Engine, text


def data_as_of(engine: Engine, now: dt.datetime | None = None) -> pd.Timestamp:
    """The latest recorded moment (a queue item, else the last active day), never later than now."""
    with engine.connect() as connection:
        moment = latest_moment(connection, now)
    return moment if moment is not None else pd.Timestamp(now or dt.datetime.now(dt.UTC))


def latest_moment(connection: Connection, now: dt.datetime | None = None) -> pd.Timestamp | None:
    """`data_as_of` on an open connection (inside a write's transaction, say); None without any data."""
    now_ts = pd.Timestamp(now or dt.datetime.now(dt.UTC))
    last_day, last_item = connection.execute(text(
        "SELECT (SELECT MAX(day) FROM activity), (SELECT MAX(created_at) FROM queueitem)")).one()
    candidates = []
    if last_day is not None:
        candidates.append(pd.Timestamp(last_day).tz_localize("UTC"))
    if last_item is not None:
        stamp = pd.Timestamp(last_item)
        candidates.append(stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC"))
    return min(now_ts, max(candidates)) if candidates else None
