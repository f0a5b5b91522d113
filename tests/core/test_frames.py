"""From SQL to typed frames: one select in, columns typed the way every read API expects."""

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
