"""Shared fixtures: a fresh database per test, a seeded one per session, PostgreSQL on request.

By default every database is a temporary SQLite file. With `--postgres` the same fixtures
point at a throwaway PostgreSQL 15 server that this file starts and stops itself.
"""

import datetime as dt
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
import weakref
from pathlib import Path

import pytest
from sqlalchemy import Engine, event

# The server helper is shared with the bench's PostgreSQL run; free_port is also used for Streamlit servers.
from bench.postgres import PG_VERSION, PostgresServer, find_postgres_bin, free_port  # noqa: F401

SESSION_DATABASE = "crowdpulse_test"
TEMPLATE_DATABASE = "crowdpulse_template"
DATABASE_ENV = "CROWDPULSE_DATABASE_URL"
on_ci = bool(os.environ.get("CI"))
DEMO_ANCHOR = dt.datetime(2026, 11, 20, 12, tzinfo=dt.UTC)
# The present the seeded community is looked at from (core.timeline.present), whatever the wall clock says;
# servers the tests start inherit it.
os.environ.setdefault("CROWDPULSE_NOW", DEMO_ANCHOR.isoformat())
# What CrowdPulse writes to the system temp folder (rejects CSVs, bench scratch, the PostgreSQL cluster).
TEMP_LEFTOVERS = "crowdpulse-*"


def pytest_addoption(parser):
    parser.addoption(
        "--postgres", action="store_true", default=False,
        help="run the database fixtures against a throwaway PostgreSQL 15 server",
    )


def pytest_collection_modifyitems(config, items):
    if config.getoption("--postgres"):
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL: run pytest with --postgres")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


def is_xdist_worker(config) -> bool:
    """True in a pytest-xdist worker process, False in the controller or a plain run."""
    return hasattr(config, "workerinput")


def temp_leftovers() -> set[str]:
    """Names of CrowdPulse files and folders in the system temp folder now."""
    return {path.name for path in Path(tempfile.gettempdir()).glob(TEMP_LEFTOVERS)}


def pytest_sessionstart(session):
    if not is_xdist_worker(session.config):  # the controller sees every worker's files at the end
        session.config.stash[_temp_before] = temp_leftovers()


@pytest.hookimpl(trylast=True)  # after the session fixtures (the PostgreSQL cluster's folder) are torn down
def pytest_sessionfinish(session, exitstatus):
    before = session.config.stash.get(_temp_before, None)
    if before is None:
        return
    left = sorted(temp_leftovers() - before)
    session.config.stash[_temp_left] = left
    if left and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    """Collect each xdist worker's PostgreSQL timings: workers do not share the controller's stash."""
    timings = getattr(node, "workeroutput", {}).get("postgres_timings")
    if timings:
        node.config.stash.setdefault(_worker_postgres_timings, {})[node.gateway.id] = timings


def pytest_terminal_summary(terminalreporter, config):
    servers = dict(config.stash.get(_worker_postgres_timings, {}))
    if config.stash.get(_postgres_timings, None):
        servers["this process"] = config.stash[_postgres_timings]
    for where, timings in sorted(servers.items()):
        terminalreporter.write_line(
            f"PostgreSQL test server ({where}): " + ", ".join(f"{k} {v:.2f}s" for k, v in timings.items())
        )
    left = config.stash.get(_temp_left, None)
    if left:
        terminalreporter.write_line(
            f"ERROR: tests left {len(left)} file(s) in {tempfile.gettempdir()}: {', '.join(left)} "
            "(write them under tmp_path, e.g. `core import --rejects-out`)", red=True, bold=True)


def importorskip_hides_a_tool(report) -> bool:
    """True for a skip made by `pytest.importorskip` when CI is set, where every tool must be present."""
    return on_ci and report.skipped and "could not import" in str(report.longrepr)


def _fail_instead_of_skip(report) -> None:
    reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
    report.outcome = "failed"
    report.longrepr = f"{reason} (CI is set, so this is an error, not a skip)"


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector):
    outcome = yield
    report = outcome.get_result()
    if importorskip_hides_a_tool(report):
        _fail_instead_of_skip(report)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if importorskip_hides_a_tool(report):
        _fail_instead_of_skip(report)


def missing_tool(reason: str):
    """Skip on a laptop, fail on CI, where every tool must be present."""
    if on_ci:
        pytest.fail(f"{reason} (CI is set, so this is an error, not a skip)", pytrace=False)
    pytest.skip(reason)


def wait_until_healthy(base: str, server: subprocess.Popen, log_path: Path, timeout: float = 60.0) -> None:
    """Poll a `streamlit run` server's /_stcore/health until it answers; fail with its log if it dies or hangs."""
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"streamlit exited with {server.returncode}:\n{log_path.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.25)
    pytest.fail(f"streamlit not healthy after {timeout:.0f}s:\n{log_path.read_text()[-3000:]}")


# ---------------------------------------------------------------- PostgreSQL server

_postgres_timings = pytest.StashKey[dict]()
_worker_postgres_timings = pytest.StashKey[dict]()
_temp_before = pytest.StashKey[set]()
_temp_left = pytest.StashKey[list]()


