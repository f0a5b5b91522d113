"""The workforce roll-up: it gives the numbers the activity rows give, and stays in step with writes."""

import datetime as dt

import pandas as pd
import pytest
from sqlalchemy import select

from core.ingest import importer as ingest
from core import models, rollups, timeline
from core.errors import CrowdPulseError
from core.feedback.read import load_feedback
from core.workforce import bitmaps, confusion, fatigue, quality, read as workforce, rollup
from tests.core.workforce import oracle


def same(left: pd.DataFrame, right: pd.DataFrame) -> None:
    # Text columns with no value at all come out of a loader as objects, of the roll-up as text: same values.
    pd.testing.assert_frame_equal(left.reset_index(drop=True), right.reset_index(drop=True), check_exact=False,
                                  rtol=1e-12, check_dtype=False)


@pytest.fixture(scope="module")
def demo(seeded_engine):
    """The demo's last day, its 36-day fatigue window and its 90-day confusion window."""
    end = timeline.data_as_of(seeded_engine).date()
    return end, end - dt.timedelta(days=35), end - dt.timedelta(days=90)


SCOPES = [dict(), dict(projects=["p03"]), dict(regions=["Latin America", "Europe"]),
          dict(projects=["p01", "p04"], regions=["Africa"])]


@pytest.mark.parametrize("scope", SCOPES)
@pytest.mark.parametrize("by", [None, "project_id", "vendor", "member_id"])
def test_workforce_table_from_the_rollup_matches_the_rows(seeded_engine, demo, scope, by):
    end, _, _ = demo
    start = end - dt.timedelta(days=27)
    rows = workforce.load_activity(seeded_engine, start=start, end=end, **scope)
    same(workforce.load_workforce_table(seeded_engine, start=start, end=end, by=by, **scope),
         quality.workforce_table(rows, by=by))


@pytest.mark.parametrize("scope", SCOPES)
def test_fatigue_stored_or_aggregated_matches_the_rows(seeded_engine, demo, scope):
    end, window_start, _ = demo
    expected = oracle.fatigue_alerts(workforce.load_activity(seeded_engine, start=window_start, end=end, **scope),
                                     end)
    same(workforce.load_fatigue_alerts(seeded_engine, end, window_start=window_start, **scope), expected)
    with seeded_engine.connect() as connection:
        same(fatigue.fatigue_alerts(connection, end, window_start=window_start, **scope), expected)


@pytest.mark.parametrize("days_back, window_days", [(1, 35), (9, 35), (0, 80), (3, 119)])
def test_fatigue_on_other_days_and_longer_windows_matches_the_rows(seeded_engine, demo, days_back, window_days):
    end, _, _ = demo
    as_of = end - dt.timedelta(days=days_back)
    window_start = as_of - dt.timedelta(days=window_days)
    expected = oracle.fatigue_alerts(workforce.load_activity(seeded_engine, start=window_start, end=as_of), as_of)
    same(workforce.load_fatigue_alerts(seeded_engine, as_of, window_start=window_start), expected)


def test_the_rebuild_stores_the_fatigue_of_the_default_view(seeded_engine, demo):
    end, window_start, _ = demo
    with seeded_engine.connect() as connection:
        runs = connection.execute(select(rollup.fatigue_run.c.as_of, rollup.fatigue_run.c.window_start)).all()
    assert (end, window_start) in runs


@pytest.mark.parametrize("scope", SCOPES)
def test_confusion_from_the_rollup_matches_the_rows(seeded_engine, demo, scope):
    end, _, first = demo
    rows = workforce.load_activity(seeded_engine, start=first, end=end, **scope)
    messages = load_feedback(seeded_engine, start=pd.Timestamp(first, tz="UTC"),
                             end=pd.Timestamp(end, tz="UTC") + pd.Timedelta(days=1), projects=scope.get("projects"))
    if scope.get("regions"):
        messages = messages[messages["region"].isin(scope["regions"])]
    catalogue = workforce.load_projects(seeded_engine)
    expected = confusion.confusion_alerts(rows, catalogue, end, feedback=oracle.negative_feedback(messages),
                                          include_unflagged=True)
    days = workforce.load_project_day_totals(seeded_engine, start=first, end=end, **scope)
    negative = workforce.load_negative_feedback(seeded_engine, start=first, end=end, **scope)
    same(confusion.confusion_alerts(days, catalogue, end, feedback=negative, include_unflagged=True), expected)
    same(days, oracle.load_project_days(seeded_engine, start=first, end=end, **scope))


