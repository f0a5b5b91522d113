import pandas as pd
import pytest

from core.models import QueueEvent, QueueItem
from core.db import session_scope
from core.workforce.handling import (
    aht_table,
    handle_seconds_from_history,
    item_handle_seconds,
    load_handled_items,
    measured_aht,
)
from tests.core.factories import utc


def history(*rows):
    """Status events (item_id, at, status)."""
    return pd.DataFrame([{"item_id": i, "at": utc(at), "status": s} for i, at, s in rows])


def test_handling_time_counts_only_time_in_progress_and_leaves_out_the_pause():
    events = history(
        ("a", "2026-11-02 09:00", "open"),
        ("a", "2026-11-02 10:00", "in_progress"),        # 10:00-10:10 worked: 600 s
        ("a", "2026-11-02 10:10", "waiting_on_tasker"),  # paused 2 h
        ("a", "2026-11-02 12:10", "in_progress"),        # 12:10-12:15 worked: 300 s
        ("a", "2026-11-02 12:15", "resolved"),
        ("b", "2026-11-02 09:00", "open"),
        ("b", "2026-11-02 09:30", "in_progress"),        # still being worked: no handling time yet
        ("c", "2026-11-02 09:00", "open"),
        ("c", "2026-11-02 09:05", "resolved"),           # closed without being worked: no handling time
    )
    assert handle_seconds_from_history(events).to_dict() == {"a": 900.0}


def test_an_imported_handle_time_wins_over_the_history():
    items = pd.DataFrame({"item_id": ["a", "b"], "handle_seconds": [120.0, None]})
    events = history(("a", "2026-11-02 10:00", "in_progress"), ("a", "2026-11-02 10:30", "resolved"),
                     ("b", "2026-11-02 10:00", "in_progress"), ("b", "2026-11-02 10:04", "resolved"))
    assert item_handle_seconds(items, events).tolist() == [120.0, 240.0]


def test_aht_per_queue_priority_and_hour_carries_its_sample_size():
    items = pd.DataFrame({"queue": ["review"] * 4, "priority": ["high", "high", "high", "normal"],
                          "created_at": [utc("2026-11-02 09:10"), utc("2026-11-02 09:50"), utc("2026-11-02 14:00"),
                                         utc("2026-11-02 09:00")],
                          "handle_seconds": [300.0, 500.0, 900.0, None]})
    table = aht_table(items, by=("queue", "priority", "hour"))
    assert table.to_dict("records") == [
        {"queue": "review", "priority": "high", "hour": 9, "aht_seconds": 400.0, "items": 2},
        {"queue": "review", "priority": "high", "hour": 14, "aht_seconds": 900.0, "items": 1}]


@pytest.mark.parametrize("count, expected", [(19, None), (20, 30.0)])
def test_a_measured_aht_needs_twenty_items(count, expected):
    assert measured_aht(pd.DataFrame({"handle_seconds": [30.0] * count})) == (expected, count)


def test_load_handled_items_measures_finished_items_of_one_queue_in_the_window(engine):
    with session_scope(engine) as session:
        session.add_all([
            QueueItem(item_id="a", queue="review", created_at=utc("2026-11-02 09:00"),
                      resolved_at=utc("2026-11-02 11:00")),
            QueueItem(item_id="b", queue="review", created_at=utc("2026-11-02 09:00"),
                      resolved_at=utc("2026-11-02 10:00"), handle_seconds=75.0),
            QueueItem(item_id="c", queue="support", created_at=utc("2026-11-02 09:00"),
                      resolved_at=utc("2026-11-02 10:00")),
        ])
        session.flush()
        session.add_all([QueueEvent(item_id="a", at=utc("2026-11-02 09:00"), status="open"),
                         QueueEvent(item_id="a", at=utc("2026-11-02 10:30"), status="in_progress"),
                         QueueEvent(item_id="a", at=utc("2026-11-02 11:00"), status="resolved")])
    loaded = load_handled_items(engine, "review", start=utc("2026-11-02 00:00"), end=utc("2026-11-03 00:00"))
    assert dict(zip(loaded["item_id"], loaded["handle_seconds"])) == {"a": 1800.0, "b": 75.0}
