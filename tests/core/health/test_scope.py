"""Whom Health counts under a project filter: the project's members, with their tasks anywhere for staying or leaving."""

import pandas as pd
import pytest

from core.health import segments
from core.health.crowd import Churn
from core.health.scope import scope_of
from tests.core.factories import make_member, member_days, members

AS_OF = "2026-11-20"  # latest 28 days: 24 Oct – 20 Nov; the 28 before: 26 Sep – 23 Oct


@pytest.fixture
def two_projects():
    """Five members onboarded 1 Sep: a works on p1 now; b moved from p1 to p2; c works on p2 only; d left after p1;
    e never worked. Gives (members, days on any project, days on p1)."""
    crowd = members(*(make_member(member_id=member_id, region="LatAm" if member_id in "ab" else "EMEA")
                      for member_id in "abcde"))
    p1 = [("a", "2026-11-20"), ("b", "2026-10-10"), ("d", "2026-10-10")]
    p2 = [("b", "2026-11-15"), ("c", "2026-11-20")]
    return crowd, member_days(*p1, *p2), member_days(*p1)


def test_under_a_project_filter_the_base_is_the_projects_members(two_projects):
    crowd, anywhere, on_p1 = two_projects
    scope = scope_of(crowd, anywhere, on_p1)
    assert sorted(scope.community.members["member_id"]) == ["a", "b", "d"]
    latest = scope.overview(AS_OF, AS_OF)["active"].iloc[-1]
    assert (latest["dau"], latest["wau"], latest["mau"]) == (1, 1, 1)
    assert latest["active_rate"] == pytest.approx(1 / 3)  # a of the 3 onboarded members of p1


def test_a_member_who_moved_to_another_project_has_not_churned(two_projects):
    crowd, anywhere, on_p1 = two_projects
    assert Churn.of(scope_of(crowd, anywhere, on_p1).community, AS_OF) == Churn(
        previous_active=2, retained=1, churned=1, rate=0.5)  # b moved to p2 and stays; d left
    assert segments.members_behind("churned", scope_of(crowd, anywhere, on_p1), AS_OF)["member_id"].tolist() == ["d"]


def test_without_a_project_filter_every_community_member_is_the_base(two_projects):
    crowd, anywhere, _ = two_projects
    scope = scope_of(crowd, anywhere)
    assert not scope.by_project
    latest = scope.overview(AS_OF, AS_OF)["active"].iloc[-1]
    assert (latest["dau"], latest["wau"], latest["mau"], latest["active_rate"]) == (2, 3, 3, pytest.approx(3 / 5))
    assert segments.members_behind("never_active", scope, AS_OF)["member_id"].tolist() == ["e"]


@pytest.mark.parametrize(("projects", "kind", "expected"), [
    (False, "dau", ["a", "c"]), (False, "wau", ["a", "b", "c"]), (False, "mau", ["a", "b", "c"]),
    (True, "dau", ["a"]), (True, "wau", ["a"]), (True, "mau", ["a"]),
])
def test_the_members_behind_dau_wau_mau_are_as_many_as_the_figure(two_projects, projects, kind, expected):
    crowd, anywhere, on_p1 = two_projects
    scope = scope_of(crowd, anywhere, on_p1 if projects else None)
    listed = segments.members_behind(kind, scope, AS_OF)["member_id"].tolist()
    assert listed == expected
    assert len(listed) == scope.overview(AS_OF, AS_OF)["active"].iloc[-1][kind]


def test_the_members_behind_a_retention_cell_are_its_active_count(two_projects):
    crowd, anywhere, _ = two_projects
    scope = scope_of(crowd, anywhere)
    cohorts = scope.community.retention_cohorts(weeks=11, as_of=AS_OF)
    cell = cohorts[(cohorts["cohort_week"] == pd.Timestamp("2026-08-31")) & (cohorts["week_number"] == 10)].iloc[0]
    listed = segments.cohort_members(scope, "2026-08-31", 10)["member_id"].tolist()
    assert listed == ["b"] and len(listed) == cell["active"] == 1  # week 10: 9–15 Nov (c's 20 Nov is week 11)


def test_the_members_behind_a_segment_row_match_its_counts(two_projects):
    from core.health.breakdowns import active_by
    crowd, anywhere, _ = two_projects
    scope = scope_of(crowd, anywhere)
    row = active_by(anywhere, crowd, AS_OF, "region").set_index("region").loc["LatAm"]
    for group, expected in (("members", ["a", "b"]), ("mau", ["a", "b"]), ("wau", ["a", "b"])):
        listed = segments.segment_row_members(scope, crowd, AS_OF, "region", "LatAm", group)["member_id"].tolist()
        assert listed == expected and len(listed) == row[group]


def test_file_names_carry_the_day_regions_and_projects():
    assert segments.file_scope("2026-11-20", ["Latin America"], ["Cedar GenAI Chat Rating"]) == \
        "2026-11-20-latin-america-cedar"
    assert segments.file_scope("2026-10-24-to-2026-11-20") == "2026-10-24-to-2026-11-20"


def test_one_read_of_the_project_days_gives_the_base_and_the_days_of_two(engine):
    from core.health.active import load_active_days, load_community
    from core.health.scope import project_base, project_base_and_days
    from core.ingest import importer
    from tests.core.factories import day

    for entity, text in (("members", "member_id\nm1\nm2\nm3\nm4\n"),
                         ("activity", "member_id,project_id,day,tasks_submitted\nm1,p1,2026-07-01,1\n"
                                      "m2,p1,2026-11-01,1\nm3,p2,2026-11-01,1\nm4,p1,2026-05-01,1\n")):
        importer.import_file(engine, entity, text.encode(), filename="upload.csv")
    community = load_community(engine)
    # The base looks back 147 days (to 9 Jun): m1 (1 Jul) belongs to p1, m4 (1 May) no longer does; m3 works on p2.
    base, days = project_base_and_days(engine, community, start="2026-10-01", end="2026-11-02", projects=["p1"])
    assert base["member_id"].tolist() == ["m1", "m2"]
    assert days.first_day == pd.Timestamp("2026-10-01") and days.active.shape[1] == 33
    assert days.pairs().values.tolist() == [["m2", day("2026-11-01")]]
    assert base.equals(project_base(engine, community, end="2026-11-02", projects=["p1"]))
    assert days.pairs().equals(load_active_days(engine, start="2026-10-01", end="2026-11-02", projects=["p1"]).pairs())


def test_between_keeps_the_members_and_only_the_days_asked():
    from core.health.active import ActiveDays
    from tests.core.factories import day

    days = ActiveDays.from_pairs(member_days(("a", "2026-11-01"), ("b", "2026-11-03"), ("a", "2026-11-05")))
    cut = days.between("2026-11-02", "2026-11-04")
    assert cut.member_ids.tolist() == ["a", "b"] and cut.first_day == pd.Timestamp("2026-11-02")
    assert cut.pairs().values.tolist() == [["b", day("2026-11-03")]]
    with pytest.raises(ValueError):
        days.between("2026-10-31", "2026-11-04")


def test_the_funnel_follows_the_members_who_signed_up_since_the_first_active_day():
    from core.health.crowd import Crowd

    crowd = members(make_member(member_id="old", signed_up_at="2026-10-31 23:00"),
                    make_member(member_id="new", signed_up_at="2026-11-01 00:00"),
                    make_member(member_id="later", signed_up_at="2026-11-04 09:00"))
    recent = Crowd(crowd, member_days(("old", "2026-11-01"), ("new", "2026-11-02"))).recent_signups()
    assert recent.members["member_id"].tolist() == ["new", "later"]
