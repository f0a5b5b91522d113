"""Small factories for metric tests: one row dict per `make_*`, one typed DataFrame per plural name."""

import copy
import itertools

import pandas as pd
from sqlalchemy import Engine

from core.frames import as_days, as_utc

_ids = itertools.count(1)


def utc(text: str | None) -> pd.Timestamp | None:
    """A UTC timestamp from 'YYYY-MM-DD HH:MM' text (None stays None)."""
    return None if text is None else pd.Timestamp(text, tz="UTC")


def day(text: str) -> pd.Timestamp:
    """A calendar day as the tz-naive midnight Timestamp the metrics use."""
    return pd.Timestamp(text)


def _row(defaults: dict, overrides: dict, **fresh_ids: str) -> dict:
    """A copy of defaults with a new id (prefix + counter) in each fresh_ids column, then the overrides."""
    fresh = {column: f"{prefix}{next(_ids)}" for column, prefix in fresh_ids.items()}
    return copy.deepcopy(defaults) | fresh | overrides


def _frame(rows, defaults: dict, timestamps=(), days=()) -> pd.DataFrame:
    frame = pd.DataFrame(list(rows), columns=list(defaults))
    for name in timestamps:
        frame[name] = as_utc(frame[name])
    for name in days:
        frame[name] = as_days(frame[name])
    return frame


# --- queues -------------------------------------------------------------------------------------

QUEUE_ITEM_TIMESTAMPS = ("created_at", "first_response_at", "resolved_at", "due_at", "updated_at")


QUEUE_ITEM_ROW = {
    "item_id": None,  # replaced by a fresh id in each row
    "queue": "review",
    "project_id": "p1",
    "member_id": "m1",
    "category": None,
    "priority": "normal",
    "status": "open",
    "created_at": "2026-11-02 08:00",
    "first_response_at": None,
    "resolved_at": None,
    "due_at": None,
    "updated_at": None,
    "assignee": None,
    "retries": 0,
    "last_error": None,
    "escalation_reason": None,
    "owner_team": None,
    "version": 1,
    "region": "EMEA",
    "country": "DE",
}


def make_queue_item(**overrides) -> dict:
    """A review item created 2026-11-02 08:00 UTC, open, normal priority."""
    return _row(QUEUE_ITEM_ROW, overrides, item_id="q")


def queue_items(*rows: dict) -> pd.DataFrame:
    """Queue items typed like `load_queue_items` returns them."""
    return _frame(rows, make_queue_item(), timestamps=QUEUE_ITEM_TIMESTAMPS)


POLICY_ROW = {
    "id": None,
    "queue": "review",
    "priority": "normal",
    "first_response_minutes": 60,
    "resolution_minutes": 480,
    "business_hours": False,
    "timezone": "UTC",
    "schedule": {},
    "pause_statuses": [],
    "holidays": [],
}


def make_policy(**overrides) -> dict:
    """A calendar-time SLA policy: review/normal resolved within 8 hours."""
    return _row(POLICY_ROW, overrides)


def policies(*rows: dict) -> pd.DataFrame:
    """SLA policies typed like `load_policies` returns them."""
    return _frame(rows, make_policy())


# --- members and activity -----------------------------------------------------------------------

MEMBER_TIMESTAMPS = ("signed_up_at", "onboarded_at", "activated_at")


MEMBER_ROW = {
    "member_id": None,  # replaced by a fresh id in each row
    "handle": None,
    "email": None,
    "country": "DE",
    "region": "EMEA",
    "timezone": "Europe/Berlin",
    "language": "de",
    "vendor": None,
    "status": "active",
    "signed_up_at": "2026-09-01 09:00",
    "onboarded_at": "2026-09-01 10:00",
    "activated_at": None,
    "is_staff": False,
    "is_bot": False,
}


def make_member(**overrides) -> dict:
    """A non-staff tasker in Germany who signed up and onboarded on 2026-09-01."""
    return _row(MEMBER_ROW, overrides, member_id="m")


