"""Sending for real: email over a real SMTP server on localhost, webhooks to a local receiver, at most once."""

import datetime as dt

import pandas as pd
import pytest
from sqlmodel import Session

from core.comms import channels, delivery, schedule, workflow
from core.comms.errors import InvalidTransition, NotAllowed
from core.db import session_scope
from core.models import Member, Suppression
from tests.core.comms.receivers import Receiver, SmtpServer
from tests.core.comms.staff import MANAGER, SPECIALIST, VIEWER, store_staff
NOW = pd.Timestamp("2026-12-07 03:00", tz="UTC").to_pydatetime()
BODY = "Hello!\n\n- Read the **new guide**: [guide](https://guides.crowdpulse.test/guide)\n- Ask in #help"


@pytest.fixture(autouse=True)
def staff(engine):
    """The staff accounts whose identities carry their roles."""
    return store_staff(engine)


class FakeClock:
    """A monotonic clock the pacer reads and sleeps on, without waiting."""

    def __init__(self):
        self.now, self.sleeps = 0.0, []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 3))
        self.now += seconds


def fake_pacer() -> channels.Pacer:
    clock = FakeClock()
    pacer = channels.Pacer(clock=clock, sleep=clock.sleep)
    pacer.clock = clock
    return pacer


def add_members(engine, *rows) -> list[str]:
    """Taskers (member_id, email, timezone, language)."""
    with session_scope(engine) as session:
        for member_id, address, zone, language in rows:
            session.add(Member(member_id=member_id, email=address, timezone=zone, language=language))
    return [row[0] for row in rows]


def approved_draft(engine, member_ids, *, channel="email", body=BODY) -> tuple[int, int]:
    """An approved draft to those taskers: (draft id, version)."""
    segment = workflow.save_segment(engine, name=f"list {channel} {len(member_ids)}", member_ids=member_ids,
                                    **SPECIALIST)
    draft_id = workflow.create_draft(engine, title="Guide update", subject="The guide changed", body=body,
                                     channel=channel, segment_id=segment, **SPECIALIST)
    version = workflow.submit_for_review(engine, draft_id, expected_version=1, **SPECIALIST)
    return draft_id, workflow.approve(engine, draft_id, expected_version=version, **MANAGER)


def email_ready(server: SmtpServer, per_second: float = 1000) -> channels.Channels:
    return channels.load_channels(environ={"CROWDPULSE_SMTP_URL": server.url,
                                           "CROWDPULSE_SMTP_FROM": "Community team <community@example.org>",
                                           "CROWDPULSE_SMTP_PER_SECOND": str(per_second)}, secrets={})


@pytest.fixture
def smtp():
    """A real SMTP server on localhost that refuses bounce@example.org."""
    with SmtpServer(refuse=["bounce@example.org"]) as server:
        yield server


@pytest.fixture
def receiver():
    """A local HTTP receiver for webhooks."""
    with Receiver() as server:
        yield server


def test_an_approved_email_reaches_each_recipient_once_with_plain_html_and_unsubscribe(engine, smtp):
    members = add_members(engine, ("m1", "ana@example.org", "Europe/Berlin", "en"),
                          ("m2", "bo@example.org", "America/New_York", "pt"))
    draft_id, version = approved_draft(engine, members)
    started = schedule.send_draft(engine, draft_id, expected_version=version, now=NOW, **SPECIALIST)
    assert (started.recipients, started.skipped) == (2, 0)
    assert workflow.get_draft(engine, draft_id).status == "sent"

    tally = delivery.deliver_due(engine, now=NOW, ready=email_ready(smtp), pacer=fake_pacer())
    again = delivery.deliver_due(engine, now=NOW + dt.timedelta(hours=1), ready=email_ready(smtp), pacer=fake_pacer())

    assert (tally.sent, tally.failed, tally.pending, again.sent) == (2, 0, 0, 0)
    assert sorted(smtp.inbox.to()) == ["ana@example.org", "bo@example.org"]
    message = smtp.inbox.messages[0]
    assert message["Subject"] == "The guide changed"
    assert message["From"] == "Community team <community@example.org>"
    assert message["List-Unsubscribe"] == "<mailto:community@example.org?subject=unsubscribe%20m1>"
    plain = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "guide (https://guides.crowdpulse.test/guide)" in plain
    assert '<li>Read the <strong>new guide</strong>: <a href="https://guides.crowdpulse.test/guide">guide</a></li>' in html
    sent = delivery.recipients(engine, started.send_id, status="sent")
    assert sent["answer"].tolist() == ["250 2.0.0 Ok: queued as M1", "250 2.0.0 Ok: queued as M2"]


