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


def _run_cli(url: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "core", *args], capture_output=True, text=True,
                          env={"CROWDPULSE_DATABASE_URL": url, "PATH": "/usr/bin:/bin"}, timeout=120)


@pytest.mark.parametrize("command", [["init-db"], ["metrics", "active"], ["report", "weekly"]])
def test_a_corrupt_sqlite_file_is_one_line_that_says_what_to_do(tmp_path, command):
    broken = tmp_path / "crowdpulse.db"
    broken.write_bytes(b"not a database, just text that a crash left behind\n" * 200)
    result = _run_cli(f"sqlite:///{broken}", *command)
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr, result.stderr
    assert result.stderr.startswith(f"error: The SQLite file {broken} is damaged or is not a SQLite database: "
                                    "restore it from a backup")


def test_postgresql_that_is_not_answering_is_one_line_without_the_password(tmp_path):
    import socket

    with socket.socket() as probe:  # a port nothing listens on once this closes
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = _run_cli(f"postgresql+psycopg://crowdpulse:s3cret@127.0.0.1:{port}/crowdpulse", "metrics", "active")
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr, result.stderr
    assert result.stderr.startswith(f"error: The PostgreSQL database crowdpulse on 127.0.0.1:{port} is not answering: "
                                    "start the database server")
    assert "s3cret" not in result.stderr


def test_a_database_without_tables_says_to_run_init_db(tmp_path):
    result = _run_cli(f"sqlite:///{tmp_path / 'new.db'}", "metrics", "active")
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "run `python -m core init-db`" in result.stderr, result.stderr


def test_a_bug_keeps_its_traceback(monkeypatch):
    from core.cli import metrics

    def broken(_args):
        raise KeyError("a bug")

    monkeypatch.setattr(metrics, "print_metric", broken)
    with pytest.raises(KeyError):
        main(["metrics", "active"])
