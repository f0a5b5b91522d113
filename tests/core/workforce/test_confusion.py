"""Confusion alerts after launches and guideline changes: per project, per region, per day, and who is affected."""

import datetime as dt
import math

import pandas as pd
import pytest

from core import models, timeline
from core.feedback.read import load_feedback
from core.workforce.confusion import confusion_alerts, confusion_by_region, daily_project_trend
from core.workforce.read import load_activity, load_projects
from tests.core.workforce.oracle import affected_members, load_project_days, negative_feedback, recent_members
from tests.core.factories import (
    activity,
    day,
    feedback,
    make_activity,
    make_feedback,
    make_project,
    projects,
    stored,
)

AS_OF = "2026-11-30"


@pytest.fixture
def changed_projects():
    """p1 had a guideline update on 11-16, p2 launched on 11-20, p3 is unchanged, p4 changed with little work."""
    return projects(
        make_project(project_id="p1", name="Search", guideline_updated_at="2026-11-16 09:00", guideline_version="v2"),
        make_project(project_id="p2", name="Chat eval", launch_at="2026-11-20 12:00"),
        make_project(project_id="p3", name="Images", guideline_updated_at="2026-08-01 09:00"),
        make_project(project_id="p4", name="Audio", guideline_updated_at="2026-11-25 09:00"),
    )


@pytest.fixture
def confusion_activity():
    """Work before and after each change."""
    def work(project_id, on, submitted, approved, rejected, questions):
        return make_activity(project_id=project_id, day=on, tasks_submitted=submitted, tasks_approved=approved,
                             tasks_rejected=rejected, questions=questions)

    return activity(
        work("p1", "2026-10-01", 100, 50, 50, 50),
        work("p1", "2026-11-01", 100, 95, 5, 1),
        work("p1", "2026-11-20", 100, 80, 20, 4),
        work("p1", "2026-11-30", 100, 50, 50, 50),
        work("p3", "2026-11-10", 100, 95, 5, 1),
        work("p2", "2026-11-21", 60, 54, 6, 0),
        work("p4", "2026-11-26", 10, 5, 5, 0),
    )


def test_confusion_alerts_flag_rising_rejections_and_questions_after_a_change(changed_projects, confusion_activity):
    # One day of p1 work before its change, and 4 questions after it, are enough for this hand-computed case.
    alerts = confusion_alerts(confusion_activity, changed_projects, AS_OF, min_baseline_days=1, min_questions=1)
    assert alerts["project_id"].tolist() == ["p1", "p2"]
    p1, p2 = alerts.iloc[0], alerts.iloc[1]
    assert (p1["change_kind"], p1["baseline_source"]) == ("guideline update v2", "own")
    assert (p1["baseline_rejection_rate"], p1["recent_rejection_rate"], p1["rejection_ratio"]) == pytest.approx(
        (0.05, 0.2, 4.0)
    )
    assert (p1["baseline_questions_per_100"], p1["recent_questions_per_100"], p1["questions_ratio"]) == pytest.approx(
        (1.0, 4.0, 4.0)
    )
    assert p1["severity"] == pytest.approx(4 / 1.5 + 4 / 2)
    assert p1["reasons"] == "rejections 5.0% → 20.0%; questions 1.0 → 4.0 per 100 tasks"
    assert (p2["change_kind"], p2["baseline_source"]) == ("launch", "crowd")
    assert (p2["baseline_rejection_rate"], p2["recent_rejection_rate"]) == pytest.approx((0.05, 0.1))
    assert p2["reasons"] == "rejections 5.0% → 10.0%"
    assert p2["severity"] == pytest.approx(2 / 1.5)


def test_a_handful_more_questions_is_not_a_signal(changed_projects, confusion_activity):
    alerts = confusion_alerts(confusion_activity, changed_projects, AS_OF, min_baseline_days=1)
    assert alerts.set_index("project_id").loc["p1", "reasons"] == "rejections 5.0% → 20.0%"


def test_a_baseline_of_too_few_days_is_replaced_by_the_crowd(changed_projects, confusion_activity):
    alerts = confusion_alerts(confusion_activity, changed_projects, AS_OF, include_unflagged=True).set_index("project_id")
    # p1 worked one day in the 28 before its change: the rest of the crowd (p3's 5% rejections) stands in.
    assert alerts.loc["p1", "baseline_source"] == "crowd"
    assert alerts.loc["p1", "baseline_rejection_rate"] == pytest.approx(0.05)


def test_an_older_project_without_baseline_rows_is_not_judged_against_the_crowd(confusion_activity):
    catalogue = projects(make_project(project_id="p1", launch_at="2026-01-10 09:00",
                                      guideline_updated_at="2026-11-16 09:00", guideline_version="v2"),
                         make_project(project_id="p3"))
    alerts = confusion_alerts(confusion_activity[confusion_activity["day"] >= day("2026-11-10")], catalogue, AS_OF,
                              include_unflagged=True).set_index("project_id")
    assert alerts.loc["p1", "baseline_source"] == "too little history"
    assert not alerts.loc["p1", "flagged"] and math.isnan(alerts.loc["p1", "baseline_rejection_rate"])


