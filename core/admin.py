"""What the Data and Settings pages list: stored row counts, sync history, people, settings."""

import json

import pandas as pd
from sqlalchemy import Engine, func, select

from core import models
from core.metrics import read_frame

ENTITY_TABLES = {
    "members": models.Member, "projects": models.Project, "activity": models.Activity,
    "queue items": models.QueueItem, "queue events": models.QueueEvent, "feedback": models.Feedback,
    "surveys": models.Survey, "survey responses": models.SurveyResponse, "resources": models.Resource,
    "events": models.Event, "SLA policies": models.SlaPolicy, "people": models.Person,
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
    frame = read_frame(engine, select(setting.c.key, setting.c.value).order_by(setting.c.key))
    # values are JSON of mixed types; show them as text so one column can hold them all
    return frame.assign(value=frame["value"].map(json.dumps))

