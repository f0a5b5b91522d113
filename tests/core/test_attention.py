"""Today's attention list: one ranking across breaches, warnings, stuck uploads, alerts and launches."""

import pandas as pd

from core import attention
from core.queues.clock import sla_status
from tests.core.factories import make_policy, make_queue_item, policies, queue_items

NOW = pd.Timestamp("2026-11-02 20:00", tz="UTC")


def _status():
    items = queue_items(
        make_queue_item(item_id="late", queue="support", created_at="2026-11-02 08:00"),          # 12 h of 4 h
        make_queue_item(item_id="soon", queue="support", created_at="2026-11-02 16:30"),          # 3.5 h of 4 h
        make_queue_item(item_id="half", queue="support", created_at="2026-11-02 17:50"),          # 2h10 of 4 h
        make_queue_item(item_id="fine", queue="support", created_at="2026-11-02 19:30"),
        make_queue_item(item_id="stuck", queue="support", created_at="2026-11-02 09:00"),
    )
    return sla_status(items, policies(make_policy(queue="support", priority="normal", resolution_minutes=240, first_response_minutes=None)), NOW)


def test_breached_items_rank_above_items_about_to_breach():
    entries = attention.rank(attention.sla_entries(_status()))
    assert entries["title"].tolist() == ["2 support items breached their SLA", "1 support item at 75% of their SLA",
                                         "1 support item at 50% of their SLA"]
    assert entries.iloc[0]["detail"] == "most overdue by 8.0 h; priorities: normal 2"
    assert entries.iloc[1]["detail"] == "next breach in 30 min"


def test_items_listed_elsewhere_are_not_counted_twice():
    entries = attention.sla_entries(_status(), listed_elsewhere=["stuck"])
    assert entries.iloc[0]["title"] == "1 support item breached their SLA"


def test_launch_entries_only_for_unready_launches_within_two_weeks():
    readiness = pd.DataFrame({"project": ["Harbor", "Grove", "Far"], "days_to_launch": [7.0, -10.0, 40.0],
                              "resources": [3, 3, 3], "ready": [0, 2, 0], "not_ready": [3, 1, 3]})
    entries = attention.launch_entries(readiness)
    assert entries[["title", "detail"]].values.tolist() == [["Harbor launches in 7 days", "0 of 3 guides/FAQs/SOPs ready"]]


def test_sentiment_drop_entry_states_the_change_in_points():
    drops = pd.DataFrame({"theme": ["payments"], "baseline_net": [28.0], "recent_net": [-12.0], "change": [-40.0],
                          "recent_count": [165]})
    entry = attention.sentiment_entries(drops).iloc[0]
    assert entry["title"] == "Sentiment about payments fell 40 points"
    assert entry["detail"] == "net +28 → -12 over the last 7 days (165 messages)"


def test_empty_inputs_give_an_empty_list_with_the_columns():
    assert attention.rank().columns.tolist() == attention.COLUMNS
