"""A deterministic demo community with stories a specialist should find.

`seed_demo(engine, scale="demo", seed=7)` writes ~5,000 taskers in 12 countries, 8 projects,
120 days of activity, four queues with SLA policies, channel feedback, three survey waves,
launch resources, community events and staff accounts.  The same seed and anchor give the
same data.  Stories planted in it (see `core.demo.plan.STORIES`):

* Cedar GenAI chat rating changed its guidelines 21 days ago; Latin American taskers'
  rejections and questions spike after it, and their feedback turns negative.
* A group of moderators on Delta has worked every day for two weeks, long hours, with
  falling quality and rising handle time (fatigue).
* Escalations created at weekends wait much longer and breach their SLA.
* Creative uploads on Ember are stuck in staging with repeated failures.
* A Brightpath BPO cohort onboarded about three weeks ago mostly never started a task.
* A payout delay this week turned payment feedback sharply negative.
* Requests for a night-shift rota and a dark mode, which no theme covers, grew over the last month.
"""

import datetime as dt
from collections.abc import Callable

import pandas as pd
from sqlalchemy import Engine, delete

from core import models, rollups
from core.bulk import bulk_insert
from core.db import bump_data_version, init_db, session_scope
from core.people import require
from core.demo import community, voice, work
from core.demo.plan import SCALES, Plan, default_anchor


# Every data table a reset replaces, parents first. Kept: the data version (caches must see the change), the
# audit trail (append-only: the database refuses to delete it) and the Sheets sources with their sync history.
ALL_TABLES = [models.Person, models.Project, models.Member, models.SlaPolicy, models.Survey, models.Segment,
              models.Draft, models.DraftRevision, models.Activity, models.QueueItem,
              models.QueueEvent, models.Enforcement, models.Feedback, models.SurveyResponse, models.Resource,
              models.Event, models.WeeklySnapshot, models.Setting, models.RosterShift]
TABLE_ORDER = [models.Person, models.Project, models.Member, models.SlaPolicy, models.Activity,
               models.QueueItem, models.QueueEvent, models.Feedback, models.Survey,
               models.SurveyResponse, models.Resource, models.Event, models.Setting, models.RosterShift]


def seed_demo(engine: Engine, *, scale: str = "demo", seed: int = 7, anchor: dt.datetime | None = None,
              progress: Callable[[float, str], None] | None = None, actor: str = "command line") -> dict[str, int]:
    """Replace all data with a generated demo community (an audited reset); returns rows written per table."""
    require(engine, actor, "admin", "reset the data")
    if scale not in SCALES:
        raise ValueError(f"Unknown scale {scale!r}: choose one of {', '.join(SCALES)}")
    report = progress or (lambda _f, _m: None)
    anchor = anchor or default_anchor()
    plan = Plan(SCALES[scale], seed, anchor)
    init_db(engine)

    report(0.02, "Creating taskers and projects")
    projects = community.projects(plan)
    members = community.members(plan)
    report(0.12, "Generating 120 days of activity")
    activity = work.activity(plan, members)
    report(0.35, "Generating queues and SLA history")
    items, queue_events = work.queue_items(plan, members)
    report(0.5, "Writing feedback and surveys")
    feedback = voice.scored(voice.feedback(plan, members), "text")
    surveys, responses = voice.surveys(plan, members)
    responses = voice.scored(responses, "comment")
    tables = {
        models.Person: community.people(plan), models.Project: projects, models.Member: members,
        models.SlaPolicy: community.policies(plan), models.Activity: activity, models.QueueItem: items,
        models.QueueEvent: queue_events, models.Feedback: feedback, models.Survey: surveys,
        models.SurveyResponse: responses, models.Resource: community.resources(plan), models.Event: community.events(plan),
        models.RosterShift: community.roster(plan),
        models.Setting: pd.DataFrame([
            {"key": "stuck_after_hours", "value": 24, "version": 1},
            {"key": "stuck_max_retries", "value": 3, "version": 1},
            {"key": "sentiment_drop_points", "value": 10, "version": 1},
            {"key": "demo_anchor", "value": pd.Timestamp(anchor).isoformat(), "version": 1},
            {"key": "unknown_email_role", "value": "none", "version": 1},
        ]),
    }
    counts: dict[str, int] = {}
    report(0.6, "Saving to the database")
    with engine.begin() as connection:
        for model in reversed(ALL_TABLES):
            connection.execute(delete(model.__table__))
        for i, model in enumerate(TABLE_ORDER):
            frame = tables[model]
            report(0.6 + 0.38 * i / len(TABLE_ORDER), f"Saving {model.__tablename__} ({len(frame):,} rows)")
            counts[model.__tablename__] = bulk_insert(connection, model.__table__, frame)
        report(0.98, "Building the roll-up tables")
        rollups.refresh_all(connection)
        connection.execute(models.AuditEvent.__table__.insert().values(
            at=dt.datetime.now(dt.UTC), actor=actor, action="reset", entity="demo_data", entity_id=scale,
            before=None, after={"seed": seed, "anchor": pd.Timestamp(anchor).isoformat(), "rows": counts}))
    with session_scope(engine) as session:
        bump_data_version(session)
    report(1.0, "Demo community ready")
    return counts