def test_confusion_evidence_and_audience_from_the_rollup_match_the_rows(seeded_engine, demo):
    end, _, first = demo
    rows = workforce.load_activity(seeded_engine, start=first, end=end)
    change_at = workforce.load_projects(seeded_engine).set_index("project_id").loc["p03", "guideline_updated_at"]
    change_day = change_at.tz_convert("UTC").date()
    per_region = workforce.load_project_day_totals(seeded_engine, start=first, end=end, projects=["p03"],
                                                   by_region=True)
    members = workforce.load_recent_members(seeded_engine, "p03", start=change_day,
                                            end=min(change_day + dt.timedelta(days=13), end))
    regions = confusion.confusion_by_region(per_region, "p03", change_at, as_of=end, recent_members=members)
    raw_members = oracle.recent_members(rows, "p03", change_at, as_of=end)
    same(regions, confusion.confusion_by_region(rows, "p03", change_at, as_of=end, recent_members=raw_members))
    assert regions.loc[regions["affected"], "region"].tolist() == ["Latin America"]
    for values in (["Latin America"], ["Europe", "Unknown"], None):
        assert workforce.load_affected_members(seeded_engine, "p03", change_day, end=end, values=values) == \
            oracle.affected_members(rows, "p03", change_at, values=values)


def test_range_masks_cover_exactly_the_days_asked():
    masks = bitmaps.range_masks(dt.date(2026, 1, 1), dt.date(2026, 3, 31))
    days = [rollup.EPOCH + dt.timedelta(days=block * rollup.BLOCK_DAYS + bit)
            for block, mask in masks.items() for bit in range(rollup.BLOCK_DAYS) if mask >> bit & 1]
    assert days == [dt.date(2026, 1, 1) + dt.timedelta(days=n) for n in range(90)]


# --- kept in step with writes ----------------------------------------------------------------------


def run_import(engine, entity: str, rows: list[dict], **options):
    """Import rows through the import contract (one transaction, roll-ups refreshed inside it)."""
    return ingest.import_frame(engine, entity, pd.DataFrame(rows), **options)


def stored_rollup(engine) -> dict[str, pd.DataFrame]:
    """Every workforce roll-up table but the fatigue cache (emptied by a refresh, filled by a rebuild), sorted."""
    cache = {rollup.fatigue, rollup.fatigue_run, rollup.generation}
    with engine.connect() as connection:
        return {table.name: pd.DataFrame(connection.execute(select(table)).all(), columns=list(table.c.keys()))
                .sort_values(list(table.c.keys())[:4]).reset_index(drop=True)
                for table in rollup.METADATA.sorted_tables if table not in cache}


def rebuilt_rollup(engine) -> dict[str, pd.DataFrame]:
    """The roll-up tables as a full rebuild makes them now."""
    with engine.begin() as connection:
        rollups.build(connection, rollup)
    return stored_rollup(engine)


def activity_row(member_id, day, project_id="p1", submitted=10, rejected=1, active=60, **more) -> dict:
    return dict(member_id=member_id, project_id=project_id, day=day, tasks_submitted=submitted,
                tasks_approved=submitted - rejected, tasks_rejected=rejected, handle_seconds=30 * submitted,
                active_minutes=active, **more)


@pytest.fixture
def community(engine):
    """Three taskers (one staff) on two projects with a month of work, imported like a user would."""
    run_import(engine, "members", [dict(member_id="a", country="DE", region="Europe", vendor="Brightpath BPO"),
                                   dict(member_id="b", country="KE", region="Africa"),
                                   dict(member_id="s", country="DE", region="Europe", is_staff="true")])
    run_import(engine, "projects", [dict(project_id="p1", name="One"), dict(project_id="p2", name="Two")])
    start = dt.date(2026, 10, 1)
    rows = [activity_row(member, (start + dt.timedelta(days=n)).isoformat(), project,
                         submitted=20 + n % 5, rejected=n % 3, active=400 + 20 * n)
            for n in range(30) for member, project in (("a", "p1"), ("b", "p2"), ("s", "p1"))]
    rows += [activity_row("a", (start + dt.timedelta(days=n)).isoformat(), "p2", submitted=0, rejected=0, active=5)
             for n in range(0, 30, 4)]
    run_import(engine, "activity", rows)
    return engine


def table_of(engine, by="project_id", start="2026-10-01", end="2026-11-30", **scope) -> pd.DataFrame:
    return workforce.load_workforce_table(engine, start=start, end=end, by=by, **scope)


def test_the_rollup_built_by_imports_gives_the_rows_numbers(community):
    rows = workforce.load_activity(community, start="2026-10-01", end="2026-11-30")
    for by in (None, "project_id", "vendor", "member_id"):
        same(table_of(community, by), quality.workforce_table(rows, by=by))
    for name, frame in stored_rollup(community).items():
        same(frame, rebuilt_rollup(community)[name])


