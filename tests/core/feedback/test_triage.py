import datetime as dt

import pytest
from sqlalchemy import text
from sqlmodel import Session, select

from core import models
from core.db import data_version
from core.errors import NotAllowed
from core.feedback.triage import (
    UNCHANGED,
    FeedbackNotFound,
    InvalidFeedbackEdit,
    StaleFeedback,
    adopt_theme,
    adopted_themes,
    current_taxonomy,
    override_scores,
    retire_theme,
    sentiment_for_label,
    triage_messages,
)
from core.feedback import rollup as feedback_rollup
from core.feedback.messages import MessageScope
from core.feedback.read import load_feedback
from core.feedback.sentiment import NEGATIVE_THRESHOLD, POSITIVE_THRESHOLD
from core.feedback.surveys import ResponseScope, theme_nps_impact
from core.feedback.voice import sentiment_summary, theme_summary
from core.feedback.themes import InvalidTheme
from tests.core.factories import stored

AT = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)
ME = {"actor": "ana@example.org"}  # a specialist: core reads the role from her staff account (issue 16)
VIEWER = "v@example.org"


@pytest.fixture
def voices(engine):
    """Three messages (two about pay), a queue item, and a survey with four answers, with their roll-up; the staff."""
    stored(
        engine,
        models.Person(email=ME["actor"], name="Ana", role="specialist"),
        models.Person(email=VIEWER, name="Vic", role="viewer"),
        models.Member(member_id="m1", region="Africa"),
        models.Project(project_id="p1", name="One"),
        models.QueueItem(item_id="q1", queue="support", created_at=AT),
        models.Feedback(feedback_id="f1", channel="slack", member_id="m1", created_at=AT, sentiment=-0.6,
                        text="My payout is late again", themes=["payments"]),
        models.Feedback(feedback_id="f2", channel="slack", member_id="m1", created_at=AT, sentiment=0.4,
                        text="Payout arrived, thanks", themes=["payments"]),
        models.Feedback(feedback_id="f3", channel="forum", member_id="m1", created_at=AT, sentiment=0.0,
                        text="A night shift rota would help", themes=[]),
        models.Survey(survey_id="s1", title="Pulse"),
        *(models.SurveyResponse(response_id=f"r{i}", survey_id="s1", member_id="m1", submitted_at=AT,
                                score=score, comment=comment, themes=found)
          for i, (score, comment, found) in enumerate([
              (0, "Payouts are late", ["payments"]), (2, "Payouts are late and the tool crashes", ["payments"]),
              (10, "Love it", []), (9, "Night shift rota please", [])])),
    )
    with engine.begin() as connection:  # rows saved directly: derive the roll-up the metrics read
        feedback_rollup.rebuild(connection)
    return engine


def audit(engine, action):
    with Session(engine) as session:
        return session.exec(select(models.AuditEvent).where(models.AuditEvent.action == action)).all()


# --- overrides -----------------------------------------------------------------------------------


def test_a_sentiment_override_is_stored_audited_versioned_and_used_by_the_metrics(voices):
    version_before = data_version(voices)
    assert sentiment_summary(MessageScope(voices))["net"].tolist() == pytest.approx([0.0])

    new_version = override_scores(voices, entity="feedback", entity_id="f1", expected_version=1,
                                  sentiment=sentiment_for_label("neutral"), **ME)

    assert new_version == 2
    messages = load_feedback(voices)
    assert messages["sentiment_override"].tolist()[0] == 0.0 and messages["version"].tolist()[0] == 2
    assert sentiment_summary(MessageScope(voices))["net"].tolist() == pytest.approx([100 / 3])
    [event] = audit(voices, "override_sentiment")
    assert (event.actor, event.entity, event.entity_id) == ("ana@example.org", "feedback", "f1")
    assert event.before == {"sentiment": -0.6, "themes": ["payments"], "sentiment_override": None}
    assert event.after == {"sentiment_override": 0.0}
    assert data_version(voices) == version_before + 1


