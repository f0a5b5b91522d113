import datetime as dt
import math

import pandas as pd
import pytest

from core import models
from core.errors import UnknownMetric
from core.metrics.queues import (
    BACKLOG_BUCKETS,
    backlog,
    backlog_trend,
    breach_risk,
    breached_open,
    escalation_reasons,
    load_policies,
    load_queue_items,
    response_time_summary,
    response_times,
    sla_compliance,
    sla_compliance_trend,
    sla_status,
    stuck_items,
)
from tests.core.factories import make_policy, make_queue_item, policies, queue_items, stored, utc

NOW = utc("2026-11-02 12:00")
UTC = dt.UTC


@pytest.fixture
def sla_items():
    """Review items at every SLA state (8 h target), plus support items with and without a target."""
    return queue_items(
        make_queue_item(item_id="A", created_at="2026-11-02 08:00"),
        make_queue_item(item_id="B", created_at="2026-11-02 05:00"),
        make_queue_item(item_id="C", created_at="2026-11-02 04:00"),
        make_queue_item(item_id="D", created_at="2026-11-02 02:00"),
        make_queue_item(item_id="E", created_at="2026-11-02 01:00", resolved_at="2026-11-02 06:00"),
        make_queue_item(item_id="F", created_at="2026-11-02 00:00", resolved_at="2026-11-02 09:00"),
        make_queue_item(item_id="G", queue="support", created_at="2026-11-02 11:00"),
        make_queue_item(item_id="H", queue="support", created_at="2026-11-02 11:00", due_at="2026-11-02 13:00"),
        make_queue_item(item_id="I", created_at="2026-11-02 06:30"),
        make_queue_item(item_id="J", created_at="2026-11-01 10:00", resolved_at="2026-11-01 12:00"),
    )


@pytest.fixture
def status(sla_items):
    """SLA status of `sla_items` at NOW under one review/normal policy of 480 minutes."""
    return sla_status(sla_items, policies(make_policy(resolution_minutes=480)), NOW).set_index("item_id")


@pytest.mark.parametrize(
    "item_id, state, warn_level, used_share, time_left_minutes",
    [
        ("A", "open", 50, 0.5, 240.0),
        ("B", "at_risk", 75, 0.875, 60.0),
        ("C", "at_risk", 90, 1.0, 0.0),
        ("D", "breached", 90, 1.25, -120.0),
        ("E", "met", 0, 0.625, 180.0),
        ("F", "breached", 0, 1.125, -60.0),
        ("H", "open", 50, 0.5, 60.0),
        ("I", "open", 50, 0.6875, 150.0),
        ("J", "met", 0, 0.25, 360.0),
    ],
)
def test_each_item_gets_the_state_and_warn_level_of_the_share_of_target_used(
    status, item_id, state, warn_level, used_share, time_left_minutes
):
    row = status.loc[item_id]
    assert (row["state"], row["warn_level"]) == (state, warn_level)
    assert row["used_share"] == pytest.approx(used_share)
    assert row["time_left_minutes"] == pytest.approx(time_left_minutes)


def test_item_without_policy_or_due_date_has_no_target(status):
    row = status.loc["G"]
    assert row["state"] == "no_target"
    assert math.isnan(row["target_minutes"]) and pd.isna(row["due_effective"])


def test_own_due_date_wins_over_the_policy_target(sla_items):
    items = queue_items(make_queue_item(item_id="X", created_at="2026-11-02 10:00", due_at="2026-11-02 11:00"))
    row = sla_status(items, policies(make_policy(resolution_minutes=480)), NOW).iloc[0]
    assert (row["target_minutes"], row["due_effective"], row["state"]) == (60.0, utc("2026-11-02 11:00"), "breached")


def test_item_resolved_exactly_at_due_time_met_its_target():
    items = queue_items(make_queue_item(created_at="2026-11-02 00:00", resolved_at="2026-11-02 08:00"))
    assert sla_status(items, policies(make_policy()), NOW)["state"].tolist() == ["met"]


def test_policy_for_the_item_priority_is_used():
    items = queue_items(make_queue_item(priority="high", created_at="2026-11-02 09:00"))
    status = sla_status(items, policies(make_policy(), make_policy(priority="high", resolution_minutes=120)), NOW)
    assert status[["target_minutes", "state"]].values.tolist() == [[120.0, "breached"]]


def test_compliance_is_met_over_items_whose_target_came_due(status):
    result = sla_compliance(status.reset_index())
    assert result.to_dict("records") == [
        {"compliance": 0.5, "met": 2, "breached": 2, "at_risk": 2, "count": 4}
    ]


def test_compliance_by_queue_is_nan_where_nothing_came_due(status):
    result = sla_compliance(status.reset_index(), by="queue").set_index("queue")
    assert result.loc["review", ["met", "breached", "at_risk", "count"]].tolist() == [2, 2, 2, 4]
    assert result.loc["review", "compliance"] == 0.5
    assert result.loc["support", "count"] == 0 and math.isnan(result.loc["support", "compliance"])


