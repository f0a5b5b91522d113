"""A draft's life: draft → in review → approved → scheduled → sent, with roles, versions and an audit trail.

Every write derives the role from the identity it is given (`core.people.role_of`; never from a
role the caller claims) and checks it (viewer < specialist < manager < admin; only managers and
admins approve, and never what they wrote or last edited themselves: `core.comms.approval`).
Submit and approve are refused while the checks show a blocking finding. A draft becomes
scheduled or sent only by being sent (`core.comms.schedule` queues its deliveries, then records
the status here with `record_send_state`); nobody marks it by hand. Each write
moves `Draft.version` forward with a compare-and-swap update so two people
saving the same draft are detected, writes an AuditEvent and bumps the data version. An edit
that loses the race is stored as an unapplied revision before `StaleDraft` is raised, so no
text is ever lost. Comments are audit events with action 'comment': the review trail and the
conversation read as one timeline.
"""

import datetime as dt
import difflib
from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy import Engine, func, update
from sqlmodel import Session, select

from core import people
from core.comms import approval
from core.comms.errors import DraftNotFound, InvalidTransition, StaleDraft
from core.comms.placeholders import PLACEHOLDER, unfilled_placeholders  # noqa: F401 (callers read them here)
from core.comms.segments import list_segments, save_segment, segment_for_audience  # noqa: F401 (callers use them here)
from core.db import bump_data_version, session_scope
from core.models import AuditEvent, Delivery, Draft, DraftRevision, MessageSend, Person, Segment, utcnow
from core.people import require, require_role, role_allows  # noqa: F401 (pages ask workflow.role_allows)

STATUSES = ("draft", "in_review", "approved", "scheduled", "sent")
STATUS_LABELS = {"draft": "Draft", "in_review": "In review", "approved": "Approved", "scheduled": "Scheduled",
                 "sent": "Sent"}
# (from, to) → the least role that may make the move, and the audit action it records.
TRANSITIONS = {
    ("draft", "in_review"): ("specialist", "submit"),
    ("in_review", "draft"): ("specialist", "request_changes"),
    ("in_review", "approved"): ("manager", "approve"),
}
# The moves a send makes (core.comms.schedule): queued for later, cancelled before it started, started.
SEND_MOVES = {
    ("approved", "scheduled"): ("specialist", "schedule"),
    ("scheduled", "approved"): ("specialist", "unschedule"),
    ("approved", "sent"): ("specialist", "send_started"),
    ("scheduled", "sent"): ("specialist", "send_started"),
}
DOING = {"approve": "approve a message", "request_changes": "send a draft back", "submit": "send a message for review",
         "schedule": "schedule a message", "unschedule": "unschedule a message", "send_started": "send a message"}
BY_SENDING = ("A message is scheduled or sent by sending it, not by setting its status: use Send on the Review tab "
              "(now, or at a local time in each recipient's zone).")


def role_of(engine: Engine, email: str | None) -> str:
    """The role of the person acting (`core.people.role_of`); unknown or inactive people are viewers."""
    return people.role_of(engine, email) or "viewer"


def staff_names(engine: Engine) -> dict[str, str]:
    """Staff names by email (to sign messages and show who acted)."""
    with Session(engine) as session:
        return {p.email: p.name for p in session.exec(select(Person)).all()}


# --- reading ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Revision:
    """One language version of the text as saved."""

    number: int
    language: str
    subject: str
    body: str
    author: str | None
    created_at: dt.datetime
    applied: bool = True
    base_version: int | None = None


@dataclass(frozen=True)
class DraftView:
    """A draft with its newest applied revision per language."""

    id: int
    title: str
    template: str | None
    channel: str
    segment_id: int | None
    status: str
    scheduled_at: dt.datetime | None
    created_by: str | None
    created_at: dt.datetime
    updated_at: dt.datetime
    version: int
    context: dict
    versions: dict[str, Revision] = field(default_factory=dict)

    @property
    def languages(self) -> list[str]:
        """Languages that have a version, English first."""
        return sorted(self.versions, key=lambda lang: (lang != "en", lang))


def _revision(row: DraftRevision) -> Revision:
    return Revision(number=row.number, language=row.language, subject=row.subject, body=row.body, author=row.author,
                    created_at=row.created_at, applied=row.applied, base_version=row.base_version)


