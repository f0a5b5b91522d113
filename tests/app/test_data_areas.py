"""Invalidation by area: a write refreshes only the cached reads of the data areas it changes."""

import datetime as dt

import pandas as pd
import pytest
from sqlmodel import Session

from core import db, models
from core.ingest import importer
from core.queues.actions import request_retry
from tests.core.factories import stored
from ui import data

CREATED = dt.datetime(2026, 11, 20, 8, tzinfo=dt.UTC)


@pytest.fixture
def counted(engine, monkeypatch):
    """The engine with a stuck upload to retry, and how often the health, members and queue loaders ran."""
    stored(engine, models.Person(email="priya.cs", name="Priya", role="specialist"),
           models.Member(member_id="m1", handle="tasker1", country="BR"),
           models.Project(project_id="p01", name="Atlas"),
           models.QueueItem(item_id="s1", queue="staging", member_id="m1", status="failed", created_at=CREATED,
                            retries=3, version=4))
    monkeypatch.setattr(data, "engine", lambda: engine)
    monkeypatch.setattr(data, "get_script_run_ctx", lambda suppress_warning=False: None)  # every call reads
    calls = {"active_days": 0, "community": 0, "policies": 0}

    def counting(name, real):
        def call(*args, **kwargs):
            calls[name] += 1
            return real(*args, **kwargs)
        return call

    for module, loader, name in ((data.health_active, "load_active_days", "active_days"),
                                 (data.health_active, "load_community", "community"),
                                 (data.queues_read, "load_policies", "policies")):
        monkeypatch.setattr(module, loader, counting(name, getattr(module, loader)))
    for accessor in (data._member_days, data._members, data.policies):
        accessor.clear()
    return engine, calls


def read_all():
    """Health's active days and community, and the queues' policies, through the cached accessors."""
    data._member_days(dt.date(2026, 11, 1), dt.date(2026, 11, 22), None)
    data._members(None)
    data.policies()


def test_a_retry_refreshes_the_queues_and_leaves_health_cached(counted):
    engine, calls = counted
    read_all()
    read_all()
    assert calls == {"active_days": 1, "community": 1, "policies": 1}

    request_retry(engine, item_id="s1", expected_version=4, actor="priya.cs", now=CREATED)
    read_all()
    assert calls == {"active_days": 1, "community": 1, "policies": 2}


def test_an_activity_import_refreshes_health_and_leaves_the_queues_cached(counted):
    engine, calls = counted
    read_all()
    rows = pd.DataFrame({"member_id": ["m1"], "project_id": ["p01"], "day": ["2026-11-20"], "tasks_submitted": [5]})
    assert importer.import_frame(engine, "activity", rows, source="test").inserted == 1
    read_all()
    # the community (members only) stays; an activity import changes neither members nor queues
    assert calls == {"active_days": 2, "community": 1, "policies": 1}


def test_a_write_that_names_no_area_refreshes_every_accessor(counted):
    engine, calls = counted
    read_all()
    with db.session_scope(engine) as session:
        db.bump_data_version(session)
    read_all()
    assert calls == {"active_days": 2, "community": 2, "policies": 2}


def test_another_servers_write_to_an_area_shows_at_the_next_read(counted):
    engine, calls = counted
    read_all()
    replica = db.make_engine(engine.url.render_as_string(hide_password=False))  # a second process, its own engine
    try:
        with Session(replica) as session:
            db.bump_data_version(session, "members")
            session.commit()
    finally:
        replica.dispose()
    read_all()
    assert calls == {"active_days": 2, "community": 2, "policies": 1}  # the policies are queues data only


def test_versions_count_each_area_and_the_overall_one(engine):
    before = db.data_versions(engine)
    with db.session_scope(engine) as session:
        assert db.bump_data_version(session, "queues", "admin") == before[db.OVERALL] + 1
    with db.session_scope(engine) as session:
        db.bump_data_version(session)
    after = db.data_versions(engine)
    changed = {area: after[area] - before[area] for area in after}
    assert changed == {db.OVERALL: 2, "queues": 2, "admin": 2, "members": 1, "projects": 1, "activity": 1,
                       "feedback": 1, "comms": 1, "roster": 1, "reports": 1}
    assert db.data_version(engine) == after[db.OVERALL]


def test_an_unknown_area_is_refused(engine):
    with pytest.raises(ValueError, match="health"):
        data.on_data_version(areas=("health",))
    with db.session_scope(engine) as session, pytest.raises(ValueError, match="queue"):
        db.bump_data_version(session, "queue")
