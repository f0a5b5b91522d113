"""Two moments every page needs: the present (open clocks run on it) and the latest the stored data describes."""

import datetime as dt
import os

import pandas as pd
from sqlalchemy import Connection, Engine, text


# Pins "now" for a demo anchored in the past and for the tests (an ISO 8601 time; naive = UTC).
NOW_ENV = "CROWDPULSE_NOW"


def present() -> pd.Timestamp:
    """The present: the wall clock in UTC, unless CROWDPULSE_NOW pins it."""
    pinned = os.environ.get(NOW_ENV)
    if pinned:
        moment = pd.Timestamp(pinned)
        return moment.tz_localize("UTC") if moment.tzinfo is None else moment.tz_convert("UTC")
    return pd.Timestamp.now(tz="UTC")


def data_as_of(engine: Engine, now: dt.datetime | None = None) -> pd.Timestamp:
    """The latest recorded moment (a queue item, else the last active day), never later than now."""
    with engine.connect() as connection:
        moment = latest_moment(connection, now)
    return moment if moment is not None else pd.Timestamp(now or present())


def latest_moment(connection: Connection, now: dt.datetime | None = None) -> pd.Timestamp | None:
    """`data_as_of` on an open connection (inside a write's transaction, say); None without any data."""
    now_ts = pd.Timestamp(now or present())
    last_day, last_item = connection.execute(text(
        "SELECT (SELECT MAX(day) FROM activity), (SELECT MAX(created_at) FROM queueitem)")).one()
    candidates = []
    if last_day is not None:
        candidates.append(pd.Timestamp(last_day).tz_localize("UTC"))
    if last_item is not None:
        stamp = pd.Timestamp(last_item)
        candidates.append(stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC"))
    return min(now_ts, max(candidates)) if candidates else None
