"""The business calendar: holidays from the maintained library, schedules read and written as text, checks."""

import pandas as pd
import pytest

from core import admin
from core.db import session_scope
from core.models import QueueItem, SlaPolicy
from core.queues.calendar import (
    SlaPolicyInvalid,
    check_policy,
    country_holidays,
    holiday_days,
    parse_schedule,
    policy_overview,
    schedule_text,
)
from core.queues.clock import sla_status
from tests.core.factories import make_policy, make_queue_item, policies, queue_items, utc


def test_country_holidays_come_from_the_holidays_library():
    us = {h["day"]: h["name"] for h in country_holidays("us", [2026])}
    assert us["2026-11-26"] == "Thanksgiving Day" and us["2026-12-25"] == "Christmas Day"
    assert len(us) == 12
    philippines = {h["day"] for h in country_holidays("PH", [2026])}
    assert "2026-11-30" in philippines  # Bonifacio Day


def test_an_unknown_country_is_a_clear_error():
    with pytest.raises(SlaPolicyInvalid, match="No holiday calendar for the country 'XX'"):
        country_holidays("XX", [2026])


def test_a_manila_business_day_with_a_library_holiday():
    # Manila (UTC+8) open Mon–Fri 09:00–18:00; Monday 30 Nov 2026 is Bonifacio Day.
    # Created Friday 27 Nov 16:00 Manila (08:00 UTC): 2 open hours on Friday, none on the weekend or the holiday,
    # so the 4-hour target falls due on Tuesday 1 Dec at 11:00 Manila = 03:00 UTC.
    holidays = [h["day"] for h in country_holidays("PH", [2026])]
    policy = make_policy(queue="support", priority="normal", resolution_minutes=240, business_hours=True,
                         timezone="Asia/Manila", schedule=parse_schedule({d: "09:00-18:00" for d in
                                                                          ("mon", "tue", "wed", "thu", "fri")}),
                         holidays=holidays)
    item = make_queue_item(item_id="X", queue="support", priority="normal", created_at="2026-11-27 08:00")
    row = sla_status(queue_items(item), policies(policy), utc("2026-11-30 12:00")).set_index("item_id").loc["X"]
    assert row["due_effective"] == utc("2026-12-01 03:00")
    assert row["clock_minutes"] == pytest.approx(120.0)
    assert row["state"] == "open"


def test_schedules_read_and_written_as_text():
    schedule = parse_schedule({"mon": "09:00-17:30", "tue": "8-12, 13-17", "sat": ""})
    assert schedule == {"mon": [9.0, 17.5], "tue": [[8.0, 12.0], [13.0, 17.0]]}
    assert schedule_text(schedule) == {"mon": "09:00-17:30", "tue": "08:00-12:00, 13:00-17:00", "wed": "",
                                       "thu": "", "fri": "", "sat": "", "sun": ""}


@pytest.mark.parametrize("texts", [{"mon": "nine to five"}, {"mon": "09:00"}])
def test_unreadable_opening_hours_are_refused(texts):
    with pytest.raises(SlaPolicyInvalid, match="09:00-17:00"):
        parse_schedule(texts)


def test_holiday_lines_keep_the_day_and_drop_the_name():
    assert holiday_days("2026-12-25 Christmas Day\n\n2026-01-01 New Year\n2026-12-25") == ["2026-01-01", "2026-12-25"]
    with pytest.raises(SlaPolicyInvalid, match="not a day"):
        holiday_days("Christmas")


def test_check_policy_names_a_bad_time_zone():
    with pytest.raises(SlaPolicyInvalid, match="unknown time zone 'Mars/Olympus'"):
        check_policy(timezone="Mars/Olympus")


def test_policy_overview_reads_hours_and_holidays():
    overview = policy_overview(policies(make_policy(business_hours=True, schedule={"mon": [9, 17]},
                                                    holidays=["2026-12-25"], resolution_minutes=90)))
    assert overview.iloc[0][["resolution_hours", "clock", "hours", "holidays"]].tolist() == [
        1.5, "business hours", "mon 09:00-17:00", 1]


def test_a_policy_change_is_previewed_on_past_items_without_saving(engine):
    with session_scope(engine) as session:
        session.add(SlaPolicy(id=1, queue="review", priority="normal", resolution_minutes=120))
        session.add_all([QueueItem(item_id="a", queue="review", created_at=utc("2026-11-02 09:00"),
                                   resolved_at=utc("2026-11-02 10:00")),   # 60 min: met under both
                         QueueItem(item_id="b", queue="review", created_at=utc("2026-11-02 09:00"),
                                   resolved_at=utc("2026-11-02 10:30"))])  # 90 min: met, breached under 75
    effect = admin.preview_policy(engine, policy_id=1, changes={"resolution_minutes": 75}, now=utc("2026-11-10 00:00"))
    resolution = effect[effect["target"] == "resolution"].set_index("version")
    assert resolution[["met", "breached", "compliance"]].to_dict("index") == {
        "now": {"met": 2, "breached": 0, "compliance": 1.0},
        "with the change": {"met": 1, "breached": 1, "compliance": 0.5}}
    with session_scope(engine) as session:
        assert session.get(SlaPolicy, 1).resolution_minutes == 120