def test_opted_out_and_addressless_taskers_are_skipped_and_counted(engine, smtp):
    members = add_members(engine, ("m1", "ana@example.org", "UTC", "en"), ("m2", "Out@Example.org", "UTC", "en"),
                          ("m3", None, "UTC", "en"))
    delivery.suppress(engine, "out@example.org", reason="opted_out")
    draft_id, version = approved_draft(engine, members)
    started = schedule.send_draft(engine, draft_id, expected_version=version, now=NOW, **SPECIALIST)
    delivery.deliver_due(engine, now=NOW, ready=email_ready(smtp), pacer=fake_pacer())

    assert (started.recipients, started.skipped) == (3, 2)
    assert smtp.inbox.to() == ["ana@example.org"]
    skipped = delivery.recipients(engine, started.send_id, status="skipped")
    assert dict(zip(skipped["member_id"], skipped["error"])) == {"m2": "opted out", "m3": "no email address"}
    row = delivery.progress(engine, draft_id=draft_id).iloc[0]
    assert (row.sent, row.failed, row.pending, row.skipped, row.total) == (1, 0, 0, 2, 3)


def test_a_refused_address_fails_in_words_is_not_retried_and_is_skipped_next_time(engine, smtp):
    members = add_members(engine, ("m1", "ana@example.org", "UTC", "en"), ("m2", "bounce@example.org", "UTC", "en"))
    draft_id, version = approved_draft(engine, members)
    started = schedule.send_draft(engine, draft_id, expected_version=version, now=NOW, **SPECIALIST)
    tally = delivery.deliver_due(engine, now=NOW, ready=email_ready(smtp), pacer=fake_pacer())

    assert (tally.sent, tally.failed, tally.pending) == (1, 1, 0)
    failed = delivery.recipients(engine, started.send_id, status="failed").iloc[0]
    assert failed["error"] == ("the mail server refused the address (550 5.1.1 <bounce@example.org>: Recipient "
                               "address rejected: User unknown)")
    with Session(engine) as session:
        assert session.get(Suppression, ("email", "bounce@example.org")).reason == "bounced"
    later = delivery.enqueue(engine, kind="message", channel="email", title="t", requested_by="x", key_prefix="other",
                             rows=[dict(recipient="bounce@example.org", due_at=NOW)], now=NOW)
    assert delivery.recipients(engine, later)["error"].tolist() == ["address bounced earlier"]


def test_a_second_send_of_the_same_draft_is_refused_and_sends_nothing_twice(engine, smtp):
    members = add_members(engine, ("m1", "ana@example.org", "UTC", "en"))
    draft_id, version = approved_draft(engine, members)
    schedule.send_draft(engine, draft_id, expected_version=version, now=NOW, **SPECIALIST)
    rows = [dict(recipient="ANA@example.org ", due_at=NOW)]
    assert delivery.enqueue(engine, kind="message", channel="email", title="again", requested_by="x",
                            key_prefix=f"draft:{draft_id}", rows=rows, now=NOW) is None
    with pytest.raises(InvalidTransition, match="Only an approved message can be sent; this one is sent"):
        schedule.send_draft(engine, draft_id, expected_version=version + 1, now=NOW, **SPECIALIST)


def test_a_crash_between_claim_and_send_never_sends_that_delivery_twice(engine, smtp):
    members = add_members(engine, ("m1", "ana@example.org", "UTC", "en"), ("m2", "bo@example.org", "UTC", "en"))
    draft_id, version = approved_draft(engine, members)
    started = schedule.send_draft(engine, draft_id, expected_version=version, now=NOW, **SPECIALIST)

    class Crash(Exception):
        pass

    class CrashingPacer(channels.Pacer):
        def wait(self, line, per_second):
            raise Crash("the worker died here")  # after the claim, before the SMTP conversation

    with pytest.raises(Crash):
        delivery.deliver_due(engine, now=NOW, ready=email_ready(smtp), pacer=CrashingPacer(), worker="w1")
    assert smtp.inbox.messages == []
    # A restarted worker sends the other one, and leaves the claimed one alone…
    first = delivery.deliver_due(engine, now=NOW + dt.timedelta(minutes=1), ready=email_ready(smtp),
                                 pacer=fake_pacer(), worker="w2")
    # …and once the claim is stale, says it was interrupted instead of sending it again.
    later = delivery.deliver_due(engine, now=NOW + dt.timedelta(minutes=30), ready=email_ready(smtp),
                                 pacer=fake_pacer(), worker="w2")
    assert (first.sent, first.pending, later.sent, later.pending) == (1, 1, 0, 0)
    assert len(smtp.inbox.messages) == 1
    failed = delivery.recipients(engine, started.send_id, status="failed")
    assert failed["error"].str.startswith("the worker stopped while sending it; not sent again").tolist() == [True]


