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

import csv
import datetime as dt
import functools
import gc
import importlib
import inspect
import json
import os
import pkgutil
import re
import resource
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from core.settings import DATA_DIR, PROJECT_ROOT

APP = PROJECT_ROOT / "app.py"
# A fixed "now" makes two runs of the bench describe the same weeks.
BENCH_ANCHOR = dt.datetime(2026, 11, 22, 9, 0, tzinfo=dt.UTC)
BENCH_SEED = 7

# DESIGN §9.
TARGETS = {
    "warm_ms": 300.0,
    "cold_ms": 3_000.0,
    "cold_over_floor": 2.0,
    "import_rows_per_s": 50_000.0,
    "sentiment_texts_per_s": 20_000.0,
    "sheets_reads_per_worksheet": 1.0,
    "peak_memory_mb": 1_536.0,
    "warm_growth_per_10x": 2.0,
}

FLOOR_WORTH_CHECKING_MS = 100.0

# Loaders whose name starts with one of these change data: they are timed if a page calls
# them on a plain view, but never replayed against the bench database.
WRITE_VERBS = frozenset("""
    add adopt apply approve archive assign backup ban bump create delete ensure import init mark merge
    override publish record reject remove request reset resolve restore retire retry revert save
    schedule seed send set submit sync transition update upsert write
""".split())
# Modules that build or change the database rather than read it for a page.
UNTIMED_MODULES = ("core.cli", "core.demo", "core.migrations", "core.bulk")


def _median(values: Iterable[float]) -> float | None:
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def _mb(kilobytes: float) -> float:
    return round(kilobytes / 1024, 1)


