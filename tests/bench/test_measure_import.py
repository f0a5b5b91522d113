"""Issue 20: the bench's import figure, with another writer's waits, on SQLite (a scratch copy) and on
PostgreSQL (the bench database itself, through COPY, its new days deleted afterwards)."""

from sqlalchemy import text

from bench import throughput
from core.demo import seed_demo
from tests.conftest import DEMO_ANCHOR


def _state(engine) -> tuple:
    with engine.connect() as connection:
        return (connection.execute(text("SELECT COUNT(*), MAX(day) FROM activity")).one(),
                connection.execute(text("SELECT member_id, block, w0, w1, w2, w3 FROM activity_member_days "
                                        "ORDER BY member_id, block")).all())


def test_measure_import_imports_new_days_times_another_writer_and_leaves_the_database_as_it_was(engine):
    seed_demo(engine, scale="tiny", seed=7, anchor=DEMO_ANCHOR)
    before = _state(engine)
    url = engine.url.render_as_string(hide_password=False)
    result = throughput.measure_import(url, rows=300)
    assert (result["rows"], result["inserted"], result["rejected"]) == (300, 300, 0)
    assert result["other_writes"] >= 1 and result["other_write_max_wait_s"] >= 0
    expected = "the PostgreSQL bench database" if engine.dialect.name == "postgresql" else "a copy"
    assert result["into"].startswith(expected)
    assert _state(engine) == before
