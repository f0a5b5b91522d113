"""Settings, "Channels and alerts": what works, and who gets alerts — bad settings refused in words, nothing lost."""

import pytest
from streamlit.testing.v1 import AppTest

from core import alerts, timeline
from core.db import init_db
from core.models import Person
from tests.core.factories import stored
from tests.app.conftest import APP


@pytest.fixture
def settings_page(engine, monkeypatch, tmp_path):
    """The Settings page on a fresh database, as the local admin, with SMTP configured but webhooks not."""
    init_db(engine)
    monkeypatch.setenv("CROWDPULSE_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setattr("core.comms.channels.SECRETS_FILE", tmp_path / "no-secrets.toml")
    monkeypatch.setenv("CROWDPULSE_SMTP_URL", "smtp://bot%40example.org:pw@mail.example.org:587")
    monkeypatch.delenv("CROWDPULSE_SMTP_FROM", raising=False)
    monkeypatch.delenv("CROWDPULSE_SLACK_WEBHOOK_URL", raising=False)
    at = AppTest.from_file(APP, default_timeout=90)
    at.run()
    at.switch_page("app_pages/settings.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_the_channels_say_which_work_and_what_to_set_for_the_others(settings_page):
    shown = next(d.value for d in settings_page.dataframe if "channel" in d.value.columns).set_index("channel")
    assert shown.loc["Email (SMTP)", "state"] == ("mail.example.org:587 (starttls as bot@example.org), from "
                                                  "bot@example.org, ≤ 5/s")
    assert shown.loc["Slack (community)", "state"].startswith("no channel configured: set CROWDPULSE_SLACK_WEBHOOK_URL")


def test_a_bad_quiet_hour_is_refused_in_words_and_nothing_is_saved(settings_page, engine):
    at = settings_page
    at.checkbox(key="settings_alert_now_on").check()
    at.text_input(key="settings_alert_now_emails").input("oncall@example.org")
    at.text_input(key="settings_alert_quiet_start").input("10pm")
    at.text_input(key="settings_alert_quiet_end").input("07:00")
    at.button(key="settings_alert_save").click().run()
    assert [e.value for e in at.error] == ["Quiet hours: “10pm” is not a time of day; write it as HH:MM, e.g. 09:00."]
    assert alerts.load_settings(engine) == (alerts.load_settings(engine)[0], 0)


def test_saved_alerts_are_stored_checked(settings_page, engine):
    at = settings_page
    at.checkbox(key="settings_alert_now_on").check()
    at.text_input(key="settings_alert_now_emails").input("oncall@example.org; lead@example.org")
    at.checkbox(key="settings_alert_now_slack").check()
    at.button(key="settings_alert_save").click().run()
    assert [s.value for s in at.success] == ["Saved the alert settings."]
    settings, version = alerts.load_settings(engine)
    assert version == 1
    # Issue 17: switching alerts on records the moment; only later crossings are alerted, and the page says so.
    assert settings["immediate"] == dict(enabled=True, emails=["oncall@example.org", "lead@example.org"], slack=True,
                                         timezone="UTC", quiet_start=None, quiet_end=None,
                                         since=timeline.present().isoformat())
    at.run()
    assert f"On since {timeline.present():%a %d %b %Y, %H:%M} UTC: only items that reached 90% or breached after " \
           "that moment are alerted; those already there then are on Today." in [c.value for c in at.caption]


def test_a_digest_for_a_team_with_nobody_in_it_is_an_error_on_settings(settings_page, engine):
    stored(engine, Person(email="lea@example.org", name="Lea", role="specialist", team="quality"))
    alerts.admin.update_setting(engine, key=alerts.SETTING_KEY, expected_version=0, actor="local user",
                                value={"digests": [
                                    dict(team="night shift", time="09:00", timezone="UTC", weekdays=[0], slack=False),
                                    dict(team="quality", time="09:00", timezone="UTC", weekdays=[0], slack=True)]})
    at = settings_page
    at.run()
    assert alerts.nobody_in("night shift") in [e.value for e in at.error]
    assert ("The quality digest goes to lea@example.org, tomas.quality@crowdpulse.example and the alerts Slack "
            "channel.") in [c.value for c in at.caption]
