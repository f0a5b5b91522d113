"""Issue 20: an import writes in short committed batches, yet one that fails mid-way leaves nothing behind:
its committed batches are taken back (rows inserted, rows changed, taskers and projects it created), and the
roll-ups, refreshed only when an import succeeds, still match the data."""

import pytest
from sqlmodel import Session, func, select
from sqlalchemy import text

from core import models
from core.ingest import importer, store


def load(engine, entity: str, body: str, **options) -> importer.ImportResult:
    """Import CSV text as a file called upload.csv."""
    return importer.import_file(engine, entity, body.encode(), filename="upload.csv", **options)


def count(engine, model) -> int:
    """Rows stored in a table."""
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(model)).one()


def fail_in_batch(monkeypatch, number: int) -> None:
    """Make the import's `number`-th batch (1-based) fail after writing its rows."""
    real = importer._Import.store

    def store_then_fail(self, frame):
        real(self, frame)
        if self.result.batches == number - 1:
            raise RuntimeError("disk full")

    monkeypatch.setattr(importer._Import, "store", store_then_fail)


def test_activity_import_failing_in_its_third_batch_leaves_no_row_tasker_project_or_roll_up(engine, monkeypatch):
    load(engine, "activity", "member_id,project_id,day,tasks_submitted\nm0,p0,2026-03-01,5\n")
    with engine.connect() as conn:
        bits_before = conn.execute(text("SELECT member_id, block, w0, w1, w2, w3 FROM activity_member_days")).all()
    # 120 new rows on new days for 40 new taskers and 3 new projects, in chunks of 50 file lines
    body = "member_id,project_id,day,tasks_submitted\n" + "".join(
        f"n{i % 40},q{i % 3},2026-03-{2 + i // 40:02d},{i + 1}\n" for i in range(120))
    fail_in_batch(monkeypatch, 3)
    with pytest.raises(RuntimeError, match="disk full"):
        load(engine, "activity", body, chunk_rows=50)
    assert (count(engine, models.Activity), count(engine, models.Member), count(engine, models.Project)) == (1, 1, 1)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT member_id, block, w0, w1, w2, w3 FROM activity_member_days")).all() \
            == bits_before
    with Session(engine) as session:
        last = session.exec(select(models.SyncRun).order_by(models.SyncRun.id.desc())).first()
    assert (last.ok, last.inserted, last.error) == (False, 0, "disk full")


def test_members_import_failing_at_its_roll_up_refresh_restores_changed_rows_and_removes_new_ones(engine, monkeypatch):
    load(engine, "members", "member_id,country,handle\nm1,BR,ana\nm2,IN,raj\n")
    body = "member_id,country,handle\nm1,DE,ana\n" + "".join(f"x{i},FR,h{i}\n" for i in range(150))

    def broken_step():
        raise RuntimeError("roll-up refresh failed")

    monkeypatch.setattr(store.TableWriter, "rollup_steps", lambda self: [broken_step])
    with pytest.raises(RuntimeError, match="roll-up refresh failed"):
        load(engine, "members", body, chunk_rows=60)
    with Session(engine) as session:
        members = session.exec(select(models.Member).order_by(models.Member.member_id)).all()
    assert [(m.member_id, m.country, m.handle) for m in members] == [("m1", "BR", "ana"),
                                                                      ("m2", "IN", "raj")]


def test_an_import_that_succeeds_after_a_failed_one_finds_no_leftover_journal(engine, monkeypatch):
    body = "member_id,country\n" + "".join(f"y{i},BR\n" for i in range(30))
    fail_in_batch(monkeypatch, 2)
    with pytest.raises(RuntimeError):
        load(engine, "members", body, chunk_rows=10)
    monkeypatch.undo()
    result = load(engine, "members", body, chunk_rows=10)
    assert (result.inserted, result.updated, count(engine, models.Member)) == (30, 0, 30)


def test_a_failure_after_one_area_refreshed_its_roll_ups_puts_those_roll_ups_back(engine, monkeypatch):
    from core.workforce import rollup as workforce_rollup

    load(engine, "activity", "member_id,project_id,day,tasks_submitted\nm0,p0,2026-03-01,5\n")
    with engine.connect() as conn:
        bits_before = conn.execute(text("SELECT member_id, block, w0 FROM activity_member_days")).all()

    def broken(connection, days):
        raise RuntimeError("workforce refresh failed")

    # the activity area (bitmaps) refreshes and commits first; the workforce area commits its members' step,
    # then fails redoing the days
    monkeypatch.setattr(workforce_rollup, "_refill_days", broken)
    with pytest.raises(RuntimeError, match="workforce refresh failed"):
        load(engine, "activity", "member_id,project_id,day,tasks_submitted\nm0,p0,2026-03-02,7\n"
                                 "m5,p0,2026-03-02,1\n")
    assert count(engine, models.Activity) == 1
    with engine.connect() as conn:
        assert conn.execute(text("SELECT member_id, block, w0 FROM activity_member_days")).all() == bits_before
    # m0 active on 2026-03-01 only: day 20513 is bit 20513 - 81·252 = 101 → word 1, bit 38
    assert bits_before == [("m0", 81, 0)]


def test_a_chunk_larger_than_a_write_batch_is_written_in_parts_and_all_taken_back_on_failure(engine, monkeypatch):
    monkeypatch.setattr(importer, "WRITE_ROWS", 4)
    body = "member_id,country\n" + "".join(f"z{i},BR\n" for i in range(10))
    result = load(engine, "members", body)
    assert (result.batches, result.inserted) == (3, 10)  # one chunk of 10 rows: parts of 4 + 4 + 2
    fail_in_batch(monkeypatch, 3)
    with pytest.raises(RuntimeError):
        load(engine, "members", body.replace(",BR", ",PT") + "z10,PT\n")
    with Session(engine) as session:
        assert {m.country for m in session.exec(select(models.Member))} == {"BR"}
    assert count(engine, models.Member) == 10
