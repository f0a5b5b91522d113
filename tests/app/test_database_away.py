"""A database that disappears while someone uses the app gives a clear message, and recovers where they were.

Each test runs on SQLite (the file moves away) and on PostgreSQL (a throwaway server of the test's own is
stopped, then started again), whatever database the rest of the suite uses.
"""

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from core.db import make_engine
from core.demo import seed_demo
from tests.app.conftest import APP
from tests.conftest import DEMO_ANCHOR, PostgresServer, find_postgres_bin, missing_tool


@dataclass
class Outage:
    """A tiny demo database the app is pointed at, and how to take it away and bring it back."""

    url: str
    away: Callable[[], None]
    back: Callable[[], None]


def _sqlite_outage(tmp_path: Path) -> Outage:
    path = tmp_path / "copy.db"
    hidden = tmp_path / "elsewhere"
    hidden.mkdir()

    def away() -> None:
        path.rename(hidden / "copy.db")
        path.mkdir()  # a directory where the file was: SQLite cannot open it
        st.cache_resource.clear()  # open SQLite handles would keep reading the moved file; a new process would not

    def back() -> None:
        path.rmdir()
        (hidden / "copy.db").rename(path)
        st.cache_resource.clear()

    return Outage(f"sqlite:///{path}", away, back)


@pytest.fixture(params=["sqlite", "postgresql"])
def outage(request, tmp_path, monkeypatch):
    """The app pointed at its own tiny demo on SQLite or on a PostgreSQL server this test may stop."""
    server = None
    if request.param == "sqlite":
        chosen = _sqlite_outage(tmp_path)
    else:
        bin_dir = find_postgres_bin()
        if bin_dir is None:
            missing_tool("PostgreSQL server binaries (initdb, pg_ctl) not found: the outage test stops a server")
        server = PostgresServer(bin_dir=bin_dir, base_dir=Path(tempfile.mkdtemp(prefix="crowdpulse-pg-outage-")))
        server.initdb()
        server.start()
        server.execute("CREATE DATABASE outage")
        chosen = Outage(server.url("outage"), server.stop, server.start)
    engine = make_engine(chosen.url)
    seed_demo(engine, scale="tiny", seed=7, anchor=DEMO_ANCHOR)
    engine.dispose()
    monkeypatch.setenv("CROWDPULSE_DATABASE_URL", chosen.url)
    st.cache_data.clear()
    st.cache_resource.clear()
    try:
        yield chosen
    finally:
        st.cache_resource.clear()
        if server is not None:
            try:
                server.stop()
            except RuntimeError:
                pass  # already stopped by the test
            shutil.rmtree(server.base_dir, ignore_errors=True)


def test_a_vanished_database_shows_a_message_and_the_page_recovers(outage):
    at = AppTest.from_file(APP, default_timeout=90).run()
    assert not at.exception and at.title[0].value == "Today"

    outage.away()
    st.cache_data.clear()
    # AppTest re-executes only the page script on reruns, so each visit is a fresh AppTest (a page load)
    away = AppTest.from_file(APP, default_timeout=90).run()
    assert not away.exception
    assert any("cannot reach its database" in e.value for e in away.error)
    assert away.button(key="database_retry")

    outage.back()
    back = AppTest.from_file(APP, default_timeout=90).run()
    assert not back.exception and not back.error and back.title[0].value == "Today"


def test_try_again_returns_to_the_page_the_person_was_on(outage):
    at = AppTest.from_file(APP, default_timeout=90).run()
    at.switch_page("app_pages/queues.py").run()
    assert not at.exception and at.title[0].value == "Queues"

    outage.away()
    st.cache_data.clear()
    at.session_state["_db_ready"] = False  # the person reloads the page: a new session checks the database first
    at.run()
    assert not at.exception and not at.title
    assert any("cannot reach its database" in e.value for e in at.error)

    outage.back()
    at.button(key="database_retry").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.title[0].value == "Queues"


def test_a_query_the_database_refuses_is_not_called_unreachable(seeded_engine, tmp_path, monkeypatch):
    if seeded_engine.dialect.name != "sqlite":
        pytest.skip("the broken schema is made on a SQLite copy")
    import sqlite3

    path = tmp_path / "broken.db"
    shutil.copy(seeded_engine.url.database, path)
    with sqlite3.connect(path) as connection:
        connection.execute("DROP TABLE queueevent")  # a schema problem, not a database that is away
    monkeypatch.setenv("CROWDPULSE_DATABASE_URL", f"sqlite:///{path}")
    st.cache_data.clear()
    st.cache_resource.clear()

    at = AppTest.from_file(APP, default_timeout=90).run()

    assert not at.exception
    assert any("refused a query" in e.value and "queueevent" in e.value for e in at.error)
    assert not any("cannot reach" in e.value for e in at.error)
