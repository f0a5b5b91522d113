"""Today's attention list: one ranking across breaches, warnings, stuck uploads, alerts and launches."""

import math

import pandas as pd
import pytest

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


def test_a_breach_counts_even_when_the_item_is_listed_elsewhere_but_its_warning_does_not():
    # Issue 15: Today's breaches are every breached clock, as Queues counts them (a stuck upload included).
    entries = attention.sla_entries(_status(), listed_elsewhere=["stuck", "soon"])
    assert entries["title"].tolist() == ["2 support items breached their SLA", "1 support item at 50% of their SLA"]


def test_an_escalation_past_its_first_response_target_is_breached_on_today():
    items = queue_items(make_queue_item(item_id="esc", queue="escalation", priority="high",
                                        created_at="2026-11-02 10:00"))
    policy = make_policy(queue="escalation", priority="high", resolution_minutes=48 * 60, first_response_minutes=120)
    entries = attention.sla_entries(sla_status(items, policies(policy), NOW))
    # Created 10 h before NOW with a 2 h first-response target: 8 h overdue, its resolution clock still fine.
    assert entries[["title", "detail", "link"]].values.tolist() == [[
        "1 escalation item breached their SLA", "most overdue by 8.0 h; priorities: high 1",
        {"queues_breach_tab": "Breached, still open", "queue": "escalation"}]]


@pytest.mark.parametrize(("severity", "affected", "score"), [
    (100, 1, 100.0), (100, 10, 200.0), (70, 100, 210.0), (74, 0, 74.0), (40, 1000, 160.0)])
def test_score_is_severity_times_one_plus_log10_of_the_people_or_items_affected(severity, affected, score):
    assert attention.attention_score([severity], [affected])[0] == pytest.approx(score)


def test_two_dozen_tired_taskers_rank_above_one_item_at_75_percent():
    fatigue = pd.DataFrame({"reasons": ["10+ h a day for 15 days"] * 24, "region": ["Europe"] * 24})
    ranked = attention.rank(attention.sla_entries(_status()), attention.fatigue_entries(fatigue))
    assert ranked["title"].tolist() == ["24 taskers show fatigue", "2 support items breached their SLA",
                                        "1 support item at 75% of their SLA", "1 support item at 50% of their SLA"]
    # 70 × (1 + log10 24), 100 × (1 + log10 2), 74 × 1, 40 × 1
    assert ranked["score"].round(1).tolist() == [166.6, 130.1, 74.0, 40.0]


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


def test_a_confused_project_counts_the_taskers_who_worked_on_it_since_the_change():
    alerts = pd.DataFrame({"project_id": ["p03"], "name": ["Cedar"], "change_kind": ["guideline update v3.0"],
                           "change_at": [pd.Timestamp("2026-11-10", tz="UTC")], "recent_tasks": [12_541],
                           "reasons": ["rejections 9% → 15%"], "severity": [2.0]})
    asked = []
    entry = attention.confusion_entries(alerts, lambda project, since: asked.append((project, since)) or 240).iloc[0]
    assert asked == [("p03", pd.Timestamp("2026-11-10", tz="UTC"))]
    assert (entry["count"], entry["unit"], entry["detail"]) == (240, "taskers",
                                                                "rejections 9% → 15%; 240 taskers worked on it since")
    assert entry["score"] == pytest.approx(84 * (1 + math.log10(240)))
    assert entry["link"] == {"workforce_tab": "Confusion", "project": "p03"}
    # Without a way to count taskers, the tasks count by the hundred.
    assert attention.confusion_entries(alerts).iloc[0]["score"] == pytest.approx(84 * (1 + math.log10(125.41)))
