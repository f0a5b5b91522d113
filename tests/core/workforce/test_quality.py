"""The workforce table: volumes and rates per tasker, project or vendor."""

import math

import pandas as pd
import pytest

from core.workforce.quality import matching_rows, workforce_table
from tests.core.factories import activity, make_activity


@pytest.fixture
def two_taskers():
    """Two taskers over two days and two projects; m2 only skipped on the first day."""
    return activity(
        make_activity(member_id="m1", project_id="p1", day="2026-11-01", tasks_submitted=10, tasks_approved=8,
                      tasks_rejected=2, tasks_too_fast=1, handle_seconds=600, active_minutes=20, questions=1),
        make_activity(member_id="m1", project_id="p2", day="2026-11-02", tasks_submitted=20, tasks_approved=18,
                      tasks_rejected=0, tasks_skipped=5, handle_seconds=1200, active_minutes=30),
        make_activity(member_id="m2", project_id="p1", day="2026-11-01", tasks_submitted=0, tasks_approved=0,
                      tasks_rejected=0, tasks_skipped=2, handle_seconds=0, active_minutes=5),
        make_activity(member_id="m2", project_id="p1", day="2026-11-02", tasks_submitted=30, tasks_approved=20,
                      tasks_rejected=10, handle_seconds=2700, active_minutes=60),
    )


def test_workforce_table_per_tasker(two_taskers):
    result = workforce_table(two_taskers).set_index("member_id")
    assert result.loc["m1", ["submitted", "approved", "rejected", "skipped", "too_fast", "active_days"]].tolist() == [
        30, 26, 2, 5, 1, 2
    ]
    assert result.loc["m1", ["quality", "aht_seconds", "productivity", "occupancy", "skip_rate", "too_fast_rate"]
                      ].tolist() == pytest.approx([26 / 28, 60.0, 36.0, 0.6, 5 / 35, 1 / 30])
    assert result.loc["m2", ["quality", "aht_seconds", "productivity", "occupancy", "skip_rate", "too_fast_rate"]
                      ].tolist() == pytest.approx([2 / 3, 90.0, 30 / (65 / 60), 2700 / 3900, 2 / 32, 0.0])
    assert result.loc["m2", "active_days"] == 1


def test_workforce_table_per_project_counts_members_and_days(two_taskers):
    result = workforce_table(two_taskers, by="project_id")
    assert result[["project_id", "submitted", "members", "active_days"]].values.tolist() == [
        ["p1", 40, 2, 2],
        ["p2", 20, 1, 1],
    ]
    assert result["quality"].tolist() == pytest.approx([0.7, 1.0])
    assert result["aht_seconds"].tolist() == pytest.approx([82.5, 60.0])


def test_workforce_table_rates_are_nan_without_a_denominator():
    result = workforce_table(activity(make_activity(tasks_submitted=0, tasks_approved=0, tasks_rejected=0,
                                                    handle_seconds=0, active_minutes=0)))
    row = result.iloc[0]
    assert all(math.isnan(row[name]) for name in ("quality", "aht_seconds", "productivity", "occupancy", "skip_rate"))
    assert row["active_days"] == 0


def test_matching_rows_filters_by_text_in_any_label_and_by_volume(two_taskers):
    table = workforce_table(two_taskers.assign(vendor=["Acme BPO", "Acme BPO", None, None]), by="vendor")
    assert table["vendor"].tolist() == ["Acme BPO", "direct"]
    assert matching_rows(table, "acme")["vendor"].tolist() == ["Acme BPO"]
    assert matching_rows(table, min_submitted=31)["vendor"].tolist() == []
    assert matching_rows(table, "DIRECT", min_submitted=30)["vendor"].tolist() == ["direct"]
