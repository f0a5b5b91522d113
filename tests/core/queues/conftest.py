"""Fixtures shared by the queue tests: review items at every SLA state and their clocks at NOW."""

import pytest

from core.queues.clock import sla_status
from tests.core.factories import make_policy, make_queue_item, policies, queue_items, utc

NOW = utc("2026-11-02 12:00")


@pytest.fixture
def sla_items():
    """Review items at every SLA state (8 h target), plus support items with and without a target."""
    return queue_items(
        make_queue_item(item_id="A", created_at="2026-11-02 08:00"),
        make_queue_item(item_id="B", created_at="2026-11-02 05:00"),
        make_queue_item(item_id="C", created_at="2026-11-02 04:00"),
        make_queue_item(item_id="D", created_at="2026-11-02 02:00"),
        make_queue_item(item_id="E", created_at="2026-11-02 01:00", resolved_at="2026-11-02 06:00"),
        make_queue_item(item_id="F", created_at="2026-11-02 00:00", resolved_at="2026-11-02 09:00"),
        make_queue_item(item_id="G", queue="support", created_at="2026-11-02 11:00"),
        make_queue_item(item_id="H", queue="support", created_at="2026-11-02 11:00", due_at="2026-11-02 13:00"),
        make_queue_item(item_id="I", created_at="2026-11-02 06:30"),
        make_queue_item(item_id="J", created_at="2026-11-01 10:00", resolved_at="2026-11-01 12:00"),
    )


@pytest.fixture
def status(sla_items):
    """SLA status of `sla_items` at NOW under one review/normal policy of 480 minutes."""
    return sla_status(sla_items, policies(make_policy(resolution_minutes=480)), NOW).set_index("item_id")
