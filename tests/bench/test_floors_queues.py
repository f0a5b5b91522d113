"""The queues figures of the DuckDB floor: the app and the floor give the same, hand-counted answers."""

import datetime as dt

import pytest

from bench import floors
from bench.floors import queues as queue_floors
from core import models, rollups
from tests.core.factories import stored, utc

pytest.importorskip("duckdb")

# A Sunday morning: the window is 26 Oct – 22 Nov, and clocks due before 09:00 today have come due.
AS_OF = dt.datetime(2026, 11, 22, 9, 0, tzinfo=dt.UTC)
WEEKDAYS = {day: [8, 18] for day in ("mon", "tue", "wed", "thu", "fri")}


def _item(item_id: str, queue: str, created: str, **moments) -> models.QueueItem:
    return models.QueueItem(item_id=item_id, queue=queue, priority="normal", created_at=utc(created),
                            attributes={}, **{name: utc(value) for name, value in moments.items()})


@pytest.fixture
def queues(engine):
    """Review on a 4 h calendar clock; support on a 10 business-hour clock that pauses while waiting on the tasker."""
    stored(
        engine,
        models.SlaPolicy(queue="review", priority="normal", first_response_minutes=60, resolution_minutes=240),
        models.SlaPolicy(queue="support", priority="normal", first_response_minutes=480, resolution_minutes=600,
                         business_hours=True, schedule=WEEKDAYS, pause_statuses=["waiting_on_tasker"]),
        _item("r1", "review", "2026-11-20 08:00", first_response_at="2026-11-20 08:30", resolved_at="2026-11-20 10:00"),
        _item("r2", "review", "2026-11-20 08:00", first_response_at="2026-11-20 09:00", resolved_at="2026-11-20 14:00"),
        _item("r3", "review", "2026-11-22 03:00"),  # open 6 h at AS_OF: breached at 07:00
        _item("r4", "review", "2026-11-22 07:00"),  # open 2 h: not due yet
        _item("r5", "review", "2026-10-01 08:00", first_response_at="2026-10-01 09:00",
              resolved_at="2026-10-01 20:00"),  # due before the window
        # Its own due date wins: 20 h is within the agreed day, though past the policy's 4 h.
        _item("r6", "review", "2026-11-20 00:00", first_response_at="2026-11-20 02:00", resolved_at="2026-11-20 20:00",
              due_at="2026-11-21 00:00"),
        # Thu 16:00 → Fri 15:00 is 23 calendar hours but 2 + 7 = 9 business hours: met.
        _item("s1", "support", "2026-11-19 16:00", first_response_at="2026-11-19 17:00",
              resolved_at="2026-11-20 15:00"),
        # Wed 08:00 → Thu 10:00 is 12 business hours, 5 of them waiting on the tasker: 7 counted, met.
        _item("s2", "support", "2026-11-18 08:00", first_response_at="2026-11-18 09:00",
              resolved_at="2026-11-19 10:00"),
        models.QueueEvent(item_id="s2", at=utc("2026-11-18 08:00"), status="open"),
        models.QueueEvent(item_id="s2", at=utc("2026-11-18 10:00"), status="waiting_on_tasker"),
        models.QueueEvent(item_id="s2", at=utc("2026-11-18 15:00"), status="in_progress"),
        models.QueueEvent(item_id="s2", at=utc("2026-11-19 10:00"), status="resolved"),
    )
    with engine.begin() as connection:
        rollups.refresh_all(connection)
    return engine


@pytest.fixture
def duck(queues):
    """A DuckDB copy of the raw tables, as the bench makes it."""
    connection = floors.duckdb_copy(queues.url.render_as_string(hide_password=False))
    yield connection
    connection.close()


# review: r1 and r6 met, r2 and r3 breached; support: s1 and s2 met (both would breach on a plain clock).
SLA = {"review": [2, 2, 0.5], "support": [2, 0, 1.0]}
# review: 30, 60 and 120 minutes → median 3600 s, p90 3600 + 0.8 × 3600; support: 1 h twice.
FIRST_RESPONSE = {"review": [3600.0, 6480.0, 3], "support": [3600.0, 3600.0, 2]}


def test_the_app_counts_sla_met_by_queue_over_the_pages_default_window(queues):
    assert queue_floors.app_sla(queues, AS_OF) == SLA


def test_the_floor_counts_sla_met_by_queue_from_the_raw_items_events_and_policies(duck):
    assert queue_floors.floor_sla(duck, AS_OF) == SLA


def test_the_app_and_the_floor_give_first_response_median_and_p90_by_queue(queues, duck):
    assert queue_floors.app_first_response(queues, AS_OF) == FIRST_RESPONSE
    assert queue_floors.floor_first_response(duck, AS_OF) == FIRST_RESPONSE


def test_the_window_is_the_28_days_ending_on_the_present_day():
    start, end = queue_floors.window(AS_OF)
    assert (start.isoformat(), end.isoformat()) == ("2026-10-26T00:00:00+00:00", "2026-11-23T00:00:00+00:00")
