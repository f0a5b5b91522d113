"""`python -m core` starts quickly: each command imports only what it needs (issue 20, DESIGN §9)."""

import json
import os
import subprocess
import sys

import pytest

# Run `python -m core ARGS` in a fresh interpreter, then say which of the named modules it had imported.
PROBE = """
import json, runpy, sys
names, sys.argv = json.loads(sys.argv[1]), ["python -m core", *json.loads(sys.argv[2])]
try:
    runpy.run_module("core", run_name="__main__", alter_sys=True)
except SystemExit as exit:
    assert not exit.code, exit.code
print(json.dumps(sorted(name for name in names if name in sys.modules)))
"""
HEAVY = ["pandas", "numpy", "sqlalchemy", "sqlmodel", "altair", "streamlit", "alembic", "holidays"]
OTHER_AREAS = ["core.queues.facts", "core.health.active", "core.workforce.read", "alembic", "holidays"]


def imported_by(args: list[str], names: list[str], database_url: str | None = None) -> list[str]:
    """Which of `names` a fresh `python -m core ARGS` had imported by the time it finished."""
    env = dict(os.environ, **({"CROWDPULSE_DATABASE_URL": database_url} if database_url else {}))
    done = subprocess.run([sys.executable, "-c", PROBE, json.dumps(names), json.dumps(args)], env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("args", [["--help"], ["metrics", "--help"], ["import", "--help"]])
def test_help_imports_no_data_library(args):
    assert imported_by(args, HEAVY) == []


def test_a_survey_metric_imports_neither_other_areas_nor_migrations(engine):
    url = engine.url.render_as_string(hide_password=False)
    assert imported_by(["metrics", "nps", "--format", "json"], OTHER_AREAS + ["core.feedback.surveys"], url) == [
        "core.feedback.surveys"]


def test_a_survey_metric_does_not_import_the_messages_metrics(engine):
    url = engine.url.render_as_string(hide_password=False)
    scorers = ["core.feedback.messages", "core.feedback.voice"]
    assert imported_by(["metrics", "csat", "--format", "json"], scorers, url) == []


@pytest.mark.parametrize("name", ["active", "workforce"])
def test_a_metric_on_sqlite_does_not_import_the_postgresql_dialect(engine, name):
    if engine.dialect.name != "sqlite":
        pytest.skip("on PostgreSQL the engine imports its own dialect")
    url = engine.url.render_as_string(hide_password=False)
    assert imported_by(["metrics", name, "--format", "json"], ["sqlalchemy.dialects.postgresql"], url) == []
