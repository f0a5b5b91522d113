"""Alerts out: who gets what when — digests per team, one alert per item and level, quiet hours, settings in words."""

from pathlib import Path

import pandas as pd
import pytest

from core import alerts
from core.comms import delivery
from core.comms.channels import ChannelProblem
from core.models import Person, Setting
from tests.core.factories import stored

ADMIN = dict(actor="command line")  # the command line acts as an admin (core.people.role_of)
MONDAY_9 = pd.Timestamp("2026-12-07 09:00", tz="UTC")


def live(*rows) -> pd.DataFrame:
    """Open items' clocks: (item_id, state, warn_level, time_left_minutes)."""
    return pd.DataFrame([dict(item_id=i, queue="review", priority="high", state=s, warn_level=w, time_left_minutes=t,
                              resolved_at=None) for i, s, w, t in rows])


def test_crossings_are_the_breached_and_the_90_percent_items_most_urgent_first():
    found = alerts.sla_crossings(live(("a", "open", 50, 300), ("b", "at_risk", 90, 20), ("c", "breached", 90, -45),
                                      ("d", "at_risk", 75, 100)))
    assert found[["item_id", "level"]].values.tolist() == [["c", "breached"], ["b", "90%"]]


@pytest.mark.parametrize(("moment", "until"), [
    ("2026-12-07 20:59", None),                      # 21:59 in Berlin: not yet quiet
    ("2026-12-07 23:30", "2026-12-08 06:00"),        # 00:30 Berlin: quiet until 07:00 Berlin = 06:00 UTC
    ("2026-12-07 21:00", "2026-12-08 06:00"),        # 22:00 Berlin: the quiet hours start
    ("2026-12-08 06:00", None),                      # 07:00 Berlin: over
])
def test_quiet_hours_hold_alerts_until_they_end_in_the_teams_zone(moment, until):
    settings = dict(quiet_start="22:00", quiet_end="07:00", timezone="Europe/Berlin")
    expected = None if until is None else pd.Timestamp(until, tz="UTC")
    assert alerts.quiet_until(settings, pd.Timestamp(moment, tz="UTC")) == expected


def test_an_item_gets_one_alert_per_level_however_often_the_worker_looks(engine):
    settings = dict(enabled=True, emails=["oncall@example.org"], slack=True)
    now = pd.Timestamp("2026-12-07 10:00", tz="UTC")
    items = live(("b", "at_risk", 90, 20))
    assert alerts.queue_immediate_alerts(engine, now=now, settings=settings, live=items) == 2
    assert alerts.queue_immediate_alerts(engine, now=now + pd.Timedelta(minutes=1), settings=settings, live=items) == 0
    breached = live(("b", "breached", 90, -5))
    assert alerts.queue_immediate_alerts(engine, now=now + pd.Timedelta(hours=1), settings=settings, live=breached) == 2
    sends = delivery.list_sends(engine, kind="alert")
    assert sorted(sends["title"].unique()) == ["CrowdPulse community: review item b breached its SLA",
                                               "CrowdPulse community: review item b has used 90% of its SLA"]


def test_alerts_in_quiet_hours_are_queued_for_when_they_end(engine):
    settings = dict(enabled=True, emails=["oncall@example.org"], quiet_start="22:00", quiet_end="07:00",
                    timezone="UTC")
    alerts.queue_immediate_alerts(engine, now=pd.Timestamp("2026-12-07 23:00", tz="UTC"), settings=settings,
                                  live=live(("c", "breached", 90, -45)))
    send_id = int(delivery.list_sends(engine, kind="alert")["id"].iloc[0])
    assert delivery.recipients(engine, send_id)["due_at"].tolist() == [pd.Timestamp("2026-12-08 07:00", tz="UTC")]


def test_a_team_digest_is_due_on_its_weekdays_at_its_local_time_within_the_grace():
    settings = {"digests": [dict(team="ops", time="09:00", timezone="America/New_York", weekdays=[0, 1, 2, 3, 4],
                                 emails=["ops@example.org"], slack=False)]}
    due = [bool(alerts.digests_due(settings, pd.Timestamp(t, tz="UTC"))) for t in
           ("2026-12-07 13:59", "2026-12-07 14:00", "2026-12-07 15:59", "2026-12-07 16:00", "2026-12-12 14:30")]
    assert due == [False, True, True, False, False]  # 09:00 New York = 14:00 UTC; Saturday 12 Dec: no digest


def test_the_digest_names_the_community_the_count_and_links_each_entry():
    entries = pd.DataFrame([dict(severity=100, kind="breached", title="1 review item breached their SLA",
                                 detail="most overdue by 2.0 h", count=1, page="queues")])
    subject, body = alerts.digest_text(entries, community="Atlas crowd", app_url="https://pulse.example.org",
                                       now=pd.Timestamp("2026-12-07 09:00", tz="UTC"))
    assert subject == "Atlas crowd: 1 item needs attention"
    assert body.splitlines()[2] == ("- **1 review item breached their SLA** (1): most overdue by 2.0 h [Open queues]"
                                    "(https://pulse.example.org/queues?queues_breach_tab=Breached%2C+still+open)")