def test_a_theme_override_changes_the_theme_summary_and_clearing_it_restores_the_computed_themes(voices):
    override_scores(voices, entity="feedback", entity_id="f2", expected_version=1, themes_set=["community"], **ME)
    assert theme_summary(MessageScope(voices))[["theme", "count"]].values.tolist() == [
        ["community", 1], ["payments", 1]]

    override_scores(voices, entity="feedback", entity_id="f2", expected_version=2, themes_set=None, sentiment=None,
                    **ME)

    assert theme_summary(MessageScope(voices))[["theme", "count"]].values.tolist() == [["payments", 2]]
    with voices.connect() as connection:  # cleared means SQL NULL, not the JSON text 'null'
        assert connection.execute(text("SELECT themes_override IS NULL FROM feedback WHERE feedback_id = 'f2'")
                                  ).scalar() in (1, True)
    assert [e.action for e in audit(voices, "override_sentiment_and_themes")] == ["override_sentiment_and_themes"]


def test_an_empty_theme_override_means_the_message_has_no_theme(voices):
    override_scores(voices, entity="feedback", entity_id="f1", expected_version=1, themes_set=[], **ME)
    assert theme_summary(MessageScope(voices))[["theme", "count"]].values.tolist() == [["payments", 1]]


def test_correcting_a_survey_comment_changes_the_themes_nps_impact(voices):
    assert theme_nps_impact(ResponseScope(voices)).values.tolist() == [["payments", 2, -100.0, 100.0]]

    override_scores(voices, entity="survey_response", entity_id="r1", expected_version=1,
                    themes_set=["payments", "tooling"], **ME)

    # overall NPS (2 promoters, 2 detractors) is 0; tooling is now mentioned by one detractor
    assert theme_nps_impact(ResponseScope(voices)).values.tolist() == [
        ["payments", 2, -100.0, 100.0], ["tooling", 1, -100.0, 100.0]]
    override_scores(voices, entity="survey_response", entity_id="r0", expected_version=1, themes_set=[], **ME)
    assert theme_nps_impact(ResponseScope(voices))["theme"].tolist() == ["payments", "tooling"]
    assert theme_nps_impact(ResponseScope(voices))["responses"].tolist() == [1, 1]


def test_an_override_from_a_stale_screen_is_refused_and_changes_nothing(voices):
    override_scores(voices, entity="feedback", entity_id="f1", expected_version=1, sentiment=0.5, **ME)

    with pytest.raises(StaleFeedback, match="Someone else changed 'f1'.*version 2, you had 1"):
        override_scores(voices, entity="feedback", entity_id="f1", expected_version=1, sentiment=-0.5, **ME)

    assert load_feedback(voices)["sentiment_override"].tolist()[0] == 0.5
    assert len(audit(voices, "override_sentiment")) == 1


@pytest.mark.parametrize(
    ("changes", "error", "message"),
    [
        ({"sentiment": 1.5}, InvalidFeedbackEdit, "between −1 and 1"),
        ({"themes_set": ["not_a_theme"]}, InvalidFeedbackEdit, "Unknown theme"),
        ({}, InvalidFeedbackEdit, "Nothing to change"),
        ({"sentiment": 0.1, "entity_id": "nope"}, FeedbackNotFound, "no message 'nope'"),
        ({"sentiment": 0.1, "entity": "member"}, InvalidFeedbackEdit, "Can only correct"),
        ({"sentiment": 0.1, "actor": VIEWER}, NotAllowed, "specialist"),
    ],
)
def test_overrides_that_make_no_sense_are_refused_in_plain_words(voices, changes, error, message):
    arguments = {"entity": "feedback", "entity_id": "f1", "expected_version": 1, **ME, **changes}
    with pytest.raises(error, match=message):
        override_scores(voices, **arguments)