def get_draft(engine: Engine, draft_id: int) -> DraftView:
    """A draft and its current text per language; `DraftNotFound` if it does not exist."""
    with Session(engine) as session:
        draft = session.get(Draft, draft_id)
        if draft is None:
            raise DraftNotFound(f"There is no draft number {draft_id}; it may have been removed.")
        rows = session.exec(select(DraftRevision).where(DraftRevision.draft_id == draft_id,
                                                        DraftRevision.applied == True)  # noqa: E712
                            .order_by(DraftRevision.number)).all()
        versions = {row.language: _revision(row) for row in rows}  # the newest per language wins
        return DraftView(id=draft.id, title=draft.title, template=draft.template, channel=draft.channel,
                         segment_id=draft.segment_id, status=draft.status, scheduled_at=draft.scheduled_at,
                         created_by=draft.created_by, created_at=draft.created_at, updated_at=draft.updated_at,
                         version=draft.version, context=dict(draft.context or {}), versions=versions)


def list_drafts(engine: Engine) -> pd.DataFrame:
    """Every draft, newest change first, with its audience segment and the languages it has."""
    with Session(engine) as session:
        drafts = session.exec(select(Draft).order_by(Draft.updated_at.desc(), Draft.id.desc())).all()
        segments = {s.id: s.name for s in session.exec(select(Segment)).all()}
        languages: dict[int, set] = {}
        for draft_id, language in session.exec(select(DraftRevision.draft_id, DraftRevision.language)
                                               .where(DraftRevision.applied == True)).all():  # noqa: E712
            languages.setdefault(draft_id, set()).add(language)
    rows = [dict(id=d.id, title=d.title, status=d.status, channel=d.channel, template=d.template,
                 audience=segments.get(d.segment_id), languages=", ".join(sorted(languages.get(d.id, ()))),
                 version=d.version, updated_at=d.updated_at, created_by=d.created_by) for d in drafts]
    columns = ["id", "title", "status", "channel", "template", "audience", "languages", "version", "updated_at",
               "created_by"]
    frame = pd.DataFrame(rows, columns=columns)
    frame["updated_at"] = pd.to_datetime(frame["updated_at"], utc=True)
    return frame


def revisions(engine: Engine, draft_id: int) -> pd.DataFrame:
    """Every saved revision of a draft, newest first, including edits that lost a save race."""
    with Session(engine) as session:
        rows = session.exec(select(DraftRevision).where(DraftRevision.draft_id == draft_id)
                            .order_by(DraftRevision.number.desc())).all()
        records = [dict(number=r.number, language=r.language, subject=r.subject, body=r.body, author=r.author,
                        created_at=r.created_at, applied=r.applied, base_version=r.base_version) for r in rows]
    frame = pd.DataFrame(records, columns=["number", "language", "subject", "body", "author", "created_at", "applied",
                                           "base_version"])
    frame["created_at"] = pd.to_datetime(frame["created_at"], utc=True)
    return frame


def history(engine: Engine, draft_id: int) -> pd.DataFrame:
    """The audit trail of a draft (saves, moves, comments, conflicts, exports), oldest first."""
    with Session(engine) as session:
        rows = session.exec(select(AuditEvent).where(AuditEvent.entity == "draft",
                                                     AuditEvent.entity_id == str(draft_id))
                            .order_by(AuditEvent.at, AuditEvent.id)).all()
        records = [dict(at=r.at, actor=r.actor, action=r.action, detail=_detail(r), before=r.before, after=r.after)
                   for r in rows]
    frame = pd.DataFrame(records, columns=["at", "actor", "action", "detail", "before", "after"])
    frame["at"] = pd.to_datetime(frame["at"], utc=True)
    return frame


def comments(engine: Engine, draft_id: int) -> pd.DataFrame:
    """Comments on a draft, oldest first: when, who, on which version, what."""
    return comment_rows(history(engine, draft_id))


def comment_rows(trail: pd.DataFrame) -> pd.DataFrame:
    """The comments in a draft's audit trail (as `history` returns it)."""
    trail = trail[trail["action"] == "comment"]
    return pd.DataFrame({"at": trail["at"], "actor": trail["actor"],
                         "version": trail["after"].map(lambda a: (a or {}).get("version")),
                         "text": trail["after"].map(lambda a: (a or {}).get("text", ""))}).reset_index(drop=True)