@pytest.mark.parametrize(("settings", "message"), [
    ({"digests": [dict(team="ops", time="9am", weekdays=[0])]}, "The ops digest: “9am” is not a time of day"),
    ({"digests": [dict(team="ops", time="09:00", weekdays=[])]}, "The ops digest: choose at least one weekday"),
    ({"digests": [dict(team="ops", time="09:00", weekdays=[0], timezone="Mars/Base")]}, "“Mars/Base” is not a time zone"),
    ({"immediate": dict(emails=["not-an-address"])}, "Immediate alerts: not-an-address is not an email address"),
    ({"immediate": dict(quiet_start="22:00")}, "Quiet hours need both a start and an end"),
])
def test_bad_alert_settings_are_refused_in_words(settings, message):
    with pytest.raises(ChannelProblem, match=message):
        alerts.validate(settings)


def test_saved_settings_come_back_checked_and_tidy(engine):
    stored(engine, Person(email="ops@example.org", name="Ops", role="specialist", team="ops"))
    version = alerts.save_settings(engine, {"digests": [dict(team=" ops ", time="9:05", timezone="Europe/Berlin",
                                                             weekdays=[4, 0])]},
                                   expected_version=0, **ADMIN)
    settings, stored_version = alerts.load_settings(engine)
    assert (version, stored_version) == (1, 1)
    assert settings["digests"] == [dict(team="ops", time="09:05", weekdays=[0, 4], timezone="Europe/Berlin",
                                        slack=False)]
    assert (settings["immediate"]["enabled"], settings["immediate"]["since"]) == (False, None)


def test_the_weekly_report_is_published_and_mailed_once_on_monday_morning(engine):
    from core import reports
    from core.comms import channels
    from core.demo import seed_demo
    from tests.conftest import DEMO_ANCHOR
    from tests.core.comms.receivers import SmtpServer

    seed_demo(engine, scale="tiny", seed=7, anchor=DEMO_ANCHOR)
    settings = dict(enabled=True, emails=["managers@example.org"], weekday=0, time="08:00", timezone="Europe/Berlin")
    sunday = pd.Timestamp("2026-11-22 07:30", tz="UTC")
    monday = pd.Timestamp("2026-11-23 07:05", tz="UTC")  # 08:05 in Berlin
    assert alerts.queue_weekly_report(engine, now=sunday, settings=settings) is None
    run = alerts.queue_weekly_report(engine, now=monday, settings=settings)
    send_id = run.send_id
    assert run.sheet == "no Google Sheet set on Settings (weekly_report_sheet): nothing added"
    assert alerts.queue_weekly_report(engine, now=monday + pd.Timedelta(minutes=5), settings=settings) is None
    assert reports.list_snapshots(engine)["week"].tolist() == ["2026-W46"]
    with SmtpServer() as smtp:
        ready = channels.load_channels(environ={"CROWDPULSE_SMTP_URL": smtp.url,
                                                "CROWDPULSE_SMTP_FROM": "pulse@example.org"}, secrets={})
        tally = delivery.deliver_due(engine, now=monday, ready=ready, send_id=send_id)
    assert (tally.sent, smtp.inbox.to()) == (1, ["managers@example.org"])
    assert smtp.inbox.messages[0]["Subject"].startswith("CrowdPulse community: weekly report, ")


# --- issue 17: digests to a team's people, alerts from the switch-on moment, the weekly row in the sheet ---------


def team(engine, name: str, *people: tuple[str, bool]):
    """Staff accounts (email, active) in a team."""
    return stored(engine, *(Person(email=e, name=e.split("@")[0], role="specialist", team=name, active=active)
                            for e, active in people))


def test_a_team_digest_goes_to_the_emails_of_that_teams_people(engine):
    team(engine, "ops", ("lea@example.org", True), ("max@example.org", True), ("old@example.org", False))
    team(engine, "quality", ("qa@example.org", True))
    alerts.save_settings(engine, {"digests": [dict(team="ops", time="09:00", timezone="UTC", weekdays=[0])]},
                         expected_version=0, **ADMIN)
    summary = alerts.queue_due(engine, now=MONDAY_9)
    assert (summary["digests"], summary["notes"]) == (1, [])
    send_id = int(delivery.list_sends(engine, kind="digest")["id"].iloc[0])
    assert sorted(delivery.recipients(engine, send_id)["recipient"]) == ["lea@example.org", "max@example.org"]


def test_a_digest_for_a_team_with_nobody_is_refused_on_settings_and_noted_by_the_worker(engine):
    team(engine, "ops", ("lea@example.org", True))
    with pytest.raises(ChannelProblem, match="The night shift digest: nobody is in team “night shift”"):
        alerts.save_settings(engine, {"digests": [dict(team="night shift", time="09:00", weekdays=[0])]},
                             expected_version=0, **ADMIN)
    alerts.save_settings(engine, {"digests": [dict(team="ops", time="09:00", weekdays=[0])]},
                         expected_version=0, **ADMIN)
    from core.db import session_scope
    with session_scope(engine) as session:  # Lea leaves the team after the digest was set up
        session.get(Person, "lea@example.org").team = "quality"
    summary = alerts.queue_due(engine, now=MONDAY_9)
    assert summary["digests"] == 0 and summary["notes"] == [alerts.nobody_in("ops")]


