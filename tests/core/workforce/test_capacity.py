import math

import pandas as pd
import pytest

from core.workforce.capacity import (
    CapacityInputError,
    CapacityPlan,
    arrivals_by_hour_of_week,
    average_speed_of_answer,
    erlang_c,
    erlang_c_agents,
    offered_traffic,
    service_level,
    staffing_by_hour_of_week,
    staffing_levels,
)
from core.errors import CrowdPulseError
from tests.core.factories import make_queue_item, queue_items, utc


def erlang_c_by_factorials(agents: int, traffic: float) -> float:
    """The textbook closed form, in log space so it can be checked at large sizes too."""
    log_terms = [k * math.log(traffic) - math.lgamma(k + 1) for k in range(agents)]
    log_last = agents * math.log(traffic) - math.lgamma(agents + 1) + math.log(agents / (agents - traffic))
    top = max(log_terms + [log_last])
    waiting = math.exp(log_last - top)
    return waiting / (sum(math.exp(term - top) for term in log_terms) + waiting)


def test_traffic_is_arrivals_times_handle_time_in_hours():
    # 100 contacts per half hour at 3 minutes each: the classic 10-Erlang example.
    assert offered_traffic(200, 180) == 10.0


@pytest.mark.parametrize(
    "agents, probability_of_waiting",
    [(11, 0.6821), (12, 0.4494), (13, 0.2853), (14, 0.1741), (15, 0.1020)],
)
def test_erlang_c_matches_the_textbook_table_for_ten_erlangs(agents, probability_of_waiting):
    assert erlang_c(agents, 10.0) == pytest.approx(probability_of_waiting, abs=1e-4)
    assert erlang_c(agents, 10.0) == pytest.approx(erlang_c_by_factorials(agents, 10.0), rel=1e-12)


@pytest.mark.parametrize("agents, traffic", [(200, 180.5), (1000, 950.0), (3000, 2990.0)])
def test_erlang_c_stays_accurate_where_factorials_would_overflow(agents, traffic):
    assert erlang_c(agents, traffic) == pytest.approx(erlang_c_by_factorials(agents, traffic), rel=1e-9)


@pytest.mark.parametrize("agents, traffic, expected", [(10, 10.0, 1.0), (5, 10.0, 1.0), (3, 0.0, 0.0)])
def test_erlang_c_edges_are_certain_wait_or_no_wait(agents, traffic, expected):
    assert erlang_c(agents, traffic) == expected


@pytest.mark.parametrize("agents, expected", [(13, 0.7956), (14, 0.8884), (10, 0.0)])
def test_service_level_within_twenty_seconds(agents, expected):
    assert service_level(agents, 200, 180, 20) == pytest.approx(expected, abs=1e-4)


def test_average_speed_of_answer_for_fourteen_agents_is_about_eight_seconds():
    assert average_speed_of_answer(14, 200, 180) == pytest.approx(7.836, abs=1e-3)


def test_planner_returns_the_fewest_agents_meeting_eighty_in_twenty():
    plan = erlang_c_agents(200, 180, 0.8, 20)
    assert (plan.agents, plan.scheduled) == (14, 14)
    assert plan.service_level == pytest.approx(0.8884, abs=1e-4)
    assert plan.occupancy == pytest.approx(10 / 14)
    assert plan.asa_seconds == pytest.approx(7.836, abs=1e-3)


def test_shrinkage_raises_scheduled_staff_without_float_rounding_up():
    assert erlang_c_agents(200, 180, 0.8, 20, shrinkage=0.3).scheduled == 20
    assert erlang_c_agents(200, 180, 0.8, 20, shrinkage=0.25).scheduled == 19


def test_occupancy_cap_adds_agents_beyond_the_service_level_need():
    plan = erlang_c_agents(200, 180, 0.8, 20, max_occupancy=0.6)
    assert plan.agents == 17 and plan.occupancy <= 0.6


def test_queue_without_arrivals_needs_nobody():
    assert erlang_c_agents(0, 180, 0.8, 20) == CapacityPlan(0, 0, 1.0, 0.0, 0.0)


@pytest.mark.parametrize(
    "arguments, message",
    [
        ((-1, 180, 0.8, 20), "arrivals per hour"),
        ((200, 0, 0.8, 20), "average handle time"),
        ((200, 180, 1.0, 20), "service-level target"),
        ((200, 180, 0.8, -5), "answer-within"),
    ],
)
def test_impossible_inputs_are_refused_with_a_plain_reason(arguments, message):
    with pytest.raises(CapacityInputError, match=message) as refused:
        erlang_c_agents(*arguments)
    assert isinstance(refused.value, CrowdPulseError)


@pytest.mark.parametrize("options", [{"shrinkage": 1.0}, {"max_occupancy": 0.0}])
def test_shrinkage_and_occupancy_must_be_shares(options):
    with pytest.raises(CapacityInputError):
        erlang_c_agents(200, 180, 0.8, 20, **options)


