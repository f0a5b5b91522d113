"""Bulk inserts store values exactly as the ORM would, on SQLite and PostgreSQL."""

import datetime as dt

import pandas as pd
from sqlmodel import Session, select

from core import models
from core.bulk import bulk_insert


def test_bulk_rows_read_back_through_the_orm_with_aware_utc_timestamps(engine):
    members = pd.DataFrame({
        "member_id": ["m1", "m2"], "country": ["BR", None], "is_staff": [False, True], "is_bot": [False, False],
        "status": ["active", "active"],
        "signed_up_at": pd.to_datetime(["2026-01-02T03:04:05+02:00", None], utc=True),
        "attributes": [{"cohort": "x"}, {}],
    })
    with engine.begin() as connection:
        assert bulk_insert(connection, models.Member.__table__, members) == 2
    with Session(engine) as session:
        first, second = session.exec(select(models.Member).order_by(models.Member.member_id)).all()
    assert first.signed_up_at == dt.datetime(2026, 1, 2, 1, 4, 5, tzinfo=dt.UTC)
    assert first.attributes == {"cohort": "x"} and first.is_staff is False
    assert second.signed_up_at is None and second.country is None and second.is_staff is True


def test_bulk_dates_and_integers_round_trip(engine):
    with engine.begin() as connection:
        bulk_insert(connection, models.Member.__table__, pd.DataFrame({
            "member_id": ["m1"], "status": ["active"], "is_staff": [False], "is_bot": [False], "attributes": [{}]}))
        bulk_insert(connection, models.Project.__table__, pd.DataFrame({
            "project_id": ["p1"], "name": ["Atlas"], "status": ["live"], "attributes": [{}]}))
        bulk_insert(connection, models.Activity.__table__, pd.DataFrame({
            "member_id": ["m1"], "project_id": ["p1"], "day": [dt.date(2026, 3, 1)], "tasks_submitted": [12],
            "tasks_approved": [10], "tasks_rejected": [2], "tasks_skipped": [0], "tasks_too_fast": [0],
            "handle_seconds": [300.5], "active_minutes": [10.0], "questions": [1]}))
    with Session(engine) as session:
        row = session.exec(select(models.Activity)).one()
    assert row.day == dt.date(2026, 3, 1) and row.tasks_submitted == 12 and row.handle_seconds == 300.5


def test_integer_values_become_python_ints_and_blanks_none_whatever_the_column_dtype():
    from sqlalchemy import Column, Integer

    from core.bulk import _format_column

    column = Column("n", Integer)
    # floats with a blank (as a whole-number column with blanks arrives), object defaults, nullable Int64
    assert _format_column(pd.Series([1.0, float("nan"), 95.0]), column, "postgresql") == [1, None, 95]
    assert _format_column(pd.Series([0, None, 7], dtype=object), column, "sqlite") == [0, None, 7]
    assert _format_column(pd.Series([3, None], dtype="Int64"), column, "sqlite") == [3, None]
    values = _format_column(pd.Series([0, 2**40], dtype=object), column, "sqlite")
    assert values == [0, 1_099_511_627_776] and {type(v) for v in values} == {int}
    assert _format_column(pd.Series(["a", None], dtype="str"), Column("s", models.Member.__table__.c.country.type),
                          "sqlite") == ["a", None]
