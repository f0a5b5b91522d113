"""From SQL to typed frames: one select in, columns typed the way every read API expects."""

import pandas as pd
from sqlalchemy import Integer, String, false, literal, select

from core.frames import driver_frame, read_frame


def test_driver_frame_gives_numbers_as_floats_and_text_as_text(engine):
    statement = select(literal(3, Integer).label("items"), literal("p01", String).label("project_id"))
    frame = driver_frame(engine, statement)
    assert list(frame.columns) == ["items", "project_id"]
    assert frame["items"].dtype == "float64" and frame["items"].tolist() == [3.0]
    assert frame["project_id"].tolist() == ["p01"]


def test_driver_frame_of_no_rows_keeps_its_columns(engine):
    statement = select(literal(3, Integer).label("items"), literal("p01", String).label("project_id")).where(false())
    frame = driver_frame(engine, statement)
    assert list(frame.columns) == ["items", "project_id"] and frame.empty


def test_read_frame_and_driver_frame_agree_on_the_same_select(engine):
    statement = select(literal(7, Integer).label("items"), literal("p02", String).label("project_id"))
    assert read_frame(engine, statement).astype({"items": "float64"}).equals(driver_frame(engine, statement))


def test_rows_frame_types_text_columns_as_pandas_infers_them():
    from core.frames import rows_frame

    rows = [("a", 1, None, b"x", None, "p"), (None, 2, None, b"y", 3, 4)]
    keys = ["text", "number", "empty", "raw", "late", "mixed"]
    frame = rows_frame(keys, rows)
    expected = pd.DataFrame({key: list(values) for key, values in zip(keys, zip(*rows))})
    pd.testing.assert_frame_equal(frame, expected)
    assert str(frame["text"].dtype) == "str" and frame["text"].isna().tolist() == [False, True]
    assert frame["empty"].dtype == object and frame["mixed"].tolist() == ["p", 4]


def test_rows_frame_of_no_rows_keeps_its_columns():
    from core.frames import rows_frame

    assert list(rows_frame(["a", "b"], []).columns) == ["a", "b"]
