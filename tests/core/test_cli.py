"""The command line: clear output, clear one-line errors, exit codes."""

import json
import subprocess
import sys

from core.__main__ import main


def test_capacity_prints_the_json_contract(capsys):
    assert main(["capacity", "--arrivals-per-hour", "100", "--aht-seconds", "180", "--target", "0.8",
                 "--within-seconds", "20", "--format", "json"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert set(plan) == {"agents", "scheduled", "service_level", "occupancy", "asa_seconds"}
    assert plan["agents"] >= 6 and plan["service_level"] >= 0.8


def test_seed_demo_if_empty_leaves_a_populated_database_alone(seeded_engine, capsys, monkeypatch):
    monkeypatch.setenv("CROWDPULSE_DATABASE_URL", seeded_engine.url.render_as_string(hide_password=False))
    assert main(["seed-demo", "--if-empty"]) == 0
    assert "not seeding" in capsys.readouterr().out


def test_unknown_metric_fails_with_one_line_on_stderr(seeded_engine):
    url = seeded_engine.url.render_as_string(hide_password=False)
    result = subprocess.run([sys.executable, "-m", "core", "metrics", "no-such-metric"], capture_output=True,
                            text=True, env={"CROWDPULSE_DATABASE_URL": url, "PATH": "/usr/bin:/bin"})
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0 and "no-such-metric" in result.stderr
