"""The audit trail is append-only: the database itself refuses to edit or delete it, and a reset is recorded."""

import datetime as dt

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from core import models
from core.db import session_scope
from core.demo import seed_demo

ANCHOR = dt.datetime(2026, 11, 20, 12, tzinfo=dt.UTC)


def record(engine) -> int:
    with session_scope(engine) as session:
        event = models.AuditEvent(actor="ana@crowdpulse.example", action="approve", entity="draft", entity_id="7")
        session.add(event)
        session.flush()
        return event.id


@pytest.mark.parametrize("statement", [
    "UPDATE auditevent SET actor = 'someone else' WHERE id = :id",
    "DELETE FROM auditevent WHERE id = :id",
])
def test_the_database_refuses_to_change_or_delete_an_audit_event(engine, statement):
    event_id = record(engine)
    with pytest.raises(DBAPIError, match="append-only"):
        with engine.begin() as connection:
            connection.execute(text(statement), {"id": event_id})
    with engine.connect() as connection:
        assert connection.execute(text("SELECT actor FROM auditevent WHERE id = :id"),
                                  {"id": event_id}).scalar_one() == "ana@crowdpulse.example"


def test_a_demo_reset_keeps_the_trail_and_the_sync_history_and_records_itself(engine):
    event_id = record(engine)
    with session_scope(engine) as session:
        session.add(models.Person(email="root@crowdpulse.example", name="Root", role="admin"))
        session.add(models.SyncSource(name="Pulse sheet", entity="survey_responses", spreadsheet_key="1Abc",
                                      worksheet="Form responses 1"))
        session.add(models.SyncRun(source="Pulse sheet", entity="survey_responses", inserted=3))
    seed_demo(engine, scale="tiny", seed=7, anchor=ANCHOR, actor="root@crowdpulse.example")
    with engine.connect() as connection:
        kept = connection.execute(text("SELECT COUNT(*) FROM auditevent WHERE id = :id"), {"id": event_id}).scalar_one()
        resets = connection.execute(text(
            "SELECT actor, entity_id FROM auditevent WHERE action = 'reset' AND entity = 'demo_data'")).all()
        runs = connection.execute(text("SELECT COUNT(*) FROM syncrun")).scalar_one()
        sources = connection.execute(text("SELECT COUNT(*) FROM syncsource")).scalar_one()
    assert kept == 1 and runs == 1 and sources == 1
    assert [tuple(row) for row in resets] == [("root@crowdpulse.example", "tiny")]
