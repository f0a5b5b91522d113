"""Fatigue alerts: drift from a tasker's own baseline, on hand-computed rows and on the demo's story."""

import math

import pandas as pd
import pytest

from core import models, timeline
from core.demo import community, work
from core.demo.plan import SCALES, Plan
from core.db import session_scope
from core.workforce import fatigue
from core.workforce.read import load_activity
from tests.core.workforce.oracle import fatigue_alerts
from tests.core.factories import activity, make_activity


AS_OF = "2026-11-30"


def days_between(first: str, last: str) -> list[str]:
    """Every day from first to last as ISO text."""
    return [str(moment.date()) for moment in pd.date_range(first, last)]


def steady(member_id, days, *, approved=9, rejected=1, handle_seconds=600, active_minutes=60, project_id="p1"):
    """One row a day of 10 tasks for a tasker."""
    return [
        make_activity(member_id=member_id, project_id=project_id, day=on, tasks_submitted=10, tasks_approved=approved,
                      tasks_rejected=rejected, handle_seconds=handle_seconds, active_minutes=active_minutes)
        for on in days
    ]


@pytest.fixture
def drifting_crowd():
    """m1 drifts in quality and speed, m2 works long days in a long streak, the others are fine or too new."""
    return activity(
        *steady("m1", days_between("2026-10-27", "2026-11-09")),
        *steady("m1", days_between("2026-11-28", "2026-11-30"), approved=7, rejected=3, handle_seconds=900),
        *steady("m2", days_between("2026-11-17", "2026-11-30"), active_minutes=600),
        *steady("m3", days_between("2026-10-27", "2026-11-07")),
        *steady("m3", ["2026-11-29", "2026-11-30"]),
        *steady("m4", days_between("2026-10-27", "2026-11-09")),
        make_activity(member_id="m4", day="2026-11-30", tasks_submitted=5, tasks_approved=1, tasks_rejected=4),
        *steady("m5", days_between("2026-11-16", "2026-11-28")),
    )


def test_fatigue_alerts_flag_drift_from_the_taskers_own_baseline_most_severe_first(drifting_crowd):
    alerts = fatigue_alerts(drifting_crowd, AS_OF)
    assert alerts["member_id"].tolist() == ["m1", "m2"]
    m1, m2 = alerts.iloc[0], alerts.iloc[1]
    assert (m1["baseline_quality"], m1["recent_quality"], m1["baseline_aht"], m1["recent_aht"]) == pytest.approx(
        (0.9, 0.7, 60.0, 90.0)
    )
    assert m1["severity"] == pytest.approx(4.0)
    assert m1["reasons"] == "quality 90% → 70%; AHT +50% (60 s → 90 s)"
    assert (m2["recent_daily_hours"], m2["streak_days"]) == (10.0, 14)
    assert math.isnan(m2["baseline_quality"])
    assert m2["severity"] == pytest.approx(10 / 9 + 14 / 12)
    assert m2["reasons"] == "10.0 h/day; 14 days in a row"
    assert alerts.columns[1] == "region"


def test_fatigue_quality_drop_of_exactly_the_threshold_is_flagged():
    crowd = activity(
        *steady("m1", days_between("2026-10-27", "2026-11-09")),
        *steady("m1", days_between("2026-11-28", "2026-11-30"), approved=8, rejected=2),
    )
    assert fatigue_alerts(crowd, AS_OF, min_signals=1)["reasons"].tolist() == ["quality 90% → 80%"]


def test_fatigue_needs_two_signals_by_default_so_one_noisy_week_is_not_listed():
    crowd = activity(
        *steady("m1", days_between("2026-10-27", "2026-11-09")),
        *steady("m1", days_between("2026-11-28", "2026-11-30"), approved=8, rejected=2),
    )
    assert fatigue_alerts(crowd, AS_OF).empty


def test_moving_to_a_slower_project_is_not_fatigue():
    crowd = activity(
        *steady("m1", days_between("2026-10-27", "2026-11-09"), project_id="p1", handle_seconds=600),
        *steady("m1", days_between("2026-10-27", "2026-11-09"), project_id="p2", handle_seconds=3000),
        *steady("m1", days_between("2026-11-28", "2026-11-30"), project_id="p2", handle_seconds=3000),
    )
    assert fatigue_alerts(crowd, AS_OF, min_signals=1).empty


def test_fatigue_thresholds_are_keyword_arguments(drifting_crowd):
    alerts = fatigue_alerts(drifting_crowd, AS_OF, max_daily_hours=12, max_streak_days=15, aht_rise=0.6, min_signals=1)
    assert alerts["member_id"].tolist() == ["m1"]
    assert alerts["reasons"].tolist() == ["quality 90% → 70%"]


# --- the demo's story, found by the alerts ----------------------------------------------------


def test_demo_fatigued_moderators_are_exactly_the_fatigue_alerts(seeded_engine):
    now = timeline.data_as_of(seeded_engine)
    rows = load_activity(seeded_engine, start=now - pd.Timedelta(days=90), end=now)
    with session_scope(seeded_engine) as session:
        anchor = session.get(models.Setting, "demo_anchor").value
    plan = Plan(SCALES["tiny"], seed=7, anchor=pd.Timestamp(anchor).to_pydatetime())
    work.activity(plan, community.members(plan))
    with seeded_engine.connect() as connection:
        alerts = fatigue.fatigue_alerts(connection, now, window_start=(now - pd.Timedelta(days=90)).date())
    assert sorted(alerts["member_id"]) == sorted(plan.fatigued)
    assert sorted(fatigue_alerts(rows, now)["member_id"]) == sorted(plan.fatigued)
    assert alerts["reasons"].str.contains("days in a row").all()