def test_without_a_channel_sends_stay_queued_and_say_why(engine):
    members = add_members(engine, ("m1", "ana@example.org", "UTC", "en"))
    draft_id, version = approved_draft(engine, members)
    schedule.send_draft(engine, draft_id, expected_version=version, now=NOW, **SPECIALIST)
    nothing = channels.load_channels(environ={}, secrets={})
    tally = delivery.deliver_due(engine, now=NOW, ready=nothing, pacer=fake_pacer())
    assert (tally.sent, tally.failed, tally.pending) == (0, 0, 1)
    assert nothing.why_not("email").startswith("no channel configured: set CROWDPULSE_SMTP_URL")


def test_bad_smtp_settings_are_explained_and_lose_nothing_queued(engine):
    members = add_members(engine, ("m1", "ana@example.org", "UTC", "en"))
    draft_id, version = approved_draft(engine, members)
    schedule.send_draft(engine, draft_id, expected_version=version, now=NOW, **SPECIALIST)
    bad = channels.load_channels(environ={"CROWDPULSE_SMTP_URL": "mail.example.org:587"}, secrets={})
    assert bad.why_not("email").startswith("settings problem: The SMTP address")
    tally = delivery.deliver_due(engine, now=NOW, ready=bad, pacer=fake_pacer())
    assert (tally.sent, tally.failed, tally.pending) == (0, 0, 1)


def test_a_refused_login_holds_the_delivery_without_using_a_try(engine):
    members = add_members(engine, ("m1", "ana@example.org", "UTC", "en"))
    draft_id, version = approved_draft(engine, members)
    started = schedule.send_draft(engine, draft_id, expected_version=version, now=NOW, **SPECIALIST)
    unreachable = channels.load_channels(environ={"CROWDPULSE_SMTP_URL": "smtp://127.0.0.1:9",
                                                  "CROWDPULSE_SMTP_FROM": "c@example.org"}, secrets={})
    tally = delivery.deliver_due(engine, now=NOW, ready=unreachable, pacer=fake_pacer())
    row = delivery.recipients(engine, started.send_id).iloc[0]
    assert (tally.retried, row["status"], row["attempts"]) == (1, "queued", 1)
    assert row["error"].startswith("try 1 of 5: could not reach the mail server 127.0.0.1:9")
    assert row["due_at"] == pd.Timestamp(NOW) + pd.Timedelta(seconds=60)


@pytest.mark.parametrize(("attempts", "seconds"), [(1, 60), (2, 120), (3, 240), (7, 3600)])
def test_backoff_doubles_and_is_bounded(attempts, seconds):
    assert delivery.backoff(attempts) == seconds


def test_slack_answering_429_is_retried_after_its_retry_after_then_sent(engine, receiver):
    receiver.answers["/slack"] = [(429, {"Retry-After": "30"}, "rate_limited")]
    members = add_members(engine, ("m1", "ana@example.org", "UTC", "en"))
    draft_id, version = approved_draft(engine, members, channel="slack")
    started = schedule.send_draft(engine, draft_id, expected_version=version, now=NOW, **SPECIALIST)
    ready = channels.load_channels(environ={"CROWDPULSE_SLACK_WEBHOOK_URL": receiver.url("/slack")}, secrets={})

    first = delivery.deliver_due(engine, now=NOW, ready=ready, pacer=fake_pacer())
    row = delivery.recipients(engine, started.send_id).iloc[0]
    assert (first.sent, first.retried, row["status"]) == (0, 1, "queued")
    assert row["due_at"] == pd.Timestamp(NOW) + pd.Timedelta(seconds=30)
    assert row["error"] == "try 1 of 5: Slack asked us to slow down (429 rate_limited)"
    early = delivery.deliver_due(engine, now=NOW + dt.timedelta(seconds=29), ready=ready, pacer=fake_pacer())
    late = delivery.deliver_due(engine, now=NOW + dt.timedelta(seconds=30), ready=ready, pacer=fake_pacer())
    assert (early.sent, late.sent, late.pending) == (0, 1, 0)
    assert receiver.posted("/slack")[-1] == {"text": "*The guide changed*\n\nHello!\n\n• Read the *new guide*: "
                                                     "<https://guides.crowdpulse.test/guide|guide>\n• Ask in #help\n", "mrkdwn": True}


