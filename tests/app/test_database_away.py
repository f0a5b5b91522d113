"""A database that disappears while someone uses the app gives a clear message, and recovers."""

import shutil

from streamlit.testing.v1 import AppTest

from tests.app.conftest import APP


def test_a_vanished_database_shows_a_message_and_the_page_recovers(seeded_engine, tmp_path, monkeypatch):
    if seeded_engine.dialect.name != "sqlite":
        import pytest
        pytest.skip("moving the file away is how a SQLite database disappears; PostgreSQL is covered by stopping it")
    path = tmp_path / "copy.db"
    shutil.copy(seeded_engine.url.database, path)
    monkeypatch.setenv("CROWDPULSE_DATABASE_URL", f"sqlite:///{path}")
    at = AppTest.from_file(APP, default_timeout=90).run()
    assert not at.exception and at.title[0].value == "Today"

    hidden = tmp_path / "elsewhere"
    hidden.mkdir()
    path.rename(hidden / "copy.db")
    path.mkdir()  # a directory where the file was: SQLite cannot open it
    import streamlit as st
    st.cache_data.clear()
    st.cache_resource.clear()  # open SQLite handles would keep reading the moved file; a new process would not
    # AppTest re-executes only the page script on reruns, so each visit is a fresh AppTest (a page load)
    away = AppTest.from_file(APP, default_timeout=90).run()
    assert not away.exception
    assert any("cannot reach its database" in e.value for e in away.error)
    assert away.button(key="database_retry")

    path.rmdir()
    (hidden / "copy.db").rename(path)
    st.cache_resource.clear()
    back = AppTest.from_file(APP, default_timeout=90).run()
    assert not back.exception and not back.error and back.title[0].value == "Today"


def test_a_query_the_database_refuses_is_not_called_unreachable(seeded_engine, tmp_path, monkeypatch):
    if seeded_engine.dialect.name != "sqlite":
        import pytest
        pytest.skip("the broken schema is made on a SQLite copy")
    import sqlite3

    import streamlit as st

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
