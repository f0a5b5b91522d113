"""What Today reads for its confusion alerts: only the changed projects' feedback, with the same alerts."""

import datetime as dt

import pandas as pd

from core import attention, timeline
from core.workforce import confusion
from core.workforce import read as workforce
from tests.core.factories import make_project, projects


def test_change_days_are_the_days_of_the_latest_launch_or_guideline_change_within_the_lookback():
    table = projects(make_project(project_id="p1", launch_at="2026-11-10T15:00:00Z"),
                     make_project(project_id="p2", launch_at="2026-08-01T09:00:00Z",
                                  guideline_updated_at="2026-11-01T23:30:00Z", guideline_version="v2"),
                     make_project(project_id="p3", launch_at="2026-08-01T09:00:00Z"),
                     make_project(project_id="p4"))
    days = confusion.change_days(table, pd.Timestamp("2026-11-20T12:00:00Z"))
    assert days.to_dict() == {"p1": pd.Timestamp("2026-11-10"), "p2": pd.Timestamp("2026-11-01")}


def test_todays_confusion_alerts_judge_the_same_feedback_as_when_every_projects_feedback_is_read(seeded_engine):
    as_of = timeline.data_as_of(seeded_engine)
    end = as_of.date()
    start = end - dt.timedelta(days=confusion.HISTORY_DAYS)
    every_project = workforce.load_projects(seeded_engine)
    activity = workforce.load_project_day_totals(seeded_engine, start=start, end=end)
    narrow = attention._changed_projects_feedback(seeded_engine, every_project, as_of=as_of, start=start, end=end,
                                                  projects=(), regions=())
    full = workforce.load_negative_feedback(seeded_engine, start=start, end=end)
    assert narrow is not None and 0 < len(narrow) < len(full)

    def alerts(feedback):
        return confusion.confusion_alerts(activity, every_project, as_of, feedback=feedback, include_unflagged=True)

    judged = alerts(narrow)
    assert judged["recent_negative_share"].notna().any()
    pd.testing.assert_frame_equal(judged, alerts(full))


def test_a_week_without_messages_has_no_net_sentiment_and_no_languages(engine):
    from core.feedback.messages import MessageScope
    from core.feedback.voice import coverage_sentence, language_coverage
    from core.overview import _net_sentiment

    scope = MessageScope(engine, start=pd.Timestamp("2026-11-01", tz="UTC"), end=pd.Timestamp("2026-11-22", tz="UTC"))
    net, messages = _net_sentiment(scope, pd.Timestamp("2026-11-14", tz="UTC"), pd.Timestamp("2026-11-21", tz="UTC"),
                                   counted=True)
    assert pd.isna(net) and messages == 0
    coverage = language_coverage(scope)
    assert coverage.empty and list(coverage.columns) == ["language", "name", "scored", "not_scored", "scorer"]
    assert coverage_sentence(coverage) == "No messages."
