"""Several app servers on one PostgreSQL database: a write through one shows in the other on its next rerun.

Two `streamlit run` processes share a database and a cookie secret, as replicas behind a load
balancer would. Each keeps its own caches, keyed on the data version stored in the database,
so a write anywhere (a snapshot published through server A's page, an import from the CLI)
refreshes what server B shows the next time its script reruns. The sessions are real
websocket sessions (scripts/loadtest.py's client), not AppTests.
"""

import asyncio
import importlib.util
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from streamlit.proto.WidgetStates_pb2 import WidgetState

from tests.conftest import free_port, wait_until_healthy
from ui.warmup import run_alone

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

PROJECT_ROOT = Path(__file__).resolve().parents[1]
RUN_TIMEOUT = 120


def _load_client():
    spec = importlib.util.spec_from_file_location("loadtest", PROJECT_ROOT / "scripts" / "loadtest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


loadtest = _load_client()


@pytest.fixture
def shared_database(engine):
    """The URL of a fresh PostgreSQL database with 20 taskers on 2 projects over the week to Sun 22 Nov 2026."""
    from core.ingest import importer as ingest
    from core import models
    from core.db import bump_data_version, session_scope

    members = pd.DataFrame({"member_id": [f"m{i:03d}" for i in range(1, 21)], "country": ["BR", "IN"] * 10,
                            "onboarded_at": ["2026-10-01T09:00:00Z"] * 20})
    projects = pd.DataFrame({"project_id": ["p01", "p02"], "name": ["Atlas Image Labelling", "Beacon Search"]})
    days = pd.date_range("2026-11-16", "2026-11-22").strftime("%Y-%m-%d")
    activity = pd.DataFrame([{"member_id": m, "project_id": "p01" if i % 2 else "p02", "day": d,
                              "tasks_submitted": 20 + i, "tasks_approved": 18, "handle_seconds": 1200,
                              "active_minutes": 60}
                             for i, m in enumerate(members["member_id"]) for d in days[:2]])
    for entity, frame in (("members", members), ("projects", projects), ("activity", activity)):
        result = ingest.import_frame(engine, entity, frame, source="test")
        assert result.rejected == 0, result.rejects
    with session_scope(engine) as session:
        session.add(models.SlaPolicy(queue="review", priority="normal", first_response_minutes=240,
                                     resolution_minutes=1440))
        bump_data_version(session)
    return engine.url.render_as_string(hide_password=False)


@pytest.fixture
def two_servers(shared_database, tmp_path):
    """Base URLs of two `streamlit run` replicas on one database and one cookie secret."""
    cookie_secret = secrets.token_hex(32)
    # Streamlit refuses the secret as a CLI flag: it comes from the environment (or config.toml).
    env = {**os.environ, "CROWDPULSE_DATABASE_URL": shared_database, "STREAMLIT_SERVER_COOKIE_SECRET": cookie_secret}
    servers, bases = [], []
    try:
        for name in ("a", "b"):
            port = free_port()
            log = tmp_path / f"server-{name}.log"
            command = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
                       "--server.address", "127.0.0.1", "--server.port", str(port),
                       "--server.fileWatcherType", "none",
                       "--browser.gatherUsageStats", "false"]
            with open(log, "w") as handle:
                servers.append((subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdout=handle,
                                                 stderr=subprocess.STDOUT), log))
            bases.append(f"http://127.0.0.1:{port}")
        for (server, log), base in zip(servers, bases):
            wait_until_healthy(base, server, log, timeout=90)
        yield bases
    finally:
        for server, _log in servers:
            server.terminate()
        for server, _log in servers:
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def of_type(session, kind: str) -> list:
    """The elements of one kind (metric, alert, button, selectbox…) the session's last run drew."""
    return [getattr(e, kind) for e in session.elements if e.WhichOneof("type") == kind]


def metric(session, label: str) -> str:
    """The value shown on the KPI tile called `label`."""
    return next(m.body for m in of_type(session, "metric") if m.label == label)