def test_label_overrides_sit_inside_the_sentiment_bands():
    assert sentiment_for_label("positive") >= POSITIVE_THRESHOLD
    assert NEGATIVE_THRESHOLD < sentiment_for_label("neutral") < POSITIVE_THRESHOLD
    assert sentiment_for_label("negative") <= NEGATIVE_THRESHOLD
    with pytest.raises(InvalidFeedbackEdit):
        sentiment_for_label("meh")


# --- triage --------------------------------------------------------------------------------------


def test_assigning_new_messages_moves_them_to_assigned_and_audits_each(voices):
    versions = triage_messages(voices, versions={"f1": 1, "f2": 1}, assignee="lee@example.org", **ME)

    assert versions == {"f1": 2, "f2": 2}
    messages = load_feedback(voices).set_index("feedback_id")
    assert messages.loc[["f1", "f2"], "triage_status"].tolist() == ["assigned", "assigned"]
    assert messages.loc[["f1", "f2"], "assignee"].tolist() == ["lee@example.org", "lee@example.org"]
    events = audit(voices, "triage")
    assert [(e.entity_id, e.before, e.after) for e in events] == [
        ("f1", {"triage_status": "new", "assignee": None}, {"triage_status": "assigned", "assignee": "lee@example.org"}),
        ("f2", {"triage_status": "new", "assignee": None}, {"triage_status": "assigned", "assignee": "lee@example.org"}),
    ]


def test_marking_handled_and_linking_a_queue_item(voices):
    triage_messages(voices, versions={"f3": 1}, status="handled", linked_item_id=" q1 ", **ME)

    message = load_feedback(voices).set_index("feedback_id").loc["f3"]
    assert (message["triage_status"], message["linked_item_id"], message["version"]) == ("handled", "q1", 2)


def test_a_link_to_an_unknown_queue_item_is_refused(voices):
    with pytest.raises(FeedbackNotFound, match="no queue item 'q404'"):
        triage_messages(voices, versions={"f3": 1}, linked_item_id="q404", **ME)


def test_triage_is_all_or_nothing_when_someone_else_changed_one_message(voices):
    triage_messages(voices, versions={"f2": 1}, status="handled", **ME)

    with pytest.raises(StaleFeedback, match="Someone else changed f2 after you opened the inbox, so nothing was saved"):
        triage_messages(voices, versions={"f1": 1, "f2": 1}, assignee="lee@example.org", **ME)

    messages = load_feedback(voices).set_index("feedback_id")
    assert messages.loc["f1", "assignee"] is None and messages.loc["f1", "version"] == 1
    assert messages.loc["f2", "triage_status"] == "handled"


@pytest.mark.parametrize(
    ("changes", "error", "message"),
    [
        ({"status": "closed"}, InvalidFeedbackEdit, "Status must be one of new, assigned, handled"),
        ({}, InvalidFeedbackEdit, "Nothing to change"),
        ({"status": "handled", "versions": {}}, InvalidFeedbackEdit, "Select at least one"),
        ({"status": "handled", "actor": VIEWER}, NotAllowed, "triage"),
    ],
)
def test_triage_that_makes_no_sense_is_refused(voices, changes, error, message):
    arguments = {"versions": {"f1": 1}, **ME, **changes}
    with pytest.raises(error, match=message):
        triage_messages(voices, **arguments)


def test_unassigning_keeps_the_status_unless_told(voices):
    triage_messages(voices, versions={"f1": 1}, assignee="lee@example.org", **ME)
    triage_messages(voices, versions={"f1": 2}, assignee=None, status=UNCHANGED, **ME)
    message = load_feedback(voices).set_index("feedback_id").loc["f1"]
    assert (message["assignee"], message["triage_status"]) == (None, "assigned")


# --- adopted themes ------------------------------------------------------------------------------


