import datetime as dt
import math

import pandas as pd
import pytest

from core import models, timeline
from core.errors import UnknownMetric
from core.queues.calendar import SlaPolicyInvalid
from core.queues.clock import sla_status
from core.queues.read import load_handle_seconds, load_pauses, load_policies, load_queue_items, load_stuck_thresholds
from core.queues.views import (
    BACKLOG_BUCKETS,
    backlog,
    breach_risk,
    breached_open,
    response_time_summary,
    response_times,
    stuck_items,
)
from tests.core.queues.oracle import (
    backlog_trend,
    escalation_reasons,
    load_sla_status,
    queue_breakdown,
    queue_overview,
    sla_compliance,
    sla_compliance_trend,
    with_durations,
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


# --- business hours and paused clocks ------------------------------------------------------------

WEEKDAYS_9_TO_5 = {day: [9, 17] for day in ("mon", "tue", "wed", "thu", "fri")}


def office_policy(**overrides) -> dict:
    """support/normal on Mon–Fri 09–17 UTC: first response within 2 business hours, resolution within 10."""
    return make_policy(queue="support", priority="normal", first_response_minutes=120, resolution_minutes=600,
                       business_hours=True, schedule=WEEKDAYS_9_TO_5) | overrides


def pauses(*spells: tuple[str, str, str | None], status: str = "waiting_on_tasker") -> pd.DataFrame:
    """Pause spells (item_id, from, until) typed like `load_pauses` returns them."""
    frame = pd.DataFrame([(item, status, start, end) for item, start, end in spells],
                         columns=["item_id", "status", "paused_from", "paused_until"])
    for name in ("paused_from", "paused_until"):
        frame[name] = pd.to_datetime(frame[name], utc=True).dt.as_unit("us")
    return frame


def support_item(**overrides) -> dict:
    return make_queue_item(queue="support", priority="normal", **overrides)


def one_status(items, policy, now, spells=None) -> pd.Series:
    return sla_status(queue_items(*items), policies(policy), utc(now), pauses=spells).set_index("item_id")


def test_business_hours_clock_skips_the_weekend():
    # Friday 15:00 → 2 business hours on Friday, none on Saturday or Sunday, 3 on Monday by noon.
    row = one_status([support_item(item_id="X", created_at="2026-11-20 15:00")], office_policy(),
                     "2026-11-23 12:00").loc["X"]
    assert row["clock_minutes"] == pytest.approx(300.0)
    assert row["used_share"] == pytest.approx(0.5)
    assert row["time_left_minutes"] == pytest.approx(300.0)
    assert row["due_effective"] == utc("2026-11-23 17:00")
    assert row["due_in_minutes"] == pytest.approx(300.0)
    assert (row["state"], row["warn_level"], row["clock"]) == ("open", 50, "business hours")


def test_business_hours_first_response_due_at_friday_closing_is_breached_on_monday():
    row = one_status([support_item(item_id="X", created_at="2026-11-20 15:00", first_response_at="2026-11-23 09:30")],
                     office_policy(), "2026-11-23 12:00").loc["X"]
    assert row["response_due"] == utc("2026-11-20 17:00")
    assert row["response_clock_minutes"] == pytest.approx(150.0)
    assert row["response_state"] == "breached"


def test_a_weekend_answer_before_monday_opening_still_meets_a_business_hours_target():
    row = one_status([support_item(item_id="X", created_at="2026-11-20 15:00", first_response_at="2026-11-21 10:00")],
                     office_policy(), "2026-11-23 12:00").loc["X"]
    assert row["response_clock_minutes"] == pytest.approx(120.0)
    assert row["response_state"] == "met"


def test_an_item_created_on_saturday_starts_its_clock_on_monday_morning():
    row = one_status([support_item(item_id="Y", created_at="2026-11-21 10:00", resolved_at="2026-11-23 10:00")],
                     office_policy(), "2026-11-23 12:00").loc["Y"]
    assert (row["clock_minutes"], row["used_share"], row["state"]) == (pytest.approx(60.0), pytest.approx(0.1), "met")
    assert row["due_effective"] == utc("2026-11-24 11:00")


def test_holidays_do_not_count():
    row = one_status([support_item(item_id="X", created_at="2026-11-20 15:00")],
                     office_policy(holidays=["2026-11-23"]), "2026-11-23 12:00").loc["X"]
    assert row["clock_minutes"] == pytest.approx(120.0)
    assert row["due_effective"] == utc("2026-11-24 17:00")


def test_schedule_is_read_in_the_policy_time_zone_across_a_daylight_saving_change():
    # New York: Friday 30 Oct 15:00 EDT (19:00 UTC); clocks go back on Sunday 1 Nov; Monday 17:00 EST = 22:00 UTC.
    row = one_status([support_item(item_id="X", created_at="2026-10-30 19:00")],
                     office_policy(timezone="America/New_York"), "2026-11-02 12:00").loc["X"]
    assert row["due_effective"] == utc("2026-11-02 22:00")
    assert row["clock_minutes"] == pytest.approx(120.0)


def test_business_hours_policy_without_schedule_runs_monday_to_friday_nine_to_five():
    row = one_status([support_item(item_id="X", created_at="2026-11-20 15:00")], office_policy(schedule={}),
                     "2026-11-23 12:00").loc["X"]
    assert row["due_effective"] == utc("2026-11-23 17:00")


def test_an_unreadable_time_zone_is_a_clear_error():
    with pytest.raises(SlaPolicyInvalid, match="support/normal has an unknown time zone 'Mars/Olympus'"):
        one_status([support_item()], office_policy(timezone="Mars/Olympus"), "2026-11-23 12:00")


def paused_policy(**overrides) -> dict:
    return make_policy(queue="support", priority="normal", first_response_minutes=None, resolution_minutes=480,
                       pause_statuses=["waiting_on_tasker"]) | overrides


def test_time_waiting_on_the_tasker_does_not_count():
    # 08–10 running, 10–13 waiting on the tasker, 13–15 running: 240 minutes used, due pushed back 3 hours.
    row = one_status([support_item(item_id="P", created_at="2026-11-02 08:00", resolved_at="2026-11-02 15:00")],
                     paused_policy(), "2026-11-02 16:00",
                     pauses(("P", "2026-11-02 10:00", "2026-11-02 13:00"))).loc["P"]
    assert (row["clock_minutes"], row["state"]) == (pytest.approx(240.0), "met")
    assert row["due_effective"] == utc("2026-11-02 19:00")


def test_an_item_still_waiting_on_the_tasker_is_paused_not_at_risk():
    row = one_status([support_item(item_id="Q", created_at="2026-11-02 08:00")], paused_policy(), "2026-11-02 12:00",
                     pauses(("Q", "2026-11-02 09:00", None))).loc["Q"]
    assert row["clock_minutes"] == pytest.approx(60.0)
    assert (row["state"], row["warn_level"], bool(row["paused"])) == ("paused", 0, True)
    # If the tasker answered now, the clock would run out at 19:00.
    assert row["due_effective"] == utc("2026-11-02 19:00")
    assert row["time_left_minutes"] == pytest.approx(420.0)


def test_a_pause_after_the_due_moment_does_not_move_it():
    row = one_status([support_item(item_id="R", created_at="2026-11-02 00:00")], paused_policy(), "2026-11-02 12:00",
                     pauses(("R", "2026-11-02 09:00", "2026-11-02 10:00"))).loc["R"]
    assert (row["clock_minutes"], row["state"]) == (pytest.approx(660.0), "breached")
    assert row["due_effective"] == utc("2026-11-02 08:00")


def test_a_status_that_does_not_pause_this_policy_leaves_the_clock_running():
    row = one_status([make_queue_item(item_id="V", created_at="2026-11-02 08:00")], make_policy(), "2026-11-02 12:00",
                     pauses(("V", "2026-11-02 09:00", None))).loc["V"]
    assert (row["clock_minutes"], bool(row["paused"])) == (pytest.approx(240.0), False)


def test_business_hours_and_a_pause_together():
    # Mon 09–11 running (120), waiting Mon 11:00 → Tue 10:00 (420 business minutes), Tue 10–12 running (120).
    row = one_status([support_item(item_id="Z", created_at="2026-11-16 09:00")], office_policy(
        pause_statuses=["waiting_on_tasker"]), "2026-11-17 12:00",
        pauses(("Z", "2026-11-16 11:00", "2026-11-17 10:00"))).loc["Z"]
    assert row["clock_minutes"] == pytest.approx(240.0)
    assert row["due_effective"] == utc("2026-11-18 10:00")
    assert row["time_left_minutes"] == pytest.approx(360.0)


def test_own_due_date_wins_over_business_hours_and_pauses():
    row = one_status([support_item(item_id="D", created_at="2026-11-20 15:00", due_at="2026-11-21 15:00")],
                     office_policy(pause_statuses=["waiting_on_tasker"]), "2026-11-22 15:00",
                     pauses(("D", "2026-11-20 16:00", None))).loc["D"]
    assert (row["target_minutes"], row["clock_minutes"]) == (1440.0, 2880.0)
    assert (row["state"], row["clock"], bool(row["paused"])) == ("breached", "own due date", False)


def test_a_resolution_counts_as_the_first_response_when_none_was_recorded():
    row = one_status([make_queue_item(item_id="F", created_at="2026-11-02 08:00", resolved_at="2026-11-02 08:30")],
                     make_policy(), "2026-11-02 12:00").loc["F"]
    assert (row["response_clock_minutes"], row["response_state"]) == (pytest.approx(30.0), "met")


def test_first_response_compliance_and_risk_are_reported_per_target():
    items = queue_items(
        make_queue_item(item_id="a", created_at="2026-11-02 08:00", first_response_at="2026-11-02 08:30"),
        make_queue_item(item_id="b", created_at="2026-11-02 10:00", first_response_at="2026-11-02 11:30"),
        make_queue_item(item_id="c", created_at="2026-11-02 11:15"),
    )
    status = sla_status(items, policies(make_policy(first_response_minutes=60)), NOW)
    assert sla_compliance(status, target="first_response").to_dict("records") == [
        {"compliance": 0.5, "met": 1, "breached": 1, "at_risk": 1, "count": 2}
    ]
    risk = breach_risk(status, targets=("first_response", "resolution"))
    assert risk[["item_id", "target", "warn_level"]].values.tolist() == [
        ["c", "first response", 75],
        ["a", "resolution", 50],
    ]
    with pytest.raises(UnknownMetric):
        sla_compliance(status, target="handle")


def test_calendar_fast_path_matches_a_business_clock_open_all_week():
    items = queue_items(
        make_queue_item(item_id="a", created_at="2026-11-20 15:00"),
        make_queue_item(item_id="b", created_at="2026-11-21 03:00", resolved_at="2026-11-21 09:00"),
    )
    always = {day: [0, 24] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    calendar = sla_status(items, policies(make_policy()), utc("2026-11-21 12:00"))
    business = sla_status(items, policies(make_policy(business_hours=True, schedule=always)), utc("2026-11-21 12:00"))
    columns = ["clock_minutes", "time_left_minutes", "due_effective", "state", "response_due", "response_state"]
    pd.testing.assert_frame_equal(calendar[columns], business[columns])


def test_queue_breakdown_per_priority(status):
    table = queue_breakdown(status.reset_index(), "priority", start=utc("2026-11-01 00:00"),
                            end=utc("2026-11-03 00:00"))
    row = table.set_index("priority").loc["normal"]
    assert (row["open"], row["breached_open"], row["at_risk"], row["due"]) == (7, 1, 2, 4)
    assert row["compliance"] == 0.5


def test_load_pauses_reads_spells_from_the_status_history(engine):
    at = lambda text: dt.datetime.fromisoformat(text).replace(tzinfo=UTC)  # noqa: E731
    stored(
        engine,
        models.SlaPolicy(queue="support", priority="normal", resolution_minutes=480,
                         pause_statuses=["waiting_on_tasker"]),
        models.QueueItem(item_id="P", queue="support", created_at=at("2026-11-02 08:00"),
                         resolved_at=at("2026-11-02 15:00")),
        models.QueueItem(item_id="Q", queue="support", created_at=at("2026-11-02 08:00")),
        models.QueueItem(item_id="N", queue="support", created_at=at("2026-11-02 08:00")),
        *(models.QueueEvent(item_id=item, at=at(moment), status=state) for item, moment, state in [
            ("P", "2026-11-02 08:00", "open"), ("P", "2026-11-02 10:00", "waiting_on_tasker"),
            ("P", "2026-11-02 13:00", "in_progress"), ("P", "2026-11-02 15:00", "resolved"),
            ("Q", "2026-11-02 08:00", "open"), ("Q", "2026-11-02 09:00", "waiting_on_tasker"),
            ("N", "2026-11-02 08:00", "open"),
        ]),
    )
    spells = load_pauses(engine, load_policies(engine))
    assert spells["item_id"].tolist() == ["P", "Q"]
    assert spells["paused_from"].tolist() == [utc("2026-11-02 10:00"), utc("2026-11-02 09:00")]
    assert spells["paused_until"].tolist()[0] == utc("2026-11-02 13:00") and pd.isna(spells["paused_until"].tolist()[1])
    assert load_pauses(engine, load_policies(engine), start=utc("2026-11-03 00:00")).empty

    status = load_sla_status(engine, utc("2026-11-02 16:00")).set_index("item_id")
    assert status["state"].to_dict() == {"P": "met", "Q": "paused", "N": "at_risk"}
    assert status.loc["P", "clock_minutes"] == pytest.approx(240.0)


def test_stuck_thresholds_come_from_settings_with_defaults(engine):
    assert load_stuck_thresholds(engine) == {"stuck_after_hours": 24.0, "stuck_max_retries": 3}
    stored(engine, models.Setting(key="stuck_after_hours", value=12))
    assert load_stuck_thresholds(engine) == {"stuck_after_hours": 12.0, "stuck_max_retries": 3}


def test_load_handle_seconds_reads_a_recorded_handle_time_per_queue(engine):
    at = dt.datetime(2026, 11, 2, 8, tzinfo=UTC)
    stored(engine, *(models.QueueItem(item_id=f"h{i}", queue=queue, created_at=at, attributes=attributes)
                     for i, (queue, attributes) in enumerate([
                         ("review", {"handle_seconds": 300}), ("review", {"handle_seconds": "420.5"}),
                         ("review", {}), ("review", {"handle_seconds": 0}), ("support", {"handle_seconds": 900})])))
    assert load_handle_seconds(engine, "review").tolist() == [300.0, 420.5]
    assert load_handle_seconds(engine, "review", start=utc("2026-11-03 00:00")).empty


# --- the demo's stories, found by the metrics --------------------------------------------------


@pytest.fixture(scope="module")
def demo_status(seeded_engine):
    """SLA status of every item in the seeded tiny demo at the moment its data describes."""
    now = timeline.data_as_of(seeded_engine)
    return now, load_sla_status(seeded_engine, now)


def test_demo_weekend_escalations_breach_far_more_often(demo_status):
    _, status = demo_status
    decided = status[(status["queue"] == "escalation") & status["state"].isin(["met", "breached"])]
    weekend = decided["created_at"].dt.day_of_week >= 5
    breach_rate = {name: (rows["state"] == "breached").mean()
                   for name, rows in (("weekend", decided[weekend]), ("weekday", decided[~weekend]))}
    assert breach_rate["weekend"] > 0.7
    assert breach_rate["weekend"] > 3 * breach_rate["weekday"]


def test_demo_stuck_uploads_are_ember_items_with_their_last_error(demo_status, seeded_engine):
    now, status = demo_status
    limits = load_stuck_thresholds(seeded_engine)
    stuck = stuck_items(status, now, stuck_after_hours=limits["stuck_after_hours"],
                        max_retries=limits["stuck_max_retries"])
    assert len(stuck) >= 6
    assert set(stuck["project_id"]) == {"p05"}
    assert stuck["last_error"].notna().all() and (stuck["retries"] >= 3).all()


def test_demo_routine_support_runs_on_office_hours(demo_status):
    _, status = demo_status
    support = status[status["queue"] == "support"].groupby("priority")["clock"].agg(set)
    assert support.to_dict() == {"high": {"calendar"}, "low": {"business hours"}, "normal": {"business hours"},
                                 "urgent": {"calendar"}}


def test_queue_overview_counts_open_breached_and_at_risk_items(status):
    view = queue_overview(status.reset_index(), NOW, start=utc("2026-11-01 00:00"), end=utc("2026-11-03 00:00"))
    # Open review items A, B, C, D and I have had no first response for over an hour: all five breached.
    assert (view.open_items, view.breached_items, view.at_risk_items) == (7, 5, 2)
    assert (view.resolution["met"], view.resolution["count"], view.resolution["compliance"]) == (2, 4, 0.5)
    assert view.risk["item_id"].tolist() == ["C", "B", "H", "I", "A"]
    assert view.open_by_day["date"].unique().tolist() == [pd.Timestamp("2026-11-01"), pd.Timestamp("2026-11-02")]


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
