"""`python -m bench`: how fast and how big CrowdPulse is at a scale, against DESIGN §9.

Measures, on a database of the chosen scale (built once, then reused):

* every page's cold run (fresh caches, as the first visitor after a restart sees it) and warm
  rerun (caches filled), through Streamlit's AppTest, router included on every run;
* each page's query floor: the `core` loaders the page's cached accessors called on its cold
  run, replayed directly (the part of the page no rendering work can beat);
* import rows/s, sentiment texts/s, Sheets HTTP calls per synced worksheet (over a replayed
  client, no network) and peak memory.

It imports Streamlit to drive the app and time it, so it lives outside `core`, which never does.
"""

import datetime as dt
import os
import shutil
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import make_url

from core.db import init_db, is_empty, make_engine
from core.demo import seed_demo
from core.settings import DATA_DIR
from core.timeline import NOW_ENV

from bench import cli as cli_timing
from bench import pages as page_timing
from bench import throughput
from bench import floors
from bench import sessions as served
from bench.postgres import copy_from_sqlite, database_size_bytes, kept_cluster
from bench.report import TARGETS, busy_note, floor_checks, other_checks, page_checks, scaling_checks
from bench.throughput import BENCH_ANCHOR, BENCH_NOW, BENCH_SEED


# --- the database ------------------------------------------------------------------------------


def bench_database_path(scale: str) -> Path:
    """Where the bench keeps its database of a scale (git-ignored, reused between runs)."""
    return DATA_DIR / f"bench-{scale}.db"


def prepare_database(scale: str, url: str | None = None, *,
                     progress: Callable[[str], None] = lambda _m: None) -> str:
    """The URL of a migrated database holding the scale's demo data, seeding it only when empty.

    An empty PostgreSQL database is copied from the scale's seeded SQLite file when there is one
    (the same rows, minutes faster than generating them again), else seeded like SQLite.
    """
    url = url or f"sqlite:///{bench_database_path(scale)}"
    engine = make_engine(url)
    try:
        if is_empty(engine):
            where = engine.url.render_as_string(hide_password=True)
            seeded = _seeded_sqlite(scale) if engine.dialect.name == "postgresql" else None
            started = time.perf_counter()
            if seeded:
                progress(f"Copying the {scale}-scale data from {seeded} into {where} (once; later runs reuse it)…")
                copy_from_sqlite(seeded, url, progress=progress)
                _share_floor_copy(seeded, url)
            else:
                progress(f"Seeding the {scale}-scale demo data into {where} (once; later runs reuse it)…")
                seed_demo(engine, scale=scale, seed=BENCH_SEED, anchor=BENCH_ANCHOR)
            progress(f"Seeded in {time.perf_counter() - started:.0f} s.")
        else:
            init_db(engine)  # newer migrations (indexes, roll-ups) apply to a reused database
    finally:
        engine.dispose()
    return url


def _seeded_sqlite(scale: str) -> str | None:
    """The URL of the scale's SQLite bench database when it holds seeded data, else None."""
    path = bench_database_path(scale)
    if not path.exists():
        return None
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    try:
        return None if is_empty(engine) else url
    finally:
        engine.dispose()


def _share_floor_copy(sqlite_url: str, url: str) -> None:
    """Give a copied database the SQLite file's DuckDB floor copy (the same raw rows; its fingerprint is rechecked)."""
    source = floors.duckdb_path(sqlite_url)
    marker = source.with_suffix(".fingerprint")
    if source.exists() and marker.exists():
        target = floors.duckdb_path(url)
        shutil.copyfile(source, target)
        shutil.copyfile(marker, target.with_suffix(".fingerprint"))


def bench_cluster_dir(scale: str) -> Path:
    """Where the bench keeps its PostgreSQL cluster of a scale (git-ignored, reused between runs)."""
    return DATA_DIR / f"bench-{scale}-pg"


@contextmanager
def postgres_database(scale: str, base_dir: Path | None = None, port: int | None = None) -> Iterator[str]:
    """The URL of the scale's database on the bench's own PostgreSQL 15, started for the block and stopped after."""
    with kept_cluster(base_dir or bench_cluster_dir(scale), port) as server:
        yield server.ensure_database(f"crowdpulse_bench_{scale}")