def test_compliance_by_an_unknown_column_is_a_clear_error(status):
    with pytest.raises(UnknownMetric, match="Cannot group by colour"):
        sla_compliance(status, by="colour")


def test_compliance_trend_counts_each_item_on_the_day_it_came_due(status):
    trend = sla_compliance_trend(status.reset_index())
    assert trend["date"].tolist() == [pd.Timestamp("2026-11-01"), pd.Timestamp("2026-11-02")]
    assert trend[["met", "breached", "count"]].values.tolist() == [[1, 0, 1], [1, 2, 3]]
    assert trend["compliance"].tolist() == pytest.approx([1.0, 1 / 3])


def test_breach_risk_lists_open_items_past_half_their_target_least_time_left_first(status):
    assert breach_risk(status.reset_index())["item_id"].tolist() == ["C", "B", "H", "I", "A"]
    assert breach_risk(status.reset_index(), limit=2)["item_id"].tolist() == ["C", "B"]


def test_breached_open_lists_only_open_items_past_due(status):
    breached = breached_open(status.reset_index())
    assert breached[["item_id", "overdue_minutes"]].values.tolist() == [["D", 120.0]]


@pytest.fixture
def timed_items():
    """Five items with first responses after 10-40 minutes and resolutions after 1-4 hours."""
    return queue_items(
        make_queue_item(created_at="2026-11-02 08:00", first_response_at="2026-11-02 08:10", resolved_at="2026-11-02 09:00"),
        make_queue_item(created_at="2026-11-02 08:00", first_response_at="2026-11-02 08:20", resolved_at="2026-11-02 10:00"),
        make_queue_item(queue="support", created_at="2026-11-02 08:00", first_response_at="2026-11-02 08:30",
                        resolved_at="2026-11-02 12:00"),
        make_queue_item(queue="support", created_at="2026-11-02 08:00", first_response_at="2026-11-02 08:40"),
        make_queue_item(queue="support", created_at="2026-11-02 08:00"),
    )


@pytest.mark.parametrize(
    "kind, expected",
    [
        ("first_response", {"median_seconds": 1500.0, "p90_seconds": 2220.0, "count": 4}),
        ("resolution", {"median_seconds": 7200.0, "p90_seconds": 12960.0, "count": 3}),
    ],
)
def test_response_time_summary_reports_median_and_interpolated_p90(timed_items, kind, expected):
    assert response_time_summary(timed_items, kind).to_dict("records") == [expected]


def test_response_times_by_queue_in_long_form(timed_items):
    result = response_times(timed_items, by="queue")
    assert result.to_dict("records") == [
        {"queue": "review", "metric": "first_response", "median_seconds": 900.0, "p90_seconds": 1140.0, "count": 2},
        {"queue": "support", "metric": "first_response", "median_seconds": 2100.0, "p90_seconds": 2340.0, "count": 2},
        {"queue": "review", "metric": "resolution", "median_seconds": 5400.0, "p90_seconds": 6840.0, "count": 2},
        {"queue": "support", "metric": "resolution", "median_seconds": 14400.0, "p90_seconds": 14400.0, "count": 1},
    ]


def test_response_time_summary_of_no_items_has_zero_count():
    result = response_time_summary(queue_items(), "resolution").iloc[0]
    assert result["count"] == 0 and math.isnan(result["median_seconds"])


def test_unknown_response_time_kind_is_a_clear_error(timed_items):
    with pytest.raises(UnknownMetric):
        response_time_summary(timed_items, "handle")


def test_backlog_counts_open_items_per_queue_and_age_bucket():
    items = queue_items(
        make_queue_item(created_at="2026-11-02 11:00"),
        make_queue_item(created_at="2026-11-02 08:00"),
        make_queue_item(created_at="2026-11-01 06:00"),
        make_queue_item(created_at="2026-10-29 08:00"),
        make_queue_item(created_at="2026-10-25 04:00"),
        make_queue_item(created_at="2026-10-20 04:00"),
        make_queue_item(queue="support", created_at="2026-11-02 10:00"),
        make_queue_item(queue="support", created_at="2026-10-20 10:00", resolved_at="2026-10-21 10:00"),
    )
    result = backlog(items, NOW)
    assert result["bucket"].cat.ordered and list(result["bucket"].cat.categories) == list(BACKLOG_BUCKETS)
    assert result.pivot(index="queue", columns="bucket", values="count").values.tolist() == [
        [1, 1, 1, 1, 2],
        [1, 0, 0, 0, 0],
    ]


