"""Sending in local time: "at 10:00 in each recipient's time zone" is one batch per zone, each due at its own UTC moment."""

import datetime as dt
import uuid
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Engine
from sqlmodel import Session

from core import people
from core.comms import audience, channels, delivery, timezones, workflow
from core.comms.errors import InvalidTransition, StaleDraft
from core.comms.workflow import DraftView, Revision
from core.db import session_scope
from core.models import AuditEvent, Draft, MessageSend, Segment


def parse_clock(text: str) -> dt.time:
    """A wall-clock time from 'HH:MM'; ValueError in words otherwise."""
    try:
        return dt.datetime.strptime(text.strip(), "%H:%M").time()
    except ValueError as exc:
        raise ValueError(f"“{text}” is not a time of day: write it as HH:MM, e.g. 10:00.") from exc


def zone_moment(zone: str, *, now, clock: dt.time | None = None, day: dt.date | None = None) -> dt.datetime:
    """When a recipient in `zone` gets the message: now; or `clock` on `day` there (now if that has passed);
    or, without a day, the next time their clock shows `clock`."""
    now = timezones.as_utc(now)
    if clock is None:
        return now
    if day is not None:
        return max(timezones.to_utc(day, clock, zone), now)
    local_today = now.astimezone(timezones.zone_or_utc(zone)).date()
    moment = timezones.to_utc(local_today, clock, zone)
    return moment if moment >= now else timezones.to_utc(local_today + dt.timedelta(days=1), clock, zone)


def due_moments(zones: pd.Series, *, now, clock: dt.time | None = None, day: dt.date | None = None) -> pd.Series:
    """Each recipient's due moment (aware UTC), computed once per distinct zone (blank zones count as UTC)."""
    named = zones.fillna("UTC").map(lambda z: timezones.zone_or_utc(z).key)
    moments = {zone: zone_moment(zone, now=now, clock=clock, day=day) for zone in named.unique()}
    return named.map(moments)


def zone_batches(zones: pd.Series, *, now, clock: dt.time | None = None, day: dt.date | None = None) -> pd.DataFrame:
    """One row per batch: time zone, recipients, due moment (UTC) and how that reads locally, earliest first."""
    named = zones.fillna("UTC").map(lambda z: timezones.zone_or_utc(z).key)
    frame = pd.DataFrame({"timezone": named, "due_at": due_moments(named, now=now, clock=clock, day=day)})
    batches = frame.groupby(["timezone", "due_at"], as_index=False).size().rename(columns={"size": "recipients"})
    batches["local"] = [timezones.format_local(m, z) for z, m in zip(batches["timezone"], batches["due_at"])]
    return batches.sort_values(["due_at", "timezone"], ignore_index=True)[["timezone", "recipients", "due_at", "local"]]


# --- sending a draft -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SendStarted:
    """A send just queued: its id, the draft's new version, how many it reaches and when the first batch goes."""

    send_id: int
    version: int
    recipients: int
    skipped: int
    first_due: dt.datetime


def _version_for(draft: DraftView, language: str | None) -> tuple[str, Revision]:
    versions = draft.versions
    lang = language if language in versions else ("en" if "en" in versions else draft.languages[0])
    return lang, versions[lang]


def _segment_members(engine: Engine, draft: DraftView, *, now) -> pd.DataFrame:
    if draft.segment_id is None:
        raise InvalidTransition("Choose the audience on Audience first: this message has no recipients yet.")
    with Session(engine) as session:
        segment = session.get(Segment, draft.segment_id)
    base = audience.load_audience_base(engine)
    return audience.segment_members(base, filters=segment.filters, member_ids=segment.member_ids, now=now)


def draft_rows(engine: Engine, draft: DraftView, *, now, clock: dt.time | None = None,
               day: dt.date | None = None) -> list[dict]:
    """One delivery row per recipient (email: each tasker in their language; Slack/Discord: the channel once)."""
    if not draft.versions:
        raise InvalidTransition("This message has no text yet.")
    members = _segment_members(engine, draft, now=now)
    due = due_moments(members["timezone"], now=now, clock=clock, day=day)
    if draft.channel in channels.WEBHOOK_CHANNELS:
        lang, text = _version_for(draft, "en")
        first = due.min() if len(due) else timezones.as_utc(now)
        return [dict(recipient=draft.channel, due_at=first, subject=text.subject, body=text.body, language=lang)]
    rows = []
    for member, moment in zip(members.itertuples(index=False), due):
        lang, text = _version_for(draft, member.language)
        rows.append(dict(recipient=member.email if isinstance(member.email, str) else "", member_id=member.member_id,
                         timezone=timezones.zone_or_utc(member.timezone).key, language=lang, subject=text.subject,
                         body=text.body, due_at=moment))
    return rows


