"""Issue 20: on PostgreSQL an import's rows go in through COPY (psycopg's cursor.copy), and what COPY writes
reads back exactly as the file said: separators, quotes, backslashes, line breaks, blanks and non-ASCII."""

import datetime as dt

import pytest
from sqlmodel import Session, select

from core import bulk, models
from core.ingest import importer

AWKWARD = ['tab\there, comma, "quote"', "back\\slash \\N and \\t", "two\nlines", "ação 日本語 ✓", "ends with \\"]


@pytest.mark.postgres
def test_feedback_rows_go_through_copy_and_read_back_unchanged(engine, monkeypatch):
    copied: list[tuple[str, int]] = []
    real = bulk._copy_rows

    def spy(connection, table, names, rows):
        copied.append((table, len(rows)))
        real(connection, table, names, rows)

    monkeypatch.setattr(bulk, "_copy_rows", spy)
    body = "feedback_id,channel,created_at,text,member_id\n" + "".join(
        f'f{i},forum,2026-11-0{i + 1}T10:00:00Z,"{text.replace(chr(34), chr(34) * 2)}",{"m1" if i else ""}\n'
        for i, text in enumerate(AWKWARD))
    result = importer.import_file(engine, "feedback", body.encode(), filename="awkward.csv")
    assert (result.inserted, result.rejected) == (5, 0)
    # the tasker m1 created on the way, then the five rows, each in one COPY
    assert copied == [("member", 1), ("feedback", 5)]
    with Session(engine) as session:
        rows = session.exec(select(models.Feedback).order_by(models.Feedback.feedback_id)).all()
    assert [(r.feedback_id, r.text, r.member_id) for r in rows] == [
        ("f0", AWKWARD[0], None), ("f1", AWKWARD[1], "m1"), ("f2", AWKWARD[2], "m1"), ("f3", AWKWARD[3], "m1"),
        ("f4", AWKWARD[4], "m1")]
    assert rows[0].created_at.replace(tzinfo=dt.UTC) == dt.datetime(2026, 11, 1, 10, tzinfo=dt.UTC)


@pytest.mark.postgres
def test_activity_copy_of_a_failed_import_is_taken_back(engine, monkeypatch):
    real = importer._Import.store

    def store_then_fail(self, frame):
        real(self, frame)
        if self.result.batches == 1:
            raise RuntimeError("connection reset")

    monkeypatch.setattr(importer._Import, "store", store_then_fail)
    body = "member_id,project_id,day,tasks_submitted\n" + "".join(f"m{i},p1,2026-11-0{1 + i % 3},{i}\n"
                                                                 for i in range(30))
    with pytest.raises(RuntimeError, match="connection reset"):
        importer.import_file(engine, "activity", body.encode(), filename="a.csv", chunk_rows=10)
    with Session(engine) as session:
        assert session.exec(select(models.Activity)).all() == []
        assert session.exec(select(models.Member)).all() == []
