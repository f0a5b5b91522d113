"""Sending for real: one delivery per recipient and channel, claimed by one worker, sent at most once.

A delivery's unique `key` (send kind, the thing sent, channel, address) stops a second copy from
being queued; a worker claims a delivery with a conditional UPDATE (queued → sending, only if it
is still queued), so of two workers on one database only one wins. A delivery left in "sending"
by a worker that died is never sent again (the server may have taken it): it is marked failed
with that reason. Failures that may pass (a busy server, a 429) are queued again with a bounded
backoff; opted-out and bounced addresses are skipped and counted. Nothing here imports Streamlit.
"""

import datetime as dt
import os
import socket
from dataclasses import asdict, dataclass

import pandas as pd
from sqlalchemy import Engine, String, cast, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from core.comms import channels as ways
from core.comms.channels import Channels, Outcome, Pacer
from core.db import bump_data_version, session_scope
from core.frames import read_frame
from core.models import AuditEvent, Delivery, MessageSend, Suppression

MAX_ATTEMPTS = 5
BACKOFF_SECONDS = 60
MAX_BACKOFF_SECONDS = 3600
HELD_SECONDS = 60
# A claim older than this belongs to a worker that stopped between claiming and finishing.
STALE_CLAIM = dt.timedelta(minutes=10)
PENDING = ("queued", "sending")
STATUS_LABELS = {"queued": "pending", "sending": "sending", "sent": "sent", "failed": "failed",
                 "skipped": "skipped", "cancelled": "cancelled"}
SUPPRESSION_WORDS = {"opted_out": "opted out", "bounced": "address bounced earlier"}


def worker_name() -> str:
    """This process as a worker: host and process id."""
    return f"{socket.gethostname()}:{os.getpid()}"


def backoff(attempts: int) -> float:
    """Seconds to wait before try number attempts + 1: 1, 2, 4 … minutes, at most an hour."""
    return float(min(BACKOFF_SECONDS * 2 ** max(attempts - 1, 0), MAX_BACKOFF_SECONDS))


# --- queueing --------------------------------------------------------------------------------------


def suppressed_addresses(engine: Engine, channel: str = "email") -> dict[str, str]:
    """Addresses that must not be written to on a channel, lower-cased, with the reason."""
    with Session(engine) as session:
        rows = session.execute(select(Suppression.address, Suppression.reason)
                               .where(Suppression.channel == channel)).all()
    return {address.lower(): reason for address, reason in rows}


def suppress(engine: Engine, address: str, *, reason: str = "opted_out", channel: str = "email",
             note: str | None = None, now=None) -> None:
    """Never write to this address again (an opt-out or a bounce); a second call keeps the first reason."""
    with session_scope(engine) as session:
        if session.get(Suppression, (channel, address.strip().lower())) is None:
            session.add(Suppression(channel=channel, address=address.strip().lower(), reason=reason, note=note,
                                    at=now or dt.datetime.now(dt.UTC)))
            bump_data_version(session, "comms", "admin")


def delivery_key(prefix: str, channel: str, recipient: str) -> str:
    """The key that lets a recipient get one thing once on a channel."""
    return f"{prefix}:{channel}:{recipient.strip().lower()}"


def enqueue(engine: Engine, *, kind: str, channel: str, title: str, requested_by: str, key_prefix: str,
            rows: list[dict], now, draft_id: int | None = None, local_time: str | None = None,
            audit: dict | None = None) -> int | None:
    """Queue one delivery per row (recipient, due_at, subject, body, …); returns the send's id.

    Rows whose key already exists are left out (that recipient has it already); None when every
    row was (so an alert or digest that another worker queued first is not queued twice). An
    email address that opted out or bounced is stored as skipped, with the reason.
    """
    blocked = suppressed_addresses(engine, "email") if channel == "email" else {}
    keyed = {delivery_key(key_prefix, channel, row["recipient"] or f"member {row.get('member_id')}"): row
             for row in rows}
    with Session(engine) as session:
        existing = set(session.scalars(select(Delivery.key).where(Delivery.key.in_(list(keyed))))) if keyed else set()
    fresh = {key: row for key, row in keyed.items() if key not in existing}
    if not fresh:
        return None
    try:
        with session_scope(engine) as session:
            send = MessageSend(draft_id=draft_id, kind=kind, channel=channel, title=title, requested_by=requested_by,
                               requested_at=now, local_time=local_time, recipients=len(fresh))
            session.add(send)
            session.flush()
            for key, row in fresh.items():
                session.add(_delivery(send.id, key, channel, row, blocked))
            session.flush()
            send.skipped = session.scalar(select(func.count()).select_from(Delivery)
                                          .where(Delivery.send_id == send.id, Delivery.status == "skipped"))
            if audit is not None and draft_id is not None:
                session.add(AuditEvent(actor=requested_by, action="send", entity="draft", entity_id=str(draft_id),
                                       at=now, after=audit | {"send_id": send.id, "recipients": len(fresh),
                                                              "skipped": send.skipped}))
            bump_data_version(session, "comms", "admin")
            return send.id
    except IntegrityError:
        return None  # another worker queued the same keys in between: theirs stands


