"""Retrying stuck uploads and recording enforcement: each leaves history, an audit event and a new data version."""

import datetime as dt

import pandas as pd
import pytest
from sqlalchemy import select

from core import models
from core.db import data_version, session_scope
from core.errors import CrowdPulseError, NotAllowed
from core.queues.actions import (
    QueueActionRefused,
    StaleItem,
    load_enforcements,
    record_enforcement,
    request_retries,
    request_retry,
)
from tests.core.factories import stored

AT = dt.datetime(2026, 11, 22, 9, 30, tzinfo=dt.UTC)
# Who acts: core reads each one's role from their staff account (issue 16).
STAFF = {"priya.cs": "specialist", "joy.support": "specialist", "a": "specialist", "b": "specialist",
         "tomas.quality": "manager", "sam": "viewer"}


@pytest.fixture
def staging(engine):
    """A tasker, a stuck upload retried 3 times (version 4), a resolved upload, a review item and the staff acting."""
    created = dt.datetime(2026, 11, 20, 8, tzinfo=dt.UTC)
    return stored(
        engine,
        *(models.Person(email=who, name=who, role=role) for who, role in STAFF.items()),
        models.Member(member_id="m1", handle="tasker1", country="BR"),
        models.QueueItem(item_id="s1", queue="staging", member_id="m1", status="failed", created_at=created,
                         retries=3, last_error="checksum mismatch", version=4),
        models.QueueItem(item_id="s2", queue="staging", status="resolved", created_at=created,
                         resolved_at=created + dt.timedelta(hours=1)),
        models.QueueItem(item_id="r1", queue="review", created_at=created),
    )


def rows(engine, model):
    with session_scope(engine) as session:
        return [row.model_dump() for row in session.exec(select(model)).scalars()]


def test_request_retry_counts_the_retry_and_records_history_audit_and_version(staging):
    before = data_version(staging)
    result = request_retry(staging, item_id="s1", expected_version=4, actor="priya.cs",
                           note="pipeline fixed", now=AT)
    assert (result.retries, result.version) == (4, 5)

    (item,) = [row for row in rows(staging, models.QueueItem) if row["item_id"] == "s1"]
    assert (item["retries"], item["status"], item["version"], item["updated_at"]) == (4, "retry_requested", 5, AT)
    (event,) = rows(staging, models.QueueEvent)
    assert (event["item_id"], event["status"], event["actor"], event["note"], event["at"]) == (
        "s1", "retry_requested", "priya.cs", "pipeline fixed", AT)
    (audit,) = rows(staging, models.AuditEvent)
    assert (audit["actor"], audit["action"], audit["entity"], audit["entity_id"]) == (
        "priya.cs", "request_retry", "queue_item", "s1")
    assert audit["before"] == {"status": "failed", "retries": 3, "version": 4}
    assert audit["after"] == {"status": "retry_requested", "retries": 4, "version": 5}
    assert data_version(staging) == before + 1


def test_a_retry_based_on_an_old_version_is_refused_and_names_who_changed_it(staging):
    request_retry(staging, item_id="s1", expected_version=4, actor="joy.support", now=AT)
    version = data_version(staging)
    with pytest.raises(StaleItem, match=r"s1 was changed by someone else.*request retry by joy.support at 22 Nov 09:30"
                                        r".*you saw version 4, it is now version 5") as refused:
        request_retry(staging, item_id="s1", expected_version=4, actor="priya.cs", now=AT)
    assert isinstance(refused.value, CrowdPulseError)
    assert [row["retries"] for row in rows(staging, models.QueueItem) if row["item_id"] == "s1"] == [4]
    assert len(rows(staging, models.QueueEvent)) == 1 and len(rows(staging, models.AuditEvent)) == 1
    assert data_version(staging) == version


def test_retrying_several_items_refuses_only_the_changed_one(staging):
    stored(staging, models.QueueItem(item_id="s3", queue="staging", status="failed", retries=5,
                                     created_at=dt.datetime(2026, 11, 20, 9, tzinfo=dt.UTC)))
    done, refused = request_retries(staging, versions={"s1": 3, "s3": 1}, actor="priya.cs",
                                    now=AT)
    assert [(result.item_id, result.retries) for result in done] == [("s3", 6)]
    assert list(refused) == ["s1"] and "you saw version 3, it is now version 4" in refused["s1"]