# --- planning from history ----------------------------------------------------------------------


def test_arrivals_by_hour_of_week_average_the_whole_weeks_before_now():
    items = queue_items(*(make_queue_item(created_at=moment) for moment in [
        "2026-11-09 09:05", "2026-11-16 09:10", "2026-11-16 09:50",  # Mondays 09:00–10:00
        "2026-11-22 23:59",                                          # the last hour of the week
        "2026-11-08 09:00", "2026-11-23 00:00",                      # before the window, at now
    ]))
    arrivals = arrivals_by_hour_of_week(items, utc("2026-11-23 00:00"), weeks=2)
    assert len(arrivals) == 168 and arrivals["arrivals"].sum() == 4
    monday_nine = arrivals.iloc[9]
    assert (monday_nine["label"], monday_nine["arrivals"], monday_nine["arrivals_per_hour"]) == ("Mon 09:00", 3, 1.5)
    assert arrivals.iloc[167][["day", "hour", "arrivals_per_hour"]].tolist() == ["Sun", 23, 0.5]


def test_arrivals_need_at_least_a_week_of_history():
    with pytest.raises(CapacityInputError, match="at least one week"):
        arrivals_by_hour_of_week(queue_items(), utc("2026-11-23 00:00"), weeks=0)


def test_staffing_by_hour_of_week_plans_each_hour_on_its_own_arrivals():
    arrivals = pd.DataFrame({"hour_of_week": [0, 9], "arrivals_per_hour": [0.0, 200.0]})
    plan = staffing_by_hour_of_week(arrivals, 180, 0.8, 20, shrinkage=0.3)
    assert plan[["hour_of_week", "agents", "scheduled"]].values.tolist() == [[0, 0, 0], [9, 14, 20]]
    assert plan["service_level"].tolist()[1] == pytest.approx(0.8884, abs=1e-4)


def test_staffing_levels_show_what_each_headcount_around_the_plan_gives():
    levels = staffing_levels(200, 180, 0.8, 20, agents=14)
    assert levels["agents"].tolist() == [12, 13, 14, 15, 16, 17]
    assert levels["service_level"].tolist()[1:3] == pytest.approx([0.7956, 0.8884], abs=1e-4)
    assert levels["meets_target"].tolist() == [False, False, True, True, True, True]
    assert levels["occupancy"].tolist()[2] == pytest.approx(10 / 14)


def test_staffing_levels_below_the_traffic_cannot_keep_up():
    levels = staffing_levels(200, 180, 0.8, 20, agents=11, shrinkage=0.5).set_index("agents")
    assert levels.loc[10, ["service_level", "occupancy", "keeps_up", "scheduled"]].tolist() == [0.0, 1.0, False, 20]
    assert math.isnan(levels.loc[9, "asa_seconds"])
    assert bool(levels.loc[11, "keeps_up"])


def test_a_level_over_the_occupancy_cap_does_not_meet_the_target():
    levels = staffing_levels(200, 180, 0.8, 20, agents=14, max_occupancy=0.6).set_index("agents")
    assert levels.loc[14, ["service_level", "within_cap", "meets_target"]].tolist() == [
        pytest.approx(0.8884, abs=1e-4), False, False]
    assert levels.loc[17, ["within_cap", "meets_target"]].tolist() == [True, True]


def test_a_window_that_starts_on_a_wednesday_divides_each_hour_by_its_own_count():
    # Wed 2026-11-11 10:30 → Mon 2026-11-23 00:00: Wednesday 10:00 occurs twice (11th, partial, and 18th),
    # Monday 09:00 once (the 16th), Tuesday 09:00 once (the 17th).
    items = queue_items(*(make_queue_item(created_at=moment) for moment in [
        "2026-11-11 10:40", "2026-11-18 10:05", "2026-11-18 10:55",  # Wednesdays 10:00
        "2026-11-16 09:15",                                          # Monday 09:00
        "2026-11-11 10:20",                                          # before the window starts
    ]))
    arrivals = arrivals_by_hour_of_week(items, utc("2026-11-23 00:00"), start=utc("2026-11-11 10:30"))
    by_hour = arrivals.set_index("label")
    assert by_hour.loc["Wed 10:00", ["arrivals", "hours", "arrivals_per_hour"]].tolist() == [3, 2, 1.5]
    assert by_hour.loc["Wed 09:00", "hours"] == 1  # only the 18th: the 11th's 09:00 is before the window
    assert by_hour.loc["Mon 09:00", ["arrivals", "hours", "arrivals_per_hour"]].tolist() == [1, 1, 1.0]
    assert arrivals["hours"].sum() == 11 * 24 + 14  # 10:00 on the 11th through 23:00 on the 22nd


def test_a_window_that_ends_before_it_starts_is_refused():
    with pytest.raises(CapacityInputError, match="ends before it starts"):
        arrivals_by_hour_of_week(queue_items(), utc("2026-11-01 00:00"), start=utc("2026-11-02 00:00"))