def test_an_activity_import_updates_the_rollup_like_a_rebuild(community):
    before = table_of(community).set_index("project_id")
    run_import(community, "activity", [activity_row("b", "2026-10-31", "p1", submitted=7, rejected=7),
                                       activity_row("a", "2026-10-15", "p1", submitted=1, rejected=0),  # an update
                                       activity_row("b", "2026-11-01", "p2", submitted=50)])
    after = table_of(community).set_index("project_id")
    assert after.loc["p1", "members"] == before.loc["p1", "members"] + 1
    assert after.loc["p1", "rejected"] == before.loc["p1", "rejected"] + 7 - (14 % 3)
    assert after.loc["p2", "submitted"] == before.loc["p2", "submitted"] + 50
    rows = workforce.load_activity(community, start="2026-10-01", end="2026-11-30")
    same(table_of(community, "member_id"), quality.workforce_table(rows, by="member_id"))
    refreshed = stored_rollup(community)
    for name, frame in rebuilt_rollup(community).items():
        same(refreshed[name], frame)


@pytest.mark.parametrize("listed_days", [rollup.MAX_LISTED_DAYS, 1])
def test_an_import_of_new_days_and_a_new_member_updates_the_rollup_like_a_rebuild(community, monkeypatch,
                                                                                   listed_days):
    # Days after every stored one, across a block boundary, with a tasker the import creates; with one
    # listed day at most, the presence bits are worked out per row instead.
    monkeypatch.setattr(rollup, "MAX_LISTED_DAYS", listed_days)
    run_import(community, "activity", [activity_row("a", "2026-11-02", "p1"), activity_row("a", "2026-11-02", "p2"),
                                       activity_row("c", "2026-11-03", "p2", submitted=0, rejected=0),
                                       activity_row("b", "2026-12-28", "p2"), activity_row("s", "2026-11-02")])
    assert rollup.day_number(dt.date(2026, 12, 28)) // rollup.BLOCK_DAYS > \
        rollup.day_number(dt.date(2026, 11, 2)) // rollup.BLOCK_DAYS
    refreshed = stored_rollup(community)
    assert "c" in refreshed["workforce_member"]["member_id"].tolist()
    for name, frame in rebuilt_rollup(community).items():
        same(refreshed[name], frame)
    rows = workforce.load_activity(community, start="2026-10-01", end="2026-12-31")
    for by in (None, "project_id", "member_id"):
        same(table_of(community, by, end="2026-12-31"), quality.workforce_table(rows, by=by))


def test_an_imports_refresh_is_committed_a_few_days_at_a_time_and_ends_like_a_rebuild(community, monkeypatch):
    # Ten new days: the members' step, five steps of 2 days (REFILL_DAYS_PER_STEP), presence and the cache;
    # each its own transaction in an import, so none holds SQLite's write lock for the whole refresh.
    steps = []
    original = rollup._refill_days
    monkeypatch.setattr(rollup, "_refill_days", lambda connection, days: (steps.append(list(days)),
                                                                          original(connection, days)))
    run_import(community, "activity", [activity_row("a", (dt.date(2026, 11, 1) + dt.timedelta(days=n)).isoformat())
                                       for n in range(10)])
    assert [len(days) for days in steps] == [2, 2, 2, 2, 2]
    assert steps[0][0] == dt.date(2026, 11, 1) and steps[-1][-1] == dt.date(2026, 11, 10)
    refreshed = stored_rollup(community)
    for name, frame in rebuilt_rollup(community).items():
        same(refreshed[name], frame)


def test_an_import_repeating_a_tasker_project_and_block_ors_the_days_like_a_rebuild(community):
    # a on p1 three new days of one block, one with a row but nothing submitted, and b on one of them
    run_import(community, "activity", [activity_row("a", "2026-11-01", "p1"),
                                       activity_row("a", "2026-11-02", "p1", submitted=0, rejected=0),
                                       activity_row("a", "2026-11-03", "p1"), activity_row("b", "2026-11-02", "p1")])
    refreshed = stored_rollup(community)
    for name, frame in rebuilt_rollup(community).items():
        same(refreshed[name], frame)


