"""Community health on hand-built crowds: active users, statuses, funnel, cohorts, churn, member lists, loaders."""

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest

from core import models
from core.health import segments
from core.health.active import ActiveDays, load_members
from core.health.crowd import Churn, Crowd, week_over_week
from tests.core.factories import day, make_member, member_days, members, stored, utc
from tests.core.health.oracle import load_daily_active



def crowd_of(days, community) -> Crowd:
    """The crowd of a fixture that gives (member days, members)."""
    return Crowd(community, days)

def test_active_users_count_distinct_non_staff_members_per_day_week_and_month():
    crowd = members(
        make_member(member_id="m1", onboarded_at="2026-09-01 10:00"),
        make_member(member_id="m2", onboarded_at="2026-10-20 10:00"),
        make_member(member_id="m3", onboarded_at="2026-11-02 10:00"),
        make_member(member_id="s1", is_staff=True),
    )
    days = member_days(
        ("m1", "2026-11-01"), ("m1", "2026-11-02"), ("m1", "2026-11-03"),
        ("m2", "2026-10-06"), ("m2", "2026-10-26"),
        ("m3", "2026-11-03"),
        ("s1", "2026-11-01"), ("s1", "2026-11-02"),
        ("m9", "2026-11-02"),
    )
    result = Crowd(crowd, days).active_users("2026-11-01", "2026-11-03")
    assert result["date"].tolist() == [day("2026-11-01"), day("2026-11-02"), day("2026-11-03")]
    assert result[["dau", "wau", "mau"]].values.tolist() == [[1, 2, 2], [1, 1, 2], [2, 2, 3]]
    assert result["active_rate"].tolist() == pytest.approx([1.0, 2 / 3, 1.0])
    assert result["stickiness"].tolist() == pytest.approx([5 / 9] * 3)


def test_active_users_month_window_ends_after_28_days():
    crowd = members(make_member(member_id="m1"))
    result = Crowd(crowd, member_days(("m1", "2026-10-06"))).active_users("2026-11-02", "2026-11-03")
    assert result["mau"].tolist() == [1, 0]
    assert result["wau"].tolist() == [0, 0]


def test_active_users_of_an_empty_crowd_are_zero():
    result = Crowd(members(), member_days()).active_users("2026-11-01", "2026-11-02")
    assert result[["dau", "wau", "mau"]].values.tolist() == [[0, 0, 0], [0, 0, 0]]
    assert result["active_rate"].isna().all() and result["stickiness"].isna().all()


@pytest.fixture
def crowd_statuses():
    """Members at each activity status on 2026-11-03, plus a future signup and a staff account."""
    crowd = members(
        make_member(member_id="n1", onboarded_at="2026-10-20 10:00"),
        make_member(member_id="n2", onboarded_at="2026-10-07 10:00"),
        make_member(member_id="r1"),
        make_member(member_id="r2", onboarded_at=None),
        make_member(member_id="d1"),
        make_member(member_id="v1", onboarded_at="2026-10-25 10:00"),
        make_member(member_id="f1", signed_up_at="2026-11-10 10:00", onboarded_at=None),
        make_member(member_id="s1", is_staff=True),
    )
    days = member_days(
        ("n1", "2026-11-01"), ("n2", "2026-10-30"), ("r1", "2026-11-02"), ("r2", "2026-11-03"),
        ("d1", "2026-09-15"), ("s1", "2026-11-02"),
    )
    return days, crowd


@pytest.mark.parametrize(
    "member_id, status",
    [("n1", "new"), ("n2", "new"), ("r1", "returning"), ("r2", "returning"), ("d1", "dormant"), ("v1", "never_active")],
)
def test_activity_status_classifies_each_member(crowd_statuses, member_id, status):
    result = crowd_of(*crowd_statuses).activity_status("2026-11-03").set_index("member_id")
    assert result.loc[member_id, "status"] == status
    assert "f1" not in result.index and "s1" not in result.index


def test_status_counts_cover_every_status_with_shares(crowd_statuses):
    result = crowd_of(*crowd_statuses).status_counts("2026-11-03")
    assert result.to_dict("list") == {
        "status": ["new", "returning", "dormant", "never_active"],
        "members": [2, 2, 1, 1],
        "share": pytest.approx([2 / 6, 2 / 6, 1 / 6, 1 / 6]),
    }


@pytest.fixture
def funnel_crowd():
    """Signups from September to November with first tasks and day-30 activity, as of 2026-11-30."""
    crowd = members(
        make_member(member_id="a"),
        make_member(member_id="b"),
        make_member(member_id="c"),
        make_member(member_id="d", signed_up_at="2026-11-19 09:00", onboarded_at="2026-11-20 10:00"),
        make_member(member_id="e", signed_up_at="2026-11-27 09:00", onboarded_at="2026-11-27 10:00"),
        make_member(member_id="f", onboarded_at=None),
        make_member(member_id="g", signed_up_at="2026-12-05 09:00", onboarded_at=None),
        make_member(member_id="h", is_staff=True),
        make_member(member_id="i", onboarded_at="2026-10-01 10:00"),
    )
    days = member_days(
        ("a", "2026-09-03"), ("a", "2026-10-05"),
        ("b", "2026-09-10"),
        ("c", "2026-09-08"), ("c", "2026-10-08"),
        ("d", "2026-11-22"),
        ("h", "2026-09-01"),
        ("i", "2026-10-01"), ("i", "2026-10-31"),
    )
    return crowd, days


