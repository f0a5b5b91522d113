"""The activity roll-up: per-member bitmaps of active days that give the same numbers as the raw rows."""

import datetime as dt

import pandas as pd
import pytest
from sqlalchemy import select

from core.ingest import importer as ingest
from core import models, rollups
from core.health import segments
from core.health import active as health, breakdowns
from core.health.crowd import Crowd, community_members
from core.health import rollup
from tests.core.factories import day
from tests.core.health import oracle


def load(engine, entity: str, text: str, **options) -> ingest.ImportResult:
    """Import CSV text as a file called upload.csv."""
    return ingest.import_file(engine, entity, text.encode("utf-8"), filename="upload.csv", **options)


def activity_csv(*rows: tuple[str, str, str, int]) -> str:
    """Activity rows (member, project, day, tasks submitted) as CSV."""
    return "member_id,project_id,day,tasks_submitted\n" + "".join(f"{m},{p},{d},{n}\n" for m, p, d, n in rows)


def same_days(engine, start, end, projects=None) -> bool:
    """The roll-up gives exactly the raw (member, day) pairs over a range."""
    from_rollup = health.load_active_days(engine, start=start, end=end, projects=projects).pairs()
    raw = oracle.load_daily_active(engine, start=start, end=end, projects=projects)
    pd.testing.assert_frame_equal(from_rollup, raw, check_dtype=len(raw) > 0)  # no rows: raw's ids are float
    return True


def stored_rows(engine) -> dict:
    """Every row of both bitmap tables and of the packed blocks (unpacked), for before/after comparisons."""
    with engine.connect() as connection:
        stored = {table.name: sorted(map(tuple, connection.execute(select(table)).all()))
                  for table in (rollup.member_days, rollup.project_member_days)}
        stored["packs"] = packed_rows(connection)
    return stored


def packed_rows(connection) -> list[tuple]:
    """The packed blocks as (member_id, block, w0..w3) rows, in the order stored."""
    rows = []
    for block, data in connection.execute(select(rollup.member_day_packs).order_by(rollup.member_day_packs.c.block)):
        table = rollup.unpack(data).to_pydict()
        rows += [(member_id, block, *words) for member_id, *words in zip(*table.values())]
    return rows


@pytest.fixture
def crowd(engine):
    """m1–m3 active across two projects around the 2026-07-30 block boundary and a word boundary, plus staff."""
    load(engine, "members", "member_id,region,onboarded_at,is_staff\n"
                            "m1,EMEA,2026-06-01 10:00,false\nm2,APAC,2026-07-01 10:00,false\n"
                            "m3,EMEA,2026-06-05 10:00,false\ns1,EMEA,2026-01-01 10:00,true\n")
    load(engine, "activity", activity_csv(
        ("m1", "p1", "2026-07-28", 3), ("m1", "p2", "2026-07-28", 1), ("m1", "p1", "2026-07-29", 2),
        ("m1", "p2", "2026-07-30", 5), ("m2", "p1", "2026-07-29", 0), ("m2", "p2", "2026-07-31", 4),
        ("m3", "p1", "2026-06-10", 1), ("m3", "p1", "2026-08-12", 1), ("m3", "p2", "2026-10-01", 1),
        ("m1", "p1", "2026-09-30", 1), ("s1", "p1", "2026-07-30", 9)))
    return engine


def test_the_fixture_straddles_a_block_and_a_word_boundary():
    assert rollup.day_number(dt.date(2026, 7, 30)) % rollup.BLOCK_DAYS == 0
    assert rollup.day_number(dt.date(2026, 10, 1)) % rollup.BLOCK_DAYS == rollup.WORD_BITS


def test_rollup_gives_the_raw_active_days_without_staff_for_any_range_and_project(crowd):
    assert health.load_active_days(crowd, start="2026-07-28", end="2026-07-31").pairs().values.tolist() == [
        ["m1", day("2026-07-28")], ["m1", day("2026-07-29")], ["m1", day("2026-07-30")], ["m2", day("2026-07-31")]]
    for start, end, projects in [("2026-06-01", "2026-10-31", None), ("2026-07-29", "2026-07-30", None),
                                 ("2026-06-01", "2026-10-31", ["p1"]), ("2026-07-30", "2026-08-31", ["p2"]),
                                 ("2026-07-28", "2026-07-31", ["p1", "p2"]), ("2026-09-30", "2026-10-01", None),
                                 ("2027-01-01", "2027-01-31", None)]:
        assert same_days(crowd, start, end, projects)