def test_a_launch_is_compared_with_projects_of_its_own_kind():
    catalogue = projects(make_project(project_id="new", kind="genai", launch_at="2026-11-20 09:00"),
                         make_project(project_id="old", kind="genai"), make_project(project_id="fast", kind="labelling"))
    rows = activity(
        make_activity(project_id="old", day="2026-11-10", tasks_submitted=100, tasks_approved=90, tasks_rejected=10),
        make_activity(project_id="fast", day="2026-11-10", tasks_submitted=1000, tasks_approved=990, tasks_rejected=10),
        make_activity(project_id="new", day="2026-11-21", tasks_submitted=100, tasks_approved=88, tasks_rejected=12),
    )
    alert = confusion_alerts(rows, catalogue, AS_OF, include_unflagged=True).set_index("project_id").loc["new"]
    assert (alert["baseline_source"], alert["baseline_rejection_rate"]) == ("crowd", pytest.approx(0.1))
    assert not alert["flagged"]


def test_confusion_alerts_need_enough_recent_tasks(changed_projects, confusion_activity):
    every = confusion_alerts(confusion_activity, changed_projects, AS_OF, include_unflagged=True)
    assert every["project_id"].tolist() == ["p1", "p2", "p4"]
    p4 = every.set_index("project_id").loc["p4"]
    assert (bool(p4["flagged"]), p4["recent_tasks"], p4["recent_rejection_rate"]) == (False, 10, 0.5)
    assert p4["baseline_rejection_rate"] == pytest.approx(0.1)


def test_confusion_alerts_report_negative_feedback_before_and_after(changed_projects, confusion_activity):
    messages = feedback(
        *(make_feedback(project_id="p1", created_at="2026-11-05 10:00", sentiment=value) for value in (0.5, 0.2, 0.0)),
        make_feedback(project_id="p1", created_at="2026-11-06 10:00", sentiment=-0.5),
        make_feedback(project_id="p1", created_at="2026-11-17 10:00", sentiment=-0.5),
        make_feedback(project_id="p1", created_at="2026-11-18 10:00", sentiment=0.3, sentiment_override=-0.3),
        make_feedback(project_id="p3", created_at="2026-11-18 10:00", sentiment=-0.9),
    )
    alerts = confusion_alerts(confusion_activity, changed_projects, AS_OF,
                              feedback=negative_feedback(messages)).set_index("project_id")
    assert (alerts.loc["p1", "baseline_negative_share"], alerts.loc["p1", "recent_negative_share"]) == (0.25, 1.0)
    assert math.isnan(alerts.loc["p2", "recent_negative_share"])


def test_confusion_by_region_shows_which_region_is_struggling():
    def work(member_id, region, on, submitted, approved, rejected, questions):
        return make_activity(member_id=member_id, region=region, project_id="p1", day=on, tasks_submitted=submitted,
                             tasks_approved=approved, tasks_rejected=rejected, questions=questions)

    rows = activity(
        work("e1", "EMEA", "2026-11-01", 50, 48, 2, 0),
        work("a1", "APAC", "2026-11-02", 50, 47, 3, 1),
        work("e1", "EMEA", "2026-11-20", 50, 48, 2, 0),
        work("a1", "APAC", "2026-11-21", 25, 16, 9, 2),
        work("a2", "APAC", "2026-11-21", 25, 16, 9, 2),
        make_activity(project_id="p2", region="EMEA", day="2026-11-20", tasks_rejected=9),
    )
    change_at = pd.Timestamp("2026-11-16 09:00", tz="UTC")
    result = confusion_by_region(rows, "p1", change_at, as_of=AS_OF,
                                 recent_members=recent_members(rows, "p1", change_at, as_of=AS_OF))
    assert result["region"].tolist() == ["APAC", "EMEA"]
    assert result[["recent_rejection_rate", "rejection_ratio", "recent_questions_per_100", "questions_ratio"]
                  ].values.tolist()[0] == pytest.approx([0.36, 6.0, 8.0, 4.0])
    assert result[["recent_tasks", "recent_members"]].values.tolist() == [[50, 2], [50, 1]]
    assert math.isnan(result["questions_ratio"].tolist()[1])


def test_daily_project_trend_gives_rates_per_day(confusion_activity):
    trend = daily_project_trend(confusion_activity, "p1")
    assert trend["date"].tolist()[1:3] == [day("2026-11-01"), day("2026-11-20")]
    assert trend["rejection_rate"].tolist() == pytest.approx([0.5, 0.05, 0.2, 0.5])
    assert trend["questions_per_100"].tolist() == pytest.approx([50.0, 1.0, 4.0, 50.0])


