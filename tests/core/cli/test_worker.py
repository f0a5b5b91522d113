"""`python -m core worker --once` and `python -m core alerts digest`: real SMTP on localhost, JSON out."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from core import alerts
from core.__main__ import main
from core.comms import delivery
from core.demo import seed_demo
from tests.conftest import DEMO_ANCHOR
from tests.core.comms.receivers import smtp  # noqa: F401 (a fixture the tests take by name)

NOW = pd.Timestamp("2026-12-07 09:00", tz="UTC").to_pydatetime()


@pytest.fixture
def cli_env(engine, monkeypatch):
    """The command line pointed at this test's database, with no channel configured and no secrets file."""
    monkeypatch.setenv("CROWDPULSE_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("CROWDPULSE_NOW", NOW.isoformat())
    for name in ("CROWDPULSE_SMTP_URL", "CROWDPULSE_SLACK_ALERTS_WEBHOOK_URL", "CROWDPULSE_SLACK_WEBHOOK_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr("core.comms.channels.SECRETS_FILE", Path(engine.url.database + ".no-secrets.toml"))
    return monkeypatch


def queue_one(engine) -> int:
    return delivery.enqueue(engine, kind="message", channel="email", title="Hello", requested_by="priya@example.com",
                            key_prefix="t", rows=[dict(recipient="ana@example.org", subject="Hi", body="Hello",
                                                       due_at=NOW)], now=NOW)


def test_worker_once_sends_what_is_due_and_prints_json(engine, cli_env, smtp, capsys):
    cli_env.setenv("CROWDPULSE_SMTP_URL", smtp.url)
    cli_env.setenv("CROWDPULSE_SMTP_FROM", "community@example.org")
    queue_one(engine)
    assert main(["worker", "--once", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"sent": 1, "failed": 0, "pending": 0}
    assert smtp.inbox.to() == ["ana@example.org"]


def test_worker_once_without_a_channel_keeps_the_message_queued(engine, cli_env, capsys):
    send_id = queue_one(engine)
    assert main(["worker", "--once", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"sent": 0, "failed": 0, "pending": 1}
    assert delivery.recipients(engine, send_id)["status"].tolist() == ["queued"]


def test_alerts_digest_mails_todays_list_and_prints_the_count(engine, cli_env, smtp, capsys):
    seed_demo(engine, scale="tiny", seed=7, anchor=DEMO_ANCHOR)
    now = pd.Timestamp(DEMO_ANCHOR)
    cli_env.setenv("CROWDPULSE_NOW", now.isoformat())
    cli_env.setenv("CROWDPULSE_SMTP_URL", smtp.url)
    cli_env.setenv("CROWDPULSE_SMTP_FROM", "CrowdPulse <ops@example.org>")
    cli_env.setenv("CROWDPULSE_APP_URL", "https://pulse.example.org")
    entries = alerts.attention_now(engine, now)
    assert len(entries) > 0

    assert main(["alerts", "digest", "--email", "lead@example.org", "--format", "json"]) == 0

    assert json.loads(capsys.readouterr().out) == {"sent": 1, "entries": len(entries)}
    message = smtp.inbox.messages[0]
    assert message["Subject"] == f"CrowdPulse community: {len(entries)} items need attention"
    text = message.get_body(("plain",)).get_content()
    for entry in entries.itertuples():
        assert entry.title in text
        assert f"({int(entry.count):,})" in text
    assert "(https://pulse.example.org/queues" in text


def test_alerts_digest_without_smtp_fails_with_one_clear_line(engine, cli_env, capsys):
    assert main(["alerts", "digest", "--email", "lead@example.org", "--format", "json"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: cannot send the digest: no channel configured: set CROWDPULSE_SMTP_URL")
    assert err.strip().count("\n") == 0


def test_the_long_running_worker_sends_as_messages_come_due_and_stops_cleanly_on_sigterm(engine, smtp, tmp_path):
    env = {**os.environ, "CROWDPULSE_DATABASE_URL": engine.url.render_as_string(hide_password=False),
           "CROWDPULSE_NOW": NOW.isoformat(), "CROWDPULSE_SMTP_URL": smtp.url,
           "CROWDPULSE_SMTP_FROM": "community@example.org"}
    worker = subprocess.Popen([sys.executable, "-m", "core", "worker", "--every", "0.2", "--format", "json"],
                              cwd=Path(__file__).resolve().parents[3], env=env, stdout=subprocess.PIPE, text=True)
    try:
        queue_one(engine)  # queued while the worker already runs
        deadline = time.monotonic() + 60
        while not smtp.inbox.messages and time.monotonic() < deadline and worker.poll() is None:
            time.sleep(0.1)
        assert smtp.inbox.to() == ["ana@example.org"]
    finally:
        worker.send_signal(signal.SIGTERM)
        out, _ = worker.communicate(timeout=60)
    assert worker.returncode == 0
    assert json.loads(out.splitlines()[0]) == {"sent": 1, "failed": 0, "pending": 0}


def test_worker_once_publishes_the_weekly_report_and_says_why_the_sheet_row_was_not_added(engine, cli_env, capsys):
    # Issue 17: without Sheets credentials the run summary says so, and the email is queued anyway.
    from core.admin import update_setting
    seed_demo(engine, scale="tiny", seed=7, anchor=DEMO_ANCHOR)
    update_setting(engine, key="weekly_report_sheet", value={"spreadsheet": "1AbcDEFghijKLMnopQRstuvWXyz0123456789",
                                                              "worksheet": "Weekly"},
                   expected_version=0, actor="command line")
    alerts.save_settings(engine, {"weekly_report": dict(enabled=True, emails=["managers@example.org"], weekday=0,
                                                         time="08:00", timezone="Europe/Berlin")},
                         expected_version=0, actor="command line")
    cli_env.setenv("CROWDPULSE_NOW", "2026-11-23T07:05:00+00:00")
    cli_env.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
    assert main(["worker", "--once", "--format", "json"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out) == {"sent": 0, "failed": 0, "pending": 1}
    assert err.startswith("note: weekly report: the Google Sheet was not updated (Google Sheets is not set up")
    assert delivery.list_sends(engine, kind="report")["title"].tolist() == ["Weekly report 2026-W46"]
