"""All CrowdPulse tables in one module, as the SQLModel docs recommend.

Timestamps are timezone-aware UTC (`UTCDateTime`); calendar days are `date`.
Free-form extra columns from imports land in `attributes` (JSON) so they can
be used as segments.  Do not add `from __future__ import annotations` here:
SQLModel relationships break with it.
"""

import datetime as dt
from typing import Any, Optional

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlalchemy.ext.mutable import MutableDict, MutableList
from sqlmodel import Field, SQLModel


def _json_dict() -> Any:
    return Field(default_factory=dict, sa_column=Column(MutableDict.as_mutable(JSON), nullable=False))


def _json_list() -> Any:
    return Field(default_factory=list, sa_column=Column(MutableList.as_mutable(JSON), nullable=False))


def utcnow() -> dt.datetime:
    """Current time, aware UTC."""
    return dt.datetime.now(dt.UTC)


# --- the crowd ---------------------------------------------------------------------------------


class Member(SQLModel, table=True):
    """A tasker (or a staff/bot account, flagged, excluded from community metrics)."""

    member_id: str = Field(primary_key=True)
    handle: Optional[str] = None
    email: Optional[str] = None
    country: Optional[str] = Field(default=None, index=True)
    region: Optional[str] = Field(default=None, index=True)
    timezone: Optional[str] = None
    language: Optional[str] = None
    vendor: Optional[str] = None
    status: str = "active"
    signed_up_at: Optional[dt.datetime] = None
    onboarded_at: Optional[dt.datetime] = None
    activated_at: Optional[dt.datetime] = None
    is_staff: bool = False
    is_bot: bool = False
    attributes: dict = _json_dict()


class Project(SQLModel, table=True):
    """A body of crowd work with its own guidelines."""

    project_id: str = Field(primary_key=True)
    name: str
    kind: Optional[str] = None
    status: str = "live"
    launch_at: Optional[dt.datetime] = None
    guideline_version: Optional[str] = None
    guideline_updated_at: Optional[dt.datetime] = None
    attributes: dict = _json_dict()


class Activity(SQLModel, table=True):
    """One tasker's work on one project on one UTC day."""

    __table_args__ = (
        Index("ix_activity_day_member", "day", "member_id", "tasks_submitted"),
        Index("ix_activity_project_day", "project_id", "day"),
        Index("ix_activity_member_day", "member_id", "day"),
    )

    member_id: str = Field(foreign_key="member.member_id", primary_key=True)
    project_id: str = Field(foreign_key="project.project_id", primary_key=True)
    day: dt.date = Field(primary_key=True)
    tasks_submitted: int = 0
    tasks_approved: int = 0
    tasks_rejected: int = 0
    tasks_skipped: int = 0
    tasks_too_fast: int = 0
    handle_seconds: float = 0.0
    active_minutes: float = 0.0
    questions: int = 0


# --- queues ------------------------------------------------------------------------------------


