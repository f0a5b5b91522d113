"""Live clocks placed at a later minute from inputs read earlier are the clocks read afresh at that minute."""

import pandas as pd
import pytest

from core import models, rollups
from core.queues.facts import QueueFacts
from core.queues.read import live_status, load_live_inputs, load_live_status
from tests.core.factories import stored, utc


@pytest.fixture
def support(engine):
    """A 2 h support clock that pauses while waiting on the tasker: w1 waited 09:00–11:00 and was resolved at
    12:00; o1 is open since 10:00."""
    stored(engine,
           models.SlaPolicy(queue="support", priority="normal", resolution_minutes=120,
                            pause_statuses=["waiting_on_tasker"]),
           models.QueueItem(item_id="w1", queue="support", priority="normal", created_at=utc("2026-11-02 08:00"),
                            resolved_at=utc("2026-11-02 12:00"), attributes={}),
           models.QueueItem(item_id="o1", queue="support", priority="normal", created_at=utc("2026-11-02 10:00"),
                            attributes={}),
           models.QueueEvent(item_id="w1", at=utc("2026-11-02 08:00"), status="open"),
           models.QueueEvent(item_id="w1", at=utc("2026-11-02 09:00"), status="waiting_on_tasker"),
           models.QueueEvent(item_id="w1", at=utc("2026-11-02 11:00"), status="in_progress"),
           models.QueueEvent(item_id="w1", at=utc("2026-11-02 12:00"), status="resolved"))
    with engine.begin() as connection:
        rollups.refresh_all(connection)
    return engine


def test_an_item_resolved_after_the_inputs_were_read_leaves_the_live_clocks_at_a_later_minute(support):
    inputs = load_live_inputs(support, utc("2026-11-02 11:30"))
    assert sorted(inputs.items["item_id"]) == ["o1", "w1"]
    later = live_status(inputs, utc("2026-11-02 12:30"))
    assert later["item_id"].tolist() == ["o1"]
    # o1: 150 of its 120 minutes used at 12:30.
    assert later[["state", "clock_minutes"]].values.tolist() == [["breached", 150.0]]
    pd.testing.assert_frame_equal(later.reset_index(drop=True),
                                  load_live_status(support, utc("2026-11-02 12:30")).reset_index(drop=True))


def test_inputs_placed_at_their_own_minute_keep_the_paused_item_resolved_later(support):
    inputs = load_live_inputs(support, utc("2026-11-02 11:30"))
    status = live_status(inputs, utc("2026-11-02 11:30")).set_index("item_id")
    # w1: 240 minutes to its resolution, 120 of them waiting on the tasker; o1: 90 minutes open.
    assert status["clock_minutes"].to_dict() == {"o1": 90.0, "w1": 120.0}


def test_facts_given_the_inputs_count_as_facts_that_read_them(support):
    now = utc("2026-11-02 12:30")
    given = QueueFacts(support, now, inputs=load_live_inputs(support, utc("2026-11-02 11:30")))
    fresh = QueueFacts(support, now)
    window = dict(due_from=utc("2026-11-02 00:00"), due_to=utc("2026-11-03 00:00"))
    pd.testing.assert_frame_equal(given.compliance(**window), fresh.compliance(**window))
    assert given.compliance(**window)[["met", "breached"]].values.tolist() == [[1, 1]]


def test_inputs_cannot_be_placed_before_the_minute_they_were_read(support):
    inputs = load_live_inputs(support, utc("2026-11-02 11:30"))
    with pytest.raises(ValueError):
        live_status(inputs, utc("2026-11-02 11:00"))
