"""Saving an SLA policy recomputes the stored clocks it moves: the same rows a full rebuild would give."""

import pandas as pd
import pytest
from sqlalchemy import select

from core import admin, models, rollups
from core.queues import rollup
from core.queues.facts import QueueFacts
from tests.core.factories import stored, utc

ADMIN = dict(actor="command line")  # an admin (core.people.role_of)


@pytest.fixture
def two_queues(engine):
    """Support (4 h, pauses on waiting_on_tasker) and review (2 h) policies, resolved items of each, roll-ups built.

    r2 waited on the tasker, which pauses no review clock; s1 took 3 h, s2 5 h, r1 1 h, r2 3 h."""
    stored(engine,
           models.SlaPolicy(queue="support", priority="normal", resolution_minutes=240,
                            pause_statuses=["waiting_on_tasker"]),
           models.SlaPolicy(queue="review", priority="normal", resolution_minutes=120),
           *(models.QueueItem(item_id=item_id, queue=queue, priority="normal", created_at=utc(f"2026-11-02 {start}"),
                              resolved_at=utc(f"2026-11-02 {end}"), attributes={})
             for item_id, queue, start, end in [("s1", "support", "08:00", "11:00"), ("s2", "support", "08:00", "13:00"),
                                                ("r1", "review", "09:00", "10:00"), ("r2", "review", "09:00", "12:00")]),
           models.QueueEvent(item_id="r2", at=utc("2026-11-02 09:00"), status="open"),
           models.QueueEvent(item_id="r2", at=utc("2026-11-02 10:00"), status="waiting_on_tasker"),
           models.QueueEvent(item_id="r2", at=utc("2026-11-02 11:00"), status="in_progress"))
    with engine.begin() as connection:
        rollups.refresh_all(connection)
    return engine


def _policy(engine, queue: str) -> models.SlaPolicy:
    with engine.connect() as connection:
        row = connection.execute(select(models.SlaPolicy.__table__).where(models.SlaPolicy.queue == queue)).one()
    return row


def _stored_tables(engine) -> dict:
    """Every row of the clock roll-up's tables, in a stable order."""
    with engine.connect() as connection:
        frames = {table.name: pd.read_sql(select(table), connection) for table in (rollup.clock, rollup.flow,
                                                                                    rollup.sla_day, rollup.seconds, rollup.state)}
    return {name: frame.sort_values(list(frame.columns)).reset_index(drop=True) for name, frame in frames.items()}


def _rebuilt(engine) -> dict:
    """The same tables after a full rebuild under the stored policies."""
    with engine.begin() as connection:
        rollups.refresh(connection, "sla_policies")
    return _stored_tables(engine)


def _met_breached(engine, queue: str) -> tuple[int, int]:
    facts = QueueFacts(engine, utc("2026-11-03 00:00")).narrowed([queue])
    row = facts.compliance(due_from=utc("2026-11-01 00:00"), due_to=utc("2026-11-04 00:00")).iloc[0]
    return int(row["met"]), int(row["breached"])


def test_a_shorter_target_recomputes_that_policys_clocks_only_and_reports_its_progress(two_queues):
    assert _met_breached(two_queues, "support") == (1, 1)
    support = _policy(two_queues, "support")
    seen = []
    admin.update_policy(two_queues, policy_id=support.id, changes={"resolution_minutes": 120},
                        expected_version=support.version, progress=lambda share, text: seen.append((share, text)),
                        **ADMIN)
    assert _met_breached(two_queues, "support") == (0, 2)  # 3 h and 5 h against 2 h
    assert _met_breached(two_queues, "review") == (1, 1)  # untouched: 1 h met, 3 h breached against 2 h
    assert seen[0] == (0.7, "Recomputed the SLA clocks of 2 of 2 items")
    assert seen[-1] == (0.7, "Counting the met and breached targets per day")
    after = _stored_tables(two_queues)
    for name, frame in _rebuilt(two_queues).items():
        pd.testing.assert_frame_equal(after[name], frame)


def test_a_review_clock_that_pauses_now_skips_the_hour_waiting_on_the_tasker(two_queues):
    review = _policy(two_queues, "review")
    with two_queues.begin() as connection:
        assert rollup.refresh_policy_change(connection, rollup.stored_policies(connection)) == 0  # nothing changed
    admin.update_policy(two_queues, policy_id=review.id, changes={"pause_statuses": ["waiting_on_tasker"]},
                        expected_version=review.version, **ADMIN)
    assert _met_breached(two_queues, "review") == (2, 0)  # r2: 3 h less the hour waiting = 2 h, met
    after = _stored_tables(two_queues)
    for name, frame in _rebuilt(two_queues).items():
        pd.testing.assert_frame_equal(after[name], frame)


def test_a_pause_status_no_policy_keeps_recomputes_the_items_that_waited_in_it_in_every_queue(two_queues):
    support = _policy(two_queues, "support")
    flags = lambda: _stored_tables(two_queues)["rollup_queue_clock"].set_index("item_id")["pausable"].to_dict()
    assert flags() == {"r1": False, "r2": True, "s1": False, "s2": False}
    admin.update_policy(two_queues, policy_id=support.id, changes={"pause_statuses": []},
                        expected_version=support.version, **ADMIN)
    assert flags() == {"r1": False, "r2": False, "s1": False, "s2": False}  # r2 is a review item
    after = _stored_tables(two_queues)
    for name, frame in _rebuilt(two_queues).items():
        pd.testing.assert_frame_equal(after[name], frame)


def test_clocks_already_stale_before_the_save_are_all_rebuilt(two_queues):
    support = _policy(two_queues, "support")
    with two_queues.begin() as connection:  # a write that changed a policy without refreshing the clocks
        connection.execute(models.SlaPolicy.__table__.update().where(models.SlaPolicy.queue == "review")
                           .values(resolution_minutes=240))
    admin.update_policy(two_queues, policy_id=support.id, changes={"resolution_minutes": 120},
                        expected_version=support.version, **ADMIN)
    assert _met_breached(two_queues, "review") == (2, 0)
    assert _met_breached(two_queues, "support") == (0, 2)
