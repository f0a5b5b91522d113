"""What the page lists from the live clocks: breach risk, breached, response times, backlog, stuck items."""

import math

import pytest

from core.errors import UnknownMetric
from core.queues.views import (
    BACKLOG_BUCKETS,
    backlog,
    breach_risk,
    breached_open,
    response_time_summary,
    response_times,
    stuck_items,
)
from tests.core.factories import make_queue_item, queue_items, utc
from tests.core.queues.oracle import with_durations

NOW = utc("2026-11-02 12:00")


def test_breach_risk_lists_open_items_past_half_their_target_least_time_left_first(status):
    assert breach_risk(status.reset_index())["item_id"].tolist() == ["C", "B", "H", "I", "A"]
    assert breach_risk(status.reset_index(), limit=2)["item_id"].tolist() == ["C", "B"]


def test_breached_open_lists_only_open_items_past_due(status):
    breached = breached_open(status.reset_index())
    assert breached[["item_id", "overdue_minutes"]].values.tolist() == [["D", 120.0]]


@pytest.fixture
def timed_items():
    """Five items with first responses after 10-40 minutes and resolutions after 1-4 hours, with their durations."""
    return with_durations(queue_items(
        make_queue_item(created_at="2026-11-02 08:00", first_response_at="2026-11-02 08:10", resolved_at="2026-11-02 09:00"),
        make_queue_item(created_at="2026-11-02 08:00", first_response_at="2026-11-02 08:20", resolved_at="2026-11-02 10:00"),
        make_queue_item(queue="support", created_at="2026-11-02 08:00", first_response_at="2026-11-02 08:30",
                        resolved_at="2026-11-02 12:00"),
        make_queue_item(queue="support", created_at="2026-11-02 08:00", first_response_at="2026-11-02 08:40"),
        make_queue_item(queue="support", created_at="2026-11-02 08:00"),
    ))


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
    result = response_time_summary(with_durations(queue_items()), "resolution").iloc[0]
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


def test_backlog_can_be_split_by_priority_instead_of_queue():
    items = queue_items(
        make_queue_item(priority="high", created_at="2026-11-02 11:00"),
        make_queue_item(priority="low", created_at="2026-10-25 11:00"),
        make_queue_item(priority="low", created_at="2026-11-02 13:00"),  # created after now: not open yet
    )
    result = backlog(items, NOW, by="priority")
    assert result.pivot(index="priority", columns="bucket", values="count").values.tolist() == [
        [1, 0, 0, 0, 0],
        [0, 0, 0, 0, 1],
    ]