def test_an_activity_import_refreshes_the_days_and_the_numbers(crowd):
    members = health.load_community(crowd)
    before = Crowd(members, health.load_active_days(crowd, start="2026-07-01", end="2026-08-13")).active_users(
        "2026-08-12", "2026-08-13")
    assert before["dau"].tolist() == [1, 0]

    # a new day, a day turned inactive (m1's only task on 07-30) and a new member: since = 2026-07-30
    load(crowd, "activity", activity_csv(("m2", "p1", "2026-08-13", 2), ("m1", "p2", "2026-07-30", 0),
                                         ("m4", "p2", "2026-08-13", 1)))
    assert same_days(crowd, "2026-06-01", "2026-10-31") and same_days(crowd, "2026-06-01", "2026-10-31", ["p2"])
    after = Crowd(health.load_community(crowd), health.load_active_days(crowd, start="2026-07-01", end="2026-08-13")
                  ).active_users("2026-08-12", "2026-08-13")
    assert after["dau"].tolist() == [1, 2]

    # an import reaching back into the previous block
    load(crowd, "activity", activity_csv(("m3", "p2", "2026-07-29", 1), ("m1", "p1", "2026-07-29", 0)))
    assert same_days(crowd, "2026-06-01", "2026-10-31") and same_days(crowd, "2026-06-01", "2026-10-31", ["p1"])


def test_each_block_is_packed_in_one_row_in_member_order_and_repacked_by_an_import(crowd):
    july_30 = rollup.block_of(dt.date(2026, 7, 30))  # its first day; 2026-09-30 is its day 62 (bit 62 of w0)
    with crowd.connect() as connection:
        assert packed_rows(connection) == [
            ("m1", july_30 - 1, 0, 0, 0, (1 << 61) | (1 << 62)),  # 07-28, 07-29: its days 250, 251 = 3·63 + 61, 62
            ("m3", july_30 - 1, 0, 0, 0, 1 << 13),  # 06-10 is 50 days before 07-30: day 202 = 3·63 + 13
            ("m1", july_30, 1 | (1 << 62), 0, 0, 0), ("m2", july_30, 1 << 1, 0, 0, 0),
            ("m3", july_30, 1 << 13, 1 << 0, 0, 0), ("s1", july_30, 1, 0, 0, 0)]
    # m2's only day goes (no task left), m1's 07-28 too: m2 leaves the block's pack, the earlier block is repacked
    load(crowd, "activity", activity_csv(("m2", "p2", "2026-07-31", 0), ("m1", "p1", "2026-07-28", 0),
                                         ("m1", "p2", "2026-07-28", 0)))
    with crowd.connect() as connection:
        assert [row[:2] for row in packed_rows(connection)] == [("m1", july_30 - 1), ("m3", july_30 - 1),
                                                                ("m1", july_30), ("m3", july_30), ("s1", july_30)]
        assert packed_rows(connection)[0] == ("m1", july_30 - 1, 0, 0, 0, 1 << 62)


def test_refresh_by_members_or_in_full_rebuilds_the_same_rows(crowd):
    built = stored_rows(crowd)
    with crowd.begin() as connection:
        rollups.refresh(connection, "activity", ids=["m1", "m3"])
    assert stored_rows(crowd) == built
    with crowd.begin() as connection:
        rollups.refresh(connection, "activity")
    assert stored_rows(crowd) == built
    with crowd.begin() as connection:
        rollups.refresh(connection, "activity", ids=[], since=dt.date(2026, 7, 1))
    assert stored_rows(crowd) == built


def rebuilt_rows(engine) -> dict:
    """Both bitmap tables as a full rebuild makes them now."""
    with engine.begin() as connection:
        rollups.build(connection, rollup)
    return stored_rows(engine)


@pytest.mark.parametrize("listed_days", [rollup.MAX_LISTED_DAYS, 1])
def test_an_import_of_new_days_adds_their_bits_like_a_rebuild(crowd, monkeypatch, listed_days):
    # Days after every stored one (nothing to clear), m1 on two projects the same day, a day in the next
    # block and a new member; with one listed day at most, the bits are worked out per row instead.
    monkeypatch.setattr(rollup, "MAX_LISTED_DAYS", listed_days)
    load(crowd, "activity", activity_csv(("m1", "p1", "2026-10-02", 1), ("m1", "p2", "2026-10-02", 2),
                                         ("m2", "p1", "2026-10-03", 0), ("m3", "p2", "2026-10-04", 3),
                                         ("m5", "p1", "2027-04-10", 1), ("m1", "p1", "2027-04-10", 1)))
    refreshed = stored_rows(crowd)
    assert refreshed == rebuilt_rows(crowd)
    assert same_days(crowd, "2026-06-01", "2027-04-30") and same_days(crowd, "2026-06-01", "2027-04-30", ["p1"])
    # then a day already stored changes (its bits are cleared and added back) and a later one is added
    load(crowd, "activity", activity_csv(("m1", "p2", "2026-10-02", 0), ("m2", "p2", "2026-10-03", 4),
                                         ("m2", "p2", "2026-10-05", 1)))
    assert stored_rows(crowd) == rebuilt_rows(crowd)
    assert same_days(crowd, "2026-06-01", "2027-04-30") and same_days(crowd, "2026-06-01", "2027-04-30", ["p2"])


