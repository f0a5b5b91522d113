"""Packed per-member days: what is packed sums back to the rows' totals per member."""

import numpy as np
import pandas as pd

from core.workforce.daypack import member_sums, pack_day
from core.workforce.quality import COUNTS


def _day(rows: list[tuple]) -> pd.DataFrame:
    """(member_id, worked, submitted, approved, rejected, handle_seconds) rows; other measures 0."""
    frame = pd.DataFrame(rows, columns=["member_id", "worked", "tasks_submitted", "tasks_approved", "tasks_rejected",
                                        "handle_seconds"])
    for name in COUNTS:
        if name not in frame:
            frame[name] = 0.0 if name == "active_minutes" else 0
    return frame


def test_members_are_summed_over_days_and_days_with_a_submitted_task_counted():
    first = pack_day(_day([("m2", 1, 10, 8, 2, 300.5), ("m1", 0, 0, 0, 0, 0.0)]))
    second = pack_day(_day([("m1", 1, 4, 3, 1, 120.25), ("m2", 1, 5, 5, 0, 99.5), ("m3", 1, 1, 0, 1, 7.0)]))
    assert first[0] == b"m1\nm2"  # ids sorted, newline-separated
    sums = member_sums([first[0], second[0]], [first[1], second[1]], [2, 3])
    assert sums["member_id"].tolist() == ["m1", "m2", "m3"]
    assert sums["submitted"].tolist() == [4, 15, 1]
    assert sums["approved"].tolist() == [3, 13, 0]
    assert sums["rejected"].tolist() == [1, 2, 1]
    assert sums["handle_seconds"].tolist() == [120.25, 400.0, 7.0]
    assert sums["active_days"].tolist() == [1, 2, 1]  # m1's first day had a row but nothing submitted
    assert sums["submitted"].dtype == np.int64


def test_no_days_give_an_empty_table():
    sums = member_sums([], [], [])
    assert len(sums) == 0 and list(sums.columns) == ["member_id", *COUNTS.values(), "active_days"]