def test_affected_members_are_the_taskers_on_the_project_since_the_change_in_those_regions():
    rows = activity(
        make_activity(member_id="a1", region="APAC", day="2026-11-20"),
        make_activity(member_id="a2", region="APAC", day="2026-11-10"),
        make_activity(member_id="e1", region="EMEA", day="2026-11-21"),
        make_activity(member_id="u1", region=None, day="2026-11-21"),
        make_activity(member_id="s1", region="APAC", day="2026-11-21", tasks_submitted=0),
        make_activity(member_id="p2", region="APAC", day="2026-11-21", project_id="p2"),
    )
    since = pd.Timestamp("2026-11-16 09:00", tz="UTC")
    assert affected_members(rows, "p1", since) == ["a1", "e1", "u1"]
    assert affected_members(rows, "p1", since, values=["APAC", "Unknown"]) == ["a1", "u1"]


def test_load_project_days_sums_non_staff_work_per_project_and_day(engine):
    def act(member_id, project_id, on, submitted, rejected=0, questions=0):
        return models.Activity(member_id=member_id, project_id=project_id, day=dt.date.fromisoformat(on),
                               tasks_submitted=submitted, tasks_approved=submitted - rejected, tasks_rejected=rejected,
                               questions=questions, handle_seconds=30.0 * submitted)

    stored(
        engine,
        models.Member(member_id="m1", region="EMEA"), models.Member(member_id="m2", region="APAC"),
        models.Member(member_id="s", is_staff=True),
        models.Project(project_id="p1", name="One"), models.Project(project_id="p2", name="Two"),
        act("m1", "p1", "2026-11-01", 10, 1, 2), act("m2", "p1", "2026-11-01", 20, 4), act("s", "p1", "2026-11-01", 99),
        act("m1", "p2", "2026-11-02", 5), act("m1", "p1", "2026-11-03", 7),
    )
    days = load_project_days(engine, start="2026-11-01", end="2026-11-02")
    assert days[["project_id", "tasks_submitted", "tasks_rejected", "questions", "handle_seconds"]].values.tolist() == [
        ["p1", 30, 5, 2, 900.0],
        ["p2", 5, 0, 0, 150.0],
    ]
    assert days["day"].tolist() == [day("2026-11-01"), day("2026-11-02")]
    assert load_project_days(engine, start="2026-11-01", end="2026-11-03", regions=["APAC"]
                             )["tasks_submitted"].tolist() == [20]


# --- the demo's story, found by the alerts ----------------------------------------------------


@pytest.fixture(scope="module")
def demo_activity(seeded_engine):
    """The seeded tiny demo's last 90 days of activity, its projects, feedback and 'now'."""
    now = timeline.data_as_of(seeded_engine)
    return (now, load_activity(seeded_engine, start=now - pd.Timedelta(days=90), end=now),
            load_projects(seeded_engine), load_feedback(seeded_engine, start=now - pd.Timedelta(days=90), end=now))


def test_demo_confused_project_is_cedar_with_latin_america_the_affected_region(demo_activity):
    now, rows, catalogue, messages = demo_activity
    alerts = confusion_alerts(rows, catalogue, now, feedback=negative_feedback(messages))
    assert alerts["project_id"].tolist() == ["p03"]
    cedar = alerts.iloc[0]
    assert (cedar["change_kind"], cedar["baseline_source"]) == ("guideline update v3.0", "own")
    assert cedar["recent_rejection_rate"] > 1.5 * cedar["baseline_rejection_rate"]
    regions = confusion_by_region(rows, "p03", cedar["change_at"], as_of=now)
    assert regions.loc[regions["affected"], "region"].tolist() == ["Latin America"]


def test_the_history_every_caller_loads_holds_the_whole_baseline_of_the_oldest_change():
    """Today once read 35 days and Workforce 90: a change 55 days ago had two different baselines (issue 15)."""
    from core.workforce.confusion import HISTORY_DAYS

    def work(on, approved, rejected):
        return make_activity(project_id="p1", day=on, tasks_submitted=approved + rejected, tasks_approved=approved,
                             tasks_rejected=rejected, questions=0)

    changed = projects(make_project(project_id="p1", name="Search", guideline_updated_at="2026-10-06 09:00"))
    # Before the change (10-06): 10% rejected on 09-10 (56 days before 11-30), 30% on 10-01 → baseline 40 / 200.
    rows = activity(*(work(on, *split) for on, split in (("2026-09-10", (90, 10)), ("2026-10-01", (70, 30)),
                                                         ("2026-10-08", (40, 60)))))
    history = rows[rows["day"] >= pd.Timestamp(AS_OF) - pd.Timedelta(days=HISTORY_DAYS)]
    short = rows[rows["day"] >= pd.Timestamp(AS_OF) - pd.Timedelta(days=35)]
    settings = dict(min_tasks=50, min_baseline_days=1)
    assert HISTORY_DAYS == 88
    assert confusion_alerts(history, changed, AS_OF, **settings)["baseline_rejection_rate"].tolist() == [0.2]
    assert confusion_alerts(short, changed, AS_OF, **settings)["baseline_rejection_rate"].tolist() != [0.2]
