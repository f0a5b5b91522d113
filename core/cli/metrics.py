"""`python -m core metrics NAME`: each metric of DESIGN §6 as one DataFrame with the contract's fields."""

import datetime as dt
import sys
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Engine, func, select

from core import timeline
from core.db import make_engine
from core.errors import UnknownMetric
from core.exports import to_safe_csv
from core.feedback import surveys, voice
from core.feedback.messages import MessageScope
from core.feedback.read import load_responses
from core.health import active as health
from core.health.breakdowns import per_group
from core.health.crowd import Churn, Crowd
from core.frames import as_timestamp, read_frame
from core.queues.facts import QueueFacts, group_column
from core.queues.views import backlog, response_time_summary
from core.models import Activity, Feedback, Member, QueueItem, SurveyResponse
from core.workforce import read as workforce
from core.workforce.quality import workforce_table

DEFAULT_DAYS = 28


def _day(value: str | None, default: dt.date) -> dt.date:
    if value is None:
        return default
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise UnknownMetric(f"'{value}' is not a day: write it as YYYY-MM-DD.") from exc


def _bounds(start: dt.date, end: dt.date) -> tuple[pd.Timestamp, pd.Timestamp]:
    return pd.Timestamp(start, tz="UTC"), pd.Timestamp(end, tz="UTC") + pd.Timedelta(days=1)


def _facts(engine, by=None) -> QueueFacts:
    """The SLA facts of every item at the present, as the Queues page reads them: "now" figures (backlog, at risk)
    describe the present whatever the window, and each history figure applies the window itself (clocks due in it,
    items created in it); grouped by an imported attribute, the open items carry it too."""
    facts = QueueFacts(engine, timeline.present_minute())
    if by is None or by in facts.live.columns:
        return facts
    item, member = QueueItem.__table__, Member.__table__
    values = read_frame(engine, select(item.c.item_id, group_column(by).label(by))
                        .select_from(item.outerjoin(member, member.c.member_id == item.c.member_id))
                        .where(item.c.item_id.in_(facts.live["item_id"].tolist())))
    live = facts.live.merge(values, on="item_id", how="left")
    return QueueFacts(engine, facts.now, **facts.scope, live=live)


def _sla(engine, start, end, by):
    lo, hi = _bounds(start, end)
    return _facts(engine, by).compliance(due_from=lo, due_to=hi, by=by)


def _response(engine, start, end, by, kind):
    lo, hi = _bounds(start, end)
    items = _facts(engine, by).durations(created_from=lo, created_to=hi, by=by, kinds=(kind,))
    return response_time_summary(items, kind, by)


def _backlog(engine, start, end, by):
    facts = _facts(engine, by)
    return backlog(facts.live, facts.now, by=by or "queue", values=facts.values(by or "queue"))


def _member_frames(engine, start, end, by=None):
    """Community members (with the tasker column or imported attribute `by`) and their active days."""
    if by is not None and by in Activity.__table__.c and by not in Member.__table__.c:
        raise UnknownMetric(f"Community metrics group taskers by one of their columns or imported attributes "
                            f"(country, vendor, language, tenure…), not by {by}: try `metrics workforce --by {by}`.")
    tasker_column = by is not None and by in Member.__table__.c and by != "attributes"
    members = health.load_community(engine, columns=[by] if tasker_column else [])
    if by not in (None, "tenure") and not tasker_column:
        members = _with_member_attribute(engine, members, by)
    days = health.load_active_days(engine, start=start - dt.timedelta(days=150), end=end)
    return members, days


def _by_group(crowd: Crowd, by, end, measure) -> pd.DataFrame:
    """The measure of the whole crowd, or one block of rows per group of taskers (the group column first)."""
    return measure(crowd) if by is None else per_group(crowd, by, end, measure)


def _messages(engine, start, end):
    lo, hi = _bounds(start, end)
    return MessageScope(engine, start=lo, end=hi)


def _responses(engine, start, end, by=None):
    """Survey responses submitted in the window: counted in SQL when grouped by a wave or a segment the roll-up has,
    else the rows (grouped by a respondent's imported attribute, they carry it)."""
    lo, hi = _bounds(start, end)
    if by is None or by in surveys.ResponseScope.COUNTS_BY:
        return surveys.ResponseScope(engine, start=lo, end=hi)
    frame = load_responses(engine, with_comments=False)
    frame = frame[(frame["submitted_at"] >= lo) & (frame["submitted_at"] < hi)]
    return _with_member_attribute(engine, frame, by)


def _with_member_attribute(engine, frame: pd.DataFrame, by: str | None) -> pd.DataFrame:
    """The rows with their tasker's imported attribute `by` as a column, when they lack a column of that name."""
    if by is None or by in frame.columns:
        return frame
    member = Member.__table__
    values = read_frame(engine, select(member.c.member_id, member.c.attributes[by].as_string().label(by))
                        .where(member.c.member_id.in_(frame["member_id"].dropna().unique().tolist())))
    return frame.merge(values, on="member_id", how="left")


def _workforce(engine, start, end, by):
    """Volumes and rates per project (default), vendor, tasker, any activity or member column or member attribute."""
    by = by or "project_id"
    if by in Activity.__table__.c or by in ("vendor", "country", "region"):
        return workforce.load_workforce_table(engine, start=start, end=end, by=by)
    rows = _with_member_attribute(engine, workforce.load_activity(engine, start=start, end=end), by)
    return workforce_table(rows, by)


def _active(engine, start, end, by):
    members, days = _member_frames(engine, start, end, by)
    return _by_group(Crowd(members, days), by, end, lambda crowd: crowd.active_users(start, end))


def _funnel(engine, start, end, by):
    members, days = _member_frames(engine, start, end, by)
    signups = members[members["signed_up_at"] >= pd.Timestamp(start, tz="UTC")]
    return _by_group(Crowd(signups, days), by, end, lambda crowd: crowd.onboarding_funnel(end))


def _retention(engine, start, end, by):
    members, days = _member_frames(engine, start, end, by)
    cohorts = _by_group(Crowd(members, days), by, end, lambda crowd: crowd.retention_cohorts(as_of=end))
    return cohorts[cohorts["cohort_week"] >= pd.Timestamp(start)].reset_index(drop=True)


def _churn(engine, start, end, by):
    members, days = _member_frames(engine, start, end)
    result = Churn.of(Crowd(members, days), end)
    return pd.DataFrame([{"previous_active": result.previous_active, "retained": result.retained,
                          "churned": result.churned, "rate": result.rate}])


METRICS: dict[str, Callable] = {
    "first_response": lambda e, s, t, by: _response(e, s, t, by, "first_response"),
    "resolution": lambda e, s, t, by: _response(e, s, t, by, "resolution"),
    "sla": _sla,
    "backlog": _backlog,
    "active": _active,
    "funnel": _funnel,
    "retention": _retention,
    "churn": _churn,
    "sentiment": lambda e, s, t, by: voice.sentiment_with_languages(_messages(e, s, t), by),
    "nps": lambda e, s, t, by: surveys.nps(_responses(e, s, t, by), by),
    "csat": lambda e, s, t, by: surveys.csat(_responses(e, s, t, by), by),
    "themes": lambda e, s, t, by: voice.theme_summary(_messages(e, s, t), by),
    "workforce": _workforce,
}


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
    return METRICS[name](engine, window.start, window.end, by)


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