@pytest.fixture(scope="session")
def postgres_server(request):
    """A PostgreSQL 15 server for this test session, stopped and deleted at the end."""
    bin_dir = find_postgres_bin()
    if bin_dir is None:
        missing_tool(f"PostgreSQL {PG_VERSION} server binaries (initdb, pg_ctl) not found; "
                     f"install postgresql-{PG_VERSION} to run the --postgres pass")
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            missing_tool("running as root but there is no `postgres` user to own the test cluster")

    base_dir = Path(tempfile.mkdtemp(prefix="crowdpulse-pg-"))
    # A fixed port when several people share the machine (each their own), else any free one.
    server = PostgresServer(bin_dir=bin_dir, base_dir=base_dir,
                            port=int(os.environ.get("CROWDPULSE_TEST_PG_PORT") or free_port()))
    timings = request.config.stash.setdefault(_postgres_timings, {})
    if is_xdist_worker(request.config):
        request.config.workeroutput["postgres_timings"] = timings  # sent to the controller at the end
    started = False
    try:
        t0 = time.perf_counter()
        server.initdb()
        t1 = time.perf_counter()
        server.start()
        started = True
        t2 = time.perf_counter()
        server.execute(f"CREATE DATABASE {SESSION_DATABASE}")
        timings.update(initdb=t1 - t0, start=t2 - t1)
        yield server
    finally:
        if started:
            t3 = time.perf_counter()
            server.stop()
            timings["stop"] = time.perf_counter() - t3
        shutil.rmtree(base_dir, ignore_errors=True)


# ---------------------------------------------------------------- databases

@pytest.fixture(scope="session", autouse=True)
def database_url(request, tmp_path_factory):
    """The session database URL (temp SQLite, or PostgreSQL with --postgres), exported for the app."""
    if request.config.getoption("--postgres"):
        url = request.getfixturevalue("postgres_server").url(SESSION_DATABASE)
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('session-db') / 'crowdpulse.db'}"
    # AppTest runs the app in this process; the app reads the URL from the environment.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(DATABASE_ENV, url)
        yield url


@pytest.fixture(scope="session")
def _migrated_template(request, tmp_path_factory):
    """An empty database at the newest migration that each test's database is copied from."""
    from core.db import init_db, make_engine

    if request.config.getoption("--postgres"):
        server = request.getfixturevalue("postgres_server")
        server.execute(f"CREATE DATABASE {TEMPLATE_DATABASE}")
        url = server.url(TEMPLATE_DATABASE)
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('template-db') / 'template.db'}"
    template = make_engine(url)
    init_db(template)
    # PostgreSQL refuses to copy a template someone is connected to; SQLite folds its WAL
    # back into the main file when the last connection closes.
    template.dispose()
    return url


@pytest.fixture
def engine(request, _migrated_template, tmp_path):
    """A fresh, empty, fully migrated database of its own for one test."""
    from core.db import make_engine

    if request.config.getoption("--postgres"):
        server = request.getfixturevalue("postgres_server")
        name = f"test_{uuid.uuid4().hex[:16]}"
        server.execute(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE_DATABASE} STRATEGY FILE_COPY")
        test_engine = make_engine(server.url(name))
        try:
            yield test_engine
        finally:
            test_engine.dispose()
            server.execute(f"DROP DATABASE {name} WITH (FORCE)")
    else:
        path = tmp_path / "crowdpulse.db"
        shutil.copyfile(_migrated_template[len("sqlite:///"):], path)
        test_engine = make_engine(f"sqlite:///{path}")
        try:
            yield test_engine
        finally:
            # Hundreds of migrated copies would otherwise stay in pytest's temp root (433 MB a pass).
            dispose_engines_made_during_the_test()
            for leftover in (path, *(path.with_name(path.name + suffix) for suffix in ("-wal", "-shm", "-journal"))):
                leftover.unlink(missing_ok=True)


@pytest.fixture(scope="session")
def seeded_engine(database_url):
    """The session database with the tiny demo scenario (seed 7); treat it as read-only."""
    from core.db import init_db, is_empty, make_engine
    from core.demo import seed_demo

    session_engine = make_engine(database_url)
    init_db(session_engine)
    if is_empty(session_engine):
        # a fixed anchor: the same community in every run, whatever the day (default: this hour)
        seed_demo(session_engine, scale="tiny", seed=7, anchor=DEMO_ANCHOR)
    yield session_engine
    session_engine.dispose()


# Every engine that connected during the current test: the test's own, the CLI's, the app's cached one.
_engines_in_use: "weakref.WeakSet[Engine]" = weakref.WeakSet()


@event.listens_for(Engine, "engine_connect")
def _remember_engine(connection) -> None:
    _engines_in_use.add(connection.engine)


def dispose_engines_made_during_the_test() -> None:
    """Close the pooled connections of every engine that connected since the last call."""
    for used in list(_engines_in_use):
        used.dispose()
    _engines_in_use.clear()


@pytest.fixture(autouse=True)
def dispose_engines():
    """Dispose every engine a test (or the app it ran) connected with, so no connection outlives its test."""
    yield
    dispose_engines_made_during_the_test()


# ---------------------------------------------------------------- Streamlit

def _clear_streamlit_caches() -> None:
    if "streamlit" not in sys.modules:  # pure core tests never pay for importing Streamlit
        return
    import streamlit as st

    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture(autouse=True)
def clear_streamlit_caches():
    """Empty st.cache_data and st.cache_resource around each test (they outlive an AppTest)."""
    _clear_streamlit_caches()
    yield
    _clear_streamlit_caches()
