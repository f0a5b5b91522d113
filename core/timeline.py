"""Two moments every page needs: the present (open clocks run on it) and the latest the stored data describes."""

import datetime as dt
import os
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Connection, Engine, String, case, func, literal, select, text

from core.models import SyncRun, SyncSource


# Pins "now" for a demo anchored in the past and for the tests (an ISO 8601 time; naive = UTC).
NOW_ENV = "CROWDPULSE_NOW"


def present() -> pd.Timestamp:
    """The present: the wall clock in UTC, unless CROWDPULSE_NOW pins it."""
    pinned = os.environ.get(NOW_ENV)
    if pinned:
        moment = pd.Timestamp(pinned)
        return moment.tz_localize("UTC") if moment.tzinfo is None else moment.tz_convert("UTC")
    return pd.Timestamp.now(tz="UTC")


def present_minute() -> pd.Timestamp:
    """The present floored to the minute: what open clocks run on (a cache keyed on it still hits within a minute)."""
    return present().floor("min")


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


@dataclass(frozen=True)
class Freshness:
    """How old the stored data is at the present, and which sync sources have not succeeded lately."""

    as_of: pd.Timestamp
    present: pd.Timestamp
    stale_after_hours: float
    stale_sources: tuple[str, ...] = ()

    @property
    def age(self) -> pd.Timedelta:
        return max(self.present - self.as_of, pd.Timedelta(0))

    @property
    def data_stale(self) -> bool:
        return self.age > pd.Timedelta(hours=self.stale_after_hours)

    def describe(self) -> str:
        """'Data as of Fri 20 Nov, 04:59 UTC, 2 h ago' (the age in minutes, hours or days)."""
        return f"Data as of {self.as_of:%a %d %b, %H:%M} UTC, {age_words(self.age)}"

    def warnings(self) -> list[str]:
        """What is older than the setting allows, in words ('' list when all is fresh)."""
        limit = f"{self.stale_after_hours:g} h"
        said = [f"The newest data is from {age_words(self.age)} (older than {limit}): open clocks keep running, "
                "but nothing newer has arrived."] if self.data_stale else []
        if self.stale_sources:
            said.append(f"No successful sync for more than {limit}: {', '.join(self.stale_sources)} (see Data).")
        return said


def age_words(age: pd.Timedelta) -> str:
    """An age as a person says it: 'just now', '25 min ago', '2 h ago', '3 days ago'."""
    minutes = int(age.total_seconds() // 60)
    if minutes < 1:
        return "just now"
    if minutes < 60:
        return f"{minutes} min ago"
    if minutes < 48 * 60:
        return f"{minutes // 60} h ago"
    return f"{minutes // (24 * 60)} days ago"


def freshness(engine: Engine, *, stale_after_hours: float, now=None) -> Freshness:
    """The data's age at `now` (default the present) and the enabled sync sources without a successful run within
    `stale_after_hours` although they have been syncing for longer than that (a source never synced, or failing only
    since recently, is the Data page's to report)."""
    moment = pd.Timestamp(now) if now is not None else present()
    cutoff = (moment - pd.Timedelta(hours=stale_after_hours)).tz_convert("UTC").to_pydatetime()
    runs = (select(SyncRun.source, func.min(SyncRun.started_at).label("first"),
                   func.max(case((SyncRun.ok, SyncRun.started_at))).label("last_ok"))
            .group_by(SyncRun.source).subquery())
    # A source's runs are recorded under "sheet:<name>" (core.ingest.sheets).
    statement = (select(SyncSource.name)
                 .join(runs, runs.c.source == literal("sheet:", String) + SyncSource.name)
                 .where(SyncSource.enabled, runs.c.first < cutoff, runs.c.last_ok.is_(None) | (runs.c.last_ok < cutoff))
                 .order_by(SyncSource.name))
    with engine.connect() as connection:
        stale = tuple(connection.execute(statement).scalars())
    return Freshness(data_as_of(engine, moment), moment, stale_after_hours, stale)