def test_an_import_repeating_a_member_project_and_block_ors_the_days_like_a_rebuild(crowd):
    # m1 on p1 three new days of one block and word (one with nothing submitted), and on p2 one of them.
    load(crowd, "activity", activity_csv(("m1", "p1", "2026-10-02", 1), ("m1", "p1", "2026-10-03", 2),
                                         ("m1", "p1", "2026-10-05", 0), ("m1", "p2", "2026-10-03", 4),
                                         ("m2", "p1", "2026-10-03", 1)))
    assert stored_rows(crowd) == rebuilt_rows(crowd)
    assert same_days(crowd, "2026-06-01", "2026-10-31") and same_days(crowd, "2026-06-01", "2026-10-31", ["p1"])


def test_a_rejected_strict_import_leaves_the_rollup_as_it_was(crowd):
    built = stored_rows(crowd)
    with pytest.raises(ingest.RowsRejected):
        load(crowd, "activity", activity_csv(("m2", "p1", "2026-08-14", 2), ("m3", "p1", "2026-08-14", "x")), strict=True)
    load(crowd, "activity", activity_csv(("m2", "p1", "2026-08-15", 2)), dry_run=True)
    assert stored_rows(crowd) == built


def test_a_member_flagged_as_staff_later_drops_out_without_a_rebuild(crowd):
    load(crowd, "members", "member_id,is_staff\nm2,true\n")
    assert "m2" not in health.load_active_days(crowd, start="2026-07-01", end="2026-08-31").member_ids
    assert same_days(crowd, "2026-07-01", "2026-10-31")


@pytest.mark.parametrize("projects", [None, ("p03",)])
def test_rollup_numbers_equal_the_raw_numbers_on_the_demo_seed(seeded_engine, projects):
    engine = seeded_engine
    end = pd.Timestamp(oracle.load_daily_active(engine, start="2000-01-01", end="2100-01-01")["day"].max())
    start, since = end - pd.Timedelta(days=27), end - pd.Timedelta(days=147)
    raw_days = oracle.load_daily_active(engine, start=since, end=end, projects=projects)
    rollup_days = health.load_active_days(engine, start=since, end=end, projects=projects)
    pd.testing.assert_frame_equal(rollup_days.pairs(), raw_days)

    everyone, community = health.load_members(engine), health.load_community(engine)
    assert community["member_id"].tolist() == community_members(everyone)["member_id"].tolist()
    assert list(community.columns) == ["member_id", "region", "signed_up_at", "onboarded_at"]
    raw_crowd, fast_crowd = Crowd(everyone, raw_days), Crowd(community, rollup_days)
    raw, fast = raw_crowd.overview(start, end), fast_crowd.overview(start, end)
    assert raw.keys() == fast.keys()
    for key, value in raw.items():
        if isinstance(value, pd.DataFrame):
            pd.testing.assert_frame_equal(fast[key], value, check_dtype=False)
        else:
            assert fast[key] == value or (pd.isna(value) and pd.isna(fast[key]))
    for dimension in ("region", "country", "tenure"):
        with_column = health.with_member_details(engine, community, [dimension])
        pd.testing.assert_frame_equal(breakdowns.active_by(rollup_days, with_column, end, dimension),
                                      breakdowns.active_by(raw_days, everyone, end, dimension), check_dtype=False)
    for kind in segments.MEMBER_LISTS:
        fast_list = health.with_member_details(engine, segments.members_behind(kind, fast_crowd, end),
                                               health.MEMBER_DETAILS)
        pd.testing.assert_frame_equal(fast_list, segments.members_behind(kind, raw_crowd, end), check_dtype=False)
    assert fast["active"]["mau"].iloc[-1] > 0 and len(fast["cohorts"])


def test_models_keep_the_rollup_outside_the_schema():
    assert not set(rollup.METADATA.tables) & set(models.SQLModel.metadata.tables)
