"""The bench's shape: its checks, tables and JSON on the tiny scenario (no timing asserted)."""

import json

import pandas as pd
import pytest
import streamlit
from sqlalchemy import func, select

from bench import pages, report, streamlit_internals, throughput
from bench.run import run_bench
from core import rollups


def test_a_figure_over_its_ceiling_misses_by_a_stated_factor():
    assert report.Check("today: warm rerun", 600, "ms", 300).verdict() == "MISS (2.0× target)"
    assert report.Check("today: warm rerun", 300, "ms", 300).verdict() == "PASS"


def test_a_rate_under_its_floor_misses_by_a_stated_share():
    assert report.Check("import", 25_000, "rows/s", 50_000, at_most=False).verdict() == "MISS (50% of target)"
    assert report.Check("import", 60_000, "rows/s", 50_000, at_most=False).verdict() == "PASS"


def test_a_figure_without_a_target_is_information_only():
    check = report.Check("Sheets: all HTTP calls per worksheet", 2, "calls", None)
    assert (check.passed, check.verdict()) == (None, "—")


def test_cold_and_warm_growth_are_checked_per_page_against_the_smaller_scale():
    demo = {"scale": "demo", "pages": [{"page": "today", "cold_ms_median": 400.0, "warm_ms_median": 200.0},
                                       {"page": "queues", "cold_ms_median": 300.0, "warm_ms_median": 100.0}]}
    large = {"scale": "large", "pages": [{"page": "today", "cold_ms_median": 1_000.0, "warm_ms_median": 300.0},
                                         {"page": "queues", "cold_ms_median": 1_200.0, "warm_ms_median": 250.0}]}
    checks = report.scaling_checks(large, demo)
    assert [(c.measure, c.value, c.verdict()) for c in checks] == [
        ("today: cold large ÷ cold demo", 2.5, "PASS"),
        ("today: warm large ÷ warm demo", 1.5, "PASS"),
        ("queues: cold large ÷ cold demo", 4.0, "MISS (1.3× target)"),
        ("queues: warm large ÷ warm demo", 2.5, "MISS (1.7× target)"),
    ]
    assert checks[2].note == "300 ms → 1.20 s"


def test_bench_texts_are_distinct():
    texts = throughput.short_texts(5_000)
    assert len(texts) == len(set(texts)) == 5_000


def test_the_pages_are_read_from_the_router_in_menu_order():
    names = pages.app_pages()
    assert names[:2] == ["today", "queues"] and "settings" in names


def test_one_sync_reads_each_worksheet_with_one_values_call_and_one_metadata_call():
    figures = throughput.measure_sheets(worksheets=3, rows=20)
    assert figures["errors"] == []
    assert (figures["values_calls"], figures["metadata_calls"], figures["http_calls"]) == (3, 3, 6)
    assert figures["values_calls_per_worksheet"] == 1.0


def test_generated_activity_rows_never_repeat_a_member_project_day(seeded_engine, tmp_path):
    url = seeded_engine.url.render_as_string(hide_password=False)
    path = tmp_path / "activity.csv"
    throughput.write_activity_csv(url, path, 1_000)
    frame = pd.read_csv(path)
    assert len(frame) == 1_000
    assert not frame.duplicated(["member_id", "project_id", "day"]).any()


