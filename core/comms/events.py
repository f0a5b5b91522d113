"""Community events (webinars, office hours, challenges): the list, turnout, and who an announcement reaches."""

import pandas as pd
from sqlalchemy import Engine, text
from sqlmodel import func, select

from core.comms.audience import segment_members, select_audience
from core.comms import timezones
from core.comms.errors import InvalidTransition, SegmentProblem
from core.people import require
from core.db import bump_data_version, session_scope
from core.frames import read_frame
from core.models import AuditEvent, Event

ALL_TASKERS = "all taskers"


def load_events(engine: Engine) -> pd.DataFrame:
    """Every event, soonest last: id, title, start (UTC), duration, audience, registrations, attendance."""
    return read_frame(engine, text(
        "SELECT event_id, title, starts_at, duration_minutes, audience, registrations, attendance "
        "FROM event ORDER BY starts_at DESC, event_id"), timestamps=("starts_at",))


def event_turnout(events: pd.DataFrame, now) -> pd.DataFrame:
    """Events with upcoming/past, days away and attendance as a share of registrations (past events only)."""
    now = pd.Timestamp(now)
    out = events.copy()
    ends = out["starts_at"] + pd.to_timedelta(out["duration_minutes"].fillna(60), unit="m")
    out["when"] = (ends < now).map({True: "past", False: "upcoming"})
    out["days_away"] = ((out["starts_at"] - now).dt.total_seconds() / 86400).round(1)
    registered = out["registrations"].astype(float).where(out["registrations"] > 0)
    out["attendance_rate"] = (out["attendance"].astype(float) / registered).where(out["when"] == "past")
    return out


class UnknownAudience(SegmentProblem):
    """An event's audience names no saved segment (an imported event, or a segment since renamed)."""


def event_audience(base: pd.DataFrame, audience: str | None, segments: pd.DataFrame, *, now=None) -> pd.DataFrame:
    """The members an event is for: the saved segment of that name, or every active tasker when the audience is
    'all taskers' (or blank). Any other name is refused: it once sent such events to everyone."""
    name = (audience or "").strip()
    if not name or name.lower() == ALL_TASKERS:
        return select_audience(base)
    saved = segments[segments["name"] == name] if not segments.empty else segments
    if saved.empty:
        raise UnknownAudience(
            f"The event's audience '{name}' is not a saved segment, so it is announced to no one (not to every "
            f"tasker). Save a segment called '{name}' (from any member list, 'Save as segment'), or add the event "
            f"again for '{ALL_TASKERS}' or a saved segment.")
    segment = saved.iloc[0]
    return segment_members(base, filters=segment["filters"], member_ids=segment["member_ids"], now=now)


def add_event(engine: Engine, *, title: str, starts_at, duration_minutes: int, actor: str,
              audience: str = ALL_TASKERS, registrations: int = 0) -> str:
    """Enter an event by hand; returns its id (e + the next number)."""
    require(engine, actor, "specialist", "add an event")
    if not title.strip():
        raise InvalidTransition("Give the event a title.")
    if duration_minutes <= 0:
        raise InvalidTransition("An event lasts at least one minute.")
    starts = timezones.as_utc(starts_at)
    with session_scope(engine) as session:
        count = session.exec(select(func.count()).select_from(Event)).one()
        taken = set(session.exec(select(Event.event_id)).all())
        number = count + 1
        while f"e{number:03d}" in taken:
            number += 1
        event_id = f"e{number:03d}"
        session.add(Event(event_id=event_id, title=title.strip(), starts_at=starts, duration_minutes=duration_minutes,
                          audience=audience or ALL_TASKERS, registrations=int(registrations)))
        session.add(AuditEvent(actor=actor, action="create", entity="event", entity_id=event_id,
                               after={"title": title.strip(), "starts_at": starts.isoformat(),
                                      "duration_minutes": duration_minutes, "audience": audience}))
        bump_data_version(session, "comms", "admin")
    return event_id


def record_turnout(engine: Engine, event_id: str, *, registrations: int | None = None, attendance: int | None = None,
                   actor: str) -> None:
    """Record an event's registrations and/or attendance."""
    require(engine, actor, "specialist", "record event turnout")
    with session_scope(engine) as session:
        event = session.get(Event, event_id)
        if event is None:
            raise InvalidTransition(f"There is no event {event_id}.")
        before = {"registrations": event.registrations, "attendance": event.attendance}
        if registrations is not None:
            event.registrations = int(registrations)
        if attendance is not None:
            event.attendance = int(attendance)
        session.add(event)
        session.add(AuditEvent(actor=actor, action="turnout", entity="event", entity_id=event_id, before=before,
                               after={"registrations": event.registrations, "attendance": event.attendance}))
        bump_data_version(session, "comms", "admin")


def event_record(events: pd.DataFrame, event_id: str) -> dict:
    """One event as a plain dict (for template variables)."""
    row = events[events["event_id"] == event_id].iloc[0]
    return {k: (None if not isinstance(v, (list, tuple)) and pd.isna(v) else v) for k, v in row.to_dict().items()}


def upcoming_and_past(events: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Events still to come (soonest first) and those over (as listed), from `event_turnout`'s `when`."""
    return events[events["when"] == "upcoming"].sort_values("starts_at"), events[events["when"] == "past"]