def _delivery(send_id: int, key: str, channel: str, row: dict, blocked: dict) -> Delivery:
    recipient = (row["recipient"] or "").strip()
    status, error = "queued", None
    if channel == "email" and not recipient:
        status, error = "skipped", "no email address"
    elif recipient.lower() in blocked:
        status, error = "skipped", SUPPRESSION_WORDS.get(blocked[recipient.lower()], blocked[recipient.lower()])
    return Delivery(key=key, send_id=send_id, channel=channel, recipient=recipient, member_id=row.get("member_id"),
                    timezone=row.get("timezone") or "UTC", language=row.get("language") or "en",
                    subject=row.get("subject", ""), body=row.get("body", ""), link=row.get("link"), status=status,
                    due_at=row["due_at"], error=error)


# --- sending -----------------------------------------------------------------------------------------


@dataclass
class Tally:
    """What a worker pass did, and what is left queued."""

    sent: int = 0
    failed: int = 0
    retried: int = 0
    pending: int = 0

    def public(self) -> dict:
        """{"sent", "failed", "pending"} (plus retried) as the CLI prints it."""
        return asdict(self)


def interrupt_stale_claims(engine: Engine, *, now) -> int:
    """Mark deliveries a stopped worker left in 'sending' as failed (never re-sent: the server may have them)."""
    with session_scope(engine) as session:
        done = session.execute(
            update(Delivery).where(Delivery.status == "sending", Delivery.claimed_at < now - STALE_CLAIM)
            .values(status="failed", error="the worker stopped while sending it; not sent again so nobody gets it "
                                           "twice (check the mail log, then send it again by hand if needed)")
        ).rowcount
        if done:
            bump_data_version(session, "comms", "admin")
    return done


def claim(engine: Engine, delivery_id: int, *, worker: str, now) -> Delivery | None:
    """Take a due, queued delivery for this worker; None when another worker took it first."""
    with session_scope(engine) as session:
        won = session.execute(
            update(Delivery).where(Delivery.id == delivery_id, Delivery.status == "queued", Delivery.due_at <= now)
            .values(status="sending", claimed_by=worker, claimed_at=now, attempts=Delivery.attempts + 1)
        ).rowcount
        if not won:
            return None
        delivery = session.get(Delivery, delivery_id)
        session.expunge(delivery)
        return delivery


def due_deliveries(engine: Engine, *, now, ready: Channels, send_id: int | None = None,
                   limit: int = 500) -> list[int]:
    """Ids of queued deliveries that are due, on channels that can send now, oldest first."""
    query = (select(Delivery.id, Delivery.channel, Delivery.recipient)
             .where(Delivery.status == "queued", Delivery.due_at <= now)
             .order_by(Delivery.due_at, Delivery.id).limit(limit))
    if send_id is not None:
        query = query.where(Delivery.send_id == send_id)
    with Session(engine) as session:
        rows = session.execute(query).all()
    return [row.id for row in rows if ready.ready(row.channel if row.channel == "email" else row.recipient)]


def attempt(delivery: Delivery, ready: Channels, mailer: "ways.Mailer | None", *, now) -> Outcome:
    """Try one delivery on its channel."""
    if delivery.channel == "email":
        if mailer is None:
            return Outcome(False, error=ready.why_not("email"), held=True)
        sender = ready.smtp.sender
        unsubscribe = ways.unsubscribe_header(sender, delivery.member_id) if delivery.member_id else None
        message = ways.email_message(sender=sender, to=delivery.recipient, subject=delivery.subject,
                                     body=delivery.body, language=delivery.language, unsubscribe=unsubscribe, when=now)
        return mailer.send(message, delivery.recipient)
    url = ready.webhooks.get(delivery.recipient)
    if not url:
        return Outcome(False, error=ready.why_not(delivery.recipient), held=True)
    return ways.post_webhook(delivery.channel, url, delivery.subject, delivery.body)


