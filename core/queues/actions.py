"""What a specialist does to queue items: request a retry of a stuck upload, record an enforcement decision.

Each action is one transaction: it changes the item (or the member), appends to the item's
status history where there is one, writes an AuditEvent and bumps the data version of the areas it
changes (a retry: queues and admin), so only the pages that read them refresh. A retry is guarded by
the item's `version`: it applies only to the item as the specialist saw it, and fails with `StaleItem`
when someone changed it since.
"""

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Engine, func, select, update
from sqlmodel import select as model_select

from core import people, rollups
from core.comms import channels
from core.db import bump_data_version, session_scope
from core.errors import CrowdPulseError, NotAllowed
from core.frames import read_frame
from core.models import AuditEvent, Enforcement, Member, QueueEvent, QueueItem

RETRY_STATUS = "retry_requested"
RETRYABLE_QUEUES = ("staging",)
ENFORCEMENT_ACTIONS = ("warn", "ban", "takedown")
RETRY_ROLE = "specialist"
# A ban ends someone's work on the platform, so a manager decides it; warnings and takedowns are routine.
ENFORCEMENT_ROLES = {"warn": "specialist", "takedown": "specialist", "ban": "manager"}
# A reason has to tell the next reader why; "x" or "spam" alone does not.
MIN_REASON_CHARS = 10


class QueueActionRefused(CrowdPulseError, ValueError):
    """An action that cannot apply: unknown item or member, a resolved item, a missing reason."""


class StaleItem(CrowdPulseError):
    """The item changed after the specialist loaded it; acting on the old view would lose that change."""


@dataclass(frozen=True)
class RetryRequested:
    """A retry that was recorded: the item's new retry count and version."""

    item_id: str
    retries: int
    version: int
    at: dt.datetime


def request_retry(engine: Engine, *, item_id: str, expected_version: int, actor: str, note: str | None = None,
                  now: dt.datetime | None = None) -> RetryRequested:
    """Ask the pipeline to retry a stuck staging item: retries + 1, a 'retry_requested' event and an audit event."""
    people.require(engine, actor, RETRY_ROLE, "request a retry")
    moment = now or dt.datetime.now(dt.UTC)
    with session_scope(engine) as session:
        item = session.get(QueueItem, item_id)
        if item is None:
            raise QueueActionRefused(f"There is no queue item {item_id}.")
        if item.queue not in RETRYABLE_QUEUES:
            raise QueueActionRefused(f"{item_id} is a {item.queue} item: only staging uploads can be retried.")
        if item.resolved_at is not None:
            raise QueueActionRefused(f"{item_id} is already resolved: there is nothing to retry.")
        before = {"status": item.status, "retries": item.retries, "version": item.version}
        # The version check and the write are one statement, so two specialists cannot both win.
        changed = session.connection().execute(
            update(QueueItem)
            .where(QueueItem.item_id == item_id, QueueItem.version == expected_version)
            .values(retries=QueueItem.retries + 1, status=RETRY_STATUS, updated_at=moment,
                    version=QueueItem.version + 1)
        ).rowcount
        if changed != 1:
            raise StaleItem(_stale_message(session, item_id, item.version, expected_version))
        after = {"status": RETRY_STATUS, "retries": before["retries"] + 1, "version": before["version"] + 1}
        session.add(QueueEvent(item_id=item_id, at=moment, status=RETRY_STATUS, actor=actor, note=note))
        session.add(AuditEvent(at=moment, actor=actor, action="request_retry", entity="queue_item",
                               entity_id=item_id, before=before, after=after))
        session.flush()
        rollups.refresh(session.connection(), "queue_items", ids=[item_id])
        bump_data_version(session, "queues", "admin")
    return RetryRequested(item_id=item_id, retries=after["retries"], version=after["version"], at=moment)


def request_retries(engine: Engine, *, versions: Mapping[str, int], actor: str, note: str | None = None,
                    now: dt.datetime | None = None) -> tuple[list[RetryRequested], dict]:
    """`request_retry` for several items, each on its own, so one changed item does not hold back the rest.

    Returns the retries made and, per refused item, the reason in words.
    """
    done, refused = [], {}
    for item_id, version in versions.items():
        try:
            done.append(request_retry(engine, item_id=item_id, expected_version=version, actor=actor,
                                      note=note, now=now))
        except NotAllowed:
            raise
        except CrowdPulseError as problem:
            refused[item_id] = str(problem)
    return done, refused