def widget(session, kind: str, key: str):
    """The widget of a kind whose user key is `key`."""
    return next(w for w in of_type(session, kind) if w.id.endswith(f"-{key}"))


async def opened(base: str, page: str):
    """A new session on `page`, after its first run."""
    session = loadtest.Session(base, page)
    await session.open(30)
    run = await session.run(RUN_TIMEOUT)
    assert run.errors == []
    return session


def test_an_sla_target_saved_on_one_server_shows_on_the_other_at_its_next_rerun(two_servers):
    server_a, server_b = two_servers

    async def scenario():
        reader = await opened(server_b, "settings")
        assert widget(reader, "number_input", "settings_policy_resolution").default == 24.0
        writer = await opened(server_a, "settings")
        submit = next(b for b in of_type(writer, "button") if b.is_form_submitter)
        run = await writer.run(RUN_TIMEOUT, widgets=[
            WidgetState(id=widget(writer, "number_input", "settings_policy_resolution").id, double_value=36.0),
            WidgetState(id=submit.id, trigger_value=True)])
        assert run.errors == []
        for _attempt in range(RUN_TIMEOUT * 2):  # the save runs in the background: rerun as its progress bar would
            if "Saved the review / normal targets." in [a.body for a in of_type(writer, "alert")]:
                break
            await asyncio.sleep(0.5)
            assert (await writer.run(RUN_TIMEOUT)).errors == []
        assert "Saved the review / normal targets." in [a.body for a in of_type(writer, "alert")]

        run = await reader.run(RUN_TIMEOUT)  # server B cached the policies at version N; now it reads N+1
        assert run.errors == []
        assert widget(reader, "number_input", "settings_policy_resolution").default == 36.0
        await asyncio.gather(reader.close(), writer.close())

    run_alone(scenario())


def test_a_snapshot_published_on_one_server_shows_on_the_other_at_its_next_rerun(two_servers):
    server_a, server_b = two_servers

    async def scenario():
        reader = await opened(server_b, "weekly")
        assert "No published weeks yet — publish this one above." in [a.body for a in of_type(reader, "alert")]
        writer = await opened(server_a, "weekly")
        click = WidgetState(id=widget(writer, "button", "weekly_publish").id, trigger_value=True)
        run = await writer.run(RUN_TIMEOUT, widgets=[click])
        assert run.errors == []
        # Weekly opens on the last complete week (the data ends on Friday of W47)
        assert any(a.body.startswith("Published snapshot #1 for 2026-W46 ") for a in of_type(writer, "alert")), \
            [a.body for a in of_type(writer, "alert")]

        run = await reader.run(RUN_TIMEOUT)  # server B's caches hold the old version until now
        assert run.errors == []
        assert "No published weeks yet — publish this one above." not in [a.body for a in of_type(reader, "alert")]
        assert widget(reader, "selectbox", "weekly_snapshot").options[0].startswith("2026-W46")
        await asyncio.gather(reader.close(), writer.close())

    run_alone(scenario())


def test_an_import_from_the_command_line_shows_on_both_servers_at_their_next_rerun(two_servers, engine):
    from core.ingest import importer as ingest

    async def scenario():
        sessions = [await opened(base, "data") for base in two_servers]
        assert [metric(s, "Activity") for s in sessions] == ["40", "40"]
        new_rows = pd.DataFrame({"member_id": ["m001", "m002", "m003"], "project_id": ["p01"] * 3,
                                 "day": ["2026-11-20"] * 3, "tasks_submitted": [10, 12, 14]})
        result = ingest.import_frame(engine, "activity", new_rows, source="cli")
        assert (result.inserted, result.rejected) == (3, 0)
        for session in sessions:
            assert (await session.run(RUN_TIMEOUT)).errors == []
        assert [metric(s, "Activity") for s in sessions] == ["43", "43"]
        await asyncio.gather(*(s.close() for s in sessions))

    run_alone(scenario())