def test_discord_gets_its_own_markdown_and_pings_nobody(engine, receiver):
    members = add_members(engine, ("m1", "ana@example.org", "UTC", "en"))
    draft_id, version = approved_draft(engine, members, channel="discord", body="Hi @everyone, read the guide.")
    schedule.send_draft(engine, draft_id, expected_version=version, now=NOW, **SPECIALIST)
    ready = channels.load_channels(environ={"CROWDPULSE_DISCORD_WEBHOOK_URL": receiver.url("/discord")}, secrets={})
    delivery.deliver_due(engine, now=NOW, ready=ready, pacer=fake_pacer())
    assert receiver.posted("/discord") == [{"content": "**The guide changed**\n\nHi @\u200beveryone, read the guide.\n",
                                            "allowed_mentions": {"parse": []}}]


def test_slack_is_paced_at_one_message_a_second_per_webhook(engine, receiver):
    ready = channels.load_channels(environ={"CROWDPULSE_SLACK_WEBHOOK_URL": receiver.url("/slack")}, secrets={})
    rows = [dict(recipient="slack", subject=f"n{i}", body="x", due_at=NOW) for i in range(3)]
    for i, row in enumerate(rows):
        delivery.enqueue(engine, kind="alert", channel="slack", title="t", requested_by="x", key_prefix=f"a{i}",
                         rows=[row], now=NOW)
    pacer = fake_pacer()
    tally = delivery.deliver_due(engine, now=NOW, ready=ready, pacer=pacer)
    assert (tally.sent, pacer.clock.sleeps) == (3, [1.0, 1.0])


def test_a_send_at_ten_local_goes_out_in_three_batches_at_the_right_utc_moments(engine, smtp):
    members = add_members(engine, ("ny", "ny@example.org", "America/New_York", "en"),
                          ("be", "be@example.org", "Europe/Berlin", "en"),
                          ("in", "in@example.org", "Asia/Kolkata", "en"))
    draft_id, version = approved_draft(engine, members)
    started = schedule.send_draft(engine, draft_id, expected_version=version, now=NOW, clock=dt.time(10, 0),
                                  **SPECIALIST)
    assert workflow.get_draft(engine, draft_id).status == "scheduled"
    ready, sent = email_ready(smtp), []
    for moment in ("04:29", "04:30", "08:59", "09:00", "14:59", "15:00"):
        now = pd.Timestamp(f"2026-12-07 {moment}", tz="UTC").to_pydatetime()
        tally = delivery.deliver_due(engine, now=now, ready=ready, pacer=fake_pacer(),
                                     on_sent=lambda send_id: schedule.mark_started(engine, send_id))
        sent.append((moment, tally.sent, list(smtp.inbox.to()[-tally.sent:]) if tally.sent else []))
    assert sent == [("04:29", 0, []), ("04:30", 1, ["in@example.org"]), ("08:59", 0, []),
                    ("09:00", 1, ["be@example.org"]), ("14:59", 0, []), ("15:00", 1, ["ny@example.org"])]
    assert started.first_due == pd.Timestamp("2026-12-07 04:30", tz="UTC")
    assert workflow.get_draft(engine, draft_id).status == "sent"


