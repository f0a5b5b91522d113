"""The SLA clock: states, warn levels, business hours, pauses and own due dates, per target."""

import math

import pandas as pd
import pytest

from core import timeline
from core.errors import UnknownMetric
from core.queues.calendar import SlaPolicyInvalid
from core.queues.clock import sla_status
from core.queues.read import load_stuck_thresholds
from core.queues.views import breach_risk, stuck_items
from tests.core.factories import make_policy, make_queue_item, policies, queue_items, utc
from tests.core.queues.oracle import load_sla_status, sla_compliance

NOW = utc("2026-11-02 12:00")


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


@pytest.mark.parametrize("item, now, pause, minutes, state, due", [
    # 08–10 running, 10–13 waiting on the tasker, 13–15 running: 240 minutes used, due pushed back 3 hours.
    pytest.param(dict(item_id="P", created_at="2026-11-02 08:00", resolved_at="2026-11-02 15:00"), "2026-11-02 16:00",
                 ("P", "2026-11-02 10:00", "2026-11-02 13:00"), 240.0, "met", "2026-11-02 19:00",
                 id="time_waiting_on_the_tasker_does_not_count"),
    pytest.param(dict(item_id="R", created_at="2026-11-02 00:00"), "2026-11-02 12:00",
                 ("R", "2026-11-02 09:00", "2026-11-02 10:00"), 660.0, "breached", "2026-11-02 08:00",
                 id="a_pause_after_the_due_moment_does_not_move_it"),
])
def test_an_ended_pause_under_a_pausing_policy(item, now, pause, minutes, state, due):
    row = one_status([support_item(**item)], paused_policy(), now, pauses(pause)).loc[item["item_id"]]
    assert (row["clock_minutes"], row["state"]) == (pytest.approx(minutes), state)
    assert row["due_effective"] == utc(due)


def test_an_item_still_waiting_on_the_tasker_is_paused_not_at_risk():
    row = one_status([support_item(item_id="Q", created_at="2026-11-02 08:00")], paused_policy(), "2026-11-02 12:00",
                     pauses(("Q", "2026-11-02 09:00", None))).loc["Q"]
    assert row["clock_minutes"] == pytest.approx(60.0)
    assert (row["state"], row["warn_level"], bool(row["paused"])) == ("paused", 0, True)
    # If the tasker answered now, the clock would run out at 19:00.
    assert row["due_effective"] == utc("2026-11-02 19:00")
    assert row["time_left_minutes"] == pytest.approx(420.0)


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