def _proc_status(field_name: str) -> float:
    """A `kB` figure from /proc/self/status (VmRSS, VmHWM); 0 where /proc is missing."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(field_name + ":"):
                    return float(line.split()[1])
    except OSError:
        pass
    return 0.0


def _reset_peak_rss() -> bool:
    # Writing 5 to clear_refs resets VmHWM (Linux ≥ 4.0), so each page gets its own peak.
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")
        return True
    except OSError:
        return False


def process_peak_mb() -> float:
    """The bench process's peak resident memory since it started (getrusage maxrss)."""
    return _mb(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


# --- the database ------------------------------------------------------------------------------


def bench_database_path(scale: str) -> Path:
    """Where the bench keeps its database of a scale (git-ignored, reused between runs)."""
    return DATA_DIR / f"bench-{scale}.db"


def prepare_database(scale: str, url: str | None = None, *,
                     progress: Callable[[str], None] = lambda _m: None) -> str:
    """The URL of a migrated database holding the scale's demo data, seeding it only when empty."""
    from core.db import init_db, is_empty, make_engine
    from core.demo import seed_demo

    url = url or f"sqlite:///{bench_database_path(scale)}"
    engine = make_engine(url)
    try:
        if is_empty(engine):
            progress(f"Seeding the {scale}-scale demo data into {engine.url.render_as_string(hide_password=True)} "
                     "(once; later runs reuse it)…")
            started = time.perf_counter()
            seed_demo(engine, scale=scale, seed=BENCH_SEED, anchor=BENCH_ANCHOR)
            progress(f"Seeded in {time.perf_counter() - started:.0f} s.")
        else:
            init_db(engine)  # newer migrations (indexes, roll-ups) apply to a reused database
    finally:
        engine.dispose()
    return url


def database_counts(url: str) -> dict[str, int]:
    """Rows in the tables that decide how heavy the pages are."""
    from sqlalchemy import text

    from core.db import make_engine

    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return {table: connection.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one()
                    for table in ("member", "activity", "queueitem", "queueevent", "feedback", "surveyresponse")}
    finally:
        engine.dispose()


# --- timing the core loaders a page calls --------------------------------------------------------


@dataclass
class LoaderCall:
    """One outermost call of a `core` function that takes the engine, made while a page ran."""

    name: str
    args: tuple
    kwargs: dict
    ms: float
    rows: int | None
    writes: bool

    @property
    def key(self) -> str:
        return f"{self.name}{self.args[1:]!r}{sorted(self.kwargs.items())!r}"


def _loader_functions() -> list[tuple[Any, str, Callable]]:
    """(module, attribute, function) for every `core` function whose first parameter is `engine`."""
    import core

    found = []
    for info in pkgutil.walk_packages(core.__path__, "core."):
        if info.name.startswith(UNTIMED_MODULES):
            continue
        try:
            module = importlib.import_module(info.name)
        except Exception:  # a module another change has broken must not stop the bench
            continue
        for name, function in list(vars(module).items()):
            if not inspect.isfunction(function) or function.__module__ != module.__name__:
                continue
            if info.name == "core.db" and name != "data_version":
                continue  # engine set-up and schema work, not page data
            try:
                parameters = list(inspect.signature(function).parameters)
            except (TypeError, ValueError):
                continue
            if parameters and parameters[0] == "engine":
                found.append((module, name, function))
    return found


class LoaderClock:
    """Wraps every `core` loader so that the outermost calls made during `recording()` are timed."""

    def __init__(self):
        self._local = threading.local()
        self._lock = threading.Lock()
        self._calls: list[LoaderCall] | None = None
        self._patched: list[tuple[Any, str, Callable]] = []

    def _wrap(self, qualified: str, function: Callable) -> Callable:
        writes = qualified.rsplit(".", 1)[-1].lstrip("_").split("_", 1)[0] in WRITE_VERBS

        @functools.wraps(function)
        def timed(*args, **kwargs):
            depth = getattr(self._local, "depth", 0)
            if self._calls is None or depth:
                return function(*args, **kwargs)
            self._local.depth = 1
            started = time.perf_counter()
            try:
                result = function(*args, **kwargs)
            finally:
                self._local.depth = 0
            elapsed = (time.perf_counter() - started) * 1000
            rows = len(result) if hasattr(result, "__len__") and hasattr(result, "columns") else None
            with self._lock:
                if self._calls is not None:
                    self._calls.append(LoaderCall(qualified, args, kwargs, elapsed, rows, writes))
            return result

        timed.__bench_original__ = function
        return timed

    def install(self) -> "LoaderClock":
        """Patch the loaders in their modules and wherever `ui` modules imported them by name."""
        originals = {}
        for module, name, function in _loader_functions():
            wrapped = self._wrap(f"{module.__name__.removeprefix('core.')}.{name}", function)
            setattr(module, name, wrapped)
            self._patched.append((module, name, function))
            originals[id(function)] = wrapped
        for module_name, module in list(sys.modules.items()):
            if module_name == "ui" or module_name.startswith("ui."):
                for name, value in list(vars(module).items()):
                    if id(value) in originals:
                        setattr(module, name, originals[id(value)])
                        self._patched.append((module, name, value))
        return self

    def uninstall(self) -> None:
        """Put every original function back."""
        for module, name, function in reversed(self._patched):
            setattr(module, name, function)
        self._patched.clear()

    @contextmanager
    def recording(self):
        """Collect the loader calls made inside the block (in any thread)."""
        calls: list[LoaderCall] = []
        self._calls = calls
        try:
            yield calls
        finally:
            self._calls = None


def replay_floor(url: str, calls: list[LoaderCall], *, repeat: int) -> list[dict]:
    """Each distinct read the page made, called directly `repeat` times: the page's query floor."""
    from core.db import make_engine

    engine = make_engine(url)
    unique: dict[str, LoaderCall] = {}
    for call in calls:
        unique.setdefault(call.key, call)
    rows = []
    try:
        with engine.connect():
            pass  # the pool's first connection is not part of any query
        for call in unique.values():
            entry = {"loader": call.name, "calls": sum(1 for c in calls if c.key == call.key),
                     "in_page_ms": round(call.ms, 1), "rows": call.rows, "writes": call.writes, "floor_ms": None}
            if not call.writes:
                function = _resolve(call.name)
                args = call.args[1:] if call.args else ()  # the page's engine, whether positional or named, is replaced
                kwargs = {k: v for k, v in call.kwargs.items() if k != "engine"}
                times = []
                for _ in range(repeat):
                    started = time.perf_counter()
                    function(engine, *args, **kwargs)
                    times.append((time.perf_counter() - started) * 1000)
                entry["floor_ms"] = round(_median(times), 1)
            rows.append(entry)
    finally:
        engine.dispose()
    return sorted(rows, key=lambda r: -(r["floor_ms"] or r["in_page_ms"]))


def _resolve(qualified: str) -> Callable:
    module_name, name = qualified.rsplit(".", 1)
    function = getattr(importlib.import_module(f"core.{module_name}"), name)
    return getattr(function, "__bench_original__", function)


# --- pages ---------------------------------------------------------------------------------------


def page_files(app: Path = APP) -> dict[str, Path]:
    """Page name (file stem) → page file, in the order the router lists them."""
    found = re.findall(r'st\.Page\(\s*"([\w/]*?(\w+)\.py)"', app.read_text(encoding="utf-8"))
    return {stem: (app.parent / path).resolve() for path, stem in found}


def app_pages(app: Path = APP) -> list[str]:
    """Page names (file stems) in the order the router lists them."""
    return list(page_files(app))


@dataclass
class PageFigures:
    """Timings, queries and memory of one page."""

    page: str
    cold_ms: list[float] = field(default_factory=list)
    warm_ms: list[float] = field(default_factory=list)
    floor_ms: float | None = None
    loaders: list[dict] = field(default_factory=list)
    loader_calls_warm: int = 0
    peak_rss_mb: float | None = None
    error: str | None = None

    @property
    def cold(self) -> float | None:
        return _median(self.cold_ms)

    @property
    def warm(self) -> float | None:
        return _median(self.warm_ms)

    def public(self) -> dict:
        """A JSON-ready dict with the medians next to every sample."""
        out = asdict(self)
        out.update(cold_ms_median=_round(self.cold), warm_ms_median=_round(self.warm),
                   cold_ms=[round(v, 1) for v in self.cold_ms], warm_ms=[round(v, 1) for v in self.warm_ms])
        return out


def _round(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


class _PageDriver:
    """Runs app.py through AppTest with the router landing on one page on every run.

    AppTest re-executes only a page's script after `switch_page`, skipping the router; a real
    rerun runs both. So every run starts from the main script and `st.navigation` is steered to
    the page by setting the session's intended page, as a browser URL would.
    """

    def __init__(self, timeout: float):
        import streamlit as st

        self.timeout = timeout
        self.target: Path | None = None
        self.landed = False
        self.files = page_files()
        # Streamlit installs the app script as sys.modules["__main__"] and leaves it there; a
        # process pool started later (core.feedback.sentiment) would re-run app.py in every worker.
        self._real_main = sys.modules.get("__main__")
        self._real_navigation = st.navigation
        driver = self

        def navigation(pages, **kwargs):
            from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

            sections = pages.values() if isinstance(pages, dict) else [pages]
            for page in (p for section in sections for p in section):
                if isinstance(page._page, Path) and page._page.resolve() == driver.target:
                    get_script_run_ctx().pages_manager.set_script_intent(page._script_hash, "")
                    driver.landed = True
            return driver._real_navigation(pages, **kwargs)

        st.navigation = navigation
        # AppTest compiles the scripts afresh on every run (a new ScriptCache each time, ~50 ms of
        # AST rewriting here); a server compiles each script once. Share one cache, as a server does.
        from streamlit.runtime.scriptrunner.script_cache import ScriptCache
        from streamlit.testing.v1 import app_test, local_script_runner

        shared = ScriptCache()
        self._script_cache_owners = (app_test, local_script_runner)
        for module in self._script_cache_owners:
            module.ScriptCache = lambda: shared
        # Likewise a server looks for installed custom components once, at start; AppTest does it for
        # every new session (~55 ms of scanning packages here). Share one registry.
        from streamlit.components.v2.component_manager import BidiComponentManager

        self._components = BidiComponentManager()
        self._components.discover_and_register_components(start_file_watching=False)

    def close(self) -> None:
        import streamlit as st
        from streamlit.runtime.scriptrunner.script_cache import ScriptCache

        st.navigation = self._real_navigation
        for module in self._script_cache_owners:
            module.ScriptCache = ScriptCache
        if self._real_main is not None:
            sys.modules["__main__"] = self._real_main

    def open(self, page: str):
        """A new session (AppTest) that will land on `page`."""
        from streamlit.testing.v1 import AppTest

        self.target = self.files[page]
        at = AppTest.from_file(str(APP), default_timeout=self.timeout)
        at._bidi_component_manager = self._components
        return at

    def run(self, at) -> tuple[float, str | None]:
        """Run the whole app once; (milliseconds, first exception message or None)."""
        at._page_hash = at._finished_page_script_hash = ""  # start from the router, like a real rerun
        self.landed = False
        started = time.perf_counter()
        at.run()
        elapsed = (time.perf_counter() - started) * 1000
        error = at.exception[0].value if len(at.exception) else None
        if not self.landed and error is None:
            error = f"the router did not offer {self.target.name}: this run showed another page"
        return elapsed, error


def _quiet_streamlit() -> None:
    # AppTest logs "missing ScriptRunContext" and "No runtime found" on every session: noise here.
    import logging

    from streamlit import config
    import streamlit.logger

    config.set_option("logger.level", "error")
    streamlit.logger.set_log_level("error")
    for name in ("streamlit", "streamlit.runtime", "streamlit.runtime.scriptrunner_utils.script_run_context",
                 "streamlit.runtime.caching.storage.dummy_cache_storage"):
        logging.getLogger(name).setLevel(logging.ERROR)


@contextmanager
def _app_database(url: str):
    # The app reads its database from the environment, as `streamlit run` would.
    previous = os.environ.get("CROWDPULSE_DATABASE_URL")
    os.environ["CROWDPULSE_DATABASE_URL"] = url
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("CROWDPULSE_DATABASE_URL", None)
        else:
            os.environ["CROWDPULSE_DATABASE_URL"] = previous


def clear_streamlit_caches() -> None:
    """Empty st.cache_data and st.cache_resource: the state of a freshly started server."""
    import streamlit as st

    st.cache_data.clear()
    st.cache_resource.clear()
    gc.collect()


def measure_pages(url: str, pages: list[str], *, cold: int, warm: int, floor_repeat: int,
                  timeout: float = 900.0, progress: Callable[[str], None] = lambda _m: None) -> list[PageFigures]:
    """Cold and warm timings, query floor and peak memory of each page."""
    _quiet_streamlit()
    clock = LoaderClock().install()
    driver = _PageDriver(timeout)
    results = []
    try:
        _warm_up_imports(driver)
        for page in pages:
            figures = PageFigures(page)
            per_page_peak = _reset_peak_rss()
            first_calls: list[LoaderCall] = []
            at = None
            for attempt in range(cold):
                clear_streamlit_caches()
                at = driver.open(page)
                with clock.recording() as calls:
                    elapsed, error = driver.run(at)
                figures.cold_ms.append(elapsed)
                if attempt == 0:
                    first_calls = calls
                if error:
                    figures.error = error
                    break
            if at is not None and not figures.error:
                for _ in range(warm):
                    with clock.recording() as calls:
                        elapsed, error = driver.run(at)
                    figures.warm_ms.append(elapsed)
                    figures.loader_calls_warm = max(figures.loader_calls_warm,
                                                    sum(1 for c in calls if not c.name.endswith("data_version")))
                    if error:
                        figures.error = error
                        break
            figures.peak_rss_mb = _mb(_proc_status("VmHWM")) if per_page_peak else None
            figures.loaders = replay_floor(url, first_calls, repeat=floor_repeat)
            figures.floor_ms = round(sum(r["floor_ms"] or 0 for r in figures.loaders), 1)
            progress(f"{page:>10}: cold {_fmt_ms(figures.cold)}, warm {_fmt_ms(figures.warm)}, "
                     f"floor {_fmt_ms(figures.floor_ms)}" + (f"  ERROR {figures.error[:120]}" if figures.error else ""))
            results.append(figures)
            at = None
    finally:
        driver.close()
        clock.uninstall()
    return results


def _warm_up_imports(driver: _PageDriver) -> None:
    # The first script run in a process imports Altair, pandas' I/O and Streamlit's elements;
    # a server pays that once at start-up, not on a page, so no page is charged for it.
    from streamlit.testing.v1 import AppTest

    import altair  # noqa: F401

    AppTest.from_string("import streamlit as st\nst.dataframe({'a': [1]})", default_timeout=driver.timeout).run()


def measure_all_pages_cached(url: str, pages: list[str], *, timeout: float = 900.0) -> dict:
    """Peak memory of one process holding every page's cached data at once (a long-running server)."""
    driver = _PageDriver(timeout)
    try:
        clear_streamlit_caches()
        measured = _reset_peak_rss()
        started = time.perf_counter()
        for page in pages:
            driver.run(driver.open(page))
        seconds = time.perf_counter() - started
        return {"peak_rss_mb": _mb(_proc_status("VmHWM")) if measured else process_peak_mb(),
                "rss_after_mb": _mb(_proc_status("VmRSS")), "seconds": round(seconds, 1)}
    finally:
        driver.close()
        clear_streamlit_caches()


# --- import, sentiment, Sheets ------------------------------------------------------------------


def write_activity_csv(url: str, path: Path, rows: int) -> int:
    """A CSV of `rows` new activity rows (days after the data's last day) for existing taskers."""
    import numpy as np
    import pandas as pd
    from sqlalchemy import text

    from core.db import make_engine

    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            members = [m for (m,) in connection.execute(text(
                "SELECT member_id FROM member WHERE is_staff = :no ORDER BY member_id LIMIT 25000"), {"no": False})]
            projects = [p for (p,) in connection.execute(text("SELECT project_id FROM project ORDER BY project_id"))]
            last_day = connection.execute(text("SELECT MAX(day) FROM activity")).scalar_one()
    finally:
        engine.dispose()
    if not members or not projects:
        raise ValueError("The bench database has no taskers or projects to import activity for.")
    first_day = (pd.Timestamp(last_day) if last_day is not None else pd.Timestamp(BENCH_ANCHOR.date())) \
        + pd.Timedelta(days=1)
    index = np.arange(rows)
    member_index = index % len(members)
    day_offset = index // len(members)
    generator = np.random.default_rng(BENCH_SEED)
    submitted = generator.integers(5, 120, rows)
    frame = pd.DataFrame({
        "member_id": np.asarray(members, dtype=object)[member_index],
        # a different project per day, so (member, project, day) never repeats
        "project_id": np.asarray(projects, dtype=object)[(member_index + day_offset) % len(projects)],
        "day": (first_day + pd.to_timedelta(day_offset, unit="D")).strftime("%Y-%m-%d"),
        "tasks_submitted": submitted,
        "tasks_approved": (submitted * generator.uniform(0.7, 1.0, rows)).astype(int),
        "tasks_rejected": generator.integers(0, 5, rows),
        "tasks_skipped": generator.integers(0, 8, rows),
        "handle_seconds": submitted * generator.integers(20, 90, rows),
        "active_minutes": generator.integers(30, 480, rows),
        "questions": generator.integers(0, 3, rows),
    })
    frame.to_csv(path, index=False, quoting=csv.QUOTE_MINIMAL)
    return rows


def _scratch_copy(url: str, directory: Path) -> tuple[str, str]:
    """A copy of the bench database to write into; (url, how it was made)."""
    from core.db import backup_sqlite, init_db, make_engine

    source = make_engine(url)
    target = directory / "scratch.db"
    try:
        if source.dialect.name == "sqlite":
            backup_sqlite(source, target)
            return f"sqlite:///{target}", "a copy of the bench database"
    finally:
        source.dispose()
    # A PostgreSQL database cannot be copied without extra rights: import into an empty SQLite one.
    scratch = make_engine(f"sqlite:///{target}")
    init_db(scratch)
    scratch.dispose()
    return f"sqlite:///{target}", "an empty SQLite database (the bench database is not SQLite)"


def measure_import(url: str, *, rows: int, progress: Callable[[str], None] = lambda _m: None) -> dict:
    """Rows per second of importing a generated activity CSV into a scratch copy of the database."""
    from core.ingest import importer as ingest
    from core.db import make_engine

    with tempfile.TemporaryDirectory(prefix="crowdpulse-bench-") as directory:
        directory = Path(directory)
        csv_path = directory / "activity.csv"
        write_activity_csv(url, csv_path, rows)
        progress(f"Copying the database to import {rows:,} activity rows into the copy…")
        scratch_url, scratch_kind = _scratch_copy(url, directory)
        if hasattr(os, "sync"):  # the copy's 1.3 GB (at large) are written out now, not during the timed import
            os.sync()
        engine = make_engine(scratch_url)
        try:
            started = time.perf_counter()
            result = ingest.import_file(engine, "activity", csv_path)
            seconds = time.perf_counter() - started
        finally:
            engine.dispose()
    return {"entity": "activity", "rows": result.rows_read, "inserted": result.inserted, "updated": result.updated,
            "rejected": result.rejected, "seconds": round(seconds, 2),
            "rows_per_s": round(result.rows_read / seconds) if seconds else None, "into": scratch_kind}


def measure_rollups(url: str) -> dict:
    """Seconds to rebuild each area's roll-up tables in full, in a transaction that is then rolled back."""
    from core import rollups
    from core.db import make_engine

    engine = make_engine(url)
    seconds: dict[str, float] = {}
    try:
        with engine.connect() as connection:
            transaction = connection.begin()
            try:
                for area in rollups.areas():
                    started = time.perf_counter()
                    rollups.build(connection, area, recreate=False)
                    seconds[area.NAME] = round(time.perf_counter() - started, 2)
            finally:
                transaction.rollback()
    finally:
        engine.dispose()
    return {"seconds": seconds, "total_s": round(sum(seconds.values()), 2)}


SENTIMENT_OPENERS = ["thanks for", "really love", "so annoyed about", "not happy with", "great job on", "confused by",
                     "still waiting on", "happy about", "frustrated with", "quick question about",
                     "big thanks for", "disappointed by", "excited about", "worried about", "grateful for",
                     "tired of", "impressed by", "unsure about", "angry about", "pleased with"]
SENTIMENT_SUBJECTS = ["the payout", "the new guidelines", "the review queue", "my last batch", "the support team",
                      "the rating task", "the onboarding video", "the bonus", "the upload tool", "the FAQ",
                      "the moderator", "the weekly survey", "the project launch", "the chat evaluation",
                      "the audio tasks", "the qualification test", "the feedback on my work", "the forum",
                      "the schedule", "the image labels", "the escalation", "the new tool", "the help page",
                      "the training", "the task limits"]
SENTIMENT_DETAILS = ["today", "this week", "again", "on Monday", "last night", "since the update", "for Cedar",
                     "for Delta", "in my region", "so far", "this morning", "after the change", "every time",
                     "right now", "lately", "on the weekend", "before the deadline", "for the second time",
                     "in the app", "on mobile"]
SENTIMENT_ENDINGS = ["!", ".", "!!", "?", " :)", " :(", ", please fix it.", ", keep it up.", ", any update?",
                     ", well done."]


def short_texts(count: int) -> list[str]:
    """`count` distinct short feedback-like texts (up to 100,000 distinct ones)."""
    texts = []
    for opener in SENTIMENT_OPENERS:
        for subject in SENTIMENT_SUBJECTS:
            for detail in SENTIMENT_DETAILS:
                for ending in SENTIMENT_ENDINGS:
                    texts.append(f"{opener} {subject} {detail}{ending}")
                    if len(texts) == count:
                        return texts
    raise ValueError(f"Only {len(texts):,} distinct bench texts exist; ask for fewer.")


def measure_sentiment(*, texts: int) -> dict:
    """Texts per second scored by core.feedback.sentiment.score_texts (cache emptied first, default workers)."""
    from core.feedback import sentiment

    batch = short_texts(texts)
    sentiment.clear_cache()
    started = time.perf_counter()
    compound, _language = sentiment.score_texts(batch)
    seconds = time.perf_counter() - started
    sentiment.clear_cache()
    scored = int((compound == compound).sum())  # NaN marks texts that were not scored as English
    pooled = len(batch) >= sentiment.POOL_MIN_TEXTS  # score_texts only starts its pool for big batches
    return {"texts": len(batch), "scored": scored, "seconds": round(seconds, 2),
            "texts_per_s": round(len(batch) / seconds) if seconds else None,
            "workers": min(2, os.cpu_count() or 1) if pooled else 1, "mean_words": round(
                sum(len(t.split()) for t in batch) / len(batch), 1)}


class ReplayedSheets:
    """A `requests` adapter answering Sheets API v4 reads from canned JSON and counting calls by kind."""

    def __init__(self, worksheets: dict[str, list[list[Any]]], spreadsheet_title: str = "Bench responses"):
        import requests

        self.worksheets = worksheets
        self.title = spreadsheet_title
        self.calls: list[str] = []
        adapter = self

        class Adapter(requests.adapters.BaseAdapter):
            def send(self, request, **kwargs):
                return adapter._answer(request)

            def close(self):
                pass

        self.adapter = Adapter()

    def _answer(self, request):
        from urllib.parse import parse_qs, unquote, urlparse

        import requests

        path = unquote(urlparse(request.url).path)
        if path.endswith("/values:batchGet"):
            self.calls.append("values")
            (sheet_range,) = parse_qs(urlparse(request.url).query)["ranges"]
            title = sheet_range.strip("'").replace("''", "'")
            body = {"valueRanges": [{"range": sheet_range, "majorDimension": "ROWS",
                                     "values": self.worksheets[title]}]}
        elif "/values" in path:
            self.calls.append("other")
            body = {}
        else:
            self.calls.append("metadata")
            body = {"properties": {"title": self.title, "timeZone": "UTC"},
                    "sheets": [{"properties": {"title": t, "sheetId": i}} for i, t in enumerate(self.worksheets)]}
        response = requests.Response()
        response.status_code = 200
        response._content = json.dumps(body).encode()
        response.headers["Content-Type"] = "application/json"
        response.url, response.request = request.url, request
        return response

    def client(self):
        """The real gspread client on a session whose traffic goes to this replay."""
        import gspread
        import requests

        session = requests.Session()
        session.mount("https://", self.adapter)
        return gspread.Client(auth=None, session=session)


def measure_sheets(*, worksheets: int = 3, rows: int = 500) -> dict:
    """HTTP calls one sync of `worksheets` survey worksheets makes (replayed client, scratch database)."""
    from core.ingest import sheets
    from core.db import init_db, make_engine

    key = "1BenchBenchBenchBenchBenchBenchBenchBench0"
    header = ["Timestamp", "Email Address", "How likely are you to recommend us?", "Why?"]
    tabs = {}
    for number in range(1, worksheets + 1):
        tabs[f"Wave {number}"] = [header] + [
            [46082.5 + i / 100, f"tasker{number}-{i}@example.org", i % 11, "payout was late" if i % 3 else "great"]
            for i in range(rows)]
    replay = ReplayedSheets(tabs)
    with tempfile.TemporaryDirectory(prefix="crowdpulse-bench-sheets-") as directory:
        engine = make_engine(f"sqlite:///{Path(directory) / 'sheets.db'}")
        try:
            init_db(engine)
            for title in tabs:
                sheets.save_source(engine, name=title, spreadsheet=key, worksheet=title, entity="survey_responses",
                                   constants={"survey_id": title.lower().replace(" ", "-")},
                                   mapping={"comment": "Why?"})
            started = time.perf_counter()
            outcomes = sheets.sync_all(engine, replay.client())
            seconds = time.perf_counter() - started
        finally:
            engine.dispose()
    errors = [o.error for o in outcomes if o.error]
    return {"worksheets": worksheets, "rows_per_worksheet": rows, "http_calls": len(replay.calls),
            "values_calls": replay.calls.count("values"), "metadata_calls": replay.calls.count("metadata"),
            "http_calls_per_worksheet": round(len(replay.calls) / worksheets, 2),
            "values_calls_per_worksheet": round(replay.calls.count("values") / worksheets, 2),
            "seconds": round(seconds, 2), "errors": errors}


# --- the verdicts --------------------------------------------------------------------------------


@dataclass
class Check:
    """One measured figure against its DESIGN §9 target."""

    measure: str
    value: float | None
    unit: str
    target: float | None
    at_most: bool = True  # False: the value must reach at least the target
    note: str = ""

    @property
    def passed(self) -> bool | None:
        if self.value is None or self.target is None:
            return None
        return self.value <= self.target if self.at_most else self.value >= self.target

    def verdict(self) -> str:
        """PASS, MISS with how far off, or a dash for information only."""
        if self.passed is None:
            return "—" if self.value is not None else "n/a"
        if self.passed:
            return "PASS"
        ratio = self.value / self.target if self.target else float("inf")
        return f"MISS ({ratio:.1f}× target)" if self.at_most else f"MISS ({ratio:.0%} of target)"

    def public(self) -> dict:
        """A JSON-ready dict including the verdict."""
        return {**asdict(self), "passed": self.passed, "verdict": self.verdict()}


def page_checks(figures: list[PageFigures]) -> list[Check]:
    """Warm, cold and cold-over-floor checks for every page."""
    checks = []
    for page in figures:
        if page.error:
            checks.append(Check(f"{page.page}: page runs", None, "", None, note=f"ERROR: {page.error[:200]}"))
            continue
        checks.append(Check(f"{page.page}: warm rerun", _round(page.warm, 0), "ms", TARGETS["warm_ms"]))
        checks.append(Check(f"{page.page}: cold run", _round(page.cold, 0), "ms", TARGETS["cold_ms"]))
        # Below ~100 ms of queries a page's cost is Streamlit's fixed work, and the ratio says nothing.
        if page.floor_ms and page.floor_ms >= FLOOR_WORTH_CHECKING_MS:
            checks.append(Check(f"{page.page}: cold ÷ query floor", round(page.cold / page.floor_ms, 2), "×",
                                TARGETS["cold_over_floor"], note=f"floor {page.floor_ms:,.0f} ms"))
    return checks


def other_checks(result: dict) -> list[Check]:
    """Import, sentiment, Sheets and memory checks from a bench result."""
    checks = []
    if result.get("import"):
        figures = result["import"]
        checks.append(Check("import: activity rows/s", figures["rows_per_s"], "rows/s",
                            TARGETS["import_rows_per_s"], at_most=False,
                            note=f"{figures['rows']:,} rows in {figures['seconds']} s into {figures['into']}"))
    if result.get("sentiment"):
        figures = result["sentiment"]
        checks.append(Check("sentiment: short texts/s", figures["texts_per_s"], "texts/s",
                            TARGETS["sentiment_texts_per_s"], at_most=False,
                            note=f"{figures['texts']:,} distinct texts (~{figures['mean_words']} words), "
                                 f"{figures['workers']} workers"))
    if result.get("rollups"):
        figures = result["rollups"]
        checks.append(Check("roll-ups: full rebuild, all areas", figures["total_s"], "s", None,
                            note=", ".join(f"{name} {value} s" for name, value in figures["seconds"].items())))
    if result.get("sheets"):
        figures = result["sheets"]
        checks.append(Check("Sheets: batched value reads per worksheet", figures["values_calls_per_worksheet"],
                            "calls", TARGETS["sheets_reads_per_worksheet"],
                            note=f"{figures['worksheets']} worksheets synced"))
        checks.append(Check("Sheets: all HTTP calls per worksheet", figures["http_calls_per_worksheet"], "calls",
                            None, note="metadata (title, time zone, tab check) + values; each counts against quota"))
    memory = result.get("memory", {})
    if memory.get("all_pages_cached_mb") is not None:
        checks.append(Check("memory: one process, every page cached", memory["all_pages_cached_mb"], "MB",
                            TARGETS["peak_memory_mb"]))
    page_peaks = [p["peak_rss_mb"] for p in result.get("pages", []) if p.get("peak_rss_mb")]
    if page_peaks:
        checks.append(Check("memory: worst single page (peak RSS)", max(page_peaks), "MB", TARGETS["peak_memory_mb"]))
    if memory.get("bench_process_peak_mb") is not None:
        checks.append(Check("memory: bench process maxrss", memory["bench_process_peak_mb"], "MB", None,
                            note="the whole bench: import, sentiment and every page"))
    return checks


def scaling_checks(result: dict, baseline: dict) -> list[Check]:
    """Warm time at this scale over warm time at the baseline's (smaller) scale, per page."""
    before = {p["page"]: p.get("warm_ms_median") for p in baseline.get("pages", [])}
    checks = []
    for page in result.get("pages", []):
        previous, now = before.get(page["page"]), page.get("warm_ms_median")
        if previous and now:
            checks.append(Check(f"{page['page']}: warm {result['scale']} ÷ warm {baseline['scale']}",
                                round(now / previous, 2), "×", TARGETS["warm_growth_per_10x"],
                                note=f"{previous:,.0f} → {now:,.0f} ms"))
    return checks


# --- the whole run -------------------------------------------------------------------------------


def run_bench(*, scale: str, database_url: str | None = None, pages: list[str] | None = None,
              cold: int = 3, warm: int = 5, floor_repeat: int = 3, import_rows: int = 200_000,
              sentiment_texts: int = 100_000, skip: Iterable[str] = (), baseline: dict | None = None,
              timeout: float = 900.0, progress: Callable[[str], None] = lambda _m: None) -> dict:
    """Measure everything DESIGN §9 sets a target for; returns a JSON-ready result with its checks."""
    skip = set(skip)
    known = app_pages()
    pages = pages or known
    unknown = [p for p in pages if p not in known]
    if unknown:
        raise ValueError(f"Unknown page(s) {', '.join(unknown)}; the app has: {', '.join(known)}")
    url = prepare_database(scale, database_url, progress=progress)
    from sqlalchemy.engine import make_url

    result: dict[str, Any] = {
        "scale": scale,
        "database": make_url(url).render_as_string(hide_password=True),
        "counts": database_counts(url),
        "started_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0],
                    "load_average_at_start": [round(v, 2) for v in os.getloadavg()]},
        "settings": {"cold_runs": cold, "warm_runs": warm, "floor_repeat": floor_repeat},
        "targets": TARGETS,
        "pages": [], "memory": {},
    }
    started = time.perf_counter()
    # The small, process-wide figures first: a process that has not yet held every page's data
    # is what the CLI imports and scores texts in.
    if "sentiment" not in skip:
        progress(f"Scoring {sentiment_texts:,} short texts…")
        result["sentiment"] = measure_sentiment(texts=sentiment_texts)
    if "import" not in skip:
        progress(f"Importing {import_rows:,} activity rows…")
        result["import"] = measure_import(url, rows=import_rows, progress=progress)
        progress("Rebuilding every roll-up table (then rolling back)…")
        result["rollups"] = measure_rollups(url)
    if "sheets" not in skip:
        progress("Syncing replayed Google Sheets…")
        result["sheets"] = measure_sheets()
    if "pages" not in skip:
        with _app_database(url):
            progress(f"Timing {len(pages)} pages ({cold} cold, {warm} warm runs each)…")
            figures = measure_pages(url, pages, cold=cold, warm=warm, floor_repeat=floor_repeat, timeout=timeout,
                                    progress=progress)
            result["pages"] = [f.public() for f in figures]
            if "memory" not in skip:
                progress("Running every page in one process to measure memory with all caches filled…")
                result["memory"]["all_pages"] = measure_all_pages_cached(url, pages, timeout=timeout)
                result["memory"]["all_pages_cached_mb"] = result["memory"]["all_pages"]["peak_rss_mb"]
    result["memory"]["bench_process_peak_mb"] = process_peak_mb()
    result["seconds"] = round(time.perf_counter() - started, 1)
    checks = page_checks([_figures_from(p) for p in result["pages"]]) + other_checks(result)
    if baseline:
        checks += scaling_checks(result, baseline)
    result["checks"] = [c.public() for c in checks]
    return result


def _figures_from(public: dict) -> PageFigures:
    return PageFigures(page=public["page"], cold_ms=public["cold_ms"], warm_ms=public["warm_ms"],
                       floor_ms=public["floor_ms"], loaders=public["loaders"],
                       loader_calls_warm=public["loader_calls_warm"], peak_rss_mb=public["peak_rss_mb"],
                       error=public["error"])


# --- tables --------------------------------------------------------------------------------------


def _fmt_ms(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value / 1000:,.2f} s" if value >= 1000 else f"{value:,.0f} ms"


def _fmt_value(check: dict) -> str:
    value = check["value"]
    if value is None:
        return "—"
    if check["unit"] == "ms":
        return _fmt_ms(value)
    if check["unit"] == "×":
        return f"{value:.2f}×"
    if check["unit"] in ("rows/s", "texts/s"):
        return f"{value:,.0f} {check['unit']}"
    if check["unit"] == "MB":
        return f"{value:,.0f} MB"
    return f"{value:g} {check['unit']}".strip()


def _fmt_target(check: dict) -> str:
    if check["target"] is None:
        return "(info)"
    sign = "≤" if check["at_most"] else "≥"
    return f"{sign} {_fmt_value({**check, 'value': check['target']})}"


def page_rows(result: dict) -> list[list[str]]:
    """One row per page: cold, warm, floor, cold/floor, loaders on warm, peak memory, verdict."""
    rows = []
    for page in result.get("pages", []):
        cold, warm, floor = page["cold_ms_median"], page["warm_ms_median"], page["floor_ms"]
        if page["error"]:
            verdict = "ERROR: " + page["error"].splitlines()[0][:60]
        else:
            misses = []
            if warm is not None and warm > TARGETS["warm_ms"]:
                misses.append(f"warm {warm / TARGETS['warm_ms']:.1f}×")
            if cold is not None and cold > TARGETS["cold_ms"]:
                misses.append(f"cold {cold / TARGETS['cold_ms']:.1f}×")
            verdict = "PASS" if not misses else "MISS (" + ", ".join(misses) + ")"
        top = next((l for l in page["loaders"] if l["floor_ms"] is not None), None)
        rows.append([page["page"], _fmt_ms(cold), _fmt_ms(warm), _fmt_ms(floor),
                     f"{cold / floor:.1f}×" if cold and floor else "—",
                     str(page["loader_calls_warm"]),
                     f"{page['peak_rss_mb']:,.0f}" if page["peak_rss_mb"] else "—",
                     f"{top['loader']} {_fmt_ms(top['floor_ms'])}" if top else "—", verdict])
    return rows


PAGE_HEADER = ["page", "cold", "warm", "query floor", "cold ÷ floor", "loads on warm", "peak MB",
               "slowest loader", "verdict"]
CHECK_HEADER = ["measure", "value", "target", "verdict", "note"]


def _check_rows(result: dict, *, pages: bool) -> list[list[str]]:
    rows = []
    for check in result.get("checks", []):
        is_page = ":" in check["measure"] and check["measure"].split(":")[0] in {p["page"] for p in result["pages"]}
        if is_page == pages:
            rows.append([check["measure"], _fmt_value(check), _fmt_target(check), check["verdict"], check["note"]])
    return rows


def _text_table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(header, widths)).rstrip(),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(str(c).ljust(w) for c, w in zip(row, widths)).rstrip() for row in rows]
    return "\n".join(lines)