def database_counts(url: str) -> dict[str, int]:
    """Rows in the tables that decide how heavy the pages are."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return {table: connection.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one()
                    for table in ("member", "activity", "queueitem", "queueevent", "feedback", "surveyresponse")}
    finally:
        engine.dispose()


# --- the whole run -------------------------------------------------------------------------------


def run_bench(*, scale: str, database_url: str | None = None, pages: list[str] | None = None,
              cold: int = 3, warm: int = 5, floor_repeat: int = 3, import_rows: int = 200_000,
              sentiment_texts: int = 100_000, sessions: int = 25, skip: Iterable[str] = (), baseline: dict | None = None,
              timeout: float = 900.0, progress: Callable[[str], None] = lambda _m: None) -> dict:
    """Measure everything DESIGN §9 sets a target for; returns a JSON-ready result with its checks."""
    skip = set(skip)
    known = page_timing.app_pages()
    pages = pages or known
    unknown = [p for p in pages if p not in known]
    if unknown:
        raise ValueError(f"Unknown page(s) {', '.join(unknown)}; the app has: {', '.join(known)}")
    url = prepare_database(scale, database_url, progress=progress)
    os.environ.setdefault(NOW_ENV, BENCH_NOW.isoformat())
    result = _result_header(scale, url, cold=cold, warm=warm, floor_repeat=floor_repeat)
    if busy_note(result["machine"]):
        progress(f"WARNING: {busy_note(result['machine'])}")
    started = time.perf_counter()
    # The small, process-wide figures first: a process that has not yet held every page's data
    # is what the CLI imports and scores texts in.
    result["cli"] = cli_timing.measure_cli(url)
    if "sentiment" not in skip:
        progress(f"Scoring {sentiment_texts:,} short texts…")
        result["sentiment"] = throughput.measure_sentiment(texts=sentiment_texts)
        result["sentiment_by_language"] = throughput.measure_sentiment_by_language()
    if "import" not in skip:
        progress(f"Importing {import_rows:,} activity rows…")
        result["import"] = throughput.measure_import(url, rows=import_rows, progress=progress)
        progress("Rebuilding every roll-up table (then rolling back)…")
        result["rollups"] = throughput.measure_rollups(url)
    if "sheets" not in skip:
        progress("Syncing replayed Google Sheets…")
        result["sheets"] = throughput.measure_sheets()
    if "floors" not in skip:
        progress("Timing each headline figure against its DuckDB floor…")
        result["floors"] = floors.measure_floors(url, BENCH_NOW, repeat=floor_repeat, progress=progress)
    if "pages" not in skip:
        _measure_pages_into(result, url, pages, cold=cold, warm=warm, floor_repeat=floor_repeat, timeout=timeout,
                            memory="memory" not in skip, progress=progress)
    # The load at the end of the in-process timings: the served part below loads the machine on purpose
    # (a server and N sessions) and records its own load.
    result["machine"]["load_average_at_end"] = load_average()
    if "sessions" not in skip:
        progress(f"Serving the app and rerunning each page with {sessions} sessions…")
        result["sessions"] = served.measure_sessions(url, pages, clients=sessions)
    result["memory"]["bench_process_peak_mb"] = throughput.process_peak_mb()
    result["seconds"] = round(time.perf_counter() - started, 1)
    result["machine"]["busy"] = busy_note(result["machine"])
    if result["machine"]["busy"]:
        progress(f"WARNING: {result['machine']['busy']}")
    checks = (page_checks([_figures_from(p) for p in result["pages"]]) + other_checks(result) + floor_checks(result)
              + served.session_checks(result))
    if baseline:
        checks += scaling_checks(result, baseline)
    result["checks"] = [c.public() for c in checks]
    return result


def _result_header(scale: str, url: str, *, cold: int, warm: int, floor_repeat: int) -> dict[str, Any]:
    """What a result says about its own run: scale, database, data sizes, machine, settings, targets."""
    parsed = make_url(url)
    return {
        "scale": scale,
        "database": parsed.render_as_string(hide_password=True),
        "engine": parsed.get_backend_name(),
        "database_bytes": database_size_bytes(url),
        "counts": database_counts(url),
        "started_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0],
                    "load_average_at_start": load_average()},
        "settings": {"cold_runs": cold, "warm_runs": warm, "floor_repeat": floor_repeat},
        "targets": TARGETS,
        "pages": [], "memory": {},
    }


def load_average() -> list[float]:
    """The machine's load average over 1, 5 and 15 minutes, rounded."""
    return [round(v, 2) for v in os.getloadavg()]


def _measure_pages_into(result: dict, url: str, pages: list[str], *, cold: int, warm: int, floor_repeat: int,
                        timeout: float, memory: bool, progress: Callable[[str], None]) -> None:
    """Time every page, then (unless skipped) the memory of one process holding all their caches."""
    with page_timing.app_database(url):
        progress(f"Timing {len(pages)} pages ({cold} cold, {warm} warm runs each)…")
        figures = page_timing.measure_pages(url, pages, cold=cold, warm=warm, floor_repeat=floor_repeat,
                                            timeout=timeout, progress=progress)
        result["pages"] = [f.public() for f in figures]
        if memory:
            progress("Running every page in one process to measure memory with all caches filled…")
            result["memory"]["all_pages"] = page_timing.measure_all_pages_cached(url, pages, timeout=timeout)
            result["memory"]["all_pages_cached_mb"] = result["memory"]["all_pages"]["peak_rss_mb"]


def _figures_from(public: dict) -> page_timing.PageFigures:
    return page_timing.PageFigures(page=public["page"], cold_ms=public["cold_ms"], warm_ms=public["warm_ms"],
                                   floor_ms=public["floor_ms"], loaders=public["loaders"],
                                   loader_calls_warm=public["loader_calls_warm"], peak_rss_mb=public["peak_rss_mb"],
                                   error=public["error"])