def send_draft(engine: Engine, draft_id: int, *, expected_version: int, actor: str, now,
               clock: dt.time | None = None, day: dt.date | None = None) -> SendStarted:
    """Queue an approved draft for its audience: now, or at `clock` in each recipient's zone (one batch per zone).

    The deliveries are queued first; the draft then becomes sent (the first batch is due now) or scheduled.
    """
    people.require(engine, actor, "specialist", "send a message")
    draft = workflow.get_draft(engine, draft_id)
    if draft.version != expected_version:
        raise StaleDraft(f"Someone changed this draft (now version {draft.version}) after you opened version "
                         f"{expected_version}. Reload it and try again.", draft_id=draft_id,
                         current_version=draft.version)
    if draft.status not in ("approved", "scheduled"):
        raise InvalidTransition(f"Only an approved message can be sent; this one is "
                                f"{workflow.STATUS_LABELS.get(draft.status, draft.status).lower()}.")
    if draft.channel not in ("email", *channels.WEBHOOK_CHANNELS):
        raise channels.ChannelProblem("In-app banners are not sent from here: export the banner from Preview.")
    rows = draft_rows(engine, draft, now=now, clock=clock, day=day)
    if not rows:
        raise InvalidTransition("The audience has nobody in it: nothing to send.")
    first_due = min(row["due_at"] for row in rows)
    when = f"at {clock:%H:%M} in each recipient's time zone" if clock else "now"
    summary = f"sending to {len(rows):,} recipient{'s' if len(rows) != 1 else ''} by {draft.channel} {when}"
    send_id = delivery.enqueue(engine, kind="message", channel=draft.channel, title=draft.title, requested_by=actor,
                               key_prefix=f"draft:{draft_id}", rows=rows, now=now, draft_id=draft_id,
                               local_time=f"{clock:%H:%M}" if clock else None,
                               audit={"summary": summary, "channel": draft.channel})
    if send_id is None:
        raise InvalidTransition("Every recipient already has this message, or has it queued.")
    try:
        version = _record(engine, draft, actor=actor, first_due=first_due, now=now, note=summary)
    except (StaleDraft, InvalidTransition):
        delivery.cancel_queued(engine, send_id, actor=actor, now=now)  # the draft moved meanwhile: nothing goes out
        raise
    counts = delivery.progress(engine, send_id=send_id)
    return SendStarted(send_id=send_id, version=version, recipients=int(counts["total"].sum()),
                       skipped=int(counts["skipped"].sum()), first_due=first_due)


def _record(engine: Engine, draft: DraftView, *, actor: str, first_due, now, note: str) -> int:
    """The status the queued send gives the draft: sent when its first batch is due now, else scheduled."""
    if first_due <= timezones.as_utc(now):
        return workflow.record_send_state(engine, draft.id, to="sent", expected_version=draft.version, actor=actor,
                                          note=note)
    if draft.status == "approved":
        return workflow.record_send_state(engine, draft.id, to="scheduled", expected_version=draft.version,
                                          actor=actor, note=note, scheduled_at=first_due)
    return draft.version


def mark_started(engine: Engine, send_id: int) -> None:
    """When a scheduled draft's first delivery went out, the draft is sent (its text and audience are final)."""
    with Session(engine) as session:
        send = session.get(MessageSend, send_id)
        draft = session.get(Draft, send.draft_id) if send is not None and send.draft_id is not None else None
        if draft is None or draft.status != "scheduled":
            return
        requested_by, version = send.requested_by, draft.version
    try:
        # The worker acts (an identity of its own), on behalf of whoever scheduled the send.
        workflow.record_send_state(engine, draft.id, to="sent", expected_version=version, actor=people.SCHEDULER,
                                   note=f"the send {requested_by} scheduled started")
    except (StaleDraft, InvalidTransition):
        pass  # another worker marked it first


def cancel_send(engine: Engine, send_id: int, *, actor: str, now) -> int:
    """Cancel every delivery of a send that has not started; a scheduled draft nothing went out for is approved again."""
    people.require(engine, actor, "specialist", "cancel a send")
    cancelled = delivery.cancel_queued(engine, send_id, actor=actor, now=now)
    if not cancelled:
        raise InvalidTransition("Nothing left to cancel: every delivery of this send has started or finished.")
    with session_scope(engine) as session:
        send = session.get(MessageSend, send_id)
        draft = session.get(Draft, send.draft_id) if send.draft_id is not None else None
        if draft is None:
            return cancelled
        draft_id, status, version = draft.id, draft.status, draft.version
        session.add(AuditEvent(actor=actor, action="cancel_send", entity="draft", entity_id=str(draft_id), at=now,
                               after={"send_id": send_id, "cancelled": cancelled,
                                      "summary": f"cancelled {cancelled:,} deliveries not yet started"}))
    if status == "scheduled":
        workflow.record_send_state(engine, draft_id, to="approved", expected_version=version, actor=actor,
                                   note="the scheduled send was cancelled")
    return cancelled


def send_test(engine: Engine, draft_id: int, *, to: str, actor: str, now,
              ready: channels.Channels | None = None) -> pd.Series:
    """Send the draft's current text to one address (or the channel's webhook) now, marked as a test; its delivery."""
    people.require(engine, actor, "specialist", "send a test")
    ready = ready or channels.load_channels()
    draft = workflow.get_draft(engine, draft_id)
    target = "email" if draft.channel not in channels.WEBHOOK_CHANNELS else draft.channel
    if not ready.ready(target):
        raise channels.ChannelProblem(f"Cannot send a test: {ready.why_not(target)}.")
    if not draft.versions:
        raise InvalidTransition("Write the message first.")
    lang, text = _version_for(draft, "en")
    row = dict(recipient=to if target == "email" else target, language=lang, subject=f"[Test] {text.subject}",
               body=text.body, due_at=timezones.as_utc(now))
    send_id = delivery.enqueue(engine, kind="test", channel=target, title=f"Test of {draft.title}", requested_by=actor,
                               key_prefix=f"test:{draft_id}:{uuid.uuid4().hex}", rows=[row], now=now)
    with session_scope(engine) as session:
        session.add(AuditEvent(actor=actor, action="send_test", entity="draft", entity_id=str(draft_id), at=now,
                               after={"send_id": send_id, "summary": f"sent a test to {row['recipient']}"}))
    delivery.deliver_due(engine, now=now, ready=ready, send_id=send_id)
    return delivery.recipients(engine, send_id).iloc[0]