def _markdown_table(header: list[str], rows: list[list[str]]) -> str:
    def cell(value: str) -> str:
        return str(value).replace("|", "\\|")

    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def headline(result: dict) -> str:
    """What was measured on: scale, data sizes, database, machine."""
    counts = result.get("counts", {})
    sizes = ", ".join(f"{counts[t]:,} {label}" for t, label in (
        ("member", "taskers"), ("activity", "activity rows"), ("queueitem", "queue items"),
        ("feedback", "feedback texts"), ("surveyresponse", "survey responses")) if t in counts)
    machine = result.get("machine", {})
    return (f"CrowdPulse bench · scale {result['scale']} · {sizes} · {result['database']} · "
            f"{machine.get('cpus')} CPUs, load {machine.get('load_average_at_start')} at start · "
            f"{result['started_at']} · {result['settings']['cold_runs']} cold / {result['settings']['warm_runs']} "
            "warm runs per page (medians; every run is router + page)")


def render_table(result: dict, *, markdown: bool = False) -> str:
    """The bench result as a table per section, plain text or Markdown."""
    table = _markdown_table if markdown else _text_table
    parts = [headline(result), ""]
    if result.get("pages"):
        parts += [table(PAGE_HEADER, page_rows(result)), ""]
        page_checks_rows = [r for r in _check_rows(result, pages=True) if "÷ warm" in r[0]]
        if page_checks_rows:
            parts += [table(CHECK_HEADER, page_checks_rows), ""]
    parts.append(table(CHECK_HEADER, _check_rows(result, pages=False)))
    return "\n".join(parts)


def write_result(result: dict, out: Path) -> tuple[Path, Path]:
    """Write the JSON result and a Markdown table next to it; returns both paths."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, default=str), encoding="utf-8")
    markdown = out.with_suffix(".md")
    markdown.write_text(render_table(result, markdown=True) + "\n", encoding="utf-8")
    return out, markdown
