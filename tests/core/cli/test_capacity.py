import json

import pandas as pd
import pytest

from core import timeline
from core.cli import main
from core.queues.read import load_arrivals
from core.workforce import capacity
from core.workforce.handling import load_handled_items, measured_aht
from tests.core.factories import utc


@pytest.fixture
def on_seeded(seeded_engine, monkeypatch):
    """The CLI pointed at the session's seeded demo."""
    monkeypatch.setenv("CROWDPULSE_DATABASE_URL", seeded_engine.url.render_as_string(hide_password=False))
    return seeded_engine


def test_capacity_for_a_queue_prints_one_row_per_hour_of_week_from_its_window(on_seeded, capsys):
    assert main(["capacity", "--queue", "review", "--from", "2026-11-04", "--to", "2026-11-17", "--aht-seconds", "420",
                 "--target", "0.8", "--within-seconds", "3600", "--shrinkage", "0.25", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 168 and set(rows[0]) == {"weekday", "hour", "arrivals_per_hour", "agents", "scheduled",
                                                 "service_level"}
    # A two-week window starting on a Wednesday: every hour of the week occurs twice.
    start, end = utc("2026-11-04 00:00"), utc("2026-11-18 00:00")
    arrivals = capacity.arrivals_by_hour_of_week(load_arrivals(on_seeded, "review", start=start, end=end), end,
                                                 start=start)
    plan = capacity.staffing_by_hour_of_week(arrivals, 420, 0.8, 3600, shrinkage=0.25)
    monday_nine = rows[9]
    assert (monday_nine["weekday"], monday_nine["hour"]) == (0, 9)
    assert monday_nine["arrivals_per_hour"] == arrivals.loc[9, "arrivals"] / 2
    assert [r["scheduled"] for r in rows] == plan["scheduled"].tolist()


def test_capacity_without_an_aht_uses_the_measured_one_and_says_so(on_seeded, capsys):
    assert main(["capacity", "--queue", "review", "--target", "0.8", "--within-seconds", "3600",
                 "--format", "json"]) == 0
    captured = capsys.readouterr()
    end = timeline.data_as_of(on_seeded).normalize() + pd.Timedelta(days=1)
    aht, count = measured_aht(load_handled_items(on_seeded, "review", start=end - pd.Timedelta(days=28), end=end))
    assert f"AHT: measured on {count:,} finished review items, {aht:,.0f} s" in captured.err
    assert len(json.loads(captured.out)) == 168


def test_capacity_needs_a_queue_or_a_rate(on_seeded, capsys):
    assert main(["capacity", "--target", "0.8", "--within-seconds", "20"]) == 2
    assert "--queue" in capsys.readouterr().err