def test_adopting_a_theme_tags_stored_messages_and_comments_and_is_audited(voices):
    result = adopt_theme(voices, name="Night shift", phrases=["night shift rota"], owner="ops", **ME)

    assert (result.theme.key, result.messages, result.responses) == ("night_shift", 1, 1)
    assert adopted_themes(voices) == [{"key": "night_shift", "label": "Night shift", "owner": "ops",
                                       "phrases": ["night shift rota"]}]
    assert current_taxonomy(voices)[-1].key == "night_shift"
    assert load_feedback(voices).set_index("feedback_id").loc["f3", "themes"] == ["night_shift"]
    assert theme_summary(MessageScope(voices))["theme"].tolist() == ["payments", "night_shift"]
    [event] = audit(voices, "adopt_theme")
    assert (event.entity, event.entity_id, event.after["tagged_messages"]) == ("theme", "night_shift", 1)


def test_a_message_a_human_already_themed_keeps_the_human_themes_after_adoption(voices):
    override_scores(voices, entity="feedback", entity_id="f3", expected_version=1, themes_set=["community"], **ME)
    adopt_theme(voices, name="Night shift", phrases=["night shift rota"], owner="ops", **ME)

    messages = load_feedback(voices).set_index("feedback_id")
    assert messages.loc["f3", "themes"] == ["night_shift"] and messages.loc["f3", "themes_override"] == ["community"]
    assert theme_summary(MessageScope(voices))["theme"].tolist() == ["payments", "community"]


def test_an_adopted_theme_can_be_used_in_overrides_and_retired(voices):
    adopt_theme(voices, name="Night shift", phrases=["night shift rota"], owner="ops", **ME)
    override_scores(voices, entity="feedback", entity_id="f1", expected_version=1, themes_set=["night_shift"], **ME)

    result = retire_theme(voices, key="night_shift", **ME)

    assert (result.messages, result.responses) == (1, 1)
    assert adopted_themes(voices) == []
    assert load_feedback(voices).set_index("feedback_id").loc["f3", "themes"] == []
    assert len(audit(voices, "retire_theme")) == 1
    with pytest.raises(FeedbackNotFound, match="not an adopted theme"):
        retire_theme(voices, key="payments", **ME)


def test_a_theme_named_like_an_existing_one_is_refused(voices):
    adopt_theme(voices, name="Night shift", phrases=["night shift rota"], owner="ops", **ME)
    with pytest.raises(InvalidTheme, match="already a theme"):
        adopt_theme(voices, name="night  SHIFT", phrases=["rota"], owner="ops", **ME)
    with pytest.raises(NotAllowed):
        adopt_theme(voices, name="Dark mode", phrases=["dark mode"], owner="tooling", actor=VIEWER)


@pytest.mark.parametrize("who", [VIEWER, "stranger@example.org", None])
def test_a_viewer_or_an_unknown_identity_changes_nothing(voices, who):
    before = data_version(voices)
    adopt_theme(voices, name="Night shift", phrases=["night shift rota"], owner="ops", **ME)
    writes = {
        "adopt a theme": lambda: adopt_theme(voices, name="Dark mode", phrases=["dark mode"], owner="ux", actor=who),
        "retire a theme": lambda: retire_theme(voices, key="night_shift", actor=who),
        "correct a sentiment": lambda: override_scores(voices, entity="feedback", entity_id="f1", expected_version=1,
                                                       actor=who, sentiment=0.5),
        "triage messages": lambda: triage_messages(voices, versions={"f1": 1}, actor=who, status="handled"),
    }
    for doing, write in writes.items():
        with pytest.raises(NotAllowed, match=f"Only a specialist or above can {doing}"):
            write()
    assert [theme["key"] for theme in adopted_themes(voices)] == ["night_shift"]
    with Session(voices) as session:
        f1 = session.get(models.Feedback, "f1")
        assert (f1.sentiment_override, f1.triage_status, f1.version) == (None, "new", 1)
        assert [e.action for e in session.exec(select(models.AuditEvent))] == ["adopt_theme"]
    assert data_version(voices) == before + 1
