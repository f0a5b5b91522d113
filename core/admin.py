"""What the Data and Settings pages list: stored row counts, sync history, people, settings."""

import json
from collections.abc import Callable

import pandas as pd
from sqlalchemy import Engine, func, select

from core import models
from core.db import bump_data_version, session_scope
from core.errors import CrowdPulseError, StaleEdit
from core.frames import read_frame
from core.people import require
from core.queues import read as queues_read
from core.queues import rollup as queue_rollup
from core.queues.calendar import check_policy
from core.queues.clock import sla_status
from core.frames import as_timestamp

ENTITY_TABLES = {
    "members": models.Member, "projects": models.Project, "activity": models.Activity,
    "queue items": models.QueueItem, "queue events": models.QueueEvent, "feedback": models.Feedback,
    "surveys": models.Survey, "survey responses": models.SurveyResponse, "resources": models.Resource,
    "events": models.Event, "roster shifts": models.RosterShift, "SLA policies": models.SlaPolicy,
    "people": models.Person,
}


def table_counts(engine: Engine) -> pd.DataFrame:
    """Rows stored per entity."""
    with engine.connect() as connection:
        rows = [(name, connection.execute(select(func.count()).select_from(model.__table__)).scalar_one())
                for name, model in ENTITY_TABLES.items()]
    return pd.DataFrame(rows, columns=["entity", "rows"])


def load_sync_runs(engine: Engine) -> pd.DataFrame:
    """Import and sync history, newest first."""
    run = models.SyncRun.__table__
    statement = select(run.c.started_at, run.c.source, run.c.entity, run.c.ok, run.c.inserted, run.c.updated,
                       run.c.rejected, run.c.error).order_by(run.c.started_at.desc()).limit(200)
    return read_frame(engine, statement, timestamps=("started_at",), flags=("ok",))


def load_people(engine: Engine) -> pd.DataFrame:
    """Staff accounts and their roles."""
    person = models.Person.__table__
    return read_frame(engine, select(person).order_by(person.c.role, person.c.name), flags=("active",))


def load_settings(engine: Engine) -> pd.DataFrame:
    """Named settings (alert thresholds and the like)."""
    setting = models.Setting.__table__
    frame = read_frame(engine, select(setting.c.key, setting.c.value, setting.c.version).order_by(setting.c.key))
    # values are JSON of mixed types; show them as text so one column can hold them all
    return frame.assign(value=frame["value"].map(json.dumps))


def update_setting(engine: Engine, *, key: str, value, expected_version: int, actor: str) -> int:
    """Change a named setting if nobody changed it since `expected_version` (admins only, by identity; audited)."""
    require(engine, actor, "admin", "change settings")
    with session_scope(engine) as session:
        setting = session.get(models.Setting, key)
        if setting is None:
            setting = models.Setting(key=key, value=None, version=0)
        elif setting.version != expected_version:
            raise StaleEdit(f"Someone changed '{key}' to {json.dumps(setting.value)} while you were editing. "
                            "Reload the page to see it, then make your change again.")
        before = {"value": setting.value}
        setting.value, setting.version = value, setting.version + 1
        session.add(setting)
        session.add(models.AuditEvent(actor=actor, action="update", entity="setting", entity_id=key, before=before,
                                      after={"value": value}))
        bump_data_version(session)
        return setting.version


POLICY_FIELDS = ("first_response_minutes", "resolution_minutes", "business_hours", "timezone", "schedule",
                 "holidays", "pause_statuses")
# How far back "the effect on past compliance" of a policy change looks.
PREVIEW_DAYS = 28


