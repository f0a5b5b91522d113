"""The test rig itself: each test gets a fresh migrated database on the chosen backend."""

import os

from sqlalchemy import inspect, text


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
