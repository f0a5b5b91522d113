"""The command line: clear output, clear one-line errors, exit codes."""

import json
import subprocess
import sys

import pytest

from core.__main__ import main


# 100 items an hour at 180 s each is A = 5 Erlangs; answering 80% within 20 s (DESIGN.md §7, Erlang C by hand):
#   m = 6: C = 130.21 / 221.63 = 0.5875, SL = 1 − 0.5875·e^(−1·20/180) = 0.474
#   m = 7: C = 54.25 / 167.37 = 0.3241,  SL = 1 − 0.3241·e^(−2·20/180) = 0.740
#   m = 8: C = 25.84 / 154.45 = 0.1673,  SL = 1 − 0.1673·e^(−3·20/180) = 0.880  → 8 agents,
#   occupancy 5/8 = 0.625, average wait C·AHT/(m − A) = 0.1673·180/3 = 10.04 s; scheduled = ⌈8 / (1 − shrinkage)⌉.
@pytest.mark.parametrize(("shrinkage", "scheduled"), [(None, 8), ("0.3", 12)])
def test_capacity_prints_the_erlang_c_answer_as_json(capsys, shrinkage, scheduled):
    assert main(["capacity", "--arrivals-per-hour", "100", "--aht-seconds", "180", "--target", "0.8",
                 "--within-seconds", "20", "--format", "json"] + (["--shrinkage", shrinkage] if shrinkage else [])) == 0
    plan = json.loads(capsys.readouterr().out)
    assert set(plan) == {"agents", "scheduled", "service_level", "occupancy", "asa_seconds"}
    assert (plan["agents"], plan["scheduled"], plan["occupancy"]) == (8, scheduled, 0.625)
    assert plan["service_level"] == pytest.approx(0.8801, abs=1e-4)
    assert plan["asa_seconds"] == pytest.approx(10.04, abs=1e-2)


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