def _detail(event: AuditEvent) -> str:
    after, before = event.after or {}, event.before or {}
    if event.action == "comment":
        return after.get("text", "")
    if event.action == "save":
        moved = f"; status {before.get('status')} → {after.get('status')}" if before.get("status") != after.get("status") else ""
        return f"saved the {after.get('language', 'en')} text as revision {after.get('revision')}{moved}"
    if event.action == "conflict":
        return (f"edit based on version {after.get('base_version')} lost to version {after.get('current_version')}; "
                f"kept as revision {after.get('revision')}")
    if event.action == "create":
        return f"created from template {after.get('template') or 'blank'}"
    if event.action == "export":
        return f"exported as {after.get('format')}"
    if "summary" in after:  # sends, test sends and cancellations (core.comms.schedule) say it in words
        return after["summary"]
    if event.action == "set_audience":
        return f"audience changed to segment {after.get('segment_id')}"
    if "status" in after:
        note = " (self-approved)" if after.get("self_approved") else ""
        note += f": {after['note']}" if after.get("note") else ""
        return f"{STATUS_LABELS.get(before.get('status'), before.get('status'))} → " \
               f"{STATUS_LABELS.get(after['status'], after['status'])}{note}"
    return ""


# --- writing ------------------------------------------------------------------------------------


def _audit(session: Session, *, actor: str, action: str, draft_id: int, before=None, after=None) -> None:
    session.add(AuditEvent(actor=actor, action=action, entity="draft", entity_id=str(draft_id), before=before,
                           after=after))


def _jsonable(context: dict | None) -> dict:
    out = {}
    for key, value in (context or {}).items():
        out[key] = value.isoformat() if isinstance(value, (dt.datetime, pd.Timestamp)) else value
    return out


def create_draft(engine: Engine, *, title: str, subject: str, body: str, actor: str,
                 channel: str = "email", template: str | None = None, segment_id: int | None = None,
                 language: str = "en", context: dict | None = None) -> int:
    """A new draft with its first revision; returns the draft id."""
    require(engine, actor, "specialist", "write a message")
    if not title.strip():
        raise InvalidTransition("Give the draft a title so others can find it.")
    with session_scope(engine) as session:
        draft = Draft(title=title.strip(), template=template, channel=channel, segment_id=segment_id,
                      created_by=actor, context=_jsonable(context))
        session.add(draft)
        session.flush()
        session.add(DraftRevision(draft_id=draft.id, number=1, language=language, subject=subject, body=body,
                                  author=actor, base_version=1))
        _audit(session, actor=actor, action="create", draft_id=draft.id,
               after={"template": template, "channel": channel, "segment_id": segment_id, "language": language,
                      "status": "draft", "version": 1})
        bump_data_version(session, "comms", "admin")
        return draft.id


def _next_number(session: Session, draft_id: int) -> int:
    return (session.exec(select(func.max(DraftRevision.number)).where(DraftRevision.draft_id == draft_id)).one()
            or 0) + 1


def _last_writer(session: Session, draft_id: int) -> str | None:
    event = session.exec(select(AuditEvent).where(AuditEvent.entity == "draft", AuditEvent.entity_id == str(draft_id),
                                                  AuditEvent.action != "comment", AuditEvent.action != "conflict")
                         .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())).first()
    return event.actor if event else None


def _swap_version(session: Session, draft_id: int, expected_version: int, **values) -> bool:
    """Move the draft to the next version only if it is still at the expected one."""
    result = session.execute(update(Draft).where(Draft.id == draft_id, Draft.version == expected_version)
                             .values(version=Draft.version + 1, updated_at=utcnow(), **values))
    return result.rowcount == 1


def save_revision(engine: Engine, draft_id: int, *, expected_version: int, subject: str, body: str, actor: str,
                  language: str = "en") -> int:
    """Save the text of one language version; returns the draft's new version.

    Saving changed text on a draft in review, approved or scheduled sends it back to draft: what
    was approved is no longer what would be sent. If someone saved since `expected_version`,
    the text is kept as an unapplied revision and `StaleDraft` says so.
    """
    require(engine, actor, "specialist", "edit a message")
    conflict = None
    with session_scope(engine) as session:
        draft = session.get(Draft, draft_id)
        if draft is None:
            raise DraftNotFound(f"There is no draft number {draft_id}; it may have been removed.")
        if draft.status == "sent":
            raise InvalidTransition("This message was already sent, so its text is final. Start a new draft to "
                                    "send a correction.")
        before = {"status": draft.status, "version": draft.version}
        number = _next_number(session, draft_id)
        new_status = "draft"
        if _swap_version(session, draft_id, expected_version, status=new_status):
            session.add(DraftRevision(draft_id=draft_id, number=number, language=language, subject=subject,
                                      body=body, author=actor, base_version=expected_version))
            _audit(session, actor=actor, action="save", draft_id=draft_id, before=before,
                   after={"status": new_status, "version": expected_version + 1, "revision": number,
                          "language": language})
        else:
            session.add(DraftRevision(draft_id=draft_id, number=number, language=language, subject=subject,
                                      body=body, author=actor, applied=False, base_version=expected_version))
            _audit(session, actor=actor, action="conflict", draft_id=draft_id,
                   after={"base_version": expected_version, "current_version": draft.version, "revision": number,
                          "language": language})
            conflict = (draft.version, number, _last_writer(session, draft_id))
        bump_data_version(session, "comms", "admin")
    if conflict:
        current, kept, who = conflict
        raise StaleDraft(f"{who or 'Someone'} saved this draft (now version {current}) while you were editing "
                         f"version {expected_version}. Your text was not applied; it is kept as revision {kept}, so "
                         "nothing is lost. Compare it with the current text and re-apply what you need.",
                         draft_id=draft_id, current_version=current, kept_revision=kept, saved_by=who)
    return expected_version + 1


