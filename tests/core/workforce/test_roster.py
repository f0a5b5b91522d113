import pandas as pd
import pytest

from core.db import session_scope
from core.models import RosterShift
from core.workforce.capacity import week_hours_frame
from core.workforce.roster import (
    IN_HOUSE,
    coverage_by_hour,
    gap_summary,
    load_roster,
    roster_gap,
    without_vendor,
)
from tests.core.factories import utc

WEEK = utc("2026-11-30 00:00")  # Monday


def shifts(*rows) -> pd.DataFrame:
    """Shifts (person, vendor, start, end)."""
    return pd.DataFrame([{"person": p, "vendor": v, "starts_at": utc(s), "ends_at": utc(e)} for p, v, s, e in rows])


ROSTER = shifts(
    ("ana", None, "2026-11-30 08:00", "2026-11-30 16:00"),              # in-house, Mon 08-16
    ("bo", "Lumen Agency", "2026-11-30 12:00", "2026-11-30 20:00"),     # Mon 12-20
    ("cy", "Lumen Agency", "2026-11-30 12:30", "2026-11-30 14:00"),     # half of 12:00, all of 13:00
)


def test_coverage_counts_a_head_per_covered_hour_and_a_fraction_for_a_partial_hour():
    heads = coverage_by_hour(ROSTER, WEEK).set_index("hour_of_week")["rostered"]
    assert heads.loc[[7, 8, 11, 12, 13, 14, 16, 19, 20]].tolist() == [0, 1, 1, 2.5, 3, 2, 1, 1, 0]
    by_vendor = coverage_by_hour(ROSTER, WEEK, by="vendor").set_index(["hour_of_week", "vendor"])["rostered"]
    assert by_vendor.loc[(12, "Lumen Agency")] == 1.5 and by_vendor.loc[(12, IN_HOUSE)] == 1


def test_the_roster_gap_is_rostered_minus_scheduled_on_a_hand_computed_week():
    plan = week_hours_frame().assign(scheduled=0)
    plan.loc[plan["label"].isin(["Mon 12:00", "Mon 13:00"]), "scheduled"] = 4
    plan.loc[plan["label"] == "Mon 09:00", "scheduled"] = 1
    gap = roster_gap(plan, coverage_by_hour(ROSTER, WEEK)).set_index("label")
    assert gap.loc["Mon 12:00", ["rostered", "gap", "status"]].tolist() == [2.5, -1.5, "under"]
    assert gap.loc["Mon 13:00", ["gap", "status"]].tolist() == [-1.0, "under"]
    assert gap.loc["Mon 09:00", ["gap", "status"]].tolist() == [0.0, "as planned"]
    assert gap.loc["Mon 17:00", ["gap", "status"]].tolist() == [1.0, "over"]
    summary = gap_summary(gap.reset_index())
    # under: 12:00 and 13:00 (2.5 head-hours short); over: 08, 10, 11, 14, 15 (2 heads), 16-19 (1 head)
    assert summary == {"under_hours": 2, "over_hours": 9, "missing_head_hours": 2.5,
                       "worst_label": "Mon 12:00", "worst_gap": -1.5}


def test_a_vendor_away_leaves_only_the_others():
    assert without_vendor(ROSTER, "Lumen Agency")["person"].tolist() == ["ana"]
    assert without_vendor(ROSTER, IN_HOUSE)["person"].tolist() == ["bo", "cy"]
    assert len(without_vendor(ROSTER, None)) == 3


def test_load_roster_reads_the_shifts_overlapping_the_week_for_a_queue(engine):
    with session_scope(engine) as session:
        session.add_all([
            RosterShift(shift_id="1", person="ana", starts_at=utc("2026-11-29 22:00"), ends_at=utc("2026-11-30 06:00")),
            RosterShift(shift_id="2", person="bo", queue="support", starts_at=utc("2026-12-01 08:00"),
                        ends_at=utc("2026-12-01 16:00")),
            RosterShift(shift_id="3", person="cy", starts_at=utc("2026-12-07 00:00"), ends_at=utc("2026-12-07 08:00")),
        ])
    loaded = load_roster(engine, start=WEEK, end=utc("2026-12-07 00:00"), queue="review")
    assert loaded["person"].tolist() == ["ana"]
    assert loaded["ends_at"].iloc[0] == utc("2026-11-30 06:00")
