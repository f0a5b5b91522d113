"""`python -m core metrics NAME`: each metric of DESIGN §6 as one DataFrame with the contract's fields.

Each area's metrics live in a module of this package (queues, crowd, surveys, voice, workforce), imported only
when one of its metrics runs: a command pays for pandas, SQLAlchemy and its own area, not for every
area of the app (DESIGN §9: start-up ≤ 0.4 s).
"""

import datetime as dt
import importlib
import sys
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Engine, func, select

from core import timeline
from core.db import make_engine
from core.errors import UnknownMetric
from core.exports import to_safe_csv
from core.frames import as_timestamp, read_frame
from core.models import Activity, Feedback, Member, QueueItem, SurveyResponse

DEFAULT_DAYS = 28


def _day(value: str | None, default: dt.date) -> dt.date:
    if value is None:
        return default
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise UnknownMetric(f"'{value}' is not a day: write it as YYYY-MM-DD.") from exc


def bounds(start: dt.date, end: dt.date) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The window's days as [first midnight, midnight after the last day) in UTC."""
    return pd.Timestamp(start, tz="UTC"), pd.Timestamp(end, tz="UTC") + pd.Timedelta(days=1)


def with_member_attribute(engine, frame: pd.DataFrame, by: str | None) -> pd.DataFrame:
    """The rows with their tasker's imported attribute `by` as a column, when they lack a column of that name."""
    if by is None or by in frame.columns:
        return frame
    member = Member.__table__
    values = read_frame(engine, select(member.c.member_id, member.c.attributes[by].as_string().label(by))
                        .where(member.c.member_id.in_(frame["member_id"].dropna().unique().tolist())))
    return frame.merge(values, on="member_id", how="left")


# Each metric's "area module:function" in this package, imported when that metric runs.
METRICS: dict[str, str] = {
    "first_response": "queues:first_response",
    "resolution": "queues:resolution",
    "sla": "queues:sla",
    "backlog": "queues:backlog",
    "active": "crowd:active",
    "funnel": "crowd:funnel",
    "retention": "crowd:retention",
    "churn": "crowd:churn",
    "sentiment": "voice:sentiment",
    "nps": "surveys:nps",
    "csat": "surveys:csat",
    "themes": "voice:themes",
    "workforce": "workforce:workforce",
}


def metric_function(name: str) -> Callable:
    """The function computing metric `name` as (engine, start, end, by), its area module imported now."""
    module, _, function = METRICS[name].partition(":")
    return getattr(importlib.import_module(f"{__name__}.{module}"), function)


# Metrics of the community (taskers): --by groups the taskers by a column, an imported attribute or tenure.
COMMUNITY = ("active", "funnel", "retention")

# Each metric's own source: its default window ends at that source's latest moment (DESIGN §6).
SOURCES = {
    **dict.fromkeys(("nps", "csat"), (SurveyResponse.__table__.c.submitted_at, "survey response")),
    **dict.fromkeys(("sentiment", "themes"), (Feedback.__table__.c.created_at, "feedback message")),
    **dict.fromkeys(("first_response", "resolution", "sla", "backlog"), (QueueItem.__table__.c.created_at, "queue item")),
    **dict.fromkeys(("active", "funnel", "retention", "churn", "workforce"), (Activity.__table__.c.day, "day of activity")),
}


@dataclass(frozen=True)
class Window:
    """The days a metric covers and why: asked for, or the 28 days to its source's latest moment."""

    start: dt.date
    end: dt.date
    reason: str

    def describe(self) -> str:
        """One line for stderr, e.g. "window: 2026-10-24 – 2026-11-20 (28 days to the latest survey response)"."""
        days = (self.end - self.start).days + 1
        return f"window: {self.start} – {self.end} ({days} day{'s' if days != 1 else ''} {self.reason})"


def latest_of_source(engine: Engine, name: str) -> pd.Timestamp | None:
    """The latest moment of a metric's own source (None when it has no rows), never after the present."""
    column, _ = SOURCES[name]
    with engine.connect() as connection:
        latest = connection.execute(select(func.max(column))).scalar()
    if latest is None:
        return None
    return min(as_timestamp(latest), timeline.present())


def metric_window(engine: Engine, name: str, start: str | None = None, end: str | None = None) -> Window:
    """The window of one metric: --from/--to where given, else the 28 days to the latest row of its source."""
    latest, (_, label) = latest_of_source(engine, name), SOURCES[name]
    if end is not None:
        end_day, reason = _day(end, None), "as asked"
    elif latest is not None:
        end_day, reason = latest.date(), f"to the latest {label}"
    else:
        end_day, reason = timeline.present().date(), f"to today: no {label} yet"
    start_day = _day(start, end_day - dt.timedelta(days=DEFAULT_DAYS - 1))
    if start_day > end_day:
        raise UnknownMetric(f"--from {start_day} is after --to {end_day}.")
    return Window(start_day, end_day, reason)


def compute_metric(engine: Engine, name: str, *, start: str | None = None, end: str | None = None,
                   by: str | None = None, window: Window | None = None) -> pd.DataFrame:
    """One named metric over [start, end] (default: the 28 days ending at the latest row of its own source)."""
    if name not in METRICS:
        raise UnknownMetric(f"Unknown metric '{name}'. Known: {', '.join(sorted(METRICS))}.")
    window = window or metric_window(engine, name, start, end)
    if by is not None:
        _check_grouping(engine, name, by)
    return metric_function(name)(engine, window.start, window.end, by)


def _check_grouping(engine: Engine, name: str, by: str) -> None:
    """A clear error for a --by that is neither a column of the metric's rows nor an attribute an import kept."""
    tables = [SOURCES[name][0].table, Member.__table__]
    if any(by in table.c and by != "attributes" for table in tables) or (by == "tenure" and name in COMMUNITY):
        return
    with engine.connect() as connection:
        for table in (t for t in tables if "attributes" in t.c):
            kept = table.c.attributes[by].as_string()
            if connection.execute(select(kept).where(kept.is_not(None)).limit(1)).first() is not None:
                return
    names = ", ".join(sorted({c.name for t in tables for c in t.c} - {"attributes"}))
    raise UnknownMetric(f"Cannot group {name} by {by}: it is neither one of its columns ({names}) "
                        f"nor an extra column an import kept.")


def print_metric(args) -> int:
    """Compute one named metric, say its window on stderr, and print it as a table, JSON or CSV."""
    engine = make_engine()
    if args.name not in METRICS:
        raise UnknownMetric(f"Unknown metric '{args.name}'. Known: {', '.join(sorted(METRICS))}.")
    window = metric_window(engine, args.name, args.from_, args.to)
    print(window.describe(), file=sys.stderr)
    frame = compute_metric(engine, args.name, by=args.by, window=window)
    for column in frame.columns:  # calendar days print as YYYY-MM-DD, not as midnight timestamps
        if frame[column].dtype.kind == "M" and getattr(frame[column].dt, "tz", None) is None:
            frame[column] = frame[column].dt.strftime("%Y-%m-%d")
    if args.format == "json":
        print(frame.to_json(orient="records", date_format="iso"))
    elif args.format == "csv":
        sys.stdout.write(to_safe_csv(frame).decode("utf-8"))
    else:
        print(frame.to_string(index=False) if not frame.empty else "(no rows)")
    return 0