def notify_pipeline(engine: Engine, item_ids: list[str], *, actor: str, now: dt.datetime | None = None,
                    ready: channels.Channels | None = None) -> tuple[str, str]:
    """Call the pipeline's retry endpoint for items whose retry was recorded; (level, what happened in words).

    Without an endpoint configured the retry is only recorded here. The answer (or the failure) is
    kept in the audit trail of each item.
    """
    ready = ready or channels.load_channels()
    if not item_ids:
        return "info", "No retry to pass on."
    if not ready.pipeline_url:
        return "info", ("The retry is only recorded here: no pipeline retry endpoint is configured "
                        "(CROWDPULSE_PIPELINE_RETRY_URL), so the pipeline was not told.")
    outcome = channels.request_pipeline_retry(ready.pipeline_url, ready.pipeline_token, item_ids)
    with session_scope(engine) as session:
        for item_id in item_ids:
            session.add(AuditEvent(at=now or dt.datetime.now(dt.UTC), actor=actor, action="pipeline_retry",
                                   entity="queue_item", entity_id=item_id,
                                   after={"ok": outcome.sent, "answer": outcome.answer, "error": outcome.error}))
        bump_data_version(session, "queues", "admin")
    if outcome.sent:
        return "success", f"The pipeline accepted the retry of {len(item_ids)} item(s): {outcome.answer}."
    return "error", f"The retry is recorded, but the pipeline was not told: {outcome.error}."


def _stale_message(session, item_id: str, current: int, expected: int) -> str:
    last = session.exec(
        model_select(AuditEvent).where(AuditEvent.entity == "queue_item", AuditEvent.entity_id == item_id)
        .order_by(AuditEvent.at.desc()).limit(1)
    ).first()
    who = f" ({last.action.replace('_', ' ')} by {last.actor} at {last.at:%d %b %H:%M} UTC)" if last else ""
    return (f"{item_id} was changed by someone else since you loaded it{who}: you saw version {expected}, "
            f"it is now version {current}. Nothing was saved — look at it again, then retry if it still needs it.")


def record_enforcement(engine: Engine, *, member_id: str, action: str, reason: str, actor: str,
                       item_id: str | None = None, now: dt.datetime | None = None) -> int:
    """Record a warning, ban or takedown with who and why (a ban also marks the member banned); returns its id."""
    moment = now or dt.datetime.now(dt.UTC)
    reason = (reason or "").strip()
    if action not in ENFORCEMENT_ACTIONS:
        raise QueueActionRefused(f"Unknown enforcement action {action!r}: choose {', '.join(ENFORCEMENT_ACTIONS)}.")
    people.require(engine, actor, ENFORCEMENT_ROLES[action], f"record a {action}")
    if len(reason) < MIN_REASON_CHARS:
        raise QueueActionRefused(f"Write why ({MIN_REASON_CHARS} characters or more): "
                                 "the reason stays on the tasker's record and in the audit trail.")
    with session_scope(engine) as session:
        member = session.get(Member, member_id)
        if member is None:
            raise QueueActionRefused(f"There is no tasker {member_id}.")
        if item_id and session.get(QueueItem, item_id) is None:
            raise QueueActionRefused(f"There is no queue item {item_id}.")
        before = {"status": member.status}
        if action == "ban":
            member.status = "banned"
            session.add(member)
        record = Enforcement(member_id=member_id, action=action, reason=reason, actor=actor, at=moment,
                             item_id=item_id or None)
        session.add(record)
        session.flush()
        session.add(AuditEvent(at=moment, actor=actor, action=f"enforcement_{action}", entity="member",
                               entity_id=member_id, before=before,
                               after={"status": member.status, "action": action, "reason": reason,
                                      "item_id": item_id or None, "enforcement_id": record.id}))
        bump_data_version(session)
        return record.id


@dataclass(frozen=True)
class TaskerRecord:
    """What a ban would change for one tasker: who they are, their status now, their open items and past actions."""

    member_id: str
    handle: str | None
    country: str | None
    status: str | None
    open_items: int
    past_actions: int


def tasker_record(engine: Engine, member_id: str) -> TaskerRecord | None:
    """The tasker a warning, ban or takedown is about, as the confirmation names them (None: no such tasker)."""
    with session_scope(engine) as session:
        member = session.get(Member, member_id)
        if member is None:
            return None
        open_items = session.execute(select(func.count()).select_from(QueueItem).where(
            QueueItem.member_id == member_id, QueueItem.resolved_at.is_(None))).scalar_one()
        past = session.execute(select(func.count()).select_from(Enforcement).where(
            Enforcement.member_id == member_id)).scalar_one()
        return TaskerRecord(member_id, member.handle, member.country, member.status, int(open_items), int(past))


def load_enforcements(engine: Engine, *, limit: int = 100) -> pd.DataFrame:
    """The latest enforcement actions, newest first, with the tasker's handle and country."""
    enforcement, member = Enforcement.__table__, Member.__table__
    statement = (
        select(enforcement.c.at, enforcement.c.action, enforcement.c.member_id, member.c.handle, member.c.country,
               enforcement.c.reason, enforcement.c.actor, enforcement.c.item_id)
        .select_from(enforcement.join(member, enforcement.c.member_id == member.c.member_id))
        .order_by(enforcement.c.at.desc(), enforcement.c.id.desc())
        .limit(limit)
    )
    return read_frame(engine, statement, timestamps=("at",))
