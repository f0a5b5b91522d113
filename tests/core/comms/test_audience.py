"""Audience selection for messages."""

import pandas as pd

from core.comms import audience

BASE = pd.DataFrame({
    "member_id": ["a", "b", "c", "d"],
    "country": ["BR", "MX", "BR", "IN"],
    "region": ["Latin America", "Latin America", "Latin America", "Asia-Pacific"],
    "timezone": ["America/Sao_Paulo", "America/Mexico_City", "America/Sao_Paulo", "Asia/Kolkata"],
    "language": ["pt", "es", "pt", "en"],
    "vendor": [None, "Lumen Agency", None, None],
    "status": ["active", "active", "inactive", "active"],
    "projects": [("p03",), ("p03", "p01"), ("p03",), ("p01",)],
})


def test_filters_combine_with_and_and_default_to_active_members():
    chosen = audience.select_audience(BASE, regions=["Latin America"], projects=["p03"])
    assert chosen["member_id"].tolist() == ["a", "b"]


def test_empty_filters_select_every_active_member():
    assert audience.select_audience(BASE)["member_id"].tolist() == ["a", "b", "d"]


def test_language_mix_counts_and_shares_recipients():
    mix = audience.audience_mix(audience.select_audience(BASE), "language")
    assert mix.to_dict("records") == [
        {"language": "en", "recipients": 1, "share": 1 / 3},
        {"language": "es", "recipients": 1, "share": 1 / 3},
        {"language": "pt", "recipients": 1, "share": 1 / 3},
    ]


def test_projects_worked_on_from_the_activity_rollup_match_the_activity_rows(seeded_engine):
    """Read from the per-project presence bitmaps, every taskers' projects are those their activity rows name.

    The demo (like the large scenario) stores no activity row without a submitted task, so "has a
    bit set" and "has an activity row" agree; staff and bots are left out by their member flags.
    """
    from sqlalchemy import text

    from core.frames import read_frame
    base = audience.load_audience_base(seeded_engine)
    people = read_frame(seeded_engine, text("SELECT member_id, is_staff, is_bot FROM member"))
    people = people[~people["is_staff"].astype(bool) & ~people["is_bot"].astype(bool)]
    assert sorted(base["member_id"]) == sorted(people["member_id"])
    rows = read_frame(seeded_engine, text("SELECT DISTINCT member_id, project_id FROM activity"))
    expected = rows.groupby("member_id")["project_id"].agg(lambda found: tuple(sorted(found)))
    worked = base.set_index("member_id")["projects"]
    assert (worked[worked.map(len) > 0] == expected.reindex(worked[worked.map(len) > 0].index)).all()
    assert worked.map(len).gt(0).sum() == expected.index.isin(worked.index).sum() > 100
    assert read_frame(seeded_engine, text("SELECT count(*) AS n FROM activity WHERE tasks_submitted < 1"))["n"][0] == 0


def test_an_activity_import_adds_the_project_to_the_members_projects(engine):
    import pandas as pd

    from core.ingest import importer as ingest
    ingest.import_frame(engine, "members", pd.DataFrame([{"member_id": "m1"}, {"member_id": "m2", "is_staff": True}]))
    ingest.import_frame(engine, "projects", pd.DataFrame([{"project_id": "p1"}, {"project_id": "p2"}]))
    ingest.import_frame(engine, "activity", pd.DataFrame([
        {"member_id": "m1", "project_id": "p2", "day": "2026-11-01", "tasks_submitted": 3},
        {"member_id": "m2", "project_id": "p1", "day": "2026-11-01", "tasks_submitted": 3}]))
    assert audience.load_audience_base(engine).set_index("member_id")["projects"].to_dict() == {"m1": ("p2",)}
    ingest.import_frame(engine, "activity", pd.DataFrame([
        {"member_id": "m1", "project_id": "p1", "day": "2026-11-02", "tasks_submitted": 1}]))
    base = audience.load_audience_base(engine)
    assert base.set_index("member_id")["projects"].to_dict() == {"m1": ("p1", "p2")}
    assert audience.select_audience(base, projects=["p1"])["member_id"].tolist() == ["m1"]