def record(engine: Engine, delivery: Delivery, outcome: Outcome, *, now) -> str:
    """Store what an attempt did; returns the delivery's new status."""
    if outcome.sent:
        values = dict(status="sent", sent_at=now, answer=outcome.answer, error=None)
    elif outcome.held:
        values = dict(status="queued", attempts=delivery.attempts - 1, error=outcome.error,
                      due_at=now + dt.timedelta(seconds=HELD_SECONDS))
    elif outcome.retry and delivery.attempts < MAX_ATTEMPTS:
        wait = outcome.retry_after if outcome.retry_after is not None else backoff(delivery.attempts)
        values = dict(status="queued", error=f"try {delivery.attempts} of {MAX_ATTEMPTS}: {outcome.error}",
                      due_at=now + dt.timedelta(seconds=wait))
    else:
        tries = f" (after {delivery.attempts} tries)" if delivery.attempts > 1 else ""
        values = dict(status="failed", error=outcome.error + tries)
    with session_scope(engine) as session:
        session.execute(update(Delivery).where(Delivery.id == delivery.id, Delivery.status == "sending",
                                               Delivery.claimed_by == delivery.claimed_by).values(**values))
        if outcome.bounced:
            address = delivery.recipient.strip().lower()
            if session.get(Suppression, ("email", address)) is None:
                session.add(Suppression(channel="email", address=address, reason="bounced", at=now,
                                        note=outcome.error))
        bump_data_version(session, "comms", "admin")
    return values["status"]


def _line(delivery: Delivery, ready: Channels) -> tuple[str, float]:
    if delivery.channel == "email":
        return "email", ready.smtp.per_second if ready.smtp else ways.DEFAULT_SMTP_PER_SECOND
    return f"{delivery.channel}:{delivery.recipient}", ways.WEBHOOK_PER_SECOND.get(delivery.channel, 1.0)


def deliver_due(engine: Engine, *, now, ready: Channels | None = None, worker: str | None = None,
                pacer: Pacer | None = None, send_id: int | None = None, limit: int = 500,
                on_sent=None) -> Tally:
    """Send every due delivery this worker can claim, at each channel's pace; counts what happened.

    `on_sent(send_id)` runs after a delivery of that send went out (the first one marks a scheduled draft sent).
    """
    ready = ready or ways.load_channels()
    worker, pacer, tally = worker or worker_name(), pacer or Pacer(), Tally()
    interrupt_stale_claims(engine, now=now)
    mailer = ways.Mailer(ready.smtp) if ready.smtp else None
    try:
        for delivery_id in due_deliveries(engine, now=now, ready=ready, send_id=send_id, limit=limit):
            delivery = claim(engine, delivery_id, worker=worker, now=now)
            if delivery is None:
                continue
            pacer.wait(*_line(delivery, ready))
            status = record(engine, delivery, attempt(delivery, ready, mailer, now=now), now=now)
            tally.sent += status == "sent"
            tally.failed += status == "failed"
            tally.retried += status == "queued"
            if status == "sent" and on_sent is not None:
                on_sent(delivery.send_id)
    finally:
        if mailer is not None:
            mailer.close()
    tally.pending = pending_count(engine, send_id=send_id)
    return tally


def already_queued(engine: Engine, key_prefix: str) -> bool:
    """Whether anything was ever queued under this key prefix (a digest of that day, a week's report)."""
    with Session(engine) as session:
        return bool(session.scalar(select(func.count()).select_from(Delivery)
                                   .where(Delivery.key.startswith(key_prefix + ":"))))


def pending_count(engine: Engine, *, send_id: int | None = None) -> int:
    """Deliveries still queued or being sent (all, or of one send)."""
    query = select(func.count()).select_from(Delivery).where(Delivery.status.in_(PENDING))
    if send_id is not None:
        query = query.where(Delivery.send_id == send_id)
    with Session(engine) as session:
        return session.scalar(query)


