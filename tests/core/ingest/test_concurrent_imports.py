"""Issue 16, concurrency: a long import writes in committed batches, other writers get their turn between them,
and a write that has to wait says so and loses nothing."""

import os
import subprocess
import sys
import threading

import pytest
from sqlmodel import Session, func, select

from core import models
from core.comms import events
from core.ingest import importer
from core.settings import PROJECT_ROOT



def members_csv(prefix: str, count: int) -> bytes:
    """A members file of `count` taskers called <prefix>0, <prefix>1…"""
    return ("member_id,country\n" + "".join(f"{prefix}{i},BR\n" for i in range(count))).encode()


def count(engine, model) -> int:
    """Rows stored in a table."""
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(model)).one()


def runs(engine) -> list[tuple]:
    """The sync history as (source, ok, inserted), oldest first."""
    with Session(engine) as session:
        return [(r.source, r.ok, r.inserted) for r in session.exec(select(models.SyncRun).order_by(models.SyncRun.id))]


def test_two_writers_during_a_long_import_both_succeed_and_the_second_says_it_waited(engine, monkeypatch):
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite's single write lock is what this is about; PostgreSQL locks rows")
    holding, told = threading.Event(), threading.Event()
    store = importer._Import.store

    def store_and_hold(self, frame):
        """The long import, inside its second batch (holding the write lock), waits until a writer queued."""
        store(self, frame)
        if self.result.source == "file:long.csv" and self.result.batches == 1:
            holding.set()
            assert told.wait(30), "the queued import never said it was waiting"

    monkeypatch.setattr(importer._Import, "store", store_and_hold)
    results, errors = {}, []

    def run(name, job):
        try:
            results[name] = job()
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append((name, exc))

    def second_import():
        def heard(_fraction, message):
            if message.startswith("Another write"):
                told.set()
        return importer.import_file(engine, "members", members_csv("b", 150), filename="short.csv", progress=heard)

    long_import = threading.Thread(target=run, args=("long", lambda: importer.import_file(
        engine, "members", members_csv("a", 300), filename="long.csv", chunk_rows=100)))
    long_import.start()
    assert holding.wait(30)
    others = [threading.Thread(target=run, args=("short", second_import)),
              threading.Thread(target=run, args=("event", lambda: events.add_event(
                  engine, title="Office hours", starts_at="2026-11-25T15:00:00+00:00", duration_minutes=30,
                  actor="priya@example.com", role="specialist")))]
    for thread in others:
        thread.start()
    for thread in [long_import, *others]:
        thread.join(60)
    assert errors == []
    # chunks of 100 file lines, the header being the first: 99 + 100 + 100 + 1 rows
    assert results["long"].batches == 4 and results["long"].inserted == 300
    assert results["short"].inserted == 150 and importer.WAITED in results["short"].warnings
    assert count(engine, models.Member) == 450 and count(engine, models.Event) == 1
    assert sorted(runs(engine)) == [("file:long.csv", True, 300), ("file:short.csv", True, 150)]


def test_a_batch_that_cannot_get_the_lock_in_time_writes_nothing_and_says_why(engine):
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite's write lock")
    from core.db import write_batch
    from core.errors import DatabaseUnavailable

    blocker = engine.raw_connection()
    blocker.driver_connection.execute("BEGIN IMMEDIATE")
    heard = []
    try:
        with engine.connect() as conn, pytest.raises(DatabaseUnavailable, match="stayed busy with another write"):
            with write_batch(conn, on_wait=heard.append, patience=0.5):
                conn.exec_driver_sql("INSERT INTO setting (key, value) VALUES ('x', '1')")
    finally:
        blocker.driver_connection.rollback()
        blocker.close()
    assert len(heard) == 1 and heard[0].startswith("Another write (an import, a sync or a change on a page)")


def test_a_strict_import_whose_last_batch_has_a_bad_row_writes_no_batch(engine):
    body = members_csv("s", 250).decode() + "s-bad,BR,extra\n"
    with pytest.raises(importer.RowsRejected, match="nothing was imported"):
        importer.import_file(engine, "members", body.encode(), filename="strict.csv", chunk_rows=100, strict=True)
    assert count(engine, models.Member) == 0
    assert runs(engine) == [("file:strict.csv", False, 0)]


def test_four_command_line_imports_at_once_all_finish_and_all_are_in_the_history(engine, tmp_path):
    if engine.dialect.name != "sqlite":
        pytest.skip("the SQLite file shared by four processes")
    url = engine.url.render_as_string(hide_password=False)
    env = {**os.environ, "CROWDPULSE_DATABASE_URL": url, "PYTHONPATH": str(PROJECT_ROOT)}
    processes = []
    for n in range(4):
        path = tmp_path / f"batch{n}.csv"
        path.write_bytes(members_csv(f"c{n}-", 2_000))
        processes.append(subprocess.Popen([sys.executable, "-m", "core", "import", "members", str(path),
                                           "--format", "json"], cwd=PROJECT_ROOT, env=env,
                                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    outcomes = [p.communicate(timeout=120) + (p.returncode,) for p in processes]
    assert [code for *_, code in outcomes] == [0, 0, 0, 0], [err for _, err, _ in outcomes]
    assert count(engine, models.Member) == 8_000
    assert sorted(runs(engine)) == [(f"file:batch{n}.csv", True, 2_000) for n in range(4)]


def test_a_dry_run_checks_a_file_while_another_writer_holds_the_lock(engine):
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite's write lock")
    importer.import_file(engine, "members", members_csv("d", 2), filename="first.csv")
    blocker = engine.raw_connection()
    blocker.driver_connection.execute("BEGIN IMMEDIATE")
    try:
        result = importer.import_file(engine, "activity", b"member_id,project_id,day\nd0,p1,2026-11-02\n"
                                                          b"d9,p1,2026-11-02\n", filename="check.csv", dry_run=True)
    finally:
        blocker.driver_connection.rollback()
        blocker.close()
    # the unknown tasker d9 and project p1 would be created; nothing was
    assert (result.inserted, result.created_members, result.created_projects) == (2, 1, 1)
    assert (count(engine, models.Activity), count(engine, models.Project), count(engine, models.Member)) == (0, 0, 2)