def test_a_saved_segment_is_called_by_its_name_and_chosen_by_its_id():
    segments = pd.DataFrame({"id": [4, 5], "name": ["Latin America", "Two people"],
                             "filters": [{"regions": ["Latin America"]}, {}], "member_ids": [[], ["c", "d"]]})
    saved = audience.saved_audience(BASE, segments, 4)
    assert (saved.members["member_id"].tolist(), saved.label, saved.spec) == (["a", "b"], "Latin America",
                                                                              {"segment_id": 4})
    assert audience.saved_audience(BASE, segments, 5).members["member_id"].tolist() == ["c", "d"]
    assert audience.segment_summary(segments.iloc[1]) == "a list of 2 taskers"
    assert audience.segment_summary(segments.iloc[0]) == "active taskers · region Latin America"


def test_empty_filters_are_dropped_and_the_rest_described():
    chosen = audience.filtered_audience(BASE, {"languages": ["pt"], "vendors": [], "statuses": ["active"],
                                               "projects": ("p03",)}, {"p03": "Cedar"})
    assert chosen.members["member_id"].tolist() == ["a"]
    assert chosen.label == "active taskers · language pt · worked on Cedar"
    assert chosen.spec == {"filters": {"languages": ["pt"], "statuses": ["active"], "projects": ["p03"]},
                           "label": "active taskers · language pt · worked on Cedar"}


def test_a_handed_over_list_keeps_only_known_taskers():
    chosen = audience.handed_over_audience(BASE, ["a", "zz"], "from the alert")
    assert chosen.spec == {"member_ids": ["a"], "label": "from the alert"}


def test_active_means_a_submitted_task_in_the_28_days_ending_on_the_last_day_with_data(engine):
    """Health's monthly active, not the stored member status (every demo member is stored as 'active')."""
    import datetime as dt

    from core import rollups
    from core.models import Activity, Member, Project
    from tests.core.factories import stored
    stored(engine, Project(project_id="p1", name="Atlas"), Member(member_id="recent"), Member(member_id="edge"), Member(member_id="gone"),
           Member(member_id="never"), Member(member_id="banned", status="banned"),
           Member(member_id="staff", is_staff=True),
           Activity(member_id="recent", project_id="p1", day=dt.date(2026, 11, 20), tasks_submitted=1),
           Activity(member_id="edge", project_id="p1", day=dt.date(2026, 10, 24), tasks_submitted=1),
           Activity(member_id="gone", project_id="p1", day=dt.date(2026, 10, 23), tasks_submitted=9),
           Activity(member_id="banned", project_id="p1", day=dt.date(2026, 11, 20), tasks_submitted=1),
           Activity(member_id="staff", project_id="p1", day=dt.date(2026, 11, 20), tasks_submitted=1))
    with engine.begin() as connection:
        rollups.refresh_all(connection)
    base = audience.load_audience_base(engine).set_index("member_id")
    assert base["status"].to_dict() == {"banned": "banned", "edge": "active", "gone": "inactive",
                                        "never": "inactive", "recent": "active"}
    assert base["account_status"].to_dict() == {"banned": "banned", "edge": "active", "gone": "active",
                                                "never": "active", "recent": "active"}
    assert sorted(audience.select_audience(base.reset_index())["member_id"]) == ["edge", "recent"]


def test_active_taskers_audience_equals_health_monthly_active_on_the_demo(seeded_engine):
    import datetime as dt

    from core import timeline
    from core.health.scope import active_member_ids, load_scope
    last_day = timeline.data_as_of(seeded_engine).date()
    mau = load_scope(seeded_engine, start=last_day - dt.timedelta(days=30), end=last_day).overview(
        last_day, last_day)["active"]["mau"].iloc[-1]
    base = audience.load_audience_base(seeded_engine)
    # Paused, offboarded and banned accounts are not "active taskers" even when they worked in the month.
    unavailable = int((base["account_status"] != "active").sum())
    monthly_but_unavailable = int(((base["account_status"] != "active")
                                   & base["member_id"].isin(active_member_ids(seeded_engine, last_day))).sum())
    assert len(audience.select_audience(base)) == mau - monthly_but_unavailable
    assert 0 < mau < len(base) and unavailable > 0
