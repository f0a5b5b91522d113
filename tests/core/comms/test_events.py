"""Events: turnout after the fact, who an announcement reaches, events entered by hand."""

import pandas as pd
import pytest

from core.comms import events
from core.comms.errors import InvalidTransition, NotAllowed
from core.models import AuditEvent, Event
from tests.core.factories import stored

NOW = pd.Timestamp("2026-11-22 09:00", tz="UTC")


def frame(*rows) -> pd.DataFrame:
    """Events as `load_events` returns them."""
    out = pd.DataFrame(list(rows), columns=["event_id", "title", "starts_at", "duration_minutes", "audience",
                                            "registrations", "attendance"])
    out["starts_at"] = pd.to_datetime(out["starts_at"], utc=True)
    return out


def test_turnout_is_attendance_over_registrations_only_once_the_event_is_over():
    table = events.event_turnout(frame(
        ("e1", "Past", "2026-11-20 14:00", 60, "all taskers", 200, 90),
        ("e2", "Running now", "2026-11-22 08:30", 60, "all taskers", 100, None),
        ("e3", "Next week", "2026-11-29 09:00", 60, "all taskers", 50, None),
        ("e4", "Nobody registered", "2026-11-01 09:00", 60, "all taskers", 0, 3)), NOW)
    assert table["when"].tolist() == ["past", "upcoming", "upcoming", "past"]
    assert table["attendance_rate"].iloc[0] == 0.45
    assert table["attendance_rate"].iloc[1:].isna().all()
    assert table["days_away"].tolist() == [-1.8, -0.0, 7.0, -21.0]


def test_an_event_reaches_its_segment_or_every_active_tasker():
    base = pd.DataFrame({"member_id": ["a", "b", "c"], "status": ["active", "active", "inactive"],
                         "language": ["es", "en", "es"], "country": None, "region": None, "vendor": None,
                         "timezone": None, "projects": [(), (), ()]})
    segments = pd.DataFrame({"name": ["Spanish readers"], "filters": [{"languages": ["es"]}], "member_ids": [[]]})
    assert events.event_audience(base, "Spanish readers", segments)["member_id"].tolist() == ["a"]
    assert events.event_audience(base, "all taskers", segments)["member_id"].tolist() == ["a", "b"]


def test_an_event_entered_by_hand_gets_the_next_id_and_an_audit_event(engine):
    stored(engine, Event(event_id="e001", title="Old", starts_at=NOW.to_pydatetime()))
    event_id = events.add_event(engine, title=" Office hours ", starts_at=pd.Timestamp("2026-12-01 15:00", tz="UTC"),
                                duration_minutes=45, actor="priya", role="specialist")
    loaded = events.load_events(engine).set_index("event_id")
    assert event_id == "e002"
    assert (loaded.loc["e002", "title"], loaded.loc["e002", "duration_minutes"], str(loaded.loc["e002", "starts_at"])) \
        == ("Office hours", 45, "2026-12-01 15:00:00+00:00")
    events.record_turnout(engine, "e002", registrations=80, attendance=35, actor="priya", role="specialist")
    assert events.load_events(engine).set_index("event_id").loc["e002", "attendance"] == 35
    from sqlmodel import Session, select
    with Session(engine) as session:
        assert [a.action for a in session.exec(select(AuditEvent).where(AuditEvent.entity == "event"))] == \
            ["create", "turnout"]


def test_adding_an_event_needs_a_title_and_a_role(engine):
    with pytest.raises(InvalidTransition, match="title"):
        events.add_event(engine, title=" ", starts_at=NOW, duration_minutes=30, actor="p", role="specialist")
    with pytest.raises(NotAllowed):
        events.add_event(engine, title="x", starts_at=NOW, duration_minutes=30, actor="s", role="viewer")


def test_upcoming_events_come_soonest_first_and_past_ones_as_listed():
    listed = pd.DataFrame({"event_id": ["e3", "e2", "e1", "e0"], "when": ["upcoming", "upcoming", "past", "past"],
                           "starts_at": pd.to_datetime(["2026-12-09", "2026-12-01", "2026-11-10", "2026-11-01"],
                                                       utc=True)})
    upcoming, past = events.upcoming_and_past(listed)
    assert (upcoming["event_id"].tolist(), past["event_id"].tolist()) == (["e2", "e3"], ["e1", "e0"])


def test_an_audience_naming_no_saved_segment_is_refused_not_sent_to_everyone():
    base = pd.DataFrame({"member_id": ["a", "b"], "status": ["active", "active"], "language": ["es", "en"],
                         "country": None, "region": None, "vendor": None, "timezone": None, "projects": [(), ()]})
    segments = pd.DataFrame({"name": ["Spanish readers"], "filters": [{"languages": ["es"]}], "member_ids": [[]]})
    with pytest.raises(events.UnknownAudience, match="audience 'New joiners EU' is not a saved segment, so it is "
                                                     "announced to no one"):
        events.event_audience(base, "New joiners EU", segments)
    with pytest.raises(events.UnknownAudience):
        events.event_audience(base, "Spanish readers", segments.iloc[0:0])  # the segment was deleted
    assert events.event_audience(base, "", segments)["member_id"].tolist() == ["a", "b"]
    assert events.event_audience(base, "All taskers", segments)["member_id"].tolist() == ["a", "b"]