def test_funnel_counts_each_stage_against_members_whose_window_has_closed(funnel_crowd):
    crowd, days = funnel_crowd
    result = Crowd(crowd, days).onboarding_funnel("2026-11-30")
    assert result[["stage", "members", "eligible"]].values.tolist() == [
        ["signed_up", 7, 7],
        ["onboarded", 6, 7],
        ["activated_7d", 4, 5],
        ["retained_30d", 2, 3],
    ]
    assert result["share_of_previous"].tolist() == pytest.approx([1.0, 6 / 7, 0.8, 2 / 3])
    assert result["share_of_signed_up"].tolist() == pytest.approx([1.0, 6 / 7, 4 / 7, 2 / 7])


def test_time_to_activate_is_the_median_whole_days_to_the_first_task(funnel_crowd):
    assert Crowd(*funnel_crowd).time_to_activate() == 2.0


def test_time_to_activate_without_any_task_is_nan():
    assert math.isnan(Crowd(members(make_member()), member_days()).time_to_activate())


def test_retention_cohorts_share_of_each_onboarding_week_active_in_later_weeks():
    crowd = members(
        make_member(member_id="p", onboarded_at="2026-10-07 10:00"),
        make_member(member_id="q", onboarded_at="2026-10-11 23:00"),
        make_member(member_id="r", onboarded_at="2026-10-12 01:00"),
        make_member(member_id="s", onboarded_at="2026-10-12 01:00", is_bot=True),
    )
    days = member_days(
        ("p", "2026-10-07"), ("p", "2026-10-14"), ("p", "2026-10-15"),
        ("q", "2026-10-20"),
        ("r", "2026-10-12"), ("r", "2026-10-26"),
        ("s", "2026-10-12"),
    )
    result = Crowd(crowd, days).retention_cohorts(weeks=2, as_of="2026-10-25")
    assert result.values.tolist() == [
        [day("2026-10-05"), 0, 2, 1, 0.5],
        [day("2026-10-05"), 1, 2, 1, 0.5],
        [day("2026-10-05"), 2, 2, 1, 0.5],
        [day("2026-10-12"), 0, 1, 1, 1.0],
        [day("2026-10-12"), 1, 1, 0, 0.0],
    ]
    assert list(result.columns) == ["cohort_week", "week_number", "cohort_size", "active", "share"]


@pytest.fixture
def churn_crowd():
    """Members active before and during the 28 days to 2026-11-28."""
    crowd = members(*(make_member(member_id=member_id) for member_id in "abce"), make_member(member_id="d", is_staff=True))
    days = member_days(
        ("a", "2026-10-10"), ("a", "2026-11-05"), ("b", "2026-10-20"), ("c", "2026-11-02"),
        ("d", "2026-10-10"), ("e", "2026-10-03"),
    )
    return days, crowd


def test_churn_counts_previous_window_members_silent_in_the_latest(churn_crowd):
    assert Churn.of(crowd_of(*churn_crowd), "2026-11-28") == Churn(previous_active=2, retained=1, churned=1, rate=0.5)
    assert crowd_of(*churn_crowd).churned_members("2026-11-28")["member_id"].tolist() == ["b"]


def small_days() -> ActiveDays:
    """Three members over ten days (2026-11-02, a Monday, to 2026-11-11)."""
    active = np.zeros((3, 10), dtype=bool)
    active[0, [0, 4]] = True   # a: days 0 and 4
    active[1, [7]] = True      # b: day 7
    active[2, [2, 3, 9]] = True  # c: days 2, 3 and 9
    return ActiveDays(np.array(["a", "b", "c"], dtype=object), pd.Timestamp("2026-11-02"), active)


def test_count_active_between_counts_each_range_over_the_rows():
    days = small_days()
    first, last = np.array([0, 2, 5, 8, -3, 9, np.nan]), np.array([1, 4, 7, 12, 0, 30, 3])
    counts = days.count_active_between([0, 1, 2, -1], first, last)
    assert counts.tolist() == [1, 2, 1, 1, 1, 1, 0]
    assert counts.tolist() == days.active_between(np.array([0, 1, 2, -1])[:, None], first, last).sum(axis=0).tolist()
    assert days.count_active_between([2], [0, 2], [9, 3]).tolist() == [1, 1]  # a subset of the rows
    assert days.count_active_between([0, 0, 1], [0], [4]).tolist() == [2]  # a row asked twice counts twice


