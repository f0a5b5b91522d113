"""Honest bench figures: load and size recorded, busy machines flagged, README tables from JSON, PostgreSQL runs."""

import shutil
import sqlite3
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import select

from bench import postgres, readme, report


def test_other_works_load_over_half_the_cores_at_the_start_or_end_is_flagged():
    busy = report.busy_note({"cpus": 2, "load_average_at_start": [1.2, 0.4, 0.3],
                             "load_average_at_end": [0.9, 0.5, 0.3]})
    assert busy.startswith("machine busy: load 1.20 at the start on 2 cores (over 1);")
    # at the end the bench's own process is one of the runnable ones: 1.9 on 2 cores is 0.9 besides it
    assert report.busy_note({"cpus": 2, "load_average_at_start": [0.9, 3.0, 3.0],
                             "load_average_at_end": [1.9, 3.0, 3.0]}) == ""
    assert "load 2.10 at the end (1.10 besides the bench)" in report.busy_note(
        {"cpus": 2, "load_average_at_start": [0.1, 0, 0], "load_average_at_end": [2.1, 0, 0]})
    assert "load 4.00 at the end (3.00 besides the bench)" in report.busy_note(
        {"cpus": 4, "load_average_at_start": [0.1, 0, 0], "load_average_at_end": [4.0, 0, 0]})


def test_the_table_headline_gives_size_load_and_a_busy_warning():
    result = {"scale": "large", "database": "sqlite:///x.db", "database_bytes": 1_870_000_000,
              "counts": {"member": 100_000}, "started_at": "2026-12-07T10:00:00+00:00",
              "settings": {"cold_runs": 2, "warm_runs": 3},
              "machine": {"cpus": 2, "load_average_at_start": [3.5, 2.0, 1.0], "load_average_at_end": [0.5, 1, 1]}}
    line = report.headline(result)
    assert "sqlite:///x.db (1.87 GB)" in line
    assert "load [3.5, 2.0, 1.0] at start, [0.5, 1, 1] at end" in line
    assert "\n\nWARNING: machine busy: load 3.50 at the start on 2 cores" in line


def test_sizes_are_quoted_in_disk_units():
    assert (report.format_bytes(1_870_000_000), report.format_bytes(412_400_000)) == ("1.87 GB", "412 MB")


def test_a_sqlite_databases_size_is_its_file_and_its_write_ahead_log(tmp_path):
    path = tmp_path / "sized.db"
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("CREATE TABLE t (x TEXT)")
    connection.execute("INSERT INTO t VALUES (?)", ("x" * 50_000,))
    connection.commit()
    expected = path.stat().st_size + Path(f"{path}-wal").stat().st_size
    assert Path(f"{path}-wal").stat().st_size > 50_000  # the row is still only in the log
    assert postgres.database_size_bytes(f"sqlite:///{path}") == expected
    connection.close()


def _result(scale, engine, pages, **extra):
    return {"scale": scale, "engine": engine, "database": f"{engine}://", "counts": {"member": 5, "activity": 9},
            "database_bytes": 2_000_000, "started_at": "t0", "pages": pages, "checks": [],
            "machine": {"cpus": 2, "load_average_at_start": [0.5, 0.25, 0.1], "load_average_at_end": [1.5, 0.5, 0.2],
                        "busy": "machine busy: …"}, **extra}


def _page(name, cold, warm):
    return {"page": name, "cold_ms_median": cold, "warm_ms_median": warm}


def test_readme_tables_put_each_engine_and_scale_side_by_side_with_growth_from_demo_to_large():
    demo = _result("demo", "sqlite", [_page("today", 200.0, 20.0)])
    large = _result("large", "sqlite", [_page("today", 700.0, 25.0)])
    large_pg = _result("large", "postgresql", [_page("today", 1_500.0, 30.0)])
    table = readme.pages_table([large, large_pg, demo])
    assert table.splitlines()[0] == ("| page | large SQLite cold | large SQLite warm | large PostgreSQL cold | "
                                     "large PostgreSQL warm | demo SQLite cold | demo SQLite warm | "
                                     "cold growth SQLite | warm growth SQLite |")
    assert table.splitlines()[2] == ("| today | 700 ms | 25 ms | **1.50 s** | 30 ms | 200 ms | 20 ms | "
                                     "**3.50×** | 1.25× |")
    runs = readme.runs_table([large_pg])
    assert "| large PostgreSQL | 5 taskers, 9 activity rows | 2 MB | 2 | 0.50 / 0.25 / 0.10 | 1.50 / 0.50 / 0.20 | " \
           "**busy** | t0 |" in runs


def test_readme_floor_table_shows_the_ratio_and_a_disagreement():
    floors = [{"figure": "DAU/WAU/MAU", "app_ms": 300.0, "floor_ms": 100.0, "ratio": 3.0, "same": False,
               "error": None}]
    table = readme.floors_table([_result("large", "sqlite", [], floors=floors)])
    assert table.splitlines()[2] == "| DAU/WAU/MAU | 300 ms / 100 ms = **3.00×**, ANSWERS DIFFER |"


def test_readme_sessions_table_shows_each_pages_first_visit_and_rerun_p95_per_run():
    large = _result("large", "sqlite", [])
    large["sessions"] = {"clients": 25, "pages": [
        {"page": "today", "first_visit_ms": 1200.0, "rerun_p95_ms": 2840.0},
        {"page": "queues", "first_visit_ms": 1600.0, "rerun_p95_ms": 640.0}]}
    table = readme.sessions_table([large, _result("demo", "sqlite", [])]).splitlines()
    assert table[0] == ("| page | large SQLite first visit after a start | large SQLite rerun p95, 25 sessions |")
    assert table[2:] == ["| today | 1.20 s | **2.84 s** |", "| queues | **1.60 s** | 640 ms |"]