def test_switching_alerts_on_records_the_moment_and_keeps_it_while_they_stay_on(engine):
    on = {"immediate": dict(enabled=True, emails=["oncall@example.org"])}
    v = alerts.save_settings(engine, on, expected_version=0, now=MONDAY_9, **ADMIN)
    assert alerts.load_settings(engine)[0]["immediate"]["since"] == "2026-12-07T09:00:00+00:00"
    v = alerts.save_settings(engine, on | {"digests": []}, expected_version=v, now=MONDAY_9 + pd.Timedelta(hours=2),
                             **ADMIN)
    assert alerts.load_settings(engine)[0]["immediate"]["since"] == "2026-12-07T09:00:00+00:00"
    alerts.save_settings(engine, {"immediate": dict(enabled=False)}, expected_version=v, **ADMIN)
    assert alerts.load_settings(engine)[0]["immediate"]["since"] is None


def test_items_already_late_when_alerts_are_switched_on_get_no_alert_only_later_crossings_do(engine):
    settings = dict(enabled=True, emails=["oncall@example.org"], since=MONDAY_9.isoformat())
    at_switch_on = live(("late", "breached", 90, -30), ("near", "at_risk", 90, 10), ("calm", "open", 50, 300))
    later = live(("late", "breached", 90, -90), ("near", "breached", 90, -5), ("calm", "at_risk", 90, 20))
    queued = alerts.queue_immediate_alerts(engine, now=MONDAY_9 + pd.Timedelta(hours=1), settings=settings,
                                           live=later, live_at_switch_on=at_switch_on)
    assert queued == 2
    assert sorted(delivery.list_sends(engine, kind="alert")["title"]) == [
        "CrowdPulse community: review item calm has used 90% of its SLA",
        "CrowdPulse community: review item near breached its SLA"]


def test_alerts_switched_on_before_the_moment_was_kept_start_from_the_workers_next_pass(engine):
    stored(engine, Setting(key=alerts.SETTING_KEY, value={"immediate": dict(enabled=True, emails=["o@example.org"])}))
    assert alerts.queue_due(engine, now=MONDAY_9)["alerts"] == 0
    assert alerts.load_settings(engine)[0]["immediate"]["since"] == "2026-12-07T09:00:00+00:00"


class FakeSheets:
    """A gspread client stand-in that records the values appended (one call per append)."""

    def __init__(self):
        self.appended = []
        self.http_client = self

    def values_append(self, key, cell, params=None, body=None):
        self.appended.append((key, cell, body["values"]))
        return {}


@pytest.fixture
def demo_monday(engine):
    """The tiny demo and the report settings whose Monday 08:00 Berlin has come."""
    from core.demo import seed_demo
    from tests.conftest import DEMO_ANCHOR
    seed_demo(engine, scale="tiny", seed=7, anchor=DEMO_ANCHOR)
    stored(engine, Setting(key="weekly_report_sheet", value={"spreadsheet": "1AbcDEFghijKLMnopQRstuvWXyz0123456789abcdEF", "worksheet": "Weekly"}))
    settings = dict(enabled=True, emails=["managers@example.org"], weekday=0, time="08:00", timezone="Europe/Berlin")
    return settings, pd.Timestamp("2026-11-23 07:05", tz="UTC")


def test_the_scheduled_weekly_report_also_appends_its_row_to_the_google_sheet(engine, demo_monday):
    settings, monday = demo_monday
    sheets = FakeSheets()
    run = alerts.queue_weekly_report(engine, now=monday, settings=settings, sheets_client=lambda: sheets)
    [(key, cell, values)] = sheets.appended
    assert (key, cell) == ("1AbcDEFghijKLMnopQRstuvWXyz0123456789abcdEF", "'Weekly'!A1")
    assert values[0][:3] == ["2026-W46", "all projects and regions", "Weekly active"]
    assert run.sheet == f"added {len(values)} rows to Weekly in the Google Sheet"
    assert run.send_id is not None


def test_without_sheets_credentials_the_report_is_mailed_and_the_run_says_why_the_sheet_was_not(engine, demo_monday,
                                                                                              monkeypatch):
    settings, monday = demo_monday
    monkeypatch.setattr("core.comms.channels.SECRETS_FILE", Path("/nonexistent/secrets.toml"))
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
    run = alerts.queue_weekly_report(engine, now=monday, settings=settings)
    assert run.sheet.startswith("the Google Sheet was not updated (Google Sheets is not set up")
    assert run.sheet.endswith("the email goes anyway")
    assert delivery.recipients(engine, run.send_id)["recipient"].tolist() == ["managers@example.org"]
