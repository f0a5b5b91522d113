"""Destructive actions ask first in a dialog naming what will be lost (issue 16): a ban on Queues, the data reset."""

import datetime as dt

import pytest
from sqlmodel import Session, select

from core import admin, demo, models
from core.queues import actions
from tests.app.conftest import open_app

ANCHOR = dt.datetime(2026, 11, 20, 12, tzinfo=dt.UTC)
REASON = "Repeated AI-generated uploads after two warnings"


@pytest.fixture
def writable(engine, monkeypatch):
    """The app pointed at a fresh tiny demo of its own, so a test may write to it."""
    demo.seed_demo(engine, scale="tiny", seed=7, anchor=ANCHOR)
    monkeypatch.setenv("CROWDPULSE_NOW", ANCHOR.isoformat())
    monkeypatch.setenv("CROWDPULSE_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    return engine


def ask_to_ban(member_id: str):
    at = open_app("queues", state={"queues_work_tab": "Escalations and enforcement"})
    at.text_input(key="queues_enforce_member").set_value(member_id)
    at.radio(key="queues_enforce_action").set_value("ban")
    at.text_area(key="queues_enforce_reason").set_value(REASON)
    at.button(key="FormSubmitter:queues_enforcement-Record action").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def member(engine, member_id: str) -> models.Member:
    with Session(engine) as session:
        return session.get(models.Member, member_id)


def test_a_ban_asks_in_a_dialog_naming_the_tasker_and_what_changes_and_cancel_keeps_them(writable):
    tasker = actions.tasker_record(writable, "m000001")
    at = ask_to_ban("m000001")
    said = " ".join(m.value for m in at.markdown)
    assert tasker.status == "paused"  # the tiny demo's first tasker
    assert f"**m000001** ({tasker.handle} · {tasker.country}) goes from **paused** to **banned**" in said
    assert f"{tasker.open_items:,} open queue item(s)" in said and "nothing on this page lifts it" in said
    assert member(writable, "m000001").status == "paused"  # nothing happens before the answer
    assert actions.load_enforcements(writable).empty

    at.button(key="queues_ban_cancel").click().run()
    assert not at.exception and member(writable, "m000001").status == "paused"
    assert actions.load_enforcements(writable).empty and not [b for b in at.button if b.key == "queues_ban_confirm"]


def test_a_confirmed_ban_is_recorded_under_the_person_with_the_reason(writable):
    at = ask_to_ban("m000001")
    at.button(key="queues_ban_confirm").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert member(writable, "m000001").status == "banned"
    recent = actions.load_enforcements(writable)
    assert recent[["action", "member_id", "reason", "actor"]].values.tolist() == [
        ["ban", "m000001", REASON, "local user"]]
    assert [s.value for s in at.success] == ["Recorded: ban for m000001."]


def test_a_warning_is_recorded_without_a_dialog(writable):
    at = ask_to_ban("m000001")
    at.button(key="queues_ban_cancel").click().run()
    at.radio(key="queues_enforce_action").set_value("warn")
    at.text_input(key="queues_enforce_member").set_value("m000001")
    at.text_area(key="queues_enforce_reason").set_value("Low-effort answers on Cedar")
    at.button(key="FormSubmitter:queues_enforcement-Record action").click().run()
    assert not [b for b in at.button if b.key == "queues_ban_confirm"]
    assert actions.load_enforcements(writable)["action"].tolist() == ["warn"]


def test_imported_last_errors_are_shown_literally_on_queues(writable):
    with Session(writable) as session:
        item = session.exec(select(models.QueueItem).where(models.QueueItem.queue == "staging",
                                                           models.QueueItem.resolved_at.is_(None))).first()
        item.last_error, item.retries, item_id = "**boom** :red[alert] [click](https://evil.example)", 9, item.item_id
        session.add(item)
        session.commit()
    at = open_app("queues", state={"queues_work_tab": "Stuck in staging", "queues_retry_items": [item_id]})
    (line,) = [m.value for m in at.markdown if "last error:" in m.value and item_id in m.value]
    # every Markdown character escaped: no bold, no colour, no live link from imported text
    assert line.endswith(r"last error: \*\*boom\*\* \:red\[alert\] \[click\]\(https\:\/\/evil\.example\)")


def test_the_reset_asks_in_a_dialog_naming_what_is_deleted_and_keep_changes_nothing(writable):
    at = open_app("data")
    at.button(key="data_reset").click().run()
    said = " ".join(m.value for m in at.markdown)
    counts = admin.table_counts(writable).set_index("entity")["rows"]
    assert f"This deletes **{counts['members']:,} members, {counts['projects']:,} projects, " in said
    assert "every message draft, saved audience, weekly snapshot and setting" in said
    assert "The audit trail, the Sheets sources and their sync history stay." in said
    at.button(key="data_reset_cancel").click().run()
    assert not at.exception and not [b for b in at.button if b.key == "data_reset_confirm"]
    assert admin.table_counts(writable).set_index("entity")["rows"].equals(counts)