@pytest.mark.parametrize(
    "item_id, message",
    [("nope", "There is no queue item nope"), ("s2", "already resolved"), ("r1", "only staging uploads")],
)
def test_retry_is_refused_for_items_that_cannot_be_retried(staging, item_id, message):
    with pytest.raises(QueueActionRefused, match=message):
        request_retry(staging, item_id=item_id, expected_version=1, actor="priya.cs")
    assert rows(staging, models.AuditEvent) == []


def test_a_ban_is_recorded_with_who_and_why_and_marks_the_tasker_banned(staging):
    before = data_version(staging)
    record_id = record_enforcement(staging, member_id="m1", action="ban", reason="  Repeated AI-generated uploads ",
                                   actor="tomas.quality", item_id="s1", now=AT)
    (record,) = rows(staging, models.Enforcement)
    assert (record["id"], record["member_id"], record["action"], record["reason"], record["actor"], record["item_id"],
            record["at"]) == (record_id, "m1", "ban", "Repeated AI-generated uploads", "tomas.quality", "s1", AT)
    (member,) = rows(staging, models.Member)
    assert member["status"] == "banned"
    (audit,) = rows(staging, models.AuditEvent)
    assert (audit["action"], audit["entity"], audit["entity_id"], audit["before"]) == (
        "enforcement_ban", "member", "m1", {"status": "active"})
    assert audit["after"]["status"] == "banned" and audit["after"]["enforcement_id"] == record_id
    assert data_version(staging) == before + 1


def test_a_warning_leaves_the_tasker_active(staging):
    record_enforcement(staging, member_id="m1", action="warn", reason="Low-effort answers on Cedar", actor="priya.cs")
    assert rows(staging, models.Member)[0]["status"] == "active"


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"action": "suspend"}, "Unknown enforcement action 'suspend'"),
        ({"reason": "spam"}, "Write why"),
        ({"member_id": "ghost"}, "There is no tasker ghost"),
        ({"item_id": "q404"}, "There is no queue item q404"),
    ],
)
def test_enforcement_needs_a_known_action_tasker_item_and_a_real_reason(staging, changes, message):
    arguments = dict(member_id="m1", action="warn", reason="Low-effort answers on Cedar", actor="priya.cs") | changes
    with pytest.raises(QueueActionRefused, match=message):
        record_enforcement(staging, **arguments)
    assert rows(staging, models.Enforcement) == [] and rows(staging, models.AuditEvent) == []


def test_recent_enforcements_newest_first_with_the_tasker_handle(staging):
    record_enforcement(staging, member_id="m1", action="warn", reason="First warning about copying", actor="a", now=AT)
    record_enforcement(staging, member_id="m1", action="takedown", reason="Copied work taken down", actor="b",
                       item_id="s1", now=AT + dt.timedelta(hours=1))
    recent = load_enforcements(staging)
    assert recent[["action", "member_id", "handle", "actor"]].values.tolist() == [
        ["takedown", "m1", "tasker1", "b"],
        ["warn", "m1", "tasker1", "a"],
    ]
    assert recent["item_id"].tolist()[0] == "s1" and pd.isna(recent["item_id"].tolist()[1])
    assert recent["at"].tolist()[0] == AT + dt.timedelta(hours=1)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda engine: request_retry(engine, item_id="s1", expected_version=4, actor="sam"),
         "Only a specialist or above can request a retry"),
        (lambda engine: record_enforcement(engine, member_id="m1", action="ban", reason="Repeated AI-generated uploads",
                                           actor="priya.cs"),
         "Only a manager or above can record a ban"),
    ],
)
def test_roles_are_checked_on_the_server(staging, call, message):
    with pytest.raises(NotAllowed, match=message):
        call(staging)
    assert rows(staging, models.AuditEvent) == [] and rows(staging, models.Enforcement) == []