def transition(engine: Engine, draft_id: int, *, to: str, expected_version: int, actor: str,
               note: str | None = None) -> int:
    """Submit, send back or approve a draft if the actor's role and the draft allow it; returns the new version.

    Scheduling and sending are not status changes a person makes: `InvalidTransition` says to send instead.
    """
    with Session(engine) as session:
        draft = session.get(Draft, draft_id)
        status = draft.status if draft is not None else None
    if (status, to) in SEND_MOVES or to in ("scheduled", "sent"):
        raise InvalidTransition(BY_SENDING)
    return _move(engine, draft_id, to=to, expected_version=expected_version, actor=actor, note=note,
                 rules=TRANSITIONS)


def record_send_state(engine: Engine, draft_id: int, *, to: str, expected_version: int, actor: str,
                      note: str | None = None, scheduled_at=None) -> int:
    """The status a send gives its draft (core.comms.schedule calls this once the deliveries are queued or
    cancelled): scheduled, sent, or approved again; refused when no such send exists."""
    with Session(engine) as session:
        states = set(session.scalars(select(Delivery.status).join(MessageSend, Delivery.send_id == MessageSend.id)
                                     .where(MessageSend.draft_id == draft_id, MessageSend.kind == "message")))
    if to in ("scheduled", "sent") and not states - {"cancelled"}:
        raise InvalidTransition(BY_SENDING)
    if to == "approved" and "queued" in states:
        raise InvalidTransition("Cancel the send first: deliveries of this message are still queued.")
    return _move(engine, draft_id, to=to, expected_version=expected_version, actor=actor, note=note,
                 scheduled_at=scheduled_at, rules=SEND_MOVES)


def _stale(session: Session, draft: Draft, expected_version: int) -> StaleDraft:
    return StaleDraft(f"{_last_writer(session, draft.id) or 'Someone'} changed this draft (now version "
                      f"{draft.version}) after you opened version {expected_version}. Reload it, read the "
                      "changes, and try again.", draft_id=draft.id, current_version=draft.version)


def _refuse_blocking(engine: Engine, draft_id: int, to: str) -> None:
    """Submit and approve wait until the checks show no blocking finding (placeholders, an unready launch)."""
    if to not in ("in_review", "approved"):
        return
    blocking = approval.blocking_findings(engine, draft_id)
    if blocking:
        step = "review" if to == "in_review" else "approval"
        raise InvalidTransition(f"Fix the blocking findings on Check before {step}: " + "; ".join(blocking))


