"""`python -m core metrics NAME`: each metric of DESIGN §6 as one DataFrame with the contract's fields."""

import datetime as dt
from collections.abc import Callable

import pandas as pd
from sqlalchemy import Engine

from core import timeline
from core.db import make_engine
from core.errors import UnknownMetric
from core.feedback import surveys, voice
from core.feedback.messages import MessageScope
from core.feedback.read import load_responses
from core.health import active as health
from core.health.crowd import Churn, Crowd
from core.queues.facts import QueueFacts
from core.queues.views import backlog, response_time_summary
from core.workforce import read as workforce

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


def _facts(engine, start, end) -> QueueFacts:
    """The SLA facts of the items created from 30 days before start (they may still be open in the range) to end."""
    lo, hi = _bounds(start, end)
    return QueueFacts(engine, min(hi, timeline.data_as_of(engine)), start=lo - pd.Timedelta(days=30), end=hi)


def _sla(engine, start, end, by):
    lo, hi = _bounds(start, end)
    return _facts(engine, start, end).compliance(due_from=lo, due_to=hi, by=by)


def _response(engine, start, end, by, kind):
    lo, hi = _bounds(start, end)
    items = _facts(engine, start, end).durations(created_from=lo, created_to=hi, by=by, kinds=(kind,))
    return response_time_summary(items, kind, by)


def _backlog(engine, start, end, by):
    facts = _facts(engine, start, end)
    return backlog(facts.live, facts.now, by=by or "queue", values=facts.values(by or "queue"))


def _member_frames(engine, start, end):
    members = health.load_community(engine)
    days = health.load_active_days(engine, start=start - dt.timedelta(days=150), end=end)
    return members, days


def _messages(engine, start, end):
    lo, hi = _bounds(start, end)
    return MessageScope(engine, start=lo, end=hi)


def _responses(engine, start, end):
    lo, hi = _bounds(start, end)
    frame = load_responses(engine)
    return frame[(frame["submitted_at"] >= lo) & (frame["submitted_at"] < hi)]


def _active(engine, start, end, by):
    members, days = _member_frames(engine, start, end)
    if by:
        raise UnknownMetric("metrics active has no --by: filter the people instead.")
    return Crowd(members, days).active_users(start, end)


def _funnel(engine, start, end, by):
    members, days = _member_frames(engine, start, end)
    signups = members[members["signed_up_at"] >= pd.Timestamp(start, tz="UTC")]
    return Crowd(signups, days).onboarding_funnel(end)


def _retention(engine, start, end, by):
    members, days = _member_frames(engine, start, end)
    cohorts = Crowd(members, days).retention_cohorts(as_of=end)
    return cohorts[cohorts["cohort_week"] >= pd.Timestamp(start)]


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
    "sentiment": lambda e, s, t, by: voice.sentiment_summary(_messages(e, s, t), by),
    "nps": lambda e, s, t, by: surveys.nps(_responses(e, s, t), by),
    "csat": lambda e, s, t, by: surveys.csat(_responses(e, s, t), by),
    "themes": lambda e, s, t, by: voice.theme_summary(_messages(e, s, t), by),
    "workforce": lambda e, s, t, by: workforce.load_workforce_table(e, start=s, end=t, by=by or "project_id"),
}


def compute_metric(engine: Engine, name: str, *, start: str | None = None, end: str | None = None,
                   by: str | None = None) -> pd.DataFrame:
    """One named metric over [start, end] (default: the 28 days ending on the data's last day)."""
    if name not in METRICS:
        raise UnknownMetric(f"Unknown metric '{name}'. Known: {', '.join(sorted(METRICS))}.")
    last = timeline.data_as_of(engine).date()
    end_day = _day(end, last)
    start_day = _day(start, end_day - dt.timedelta(days=DEFAULT_DAYS - 1))
    if start_day > end_day:
        raise UnknownMetric(f"--from {start_day} is after --to {end_day}.")
    return METRICS[name](engine, start_day, end_day, by)


def print_metric(args) -> int:
    """Compute one named metric and print it as a table, JSON or CSV."""
    frame = compute_metric(make_engine(), args.name, start=args.from_, end=args.to, by=args.by)
    for column in frame.columns:  # calendar days print as YYYY-MM-DD, not as midnight timestamps
        if frame[column].dtype.kind == "M" and getattr(frame[column].dt, "tz", None) is None:
            frame[column] = frame[column].dt.strftime("%Y-%m-%d")
    if args.format == "json":
        print(frame.to_json(orient="records", date_format="iso"))
    elif args.format == "csv":
        print(frame.to_csv(index=False), end="")
    else:
        print(frame.to_string(index=False) if not frame.empty else "(no rows)")
    return 0
