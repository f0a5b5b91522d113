"""Local times: each reader's zone, with the local date, right on both sides of a DST change."""

import datetime as dt

import pandas as pd
import pytest

from core.comms import timezones


@pytest.mark.parametrize("moment, zone, expected", [
    # Europe moves to summer time on Sunday 29 March 2026 at 01:00 UTC.
    ("2026-03-28 12:00", "Europe/London", "Sat 28 Mar 2026, 12:00 (London, UTC+0)"),
    ("2026-03-30 12:00", "Europe/London", "Mon 30 Mar 2026, 13:00 (London, UTC+1)"),
    ("2026-03-29 00:59", "Europe/Berlin", "Sun 29 Mar 2026, 01:59 (Berlin, UTC+1)"),
    ("2026-03-29 01:00", "Europe/Berlin", "Sun 29 Mar 2026, 03:00 (Berlin, UTC+2)"),
    # The US moves on Sunday 8 March 2026: for three weeks New York is 4 hours, not 5, behind London's UTC+0.
    ("2026-03-07 17:00", "America/New_York", "Sat 7 Mar 2026, 12:00 (New York, UTC−5)"),
    ("2026-03-09 17:00", "America/New_York", "Mon 9 Mar 2026, 13:00 (New York, UTC−4)"),
    # Back in autumn; India has no DST and a half-hour offset; Manila's date is already tomorrow.
    ("2026-11-01 17:00", "America/Sao_Paulo", "Sun 1 Nov 2026, 14:00 (Sao Paulo, UTC−3)"),
    ("2026-12-04 17:00", "Asia/Kolkata", "Fri 4 Dec 2026, 22:30 (Kolkata, UTC+5:30)"),
    ("2026-12-04 17:00", "Asia/Manila", "Sat 5 Dec 2026, 01:00 (Manila, UTC+8)"),
    ("2026-12-04 17:00", "Not/AZone", "Fri 4 Dec 2026, 17:00 (UTC, UTC+0)"),
])
def test_a_moment_is_shown_in_the_readers_zone_with_its_own_offset(moment, zone, expected):
    assert timezones.format_local(pd.Timestamp(moment, tz="UTC"), zone) == expected


def test_the_same_wall_clock_deadline_moves_in_utc_across_the_change():
    before = timezones.to_utc(dt.date(2026, 3, 27), dt.time(17, 0), "Europe/London")
    after = timezones.to_utc(dt.date(2026, 3, 30), dt.time(17, 0), "Europe/London")
    assert (before.hour, after.hour) == (17, 16)


def test_a_wall_time_inside_the_spring_gap_becomes_a_real_moment():
    # 02:30 does not exist in Berlin on 29 March 2026; it is read with the winter offset.
    assert timezones.to_utc(dt.date(2026, 3, 29), dt.time(2, 30), "Europe/Berlin") == \
        dt.datetime(2026, 3, 29, 1, 30, tzinfo=dt.UTC)


def test_local_times_table_notes_when_the_local_date_differs_from_utc():
    mix = pd.DataFrame({"timezone": ["Asia/Manila", "America/Los_Angeles", "Europe/London"], "recipients": [5, 3, 2]})
    table = timezones.local_times(pd.Timestamp("2026-12-04 17:00", tz="UTC"), mix)
    assert table[["place", "local_time", "utc_offset", "day_note"]].values.tolist() == [
        ["Manila", "Sat 5 Dec 2026, 01:00", "UTC+8", "day after UTC"],
        ["Los Angeles", "Fri 4 Dec 2026, 09:00", "UTC−8", ""],
        ["London", "Fri 4 Dec 2026, 17:00", "UTC+0", ""]]
    assert table["local_date"].tolist() == [dt.date(2026, 12, 5), dt.date(2026, 12, 4), dt.date(2026, 12, 4)]


def test_zone_lines_run_west_to_east_and_share_a_line_for_the_same_clock():
    mix = pd.DataFrame({"timezone": ["Africa/Lagos", "Europe/Berlin", "America/New_York", "Asia/Kolkata"],
                        "recipients": [10, 4, 8, 6]})
    assert timezones.zone_lines(pd.Timestamp("2026-12-04 17:00", tz="UTC"), mix) == [
        "New York (UTC−5): Fri 4 Dec 2026, 12:00",
        "Lagos, Berlin (UTC+1): Fri 4 Dec 2026, 18:00",
        "Kolkata (UTC+5:30): Fri 4 Dec 2026, 22:30"]


def test_zone_lines_fold_the_smallest_zones_into_a_utc_line_past_the_limit():
    mix = pd.DataFrame({"timezone": ["Asia/Tokyo", "Europe/Paris", "America/Chicago"], "recipients": [9, 5, 1]})
    assert timezones.zone_lines(pd.Timestamp("2026-07-01 12:00", tz="UTC"), mix, limit=2) == [
        "Paris (UTC+2): Wed 1 Jul 2026, 14:00", "Tokyo (UTC+9): Wed 1 Jul 2026, 21:00",
        "Other places: Wed 1 Jul 2026, 12:00 UTC"]


def test_each_recipient_gets_their_own_local_rendering():
    zones = pd.Series(["Europe/London", None, "America/New_York"])
    assert timezones.recipient_local_times(pd.Timestamp("2026-03-30 12:00", tz="UTC"), zones).tolist() == [
        "Mon 30 Mar 2026, 13:00 (London, UTC+1)", "Mon 30 Mar 2026, 12:00 (UTC, UTC+0)",
        "Mon 30 Mar 2026, 08:00 (New York, UTC−4)"]