def test_a_scheduled_send_can_be_cancelled_until_it_starts(engine, smtp):
    members = add_members(engine, ("ny", "ny@example.org", "America/New_York", "en"),
                          ("in", "in@example.org", "Asia/Kolkata", "en"))
    draft_id, version = approved_draft(engine, members)
    started = schedule.send_draft(engine, draft_id, expected_version=version, now=NOW, clock=dt.time(10, 0),
                                  **SPECIALIST)
    assert schedule.cancel_send(engine, started.send_id, now=NOW, **SPECIALIST) == 2
    assert workflow.get_draft(engine, draft_id).status == "approved"
    tally = delivery.deliver_due(engine, now=NOW + dt.timedelta(days=1), ready=email_ready(smtp), pacer=fake_pacer())
    assert (tally.sent, smtp.inbox.messages) == (0, [])
    with pytest.raises(InvalidTransition, match="Nothing left to cancel"):
        schedule.cancel_send(engine, started.send_id, now=NOW, **SPECIALIST)
    # The keys were given up: the message can be scheduled again.
    again = schedule.send_draft(engine, draft_id, expected_version=workflow.get_draft(engine, draft_id).version,
                                now=NOW, **SPECIALIST)
    assert again.recipients == 2


def test_a_test_send_goes_to_the_asker_only_and_is_marked_as_a_test(engine, smtp):
    members = add_members(engine, ("m1", "ana@example.org", "UTC", "en"))
    draft_id, _ = approved_draft(engine, members)
    row = schedule.send_test(engine, draft_id, to="priya@example.com", now=NOW, ready=email_ready(smtp), **SPECIALIST)
    assert (row["status"], row["recipient"]) == ("sent", "priya@example.com")
    assert [m["Subject"] for m in smtp.inbox.messages] == ["[Test] The guide changed"]
    assert delivery.progress(engine, draft_id=draft_id).empty


def test_the_audit_says_who_sent_what_to_how_many(engine, smtp):
    members = add_members(engine, ("m1", "ana@example.org", "UTC", "en"), ("m2", "bo@example.org", "UTC", "en"))
    draft_id, version = approved_draft(engine, members)
    schedule.send_draft(engine, draft_id, expected_version=version, now=NOW, **SPECIALIST)
    trail = workflow.history(engine, draft_id)
    sent = trail[trail["action"] == "send"].iloc[0]
    assert (sent["actor"], sent["after"]["recipients"], sent["after"]["channel"]) == ("priya@example.com", 2, "email")
    assert sent["after"]["summary"] == "sending to 2 recipients by email now"


def test_sending_makes_the_message_sent_and_final_and_the_history_says_so(engine, smtp):
    # Issue 17: "sent" is what a send does (no button sets it); the audit names who sent it to how many.
    members = add_members(engine, ("m1", "ana@example.org", "UTC", "en"))
    draft_id, version = approved_draft(engine, members)
    started = schedule.send_draft(engine, draft_id, expected_version=version, now=NOW, **SPECIALIST)
    trail = workflow.history(engine, draft_id).set_index("action")
    assert trail.loc["send_started", ["actor", "detail"]].tolist() == [
        "priya@example.com", "Approved → Sent: sending to 1 recipient by email now"]
    with pytest.raises(InvalidTransition, match="already sent"):
        workflow.save_revision(engine, draft_id, expected_version=started.version, subject="s", body="b",
                               **SPECIALIST)


def test_a_viewer_cannot_send_or_cancel_whoever_calls(engine):
    members = add_members(engine, ("m1", "ana@example.org", "UTC", "en"))
    draft_id, version = approved_draft(engine, members)
    with pytest.raises(NotAllowed, match="can send a message; you are signed in as viewer"):
        schedule.send_draft(engine, draft_id, expected_version=version, now=NOW, **VIEWER)
    assert delivery.progress(engine, draft_id=draft_id).empty


def test_a_send_queued_for_later_schedules_the_draft_and_a_cancel_approves_it_again(engine):
    members = add_members(engine, ("ny", "ny@example.org", "America/New_York", "en"))
    draft_id, version = approved_draft(engine, members)
    started = schedule.send_draft(engine, draft_id, expected_version=version, now=NOW, clock=dt.time(10, 0),
                                  **SPECIALIST)
    draft = workflow.get_draft(engine, draft_id)
    assert (draft.status, draft.scheduled_at) == ("scheduled", pd.Timestamp("2026-12-07 15:00", tz="UTC"))
    with pytest.raises(InvalidTransition, match="Cancel the send first"):
        workflow.record_send_state(engine, draft_id, to="approved", expected_version=draft.version, **SPECIALIST)
    schedule.cancel_send(engine, started.send_id, now=NOW, **SPECIALIST)
    assert workflow.get_draft(engine, draft_id).status == "approved"
    assert {"schedule", "cancel_send", "unschedule"} <= set(workflow.history(engine, draft_id)["action"])