def cancel_queued(engine: Engine, send_id: int, *, actor: str, now) -> int:
    """Cancel what of a send has not started; returns how many deliveries were cancelled.

    A cancelled delivery gives its key up, so the same message can be queued again later.
    """
    with session_scope(engine) as session:
        cancelled = session.execute(
            update(Delivery).where(Delivery.send_id == send_id, Delivery.status == "queued")
            .values(status="cancelled", error=f"cancelled by {actor}",
                    key=Delivery.key + "#cancelled-" + cast(Delivery.id, String))
        ).rowcount
        send = session.get(MessageSend, send_id)
        if send is not None and cancelled:
            send.cancelled_at, send.cancelled_by = now, actor
            bump_data_version(session, "comms", "admin")
    return cancelled


# --- reading -------------------------------------------------------------------------------------------


def send_counts(engine: Engine, *, draft_id: int | None = None, send_id: int | None = None) -> pd.DataFrame:
    """Deliveries per send, channel, time zone and status, with the earliest due moment of each group."""
    query = (select(Delivery.send_id, Delivery.channel, Delivery.timezone, Delivery.status,
                    func.count().label("deliveries"), func.min(Delivery.due_at).label("first_due"))
             .join(MessageSend, MessageSend.id == Delivery.send_id)
             .group_by(Delivery.send_id, Delivery.channel, Delivery.timezone, Delivery.status))
    if draft_id is not None:
        query = query.where(MessageSend.draft_id == draft_id)
    if send_id is not None:
        query = query.where(Delivery.send_id == send_id)
    return read_frame(engine, query, timestamps=("first_due",))


def progress(engine: Engine, *, draft_id: int | None = None, send_id: int | None = None) -> pd.DataFrame:
    """Per send, channel and zone: sent, failed, pending, skipped, cancelled, total, and when the next batch is due."""
    counts = send_counts(engine, draft_id=draft_id, send_id=send_id)
    columns = ["send_id", "channel", "timezone", "sent", "failed", "pending", "skipped", "cancelled", "total",
               "next_due"]
    if counts.empty:
        return pd.DataFrame(columns=columns)
    counts["label"] = counts["status"].map(lambda s: "pending" if s in PENDING else s)
    keys = ["send_id", "channel", "timezone"]
    table = counts.pivot_table(index=keys, columns="label", values="deliveries", aggfunc="sum", fill_value=0)
    table = table.reindex(columns=["sent", "failed", "pending", "skipped", "cancelled"], fill_value=0)
    table["total"] = table.sum(axis=1)
    waiting = counts[counts["label"] == "pending"].groupby(keys)["first_due"].min()
    table["next_due"] = waiting.reindex(table.index)
    return table.reset_index().sort_values(["send_id", "next_due", "timezone"], ascending=[False, True, True],
                                           ignore_index=True)[columns]


def recipients(engine: Engine, send_id: int, *, status: str | None = None, timezone: str | None = None,
               channel: str | None = None) -> pd.DataFrame:
    """The people (or webhooks) behind a send's numbers, with what the server answered or why not."""
    query = (select(Delivery.recipient, Delivery.member_id, Delivery.channel, Delivery.timezone, Delivery.language,
                    Delivery.status, Delivery.due_at, Delivery.sent_at, Delivery.attempts, Delivery.answer,
                    Delivery.error).where(Delivery.send_id == send_id).order_by(Delivery.due_at, Delivery.recipient))
    if status == "pending":
        query = query.where(Delivery.status.in_(PENDING))
    elif status:
        query = query.where(Delivery.status == status)
    if timezone:
        query = query.where(Delivery.timezone == timezone)
    if channel:
        query = query.where(Delivery.channel == channel)
    return read_frame(engine, query, timestamps=("due_at", "sent_at"))


def list_sends(engine: Engine, *, draft_id: int | None = None, kind: str | None = None) -> pd.DataFrame:
    """Sends, newest first: what, by whom, when, to how many, and whether they were cancelled."""
    table = MessageSend.__table__
    query = select(*table.c).order_by(table.c.id.desc())
    if draft_id is not None:
        query = query.where(table.c.draft_id == draft_id)
    if kind is not None:
        query = query.where(table.c.kind == kind)
    return read_frame(engine, query, timestamps=("requested_at", "cancelled_at"))