def test_active_in_weeks_reads_the_weeks_from_each_start():
    days = small_days()
    # a from the Monday a week before the data, b and c from the first Monday, c again from the second
    result = days.active_in_weeks([0, 1, 2, 2, -1], [-7, 0, 0, 7, 0], 3)
    assert result.tolist() == [[False, True, False], [False, True, False], [True, True, False],
                               [True, False, False], [False, False, False]]
    starts = np.array([-7, 0, 0, 7, 0])[:, None] + 7 * np.arange(3)
    assert result.tolist() == days.active_between(np.array([0, 1, 2, 2, -1])[:, None], starts, starts + 6).tolist()
    # weeks from a Wednesday (column 2): a from 2, b from 9, c from the Wednesday before the data
    assert days.active_in_weeks([0, 1, 2], [2, 9, -5], 2).tolist() == [[True, False], [False, False], [False, True]]
    # starts on different weekdays take the general path
    assert days.active_in_weeks([0, 1], [1, 3], 2).tolist() == [[True, False], [True, False]]


@pytest.mark.parametrize("ids", [pd.Series(["c", "x", "a"], dtype="str"), pd.Series(["c", "x", "a"], dtype=object),
                                 np.array(["c", "x", "a"], dtype=object), ["c", "x", "a"]])
def test_rows_of_finds_each_member_or_minus_one(ids):
    assert small_days().rows_of(ids).tolist() == [2, -1, 0]


def test_rows_of_ids_that_are_not_strings_still_match():
    days = ActiveDays(np.array([7, 3], dtype=object), pd.Timestamp("2026-11-02"), np.ones((2, 1), dtype=bool))
    assert days.rows_of(pd.Series([3, 5, 7])).tolist() == [1, -1, 0]
    assert small_days().rows_of(pd.Series([1, 2])).tolist() == [-1, -1]


def test_one_crowd_gives_the_overview_and_every_member_list(crowd_statuses):
    days, crowd = crowd_statuses
    shared = Crowd(crowd, days)
    overview = shared.overview("2026-11-01", "2026-11-03")
    expected = Crowd(crowd, days).overview("2026-11-01", "2026-11-03")
    for name in ("active", "funnel", "status_counts", "cohorts"):
        pd.testing.assert_frame_equal(overview[name], expected[name])
    for kind in segments.MEMBER_LISTS:
        pd.testing.assert_frame_equal(segments.members_behind(kind, shared, "2026-11-03"),
                                      segments.members_behind(kind, Crowd(crowd, days), "2026-11-03"))
    assert segments.members_behind("dormant", shared, "2026-11-03")["member_id"].tolist() == ["d1"]
    assert segments.members_behind("new", shared, "2026-11-03")["member_id"].tolist() == ["n1", "n2"]


def test_week_over_week_gives_change_and_relative_change():
    result = week_over_week({"dau": 120, "nps": 10}, {"dau": 100, "nps": 0})
    assert result[["metric", "this_week", "previous_week", "delta"]].values.tolist() == [
        ["dau", 120.0, 100.0, 20.0],
        ["nps", 10.0, 0.0, 10.0],
    ]
    assert result["relative_change"].tolist()[0] == pytest.approx(0.2)
    assert math.isnan(result["relative_change"].tolist()[1])


def test_loaders_return_typed_members_and_daily_active_pairs_without_staff(engine):
    def act(member_id, project_id, on, submitted):
        return models.Activity(member_id=member_id, project_id=project_id, day=dt.date.fromisoformat(on),
                               tasks_submitted=submitted)

    stored(
        engine,
        models.Member(member_id="m1", region="EMEA", onboarded_at=dt.datetime(2026, 9, 1, 10, tzinfo=dt.UTC)),
        models.Member(member_id="m2", region="APAC"),
        models.Member(member_id="s", is_staff=True),
        models.Member(member_id="b", is_bot=True),
        models.Project(project_id="p1", name="One"),
        models.Project(project_id="p2", name="Two"),
        act("m1", "p1", "2026-11-01", 0), act("m1", "p2", "2026-11-01", 2), act("m2", "p1", "2026-11-01", 0),
        act("m2", "p1", "2026-11-02", 1), act("s", "p1", "2026-11-01", 5), act("b", "p1", "2026-11-02", 5),
        act("m1", "p1", "2026-11-02", 3), act("m1", "p1", "2026-10-31", 4),
    )
    crowd = load_members(engine)
    assert crowd["member_id"].tolist() == ["b", "m1", "m2", "s"]
    assert str(crowd["onboarded_at"].dtype) == "datetime64[us, UTC]"
    assert crowd["onboarded_at"].tolist()[1] == utc("2026-09-01 10:00")
    assert crowd["is_staff"].tolist() == [False, False, False, True] and crowd["is_bot"].dtype == bool
    assert "attributes" not in crowd.columns
    assert load_members(engine, regions=["APAC"])["member_id"].tolist() == ["m2"]

    days = load_daily_active(engine, start=dt.date(2026, 11, 1), end=dt.date(2026, 11, 2))
    assert str(days["day"].dtype) == "datetime64[us]"
    assert days.values.tolist() == [["m1", day("2026-11-01")], ["m1", day("2026-11-02")], ["m2", day("2026-11-02")]]
    in_p1 = load_daily_active(engine, start="2026-11-01", end="2026-11-02", projects=["p1"])
    assert in_p1.values.tolist() == [["m1", day("2026-11-02")], ["m2", day("2026-11-02")]]
