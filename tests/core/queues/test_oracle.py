"""The pandas reference the roll-up is checked against, itself checked against hand-computed values."""

import math

import pandas as pd
import pytest

from core.errors import UnknownMetric
from tests.core.factories import make_queue_item, queue_items, utc
from tests.core.queues.oracle import (
    backlog_trend,
    escalation_reasons,
    queue_breakdown,
    queue_overview,
    sla_compliance,
    sla_compliance_trend,
)

NOW = utc("2026-11-02 12:00")


def test_compliance_is_met_over_items_whose_target_came_due(status):
    result = sla_compliance(status.reset_index())
    assert result.to_dict("records") == [
        {"compliance": 0.5, "met": 2, "breached": 2, "at_risk": 2, "count": 4}
    ]


def test_compliance_by_queue_is_nan_where_nothing_came_due(status):
    result = sla_compliance(status.reset_index(), by="queue").set_index("queue")
    assert result.loc["review", ["met", "breached", "at_risk", "count"]].tolist() == [2, 2, 2, 4]
    assert result.loc["review", "compliance"] == 0.5
    assert result.loc["support", "count"] == 0 and math.isnan(result.loc["support", "compliance"])


def test_compliance_by_an_unknown_column_is_a_clear_error(status):
    with pytest.raises(UnknownMetric, match="Cannot group by colour"):
        sla_compliance(status, by="colour")


def test_compliance_trend_counts_each_item_on_the_day_it_came_due(status):
    trend = sla_compliance_trend(status.reset_index())
    assert trend["date"].tolist() == [pd.Timestamp("2026-11-01"), pd.Timestamp("2026-11-02")]
    assert trend[["met", "breached", "count"]].values.tolist() == [[1, 0, 1], [1, 2, 3]]
    assert trend["compliance"].tolist() == pytest.approx([1.0, 1 / 3])


def test_backlog_trend_counts_items_open_at_the_end_of_each_day():
    items = queue_items(
        make_queue_item(created_at="2026-10-31 09:00"),
        make_queue_item(created_at="2026-11-01 10:00", resolved_at="2026-11-02 09:00"),
        make_queue_item(created_at="2026-11-02 08:00"),
        make_queue_item(created_at="2026-11-03 05:00"),
        make_queue_item(queue="support", created_at="2026-11-03 01:00", resolved_at="2026-11-03 02:00"),
    )
    trend = backlog_trend(items, "2026-11-01", "2026-11-03")
    assert trend.pivot(index="date", columns="queue", values="open_count").to_dict("list") == {
        "review": [2, 2, 3],
        "support": [0, 0, 0],
    }


def test_escalation_reasons_count_escalated_items_with_missing_reasons_as_unspecified():
    items = queue_items(
        make_queue_item(queue="escalation", escalation_reason="abuse"),
        make_queue_item(queue="escalation", escalation_reason="abuse", resolved_at="2026-11-02 09:00"),
        make_queue_item(queue="escalation", escalation_reason="pay"),
        make_queue_item(queue="escalation"),
        make_queue_item(queue="review", escalation_reason="pay"),
    )
    assert escalation_reasons(items).to_dict("records") == [
        {"escalation_reason": "abuse", "count": 2, "open": 1, "share": 0.5},
        {"escalation_reason": "pay", "count": 1, "open": 1, "share": 0.25},
        {"escalation_reason": "unspecified", "count": 1, "open": 1, "share": 0.25},
    ]


def test_queue_breakdown_per_priority(status):
    table = queue_breakdown(status.reset_index(), "priority", start=utc("2026-11-01 00:00"),
                            end=utc("2026-11-03 00:00"))
    row = table.set_index("priority").loc["normal"]
    # Issue 15: "breached" counts a breached first-response clock too, as the tile does (A, B, C, D and I).
    assert (row["open"], row["breached_open"], row["at_risk"], row["due"]) == (7, 5, 2, 4)
    assert row["compliance"] == 0.5


def test_queue_overview_counts_open_breached_and_at_risk_items(status):
    view = queue_overview(status.reset_index(), NOW, start=utc("2026-11-01 00:00"), end=utc("2026-11-03 00:00"))
    # Open review items A, B, C, D and I have had no first response for over an hour: all five breached.
    assert (view.open_items, view.breached_items, view.at_risk_items) == (7, 5, 2)
    assert (view.resolution["met"], view.resolution["count"], view.resolution["compliance"]) == (2, 4, 0.5)
    assert view.risk["item_id"].tolist() == ["C", "B", "H", "I", "A"]
    assert view.open_by_day["date"].unique().tolist() == [pd.Timestamp("2026-11-01"), pd.Timestamp("2026-11-02")]