def test_a_bench_run_on_the_tiny_scenario_writes_json_and_tables(seeded_engine, tmp_path):
    url = seeded_engine.url.render_as_string(hide_password=False)
    rollup_rows = _rollup_counts(seeded_engine)
    result = run_bench(scale="tiny", database_url=url, pages=["launch"], cold=1, warm=1, floor_repeat=1,
                       import_rows=300, sentiment_texts=200, sessions=2, skip=["memory"])
    (page,) = result["pages"]
    assert page["page"] == "launch" and page["error"] is None
    assert result["engine"] == seeded_engine.dialect.name and result["database_bytes"] > 1_000_000
    assert len(result["machine"]["load_average_at_start"]) == len(result["machine"]["load_average_at_end"]) == 3
    assert len(page["cold_ms"]) == 1 and len(page["warm_ms"]) == 1
    assert "comms.launch.load_resources" in [loader["loader"] for loader in page["loaders"]]
    assert page["loader_calls_warm"] == 0  # the warm rerun is served from the caches
    assert result["import"]["rows"] == 300 and result["import"]["rejected"] == 0
    assert result["sentiment"]["texts"] == 200
    assert set(result["rollups"]["seconds"]) == {"activity", "workforce", "queues", "feedback"}
    # timing a rebuild is rolled back, and on SQLite too (pysqlite runs DDL outside transactions)
    assert _rollup_counts(seeded_engine) == rollup_rows and sum(rollup_rows.values()) > 0
    measures = [check["measure"] for check in result["checks"]]
    assert measures[:2] == ["launch: warm rerun", "launch: cold run"]
    assert {"import: activity rows/s", "sentiment: short texts/s",
            "Sheets: batched value reads per worksheet", "roll-ups: full rebuild, all areas"} <= set(measures)
    assert all(check["verdict"] for check in result["checks"])
    # the served part: serve.py started on this database, the page visited once, then rerun by 2 sessions
    (served,) = result["sessions"]["pages"]
    assert result["sessions"]["error"] is None and served["errors"] == []
    assert served["page"] == "launch" and served["first_visit_ms"] > 0 and served["rerun_p95_ms"] > 0
    assert {"launch: first visit on a fresh server", "launch: rerun p95, 2 sessions"} <= set(measures)

    out, markdown = report.write_result(result, tmp_path / "bench-tiny.json")
    assert json.loads(out.read_text())["scale"] == "tiny"
    table = markdown.read_text()
    assert "| page | cold | warm | query floor |" in table and "| launch |" in table
    assert "import: activity rows/s" in report.render_table(result)


@pytest.mark.parametrize("internal", streamlit_internals.INTERNALS, ids=lambda internal: internal.name)
def test_each_private_streamlit_internal_the_bench_uses_still_exists(internal):
    assert internal.present(), (
        f"Streamlit {streamlit.__version__} no longer has {internal.name}, a private internal the bench relies on: "
        f"it {internal.why}. Find its new name and update bench/pages.py and bench/streamlit_internals.py.")


# Stored fatigue alerts are a cache every activity write drops (core.workforce.rollup.refresh), to be
# computed again on first use; on PostgreSQL the bench imports into its own database and takes the
# rows out again, which drops them like any import.
COMPUTED_ON_FIRST_USE = {"workforce_fatigue", "workforce_fatigue_run"}


def _rollup_counts(engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {table.name: connection.execute(select(func.count()).select_from(table)).scalar_one()
                for area in rollups.areas() for table in area.METADATA.sorted_tables
                if table.name not in COMPUTED_ON_FIRST_USE}


def test_bench_texts_in_each_language_are_distinct_and_told_as_that_language():
    from core.feedback.language import detect_language

    for language in ("en", *throughput.LANGUAGE_PARTS):
        texts = throughput.short_texts_in(language, 20_000)
        assert len(set(texts)) == 20_000
        assert {detect_language(text) for text in texts[::997]} == {language}


def test_each_languages_sentiment_throughput_is_checked_against_the_target():
    result = {"sentiment_by_language": {
        "pt": {"texts": 20_000, "scored": 20_000, "texts_per_s": 21_000},
        "es": {"texts": 20_000, "scored": 0, "texts_per_s": 15_000}}}

    checks = report.other_checks(result)

    assert [(c.measure, c.value, c.passed) for c in checks] == [
        ("sentiment: pt short texts/s", 21_000, True), ("sentiment: es short texts/s", 15_000, False)]
    assert checks[1].note == "20,000 texts, 0 scored (no scorer: detected and counted only)"
