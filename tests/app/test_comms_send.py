"""Comms studio, Review tab: send an approved message for real, see its progress and who is behind each number."""

import datetime as dt

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from core.comms import delivery, workflow
from core.comms.checks import PLACEHOLDER_TEXT
from core.comms.workflow import PLACEHOLDER
from core.demo import seed_demo
from tests.app.conftest import APP
from ui import widgets
from tests.core.comms.receivers import smtp  # noqa: F401 (a fixture the tests take by name)

ANCHOR = pd.Timestamp("2026-11-22 09:00", tz="UTC").to_pydatetime()


@pytest.fixture
def studio(engine, monkeypatch, tmp_path):
    """Open the Comms studio on a writable tiny demo database, with no channel configured."""
    seed_demo(engine, scale="tiny", seed=7, anchor=ANCHOR)
    monkeypatch.setenv("CROWDPULSE_NOW", ANCHOR.isoformat())
    monkeypatch.setenv("CROWDPULSE_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setattr("core.comms.channels.SECRETS_FILE", tmp_path / "no-secrets.toml")
    for name in ("CROWDPULSE_SMTP_URL", "CROWDPULSE_SMTP_FROM"):
        monkeypatch.delenv(name, raising=False)

    def open_studio() -> AppTest:
        at = AppTest.from_file(APP, default_timeout=90)
        at.run()
        at.switch_page("app_pages/comms.py").run()
        assert not at.exception, [e.value for e in at.exception]
        return at
    return open_studio


def approved(at: AppTest) -> int:
    """Create a draft from the selected template, send it for review and approve it; its id."""
    at.button(key="comms_create").click().run()
    draft_id = at.selectbox(key="comms_draft_pick").value
    body = at.text_area(key=f"comms_body_{draft_id}_en")
    text = PLACEHOLDER.sub("Your first tasks are waiting in the project channel.", body.value)
    text = PLACEHOLDER_TEXT.sub("https://community.crowdpulse.org/start", text)
    if text != body.value:  # the template leaves blanks and a sample link: an editor fills them before review
        body.input(text).run()
        at.button(key="comms_save").click().run()
    at.button(key="comms_submit").click().run()
    at.button(key="comms_approve").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    return draft_id


def test_without_a_channel_a_send_stays_queued_and_the_page_says_why(studio, engine):
    at = studio()
    draft_id = approved(at)
    assert any("no channel configured: set CROWDPULSE_SMTP_URL" in w.value for w in at.warning)
    at.button(key="comms_send_go").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert workflow.get_draft(engine, draft_id).status == "sent"
    counts = delivery.progress(engine, draft_id=draft_id)
    total, pending = int(counts["total"].sum()), int(counts["pending"].sum())
    assert total > 0 and pending == total - int(counts["skipped"].sum())
    bar = at.get("progress")[0]
    assert bar.proto.text == (f"0 sent · 0 failed · {pending:,} pending · {int(counts['skipped'].sum()):,} skipped · "
                              f"0 cancelled of {total:,}")


def test_after_the_worker_ran_the_page_shows_what_was_sent_and_to_whom(studio, engine, smtp, monkeypatch):
    at = studio()
    draft_id = approved(at)
    at.button(key="comms_send_go").click().run()
    monkeypatch.setenv("CROWDPULSE_SMTP_URL", smtp.url)
    monkeypatch.setenv("CROWDPULSE_SMTP_FROM", "community@example.org")
    tally = delivery.deliver_due(engine, now=ANCHOR)
    at.run()
    counts = delivery.progress(engine, draft_id=draft_id)
    assert tally.sent == int(counts["sent"].sum()) == len(smtp.inbox.messages) > 0
    bar = at.get("progress")[0]
    assert bar.proto.text.startswith(f"{tally.sent:,} sent · 0 failed · 0 pending")
    assert bar.proto.value == 100
    send_id = int(delivery.list_sends(engine, draft_id=draft_id)["id"].iloc[0])
    shown = next(d.value for d in at.dataframe if "recipient" in d.value.columns)
    # The table shows the first SHOWN_ROWS (all of them in its CSV download).
    assert len(shown) == min(tally.sent, widgets.SHOWN_ROWS)
    assert set(shown["recipient"]) <= set(smtp.inbox.to())
    assert set(shown["status"]) == {"sent"}
    assert len(delivery.recipients(engine, send_id, status="sent")) == tally.sent


def test_a_send_at_a_local_time_can_be_cancelled_from_the_page(studio, engine):
    at = studio()
    draft_id = approved(at)
    at.toggle(key="comms_send_local").set_value(True).run()
    # 10:45 is still to come in every zone of the demo (at 09:00 UTC it is 10:00 in Berlin: those would go now).
    at.time_input(key="comms_send_clock").set_value(dt.time(10, 45)).run()
    at.button(key="comms_send_go").click().run()
    assert workflow.get_draft(engine, draft_id).status == "scheduled"
    send_id = int(delivery.list_sends(engine, draft_id=draft_id)["id"].iloc[0])
    at.button(key=f"comms_send_cancel_{send_id}").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    counts = delivery.progress(engine, draft_id=draft_id)
    assert int(counts["pending"].sum()) == 0 and int(counts["cancelled"].sum()) > 0
    assert workflow.get_draft(engine, draft_id).status == "approved"


def test_the_review_tab_sends_and_never_marks_a_message_sent_by_hand(studio):
    # Issue 17: the old "Schedule" / "Mark as sent" buttons set a status without sending anything.
    at = studio()
    approved(at)
    keys = {b.key for b in at.button}
    assert "comms_send_go" in keys
    assert not keys & {"comms_mark_sent", "comms_schedule", "comms_unschedule"}
    captions = " ".join(c.value for c in at.caption)
    assert "Mark as sent" not in captions and "Sending is an export" not in captions
    assert "Markdown, .eml and mail-merge CSV on Preview are exports for other tools" in captions