def test_a_members_import_redoes_only_the_members_whose_segment_changed(community):
    with community.connect() as connection:
        generation = rollup.current_generation(connection)
    # Sign-up days long before the activity and nothing the roll-up groups by: nothing to redo.
    run_import(community, "members", [dict(member_id="a", signed_up_at="2025-01-01 10:00", handle="ann"),
                                      dict(member_id="b", signed_up_at="2025-02-01 10:00")])
    with community.connect() as connection:
        assert rollup.current_generation(connection) == generation
    run_import(community, "members", [dict(member_id="b", vendor="Brightpath BPO", signed_up_at="2025-02-01 10:00")])
    with community.connect() as connection:
        assert rollup.current_generation(connection) == generation + 1
    refreshed = stored_rollup(community)
    for name, frame in rebuilt_rollup(community).items():
        same(refreshed[name], frame)


@pytest.mark.parametrize("max_ids", [rollup.MAX_REFRESH_IDS, 1])
def test_members_changed_outside_an_import_are_redone_one_by_one_or_all_at_once(community, monkeypatch, max_ids):
    monkeypatch.setattr(rollup, "MAX_REFRESH_IDS", max_ids)
    member = models.Member.__table__
    with community.begin() as connection:
        connection.execute(member.update().where(member.c.member_id == "a").values(region="Asia", vendor=None))
        connection.execute(member.update().where(member.c.member_id == "s").values(is_staff=False))
        rollups.refresh(connection, "members", ids=["a"], since=dt.date(2026, 10, 20))
    refreshed = stored_rollup(community)
    assert sorted(refreshed["workforce_presence"]["member_id"].unique()) == ["a", "b", "s"]
    for name, frame in rebuilt_rollup(community).items():
        same(refreshed[name], frame)


def stored_runs(engine) -> list[tuple]:
    with engine.connect() as connection:
        return connection.execute(select(rollup.fatigue_run.c.as_of, rollup.fatigue_run.c.generation)).all()


def test_fatigue_after_an_import_is_computed_on_first_use_then_read(community):
    with community.connect() as connection:
        generation = rollup.current_generation(connection)
    run_import(community, "activity", [activity_row("a", "2026-10-31", "p1", submitted=40, rejected=20, active=700)])
    assert stored_runs(community) == []
    as_of = dt.date(2026, 10, 31)
    window_start = as_of - dt.timedelta(days=35)
    expected = oracle.fatigue_alerts(workforce.load_activity(community, start=window_start, end=as_of), as_of)
    assert "a" in expected["member_id"].tolist()
    same(workforce.load_fatigue_alerts(community, as_of, window_start=window_start), expected)
    assert stored_runs(community) == [(as_of, generation + 1)]
    same(workforce.load_fatigue_alerts(community, as_of, window_start=window_start), expected)
    same(workforce.load_fatigue_alerts(community, as_of, window_start=window_start, regions=["Europe"]),
         expected[expected["region"] == "Europe"])


def test_fatigue_computed_before_a_write_is_never_read_after_it(community):
    as_of, window_start = dt.date(2026, 10, 30), dt.date(2026, 9, 24)
    with community.begin() as connection:
        stale = rollup.current_generation(connection)
    run_import(community, "activity", [activity_row("b", "2026-10-30", "p2", submitted=1, rejected=1, active=10)])
    with community.begin() as connection:  # a reader that started before the import stores late
        rollup.store_fatigue(connection, as_of, window_start, stale, pd.DataFrame())
    expected = oracle.fatigue_alerts(workforce.load_activity(community, start=window_start, end=as_of), as_of)
    assert len(expected)
    same(workforce.load_fatigue_alerts(community, as_of, window_start=window_start), expected)


def test_a_member_changing_region_or_becoming_staff_moves_their_work(community):
    run_import(community, "members", [dict(member_id="b", region="Europe"), dict(member_id="a", is_staff="true",
                                                                                region="Europe")])
    europe = table_of(community, regions=["Europe"])
    assert europe["project_id"].tolist() == ["p2"] and europe["members"].tolist() == [1]
    assert table_of(community, regions=["Africa"]).empty
    rows = workforce.load_activity(community, start="2026-10-01", end="2026-11-30")
    same(table_of(community, "vendor"), quality.workforce_table(rows, by="vendor"))
    refreshed = stored_rollup(community)
    for name, frame in rebuilt_rollup(community).items():
        same(refreshed[name], frame)


def test_a_strict_rejected_import_leaves_the_rollup_as_it_was(community):
    before = stored_rollup(community)
    try:
        run_import(community, "activity", [activity_row("a", "2026-11-02"), activity_row("b", "not a day")],
                   strict=True)
    except CrowdPulseError:
        pass
    assert workforce.load_activity(community, start="2026-11-02", end="2026-11-02").empty
    run_import(community, "activity", [activity_row("a", "2026-11-03"), activity_row("b", "2026-10-05", "p2")],
               dry_run=True)
    after = stored_rollup(community)
    for name, frame in before.items():
        same(after[name], frame)
