"""What templates are filled with: live figures, audience facts, and the moments a draft remembers."""

import datetime as dt

import pandas as pd

from core.comms import audience
from core.comms import context
from core.models import Activity, Member, Project
from tests.core import factories
from tests.core.factories import stored

NOW = pd.Timestamp("2026-11-22 09:00", tz="UTC")


def rolled_up(engine):
    """The engine after building the roll-ups that Health's figures read (rows stored directly skip the importer)."""
    from core import rollups
    with engine.begin() as connection:
        rollups.refresh_all(connection)
    return engine


def test_community_figures_count_the_last_7_days_without_staff(engine):
    day = dt.date(2026, 11, 20)
    stored(engine,
           Project(project_id="p1", name="Atlas", status="live"), Project(project_id="p2", name="Beacon", status="paused"),
           Member(member_id="m1", onboarded_at=dt.datetime(2026, 11, 18, tzinfo=dt.UTC)),
           Member(member_id="m2", onboarded_at=dt.datetime(2026, 10, 1, tzinfo=dt.UTC)),
           Member(member_id="staff", is_staff=True, onboarded_at=dt.datetime(2026, 11, 19, tzinfo=dt.UTC)),
           Activity(member_id="m1", project_id="p1", day=day, tasks_submitted=10),
           Activity(member_id="m2", project_id="p1", day=day, tasks_submitted=5),
           Activity(member_id="m2", project_id="p1", day=dt.date(2026, 11, 1), tasks_submitted=99),
           Activity(member_id="staff", project_id="p1", day=day, tasks_submitted=50))
    rolled_up(engine)
    # First task 2 days (m1) and 31 days (m2) after onboarding: the median, 16.5 days, is said as 17.
    assert context.community_figures(engine, NOW) == {"active_taskers": 2, "tasks_submitted": 15, "new_taskers": 1,
                                                      "live_projects": 1, "days_to_first_task": 17}


def test_active_this_week_is_the_7_days_ending_on_the_last_day_with_data(engine):
    """Not an 8-day window, and not ending on a later 'now' with no data yet (Health's WAU on the last day)."""
    stored(engine, Project(project_id="p1", name="Atlas"), Member(member_id="m1"), Member(member_id="m2"),
           Member(member_id="m3"),
           Activity(member_id="m1", project_id="p1", day=dt.date(2026, 11, 20), tasks_submitted=2),
           Activity(member_id="m2", project_id="p1", day=dt.date(2026, 11, 14), tasks_submitted=3),
           Activity(member_id="m3", project_id="p1", day=dt.date(2026, 11, 13), tasks_submitted=4))
    figures = context.community_figures(rolled_up(engine), NOW)  # NOW is 2026-11-22: two days after the data
    assert (figures["active_taskers"], figures["tasks_submitted"]) == (2, 5)


def test_newsletter_active_this_week_equals_health_wau_on_the_demo(seeded_engine):
    from core import timeline
    from core.health.scope import load_scope
    last_day = timeline.data_as_of(seeded_engine).date()
    scope = load_scope(seeded_engine, start=last_day - dt.timedelta(days=30), end=last_day)
    wau = scope.overview(last_day, last_day)["active"]["wau"].iloc[-1]
    assert context.community_figures(seeded_engine, timeline.present())["active_taskers"] == wau > 0


def test_variables_hold_audience_counts_and_moments_in_each_zone():
    members = factories.members(factories.make_member(member_id="a", timezone="Asia/Manila", language="en"),
                                factories.make_member(member_id="b", timezone="Asia/Manila", language="tl"))
    variables = context.template_variables(audience=members, audience_label="Manila taskers", sender={},
                                           deadline=pd.Timestamp("2026-12-04 17:00", tz="UTC"))
    assert variables["audience"] == {"label": "Manila taskers", "recipients": 2, "languages": 2, "time_zones": 1}
    assert variables["deadline"]["zones"] == ["Manila (UTC+8): Sat 5 Dec 2026, 01:00"]
    assert variables["sender"]["name"] == "The community team"
    assert "project" not in variables and "event" not in variables


def test_a_draft_remembers_its_moments_as_iso_text_and_gives_them_back_as_utc():
    stored = context.draft_context(audience_label="x", deadline=pd.Timestamp("2026-12-04 17:00", tz="UTC"),
                                   event={"event_id": "e1", "starts_at": pd.Timestamp("2026-12-01 15:00", tz="UTC")},
                                   link="https://x.example")
    assert stored == {"audience_label": "x", "deadline_at": "2026-12-04T17:00:00+00:00", "event_id": "e1",
                      "event_starts_at": "2026-12-01T15:00:00+00:00", "link": "https://x.example"}
    assert context.draft_moments(stored) == {"deadline": dt.datetime(2026, 12, 4, 17, tzinfo=dt.UTC),
                                             "event_start": dt.datetime(2026, 12, 1, 15, tzinfo=dt.UTC)}


def test_languages_without_a_version_are_listed_by_readers():
    members = pd.DataFrame({"language": ["en", "es", "es", "pt", None]})
    missing = context.languages_without_version(members, ["en"])
    assert missing[["language", "recipients"]].values.tolist() == [["es", 2], ["pt", 1]]


def test_segment_members_use_the_list_or_the_filters_and_second_language_share():
    base = pd.DataFrame({"member_id": ["a", "b", "c"], "status": ["active"] * 3, "language": ["es", "en", None],
                         "country": None, "region": None, "vendor": None, "timezone": None, "projects": [()] * 3,
                         "onboarded_at": pd.to_datetime(["2026-11-01", "2025-01-01", "2026-11-20"], utc=True)})
    assert audience.segment_members(base, member_ids=["c", "x"])["member_id"].tolist() == ["c"]
    assert audience.segment_members(base, filters={"max_tenure_days": 30}, now=NOW)["member_id"].tolist() == ["a", "c"]
    assert audience.second_language_share(base) == 1 / 3
    assert audience.describe_filters({"languages": ["es"], "projects": ["p1"]}, {"p1": "Atlas"}) == \
        "active taskers · language es · worked on Atlas"


def test_a_draft_offers_its_own_languages_english_first_then_the_audiences_others():
    versions = {"pt": object(), "en": object()}
    assert context.language_choices(versions, ["es", "en", "unknown", "pt", "hi"]) == ["en", "pt", "es", "hi"]