def members(*rows: dict) -> pd.DataFrame:
    """Members typed like `load_members` returns them."""
    return _frame(rows, make_member(), timestamps=MEMBER_TIMESTAMPS)


def member_days(*pairs: tuple[str, str]) -> pd.DataFrame:
    """Active (member_id, day) pairs typed like `load_daily_active` returns them."""
    frame = pd.DataFrame(list(pairs), columns=["member_id", "day"])
    frame["day"] = as_days(frame["day"])
    return frame


ACTIVITY_ROW = {
    "member_id": "m1",
    "project_id": "p1",
    "day": "2026-11-02",
    "tasks_submitted": 10,
    "tasks_approved": 8,
    "tasks_rejected": 2,
    "tasks_skipped": 0,
    "tasks_too_fast": 0,
    "handle_seconds": 600.0,
    "active_minutes": 20.0,
    "questions": 0,
    "country": "DE",
    "region": "EMEA",
    "vendor": None,
}


def make_activity(**overrides) -> dict:
    """One tasker-day on p1: 10 submitted, 8 approved, 2 rejected, 60 s each, 20 active minutes."""
    return _row(ACTIVITY_ROW, overrides)


def activity(*rows: dict) -> pd.DataFrame:
    """Activity rows typed like `load_activity` returns them."""
    return _frame(rows, make_activity(), days=("day",))


PROJECT_ROW = {
    "project_id": "p1",
    "name": "Search relevance",
    "kind": "evaluation",
    "status": "live",
    "launch_at": None,
    "guideline_version": None,
    "guideline_updated_at": None,
}


def make_project(**overrides) -> dict:
    """A live project with no launch or guideline change recorded."""
    return _row(PROJECT_ROW, overrides)


def projects(*rows: dict) -> pd.DataFrame:
    """Projects typed with UTC timestamps."""
    return _frame(rows, make_project(), timestamps=("launch_at", "guideline_updated_at"))


# --- voice of the crowd -------------------------------------------------------------------------


FEEDBACK_ROW = {
    "feedback_id": None,  # replaced by a fresh id in each row
    "channel": "slack",
    "member_id": "m1",
    "project_id": "p1",
    "created_at": "2026-11-02 08:00",
    "text": "ok",
    "author_is_staff": False,
    "language": "en",
    "sentiment": 0.0,
    "themes": [],
    "sentiment_override": None,
    "themes_override": None,
    "triage_status": "new",
    "country": "DE",
    "region": "EMEA",
}


def make_feedback(**overrides) -> dict:
    """A neutral Slack message about p1."""
    return _row(FEEDBACK_ROW, overrides, feedback_id="f")


def feedback(*rows: dict) -> pd.DataFrame:
    """Feedback typed like `load_feedback` returns it."""
    return _frame(rows, make_feedback(), timestamps=("created_at",))


RESPONSE_ROW = {
    "response_id": None,  # replaced by a fresh id in each row
    "survey_id": "s1",
    "member_id": "m1",
    "submitted_at": "2026-11-02 08:00",
    "score": 8,
    "csat": None,
    "comment": None,
    "language": "en",
    "sentiment": None,
    "themes": [],
    "country": "DE",
    "region": "EMEA",
}


def make_response(**overrides) -> dict:
    """An NPS answer of 8 with no CSAT rating."""
    return _row(RESPONSE_ROW, overrides, response_id="r")


def responses(*rows: dict) -> pd.DataFrame:
    """Survey responses typed like `load_responses` returns them (nullable integer scores)."""
    frame = _frame(rows, make_response(), timestamps=("submitted_at",))
    frame["score"] = frame["score"].astype("Int64")
    frame["csat"] = frame["csat"].astype("Int64")
    return frame


# --- databases ----------------------------------------------------------------------------------


def stored(engine: Engine, *rows) -> Engine:
    """The test's `engine` after saving the given SQLModel rows in order (parents before children)."""
    from core.db import session_scope

    with session_scope(engine) as session:
        for row in rows:
            session.add(row)
            session.flush()
    return engine
