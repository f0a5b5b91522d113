"""Starting a message in one call: a template filled for an audience, the audience saved, the draft opened."""

import pandas as pd
import pytest

from core.comms import workflow
from core.comms.audience import filtered_audience, handed_over_audience
from core.comms.drafting import draft_for_segment, message_moment
from core.comms.errors import NotAllowed, TemplateProblem
from core.comms.templates import MessageTemplate
from tests.core.comms.staff import store_staff

TODAY = pd.Timestamp("2026-11-22 09:00", tz="UTC")
BASE = pd.DataFrame({
    "member_id": ["a", "b", "c"],
    "timezone": ["America/Sao_Paulo", "Asia/Kolkata", "Asia/Kolkata"],
    "language": ["pt", "en", "en"],
    "status": ["active", "active", "inactive"],
    "projects": [("p03",), ("p01",), ()],
})
HELLO = MessageTemplate(key="hello", title="Hello", channel="slack", subject="Hi {{ audience.label }}",
                        body="Dear {{ audience.recipients }} readers in {{ audience.time_zones }} zones. "
                             "{{ sender.name }}")
SPECIALIST = dict(author="priya@example.com")


@pytest.fixture(autouse=True)
def staff(engine):
    """Staff accounts: core takes each writer's role from who they are (issue 16)."""
    return store_staff(engine)


def test_a_handed_over_audience_gets_a_filled_draft_on_a_segment_saved_under_its_label(engine):
    audience = handed_over_audience(BASE, ["a", "b"], "fatigued taskers")
    draft = draft_for_segment(engine=engine, template=HELLO, segment=audience, title="Check-in", signer="Ana",
                              today=TODAY, **SPECIALIST)
    assert (draft.title, draft.template, draft.channel, draft.status, draft.version) == (
        "Check-in", "hello", "slack", "draft", 1)
    assert (draft.versions["en"].subject, draft.versions["en"].body) == (
        "Hi fatigued taskers", "Dear 2 readers in 2 zones. Ana")
    segment = workflow.list_segments(engine).set_index("id").loc[draft.segment_id]
    assert (segment["name"], segment["member_ids"]) == ("fatigued taskers · 22 Nov 2026", ["a", "b"])
    assert draft.context == {"audience_label": "fatigued taskers"}
    assert workflow.history(engine, draft.id)["action"].tolist() == ["create"]


def test_the_edited_template_source_and_channel_win_over_the_template(engine):
    audience = filtered_audience(BASE, {"statuses": ["active"], "languages": ["en"]})
    draft = draft_for_segment(engine=engine, template=HELLO, segment=audience, title="Edited", channel="email",
                              subject_source="To {{ audience.label }}", body_source="{{ audience.recipients }} of you.",
                              today=TODAY, **SPECIALIST)
    assert draft.channel == "email"
    assert (draft.versions["en"].subject, draft.versions["en"].body) == ("To active taskers · language en", "1 of you.")
    segment = workflow.list_segments(engine).set_index("id").loc[draft.segment_id]
    assert segment["filters"] == {"statuses": ["active"], "languages": ["en"]}


def test_a_template_that_cannot_be_filled_saves_neither_segment_nor_draft(engine):
    broken = MessageTemplate(key="broken", title="Broken", subject="Hi", body="{{ missing.value }}")
    with pytest.raises(TemplateProblem):
        draft_for_segment(engine=engine, template=broken, segment=handed_over_audience(BASE, ["a"], "one"),
                          title="Broken", today=TODAY, **SPECIALIST)
    assert workflow.list_drafts(engine).empty and workflow.list_segments(engine).empty


def test_a_viewer_may_not_start_a_draft(engine):
    with pytest.raises(NotAllowed, match="Only a specialist or above"):
        draft_for_segment(engine=engine, template=HELLO, segment=handed_over_audience(BASE, ["a"], "one"),
                          title="No", today=TODAY, author="sam@example.com")
    assert workflow.list_drafts(engine).empty


DEADLINE = pd.Timestamp("2026-11-29 17:00", tz="UTC")
EVENT_START = pd.Timestamp("2026-11-30 14:00", tz="UTC")
LAUNCH = pd.Timestamp("2026-12-01 08:00", tz="UTC")


@pytest.mark.parametrize(("deadline", "event", "project", "expected"), [
    (DEADLINE, {"starts_at": EVENT_START}, {"launch_at": LAUNCH}, DEADLINE),
    (None, {"starts_at": EVENT_START}, {"launch_at": LAUNCH}, EVENT_START),
    (None, None, {"launch_at": LAUNCH}, LAUNCH),
    (None, None, {"launch_at": pd.NaT}, None),
    (None, None, None, None),
])
def test_the_moment_a_message_talks_about_is_its_deadline_then_event_then_launch(deadline, event, project, expected):
    assert message_moment(deadline=deadline, event=event, project=project) == expected
