"""Every `python -m core metrics` command prints, byte for byte, what it printed before its start-up was trimmed
(issue 20): stdout and the window line on stderr, in each format, on the tiny demo (seed 7).

The expected files in metric_outputs/ were printed by main at 831788b, before any import moved.
"""

from pathlib import Path

import pytest

from core.cli import main

EXPECTED = Path(__file__).parent / "metric_outputs"
METRICS = ["first_response", "resolution", "sla", "backlog", "active", "funnel", "retention", "churn", "sentiment",
           "nps", "csat", "themes", "workforce"]


@pytest.mark.parametrize("fmt", ["table", "json", "csv"])
@pytest.mark.parametrize("name", METRICS)
def test_a_metric_prints_what_it_printed_before(seeded_engine, monkeypatch, capsys, name, fmt):
    if seeded_engine.dialect.name != "sqlite":
        pytest.skip("printed on SQLite; PostgreSQL sums floats in another order (last-digit differences) "
                    "and breaks theme ties otherwise")
    monkeypatch.setenv("CROWDPULSE_DATABASE_URL", seeded_engine.url.render_as_string(hide_password=False))
    assert main(["metrics", name, "--format", fmt]) == 0
    out, err = capsys.readouterr()
    assert out + "--- stderr\n" + err == (EXPECTED / f"{name}.{fmt}").read_text()
