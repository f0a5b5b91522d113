"""The test rig itself: each test gets a fresh migrated database on the chosen backend."""

import os
import tempfile
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from tests import conftest as rig


def test_engine_fixture_gives_a_migrated_empty_database(engine):
    assert inspect(engine).has_table("member")
    with engine.connect() as connection:
        assert connection.execute(text("SELECT COUNT(*) FROM member")).scalar_one() == 0


def test_engine_fixture_uses_postgresql_when_asked(engine, request):
    expected = "postgresql" if request.config.getoption("--postgres") else "sqlite"
    assert engine.dialect.name == expected


def test_each_test_gets_its_own_database(engine, database_url):
    assert engine.url.render_as_string(hide_password=False) != database_url
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE scratch (id INTEGER)"))


def test_a_table_made_by_another_test_is_gone(engine):
    assert not inspect(engine).has_table("scratch")


def test_the_app_reads_the_session_database_from_the_environment(database_url):
    from core.settings import get_settings

    assert os.environ["CROWDPULSE_DATABASE_URL"] == database_url
    assert get_settings().database_url == database_url


# --- hygiene: what a test leaves behind ---------------------------------------------------------------

def test_no_earlier_test_database_is_left(engine, tmp_path_factory):
    # Each xdist worker has its own temp root and its own PostgreSQL server, so "all of them" is this worker's.
    if engine.dialect.name == "sqlite":
        left = [path for path in tmp_path_factory.getbasetemp().rglob("crowdpulse.db")
                if not path.parent.name.startswith(("session-db", "browser-db"))]
        assert left == [Path(engine.url.database)]
    else:
        with engine.connect() as connection:
            left = connection.execute(text("SELECT datname FROM pg_database WHERE datname LIKE 'test\\_%'")).scalars()
            assert list(left) == [engine.url.database]


def test_an_engine_a_test_connected_with_is_disposed_after_it(engine):
    with engine.connect():
        pass
    assert engine.pool.checkedin() == 1
    rig.dispose_engines_made_during_the_test()
    assert engine.pool.checkedin() == 0


def test_crowdpulse_files_in_the_temp_folder_are_seen(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    (tmp_path / "crowdpulse-rejects-activity-1.csv").write_text("row,column\n")
    (tmp_path / "unrelated.txt").write_text("")
    assert rig.temp_leftovers() == {"crowdpulse-rejects-activity-1.csv"}


@pytest.mark.parametrize("ci, outcome", [(True, "failed"), (False, "skipped")])
def test_importorskip_fails_on_ci_and_skips_elsewhere(monkeypatch, ci, outcome):
    monkeypatch.setattr(rig, "on_ci", ci)
    report = pytest.CollectReport("tests/test_x.py", "skipped", ("tests/test_x.py", 3, "Skipped: could not import "
                                                                 "'hypothesis': No module named 'hypothesis'"), [])
    if rig.importorskip_hides_a_tool(report):
        rig._fail_instead_of_skip(report)
    assert report.outcome == outcome
    assert ("CI is set" in str(report.longrepr)) is ci