def update_policy(engine: Engine, *, policy_id: int, changes: dict, expected_version: int, actor: str,
                  progress: Callable[[float, str], None] = lambda _share, _message: None) -> int:
    """Change an SLA policy's targets or clock if nobody changed it since `expected_version` (admins only; audited).

    The clocks of the items the change can move are recomputed in the same transaction, reported to
    `progress(share done, what is happening)`."""

    require(engine, actor, "admin", "change SLA policies")
    unknown = set(changes) - set(POLICY_FIELDS)
    if unknown:
        raise CrowdPulseError(f"These SLA policy fields cannot be changed here: {', '.join(sorted(unknown))}.")
    _check_policy_changes(changes)
    with session_scope(engine) as session:
        policy = session.get(models.SlaPolicy, policy_id)
        if policy is None:
            raise CrowdPulseError(f"There is no SLA policy #{policy_id}.")
        if policy.version != expected_version:
            raise StaleEdit(f"Someone changed the {policy.queue}/{policy.priority} policy while you were editing. "
                            "Reload the page to see their change, then make yours again.")
        policies_before = queue_rollup.stored_policies(session.connection())
        before = {name: getattr(policy, name) for name in changes}
        for name, value in changes.items():
            setattr(policy, name, value)
        policy.version += 1
        session.add(policy)
        session.add(models.AuditEvent(actor=actor, action="update", entity="sla_policy", entity_id=str(policy_id),
                                      before=before, after=dict(changes)))
        session.flush()
        # Settled items' clocks were computed under the old policy: recompute them in this transaction.
        queue_rollup.refresh_policy_change(session.connection(), policies_before, progress)
        bump_data_version(session)
        return policy.version


def _check_policy_changes(changes: dict) -> None:
    for name in ("first_response_minutes", "resolution_minutes"):
        if name in changes and changes[name] is not None and not (0 < float(changes[name]) <= 60 * 24 * 60):
            raise CrowdPulseError(f"{name.replace('_', ' ')} must be between 1 minute and 60 days.")
    check_policy(timezone=changes.get("timezone", "UTC"), schedule=changes.get("schedule"),
                 holidays=changes.get("holidays", ()))


def preview_policy(engine: Engine, *, policy_id: int, changes: dict, now, days: int = PREVIEW_DAYS) -> pd.DataFrame:
    """Past compliance of the policy's items (created in the `days` before now) as stored and with `changes`.

    One row per version ("now", "with the change") and target: met, breached, compliance (met / due).
    """
    _check_policy_changes(changes)
    policies = queues_read.load_policies(engine)
    policy = policies.set_index("id").loc[policy_id]
    changed = policies.copy()
    row = changed.index[changed["id"] == policy_id][0]
    for name, value in changes.items():
        changed.at[row, name] = value
    start = as_timestamp(now) - pd.Timedelta(days=days)
    items = queues_read.load_queue_items(engine, start=start, end=now, queue=policy["queue"])
    items = items[items["priority"] == policy["priority"]].reset_index(drop=True)
    rows = []
    for version, rules in (("now", policies), ("with the change", changed)):
        pauses = queues_read.load_pauses(engine, rules, start=start, end=now)
        status = sla_status(items, rules, now, pauses)
        for target, column in (("resolution", "state"), ("first response", "response_state")):
            met, breached = int((status[column] == "met").sum()), int((status[column] == "breached").sum())
            rows.append({"version": version, "target": target, "met": met, "breached": breached,
                         "compliance": met / (met + breached) if met + breached else float("nan")})
    return pd.DataFrame(rows)


def load_audit(engine: Engine, *, limit: int = 2000) -> pd.DataFrame:
    """The latest audit events: who did what, when, with before and after."""
    event = models.AuditEvent.__table__
    statement = select(event).order_by(event.c.at.desc(), event.c.id.desc()).limit(limit)
    frame = read_frame(engine, statement, timestamps=("at",))
    for column in ("before", "after"):
        frame[column] = frame[column].map(lambda v: "" if v is None else json.dumps(v, default=str))
    return frame


def filter_choices(engine: Engine) -> dict:
    """Projects (id, name) and the members' regions that the shared filter bar offers."""
    project, member = models.Project.__table__, models.Member.__table__
    projects = read_frame(engine, select(project.c.project_id, project.c.name).order_by(project.c.project_id))
    regions = read_frame(engine, select(member.c.region).distinct().where(member.c.region.is_not(None))
                         .order_by(member.c.region))
    return {"projects": projects, "regions": regions["region"].tolist()}