def test_readme_rewrite_replaces_only_what_lies_between_the_markers():
    before = f"# Title\n\n## Performance\nprose\n{readme.BEGIN}\nold table\n{readme.END}\nafter\n"
    after = readme.rewrite(before, [_result("demo", "sqlite", [_page("today", 200.0, 20.0)])])
    assert after.startswith(f"# Title\n\n## Performance\nprose\n{readme.BEGIN}\nGenerated by `python -m bench.readme`")
    assert after.endswith(f"{readme.END}\nafter\n") and "old table" not in after
    assert "| today | 200 ms | 20 ms |" in after
    with pytest.raises(ValueError, match="markers"):
        readme.rewrite("# no markers\n", [])


def test_the_readme_has_the_markers_the_tables_are_written_between():
    text = readme.README.read_text(encoding="utf-8")
    performance = text.split("## Performance", 1)[1].split("\n## ", 1)[0]
    assert readme.BEGIN in performance and readme.END in performance


# --- PostgreSQL ------------------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.slow
def test_a_postgres_copy_of_a_seeded_sqlite_file_holds_the_same_rows_and_roll_ups(engine, tmp_path):
    from core import rollups
    from core.db import make_engine
    from core.demo import seed_demo

    source = make_engine(f"sqlite:///{tmp_path / 'seeded.db'}")
    seed_demo(source, scale="tiny", seed=3)
    url = engine.url.render_as_string(hide_password=False)

    counts = postgres.copy_from_sqlite(source.url.render_as_string(hide_password=False), url)

    assert counts["activity"] > 1_000 and counts == postgres.table_counts(source)
    tables = [t for t in postgres._tables_to_copy() if t.name not in ("auditevent", "dataversion")]
    tables += [t for area in rollups.areas() for t in area.METADATA.sorted_tables]
    for table in tables:
        ours, theirs = _rows(source, table), _rows(engine, table)
        # Sums of floats may differ in the last bit between the engines' roll-up queries; nothing else may.
        pd.testing.assert_frame_equal(ours, theirs, check_exact=False, rtol=1e-9, obj=table.name)
    source.dispose()


def _rows(engine, table) -> pd.DataFrame:
    with engine.connect() as connection:
        frame = pd.read_sql(select(table), connection)
    exact = [c for c in frame.columns if frame[c].dtype.kind != "f"]
    for name in exact:  # JSON values do not order, their text does; packed roll-ups are bytes, compared as hex
        frame[name] = frame[name].map(lambda v: v.hex() if isinstance(v, (bytes, memoryview)) else str(v))
    return frame.sort_values(exact, ignore_index=True)


@pytest.mark.postgres
@pytest.mark.slow
def test_the_bench_cluster_keeps_its_data_between_runs():
    base = Path(tempfile.mkdtemp(prefix="crowdpulse-pgkeep-"))
    try:
        with postgres.kept_cluster(base) as server:
            url = server.ensure_database("kept")
            server.execute("SELECT 1")
            _psql(server, "kept", "CREATE TABLE t (x int); INSERT INTO t VALUES (42)")
        with postgres.kept_cluster(base) as server:
            assert server.ensure_database("kept") == server.url("kept")
            assert _psql(server, "kept", "SELECT x FROM t") == [(42,)]
    finally:
        shutil.rmtree(base, ignore_errors=True)


def _psql(server, database, sql):
    import psycopg

    with psycopg.connect(host="127.0.0.1", port=server.port, user="app", dbname=database, autocommit=True) as c:
        cursor = c.execute(sql)
        return cursor.fetchall() if cursor.description else None


# --- A/B in interleaved rounds -------------------------------------------------------------------


def test_two_trees_are_benched_in_alternation():
    from bench import ab

    order = []
    results = ab.interleave({"A": Path("a"), "B": Path("b")}, 3,
                            lambda name, round_: order.append(f"{name}{round_}") or {"run": f"{name}{round_}"})
    assert order == ["A1", "B1", "A2", "B2", "A3", "B3"]
    assert [r["run"] for r in results["B"]] == ["B1", "B2", "B3"]


def test_ab_compares_medians_over_the_rounds_of_what_both_sides_measured():
    from bench import ab

    def run(cold, warm, floor_ms=None):
        floors = [{"figure": "NPS", "app_ms": floor_ms}] if floor_ms else []
        return {"pages": [{"page": "today", "cold_ms_median": cold, "warm_ms_median": warm}], "floors": floors}

    a = [run(1_000.0, 20.0, 50.0), run(1_200.0, 30.0, 70.0), run(1_100.0, 25.0, 60.0)]
    b = [run(500.0, 20.0), run(700.0, 40.0), run(600.0, 30.0)]
    assert ab.compare(a, b) == [("today: cold", 1_100.0, 600.0, 600.0 / 1_100.0),
                                ("today: warm", 25.0, 30.0, 1.2)]


def test_the_table_lists_cold_and_warm_growth_per_page():
    demo = {"scale": "demo", "pages": [{"page": "today", "cold_ms_median": 400.0, "warm_ms_median": 20.0}]}
    large = _result("large", "sqlite", [{"page": "today", "cold_ms_median": 1_600.0, "warm_ms_median": 24.0,
                                          "floor_ms": None, "loaders": [], "loader_calls_warm": 0,
                                          "peak_rss_mb": None, "error": None}],
                    settings={"cold_runs": 1, "warm_runs": 1})
    large["checks"] = [c.public() for c in report.scaling_checks(large, demo)]
    table = report.render_table(large)
    assert "today: cold large ÷ cold demo  4.00×" in table and "MISS (1.3× target)" in table
    assert "today: warm large ÷ warm demo  1.20×" in table