def test_backlog_trend_counts_items_open_at_the_end_of_each_day():
    items = queue_items(
        make_queue_item(created_at="2026-10-31 09:00"),
        make_queue_item(created_at="2026-11-01 10:00", resolved_at="2026-11-02 09:00"),
        make_queue_item(created_at="2026-11-02 08:00"),
        make_queue_item(created_at="2026-11-03 05:00"),
        make_queue_item(queue="support", created_at="2026-11-03 01:00", resolved_at="2026-11-03 02:00"),
    )
    trend = backlog_trend(items, "2026-11-01", "2026-11-03")
    assert trend.pivot(index="date", columns="queue", values="open_count").to_dict("list") == {
        "review": [2, 2, 3],
        "support": [0, 0, 0],
    }


def test_stuck_items_are_idle_or_retried_open_staging_items_longest_stuck_first():
    items = queue_items(
        make_queue_item(item_id="s1", queue="staging", created_at="2026-11-01 00:00", updated_at="2026-11-01 06:00"),
        make_queue_item(item_id="s2", queue="staging", created_at="2026-11-02 10:00", retries=3, last_error="timeout"),
        make_queue_item(item_id="s3", queue="staging", created_at="2026-11-01 00:00", updated_at="2026-11-02 11:00",
                        retries=1),
        make_queue_item(item_id="s4", queue="staging", created_at="2026-10-01 00:00", resolved_at="2026-10-02 00:00"),
        make_queue_item(item_id="s5", queue="review", created_at="2026-10-01 00:00"),
        make_queue_item(item_id="s6", queue="staging", created_at="2026-10-30 12:00", retries=5),
    )
    stuck = stuck_items(items, NOW)
    assert stuck[["item_id", "hours_stuck", "retries", "stuck_reason"]].values.tolist() == [
        ["s6", 72.0, 5, "idle and retried"],
        ["s1", 30.0, 0, "idle"],
        ["s2", 2.0, 3, "retried"],
    ]
    assert stuck["last_error"].tolist()[2] == "timeout"


def test_escalation_reasons_count_escalated_items_with_missing_reasons_as_unspecified():
    items = queue_items(
        make_queue_item(queue="escalation", escalation_reason="abuse"),
        make_queue_item(queue="escalation", escalation_reason="abuse", resolved_at="2026-11-02 09:00"),
        make_queue_item(queue="escalation", escalation_reason="pay"),
        make_queue_item(queue="escalation"),
        make_queue_item(queue="review", escalation_reason="pay"),
    )
    assert escalation_reasons(items).to_dict("records") == [
        {"escalation_reason": "abuse", "count": 2, "open": 1, "share": 0.5},
        {"escalation_reason": "pay", "count": 1, "open": 1, "share": 0.25},
        {"escalation_reason": "unspecified", "count": 1, "open": 1, "share": 0.25},
    ]


def test_loaders_return_filtered_items_with_member_region_and_utc_timestamps(engine):
    stored(
        engine,
        models.Member(member_id="m1", country="BR", region="LATAM"),
        models.Member(member_id="m2", country="DE", region="EMEA"),
        models.Project(project_id="p1", name="One"),
        models.Project(project_id="p2", name="Two"),
        models.SlaPolicy(queue="review", priority="normal", resolution_minutes=480),
        models.QueueItem(item_id="q1", queue="review", project_id="p1", member_id="m1",
                         created_at=dt.datetime(2026, 11, 1, 12, 0, tzinfo=UTC),
                         resolved_at=dt.datetime(2026, 11, 1, 14, 30, tzinfo=UTC)),
        models.QueueItem(item_id="q2", queue="review", project_id="p2", member_id="m2",
                         created_at=dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=2)))),
        models.QueueItem(item_id="q3", queue="support", created_at=dt.datetime(2026, 11, 3, tzinfo=UTC)),
    )
    items = load_queue_items(engine)
    assert items["item_id"].tolist() == ["q1", "q2", "q3"]
    assert str(items["created_at"].dtype) == "datetime64[us, UTC]"
    assert str(items["due_at"].dtype) == "datetime64[us, UTC]"
    assert items["created_at"].tolist()[1] == utc("2026-11-02 07:00")
    assert items["resolved_at"].tolist()[0] == utc("2026-11-01 14:30")
    assert items["region"].tolist()[:2] == ["LATAM", "EMEA"] and pd.isna(items["region"].tolist()[2])

    window = load_queue_items(engine, start=utc("2026-11-01 12:00"), end=utc("2026-11-03 00:00"))
    assert window["item_id"].tolist() == ["q1", "q2"]
    assert load_queue_items(engine, projects=["p2"])["item_id"].tolist() == ["q2"]
    assert load_queue_items(engine, regions=["LATAM"])["item_id"].tolist() == ["q1"]

    policy = load_policies(engine)
    assert policy[["queue", "priority", "resolution_minutes", "business_hours"]].values.tolist() == [
        ["review", "normal", 480, False]
    ]
    assert sla_status(items, policy, utc("2026-11-02 12:00"))["state"].tolist() == ["met", "open", "no_target"]