def _move(engine: Engine, draft_id: int, *, to: str, expected_version: int, actor: str, rules: dict,
          note: str | None = None, scheduled_at=None) -> int:
    with Session(engine) as session:
        draft = session.get(Draft, draft_id)
        if draft is None:
            raise DraftNotFound(f"There is no draft number {draft_id}; it may have been removed.")
        if draft.version != expected_version:  # say so before judging a status the person has not seen
            raise _stale(session, draft, expected_version)
        rule = rules.get((draft.status, to))
        if rule is None:
            raise InvalidTransition(f"A message that is {STATUS_LABELS.get(draft.status, draft.status).lower()} "
                                    f"cannot move to {STATUS_LABELS.get(to, to).lower()}.")
    needed, action = rule
    require(engine, actor, needed, DOING[action])
    _refuse_blocking(engine, draft_id, to)
    if action == "schedule" and scheduled_at is None:
        raise InvalidTransition("Choose when to send before scheduling.")
    with session_scope(engine) as session:
        draft = session.get(Draft, draft_id)
        self_approved = action == "approve" and approval.check_four_eyes(session, draft_id, actor)
        before = {"status": draft.status, "version": draft.version}
        values = {"status": to}
        if action == "schedule":
            moment = pd.Timestamp(scheduled_at)
            values["scheduled_at"] = (moment.tz_convert("UTC") if moment.tzinfo else moment.tz_localize("UTC")) \
                .to_pydatetime()
        if action == "unschedule":
            values["scheduled_at"] = None
        if not _swap_version(session, draft_id, expected_version, **values):
            raise _stale(session, draft, expected_version)
        after = {"status": to, "version": expected_version + 1} | ({"self_approved": True} if self_approved else {})
        if note:
            after["note"] = note
        if values.get("scheduled_at") is not None:
            after["scheduled_at"] = values["scheduled_at"].isoformat()
        _audit(session, actor=actor, action=action, draft_id=draft_id, before=before, after=after)
        bump_data_version(session, "comms", "admin")
    return expected_version + 1


def submit_for_review(engine: Engine, draft_id: int, *, expected_version: int, actor: str) -> int:
    """Draft → in review (refused while the checks show a blocking finding)."""
    return transition(engine, draft_id, to="in_review", expected_version=expected_version, actor=actor)


def approve(engine: Engine, draft_id: int, *, expected_version: int, actor: str, note: str | None = None) -> int:
    """In review → approved (managers and admins only, four eyes, no blocking finding)."""
    return transition(engine, draft_id, to="approved", expected_version=expected_version, actor=actor, note=note)


def request_changes(engine: Engine, draft_id: int, *, expected_version: int, actor: str, note: str) -> int:
    """In review → draft, with what to change."""
    return transition(engine, draft_id, to="draft", expected_version=expected_version, actor=actor, note=note)


def add_comment(engine: Engine, draft_id: int, *, text: str, actor: str) -> None:
    """A review comment on the draft's current version."""
    require(engine, actor, "specialist", "comment on a message")
    if not text.strip():
        raise InvalidTransition("Write the comment first.")
    with session_scope(engine) as session:
        draft = session.get(Draft, draft_id)
        if draft is None:
            raise DraftNotFound(f"There is no draft number {draft_id}; it may have been removed.")
        _audit(session, actor=actor, action="comment", draft_id=draft_id,
               after={"text": text.strip(), "version": draft.version})
        bump_data_version(session, "comms", "admin")


def record_export(engine: Engine, draft_id: int, *, format: str, actor: str) -> None:
    """Note in the audit trail that a draft was exported (a file for another tool; sending is Review › Send)."""
    with session_scope(engine) as session:
        _audit(session, actor=actor, action="export", draft_id=draft_id, after={"format": format})
        bump_data_version(session, "comms", "admin")


def set_audience(engine: Engine, draft_id: int, *, segment_id: int, expected_version: int, actor: str) -> int:
    """Point the draft at another saved segment; returns the new version."""
    require(engine, actor, "specialist", "change a message's audience")
    with session_scope(engine) as session:
        draft = session.get(Draft, draft_id)
        if draft is None:
            raise DraftNotFound(f"There is no draft number {draft_id}; it may have been removed.")
        if draft.status == "sent":
            raise InvalidTransition("This message was already sent; its audience is final.")
        before = {"segment_id": draft.segment_id, "status": draft.status, "version": draft.version}
        # A new audience needs a new review: approval covered who receives it, too.
        if not _swap_version(session, draft_id, expected_version, segment_id=segment_id, status="draft"):
            raise StaleDraft(f"Someone changed this draft (now version {draft.version}) after you opened version "
                             f"{expected_version}. Reload it and try again.", draft_id=draft_id,
                             current_version=draft.version)
        _audit(session, actor=actor, action="set_audience", draft_id=draft_id, before=before,
               after={"segment_id": segment_id, "status": "draft", "version": expected_version + 1})
        bump_data_version(session, "comms", "admin")
    return expected_version + 1


def revision_diff(old_subject: str, old_body: str, new_subject: str, new_body: str, *, old_label: str = "before",
                  new_label: str = "after") -> str:
    """A unified diff of two versions (subject as the first line), empty when they are the same."""
    old = [f"Subject: {old_subject}"] + (old_body or "").splitlines()
    new = [f"Subject: {new_subject}"] + (new_body or "").splitlines()
    return "\n".join(difflib.unified_diff(old, new, fromfile=old_label, tofile=new_label, lineterm="", n=2))