class SlaPolicy(SQLModel, table=True):
    """Targets for one queue and priority; business-hours policies count only their schedule."""

    __table_args__ = (UniqueConstraint("queue", "priority"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    queue: str
    priority: str
    first_response_minutes: Optional[int] = None
    resolution_minutes: int
    business_hours: bool = False
    timezone: str = "UTC"
    # {"mon": [9, 17], ...}: local opening and closing hour per weekday
    schedule: dict = _json_dict()
    pause_statuses: list = _json_list()
    # ["2026-12-25", ...]: local days the business-hours clock does not run
    holidays: list = _json_list()
    version: int = 1


class QueueItem(SQLModel, table=True):
    """A review, escalation, staging or support item with its SLA timestamps."""

    __table_args__ = (
        Index("ix_queue_item_queue_status", "queue", "status"),
        Index("ix_queue_item_created", "created_at"),
    )

    item_id: str = Field(primary_key=True)
    queue: str
    project_id: Optional[str] = Field(default=None, foreign_key="project.project_id")
    member_id: Optional[str] = Field(default=None, foreign_key="member.member_id")
    category: Optional[str] = None
    priority: str = "normal"
    status: str = "open"
    created_at: dt.datetime
    first_response_at: Optional[dt.datetime] = None
    resolved_at: Optional[dt.datetime] = None
    due_at: Optional[dt.datetime] = None
    updated_at: Optional[dt.datetime] = None
    assignee: Optional[str] = None
    retries: int = 0
    last_error: Optional[str] = None
    escalation_reason: Optional[str] = None
    owner_team: Optional[str] = None
    # Seconds someone spent working the item, when the source records it (else measured from the history).
    handle_seconds: Optional[float] = None
    version: int = 1
    attributes: dict = _json_dict()


class QueueEvent(SQLModel, table=True):
    """Append-only status history of a queue item; SLA clocks are computed from it."""

    __table_args__ = (
        Index("ix_queue_event_item_at", "item_id", "at"),
        # SLA pauses are looked up by status first (which items ever waited on the tasker).
        Index("ix_queue_event_status_item", "status", "item_id"),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    item_id: str = Field(foreign_key="queueitem.item_id")
    at: dt.datetime
    status: str
    actor: Optional[str] = None
    note: Optional[str] = None


class Enforcement(SQLModel, table=True):
    """A warning, ban or takedown, with who decided and why."""

    id: Optional[int] = Field(default=None, primary_key=True)
    member_id: str = Field(foreign_key="member.member_id", index=True)
    action: str
    reason: str
    actor: str
    at: dt.datetime = Field(default_factory=utcnow)
    item_id: Optional[str] = None


# --- voice of the crowd ------------------------------------------------------------------------


class Feedback(SQLModel, table=True):
    """A channel message (Slack, Discord, forum, modmail, email, ticket) with stored scores."""

    __table_args__ = (Index("ix_feedback_created", "created_at"),)

    feedback_id: str = Field(primary_key=True)
    channel: str = Field(index=True)
    member_id: Optional[str] = Field(default=None, foreign_key="member.member_id")
    project_id: Optional[str] = Field(default=None, foreign_key="project.project_id")
    created_at: dt.datetime
    text: str
    author_is_staff: bool = False
    language: Optional[str] = None
    sentiment: Optional[float] = None
    themes: list = _json_list()
    sentiment_override: Optional[float] = None
    themes_override: Optional[list] = Field(default=None, sa_type=JSON)
    triage_status: str = "new"
    assignee: Optional[str] = None
    linked_item_id: Optional[str] = None
    version: int = 1


class Survey(SQLModel, table=True):
    """A survey wave sent to an audience."""

    survey_id: str = Field(primary_key=True)
    title: str
    kind: str = "nps"
    sent_at: Optional[dt.datetime] = None
    audience_size: Optional[int] = None


class SurveyResponse(SQLModel, table=True):
    """One answer to a survey: NPS score 0-10 and/or CSAT 1-5 with a comment."""

    response_id: str = Field(primary_key=True)
    survey_id: str = Field(foreign_key="survey.survey_id", index=True)
    member_id: Optional[str] = Field(default=None, foreign_key="member.member_id")
    submitted_at: dt.datetime
    score: Optional[int] = None
    csat: Optional[int] = None
    comment: Optional[str] = None
    language: Optional[str] = None
    sentiment: Optional[float] = None
    themes: list = _json_list()
    attributes: dict = _json_dict()
    sentiment_override: Optional[float] = None
    themes_override: Optional[list] = Field(default=None, sa_type=JSON)
    version: int = 1


# --- knowledge and comms -----------------------------------------------------------------------


class Resource(SQLModel, table=True):
    """A guide, FAQ or SOP with an owner and a review cadence."""

    resource_id: str = Field(primary_key=True)
    title: str
    kind: str = "guide"
    project_id: Optional[str] = Field(default=None, foreign_key="project.project_id")
    owner: Optional[str] = None
    status: str = "draft"
    last_reviewed_at: Optional[dt.datetime] = None
    review_every_days: int = 90
    url: Optional[str] = None
    attributes: dict = _json_dict()  # an import's extra columns, e.g. a guide's `words` (its read time)


class Segment(SQLModel, table=True):
    """A saved audience: a filter over members, or an explicit member list."""

    id: Optional[int] = Field(default=None, primary_key=True)
    name: str = Field(unique=True)
    description: Optional[str] = None
    filters: dict = _json_dict()
    member_ids: list = _json_list()
    created_at: dt.datetime = Field(default_factory=utcnow)
    created_by: Optional[str] = None


class Draft(SQLModel, table=True):
    """A message being written; its text lives in revisions."""

    id: Optional[int] = Field(default=None, primary_key=True)
    title: str
    template: Optional[str] = None
    channel: str = "email"
    segment_id: Optional[int] = Field(default=None, foreign_key="segment.id")
    status: str = "draft"
    scheduled_at: Optional[dt.datetime] = None
    created_by: Optional[str] = None
    created_at: dt.datetime = Field(default_factory=utcnow)
    updated_at: dt.datetime = Field(default_factory=utcnow)
    version: int = 1
    # What the template was filled with (project_id, deadline_at, event_id, audience label), so
    # exports can give each recipient their local deadline or event start.
    context: dict = _json_dict()


class DraftRevision(SQLModel, table=True):
    """One saved version of a draft's subject and body (per language)."""

    id: Optional[int] = Field(default=None, primary_key=True)
    draft_id: int = Field(foreign_key="draft.id", index=True)
    number: int
    language: str = "en"
    subject: str = ""
    body: str = ""
    author: Optional[str] = None
    created_at: dt.datetime = Field(default_factory=utcnow)
    # False for an edit that lost a save race: kept so nothing is lost, shown to re-apply.
    applied: bool = True
    base_version: Optional[int] = None


class AuditEvent(SQLModel, table=True):
    """Who changed what, when, with the before and after."""

    id: Optional[int] = Field(default=None, primary_key=True)
    at: dt.datetime = Field(default_factory=utcnow, index=True)
    actor: str
    action: str
    entity: str
    entity_id: Optional[str] = None
    before: Optional[dict] = Field(default=None, sa_type=JSON)
    after: Optional[dict] = Field(default=None, sa_type=JSON)


class RosterShift(SQLModel, table=True):
    """One person's shift: who works which hours, for an in-house team or a vendor (BPO, agency)."""

    __tablename__ = "roster"
    __table_args__ = (Index("ix_roster_starts_at", "starts_at"),)

    shift_id: str = Field(primary_key=True)
    person: str
    team: Optional[str] = None
    # blank: in-house staff
    vendor: Optional[str] = None
    queue: Optional[str] = None
    starts_at: dt.datetime
    ends_at: dt.datetime
    attributes: dict = _json_dict()


class Event(SQLModel, table=True):
    """A community event (office hours, AMA, training) with its turnout."""

    event_id: str = Field(primary_key=True)
    title: str
    starts_at: dt.datetime
    duration_minutes: int = 60
    audience: Optional[str] = None
    registrations: int = 0
    attendance: Optional[int] = None


# --- operations --------------------------------------------------------------------------------


class SyncSource(SQLModel, table=True):
    """A Google Sheets worksheet that feeds one entity."""

    id: Optional[int] = Field(default=None, primary_key=True)
    name: str = Field(unique=True)
    spreadsheet_key: str
    worksheet: str
    entity: str
    mapping: dict = _json_dict()
    constants: dict = _json_dict()
    dayfirst: bool = False
    enabled: bool = True


class SyncRun(SQLModel, table=True):
    """One import or sync attempt and its outcome."""

    id: Optional[int] = Field(default=None, primary_key=True)
    source: str
    entity: str
    started_at: dt.datetime = Field(default_factory=utcnow)
    finished_at: Optional[dt.datetime] = None
    inserted: int = 0
    updated: int = 0
    rejected: int = 0
    ok: bool = True
    error: Optional[str] = None
    rejects: list = _json_list()


class WeeklySnapshot(SQLModel, table=True):
    """A published weekly health report, frozen as it was."""

    id: Optional[int] = Field(default=None, primary_key=True)
    week: str = Field(index=True)
    filters: dict = _json_dict()
    figures: dict = _json_dict()
    summary_md: str = ""
    published_at: dt.datetime = Field(default_factory=utcnow)
    published_by: Optional[str] = None


class Person(SQLModel, table=True):
    """A staff account and its role (viewer < specialist < manager < admin)."""

    email: str = Field(primary_key=True)
    name: str
    role: str = "viewer"
    team: Optional[str] = None
    active: bool = True


class Setting(SQLModel, table=True):
    """A named configuration value (alert thresholds, stuck-after hours, ...)."""

    key: str = Field(primary_key=True)
    value: Any = Field(default=None, sa_type=JSON)
    version: int = 1


class DataVersion(SQLModel, table=True):
    """The overall version (id 1, every write bumps it) and one per data area (core.db.AREAS); caches key on them."""

    id: int = Field(default=1, primary_key=True)
    version: int = 0
    changed_at: dt.datetime = Field(default_factory=utcnow)


# --- derived data ------------------------------------------------------------------------------
class RollupState(SQLModel, table=True):
    """Which roll-up definitions (`core.rollups`) a database was built with."""

    name: str = Field(primary_key=True)
    version: int
    built_at: dt.datetime = Field(default_factory=utcnow)


# --- delivery (issue 17) -----------------------------------------------------------------------


class MessageSend(SQLModel, table=True):
    """One send of a draft, alert, digest, report or test: who asked, for how many, and whether it was cancelled."""

    id: Optional[int] = Field(default=None, primary_key=True)
    draft_id: Optional[int] = Field(default=None, foreign_key="draft.id", index=True)
    kind: str = "message"
    channel: str = "email"
    title: str = ""
    requested_by: str
    requested_at: dt.datetime = Field(default_factory=utcnow)
    # "10:00" when each recipient gets it at that wall-clock time in their own zone; None: one moment for all.
    local_time: Optional[str] = None
    recipients: int = 0
    skipped: int = 0
    cancelled_at: Optional[dt.datetime] = None
    cancelled_by: Optional[str] = None


class Delivery(SQLModel, table=True):
    """One message to one recipient over one channel, sent at most once (the unique key and a claim see to it).

    queued → sending (claimed by one worker) → sent | failed; a failure that may pass is queued again
    with a later `due_at`; `skipped` (opted out, bounced) and `cancelled` are never sent.
    """

    __table_args__ = (
        UniqueConstraint("key", name="uq_delivery_key"),
        Index("ix_delivery_status_due", "status", "due_at"),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    key: str
    send_id: int = Field(foreign_key="messagesend.id", index=True)
    channel: str
    recipient: str
    member_id: Optional[str] = None
    timezone: str = "UTC"
    language: str = "en"
    subject: str = ""
    body: str = ""
    link: Optional[str] = None
    status: str = "queued"
    due_at: dt.datetime
    attempts: int = 0
    claimed_by: Optional[str] = None
    claimed_at: Optional[dt.datetime] = None
    sent_at: Optional[dt.datetime] = None
    answer: Optional[str] = None
    error: Optional[str] = None


class Suppression(SQLModel, table=True):
    """An address never written to again: its owner opted out, or mail to it bounced."""

    channel: str = Field(primary_key=True)
    address: str = Field(primary_key=True)
    reason: str = "opted_out"
    at: dt.datetime = Field(default_factory=utcnow)
    note: Optional[str] = None
