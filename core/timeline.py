"""The moment the stored data describes, so pages and reports agree on 'now'."""

import datetime as dt

import pandas as pd
from sqlalchemy import Engine, text


def data_as_of(engine: Engine, now: dt.datetime | None = None) -> pd.Timestamp:
    """The latest recorded moment (a queue item, else the last active day), never later than now."""
    now_ts = pd.Timestamp(now or dt.datetime.now(dt.UTC))
    with engine.connect() as connection:
        last_day, last_item = connection.execute(text(
            "SELECT (SELECT MAX(day) FROM activity), (SELECT MAX(created_at) FROM queueitem)")).one()
    candidates = []
    if last_day is not None:
        candidates.append(pd.Timestamp(last_day).tz_localize("UTC"))
    if last_item is not None:
        stamp = pd.Timestamp(last_item)
        candidates.append(stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC"))
    if not candidates:
        return now_ts
    return min(now_ts, max(candidates))
