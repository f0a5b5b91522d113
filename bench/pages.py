"""The bench's page timings: each page's cold and warm run through AppTest, and its query floor.

Every run is the router plus the page, as a browser rerun is. While a page runs, a clock
wraps every `core` loader (a function whose first parameter is the engine) and records the
outermost calls; replaying those reads directly gives the page's query floor, the part of
the page no rendering work can beat.
"""

import functools
import gc
import importlib
import inspect
import logging
import os
import pkgutil
import re
import statistics
import sys
import threading
import time
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import altair  # noqa: F401  (imported before any timed run, as a server does at start-up)
import streamlit as st
import streamlit.logger
from streamlit import config
from streamlit.components.v2.component_manager import BidiComponentManager
from streamlit.runtime.scriptrunner.script_cache import ScriptCache
from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx
from streamlit.testing.v1 import AppTest, app_test, local_script_runner

import core
from core.db import make_engine
from core.settings import PROJECT_ROOT

from bench.report import format_ms, round_or_none
from bench.throughput import megabytes, proc_status_kb, process_peak_mb, reset_peak_rss

APP = PROJECT_ROOT / "app.py"

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
        out.update(cold_ms_median=round_or_none(self.cold), warm_ms_median=round_or_none(self.warm),
                   cold_ms=[round(v, 1) for v in self.cold_ms], warm_ms=[round(v, 1) for v in self.warm_ms])
        return out


class _PageDriver:
    """Runs app.py through AppTest with the router landing on one page on every run.

    AppTest re-executes only a page's script after `switch_page`, skipping the router; a real
    rerun runs both. So every run starts from the main script and `st.navigation` is steered to
    the page by setting the session's intended page, as a browser URL would.

    Each private Streamlit name used here is listed, with the figure that justifies it, in
    `bench.streamlit_internals`, which a test probes on every Streamlit upgrade.
    """

    def __init__(self, timeout: float):
        self.timeout = timeout
        self.target: Path | None = None
        self.landed = False
        self.files = page_files()
        # Streamlit installs the app script as sys.modules["__main__"] and leaves it there; a
        # process pool started later (core.feedback.sentiment) would re-run app.py in every worker.
        self._real_main = sys.modules.get("__main__")
        self._real_navigation = st.navigation
        driver = self

        # Private: StreamlitPage._page/_script_hash, ScriptRunContext.pages_manager.set_script_intent.
        # Without this steering a cold run first renders Today (312 ms cold at demo, 1.26 s at large,
        # README) and starts with Today's caches filled.
        def navigation(pages, **kwargs):
            sections = pages.values() if isinstance(pages, dict) else [pages]
            for page in (p for section in sections for p in section):
                if isinstance(page._page, Path) and page._page.resolve() == driver.target:
                    get_script_run_ctx().pages_manager.set_script_intent(page._script_hash, "")
                    driver.landed = True
            return driver._real_navigation(pages, **kwargs)

        st.navigation = navigation
        # Private: app_test.ScriptCache, local_script_runner.ScriptCache. AppTest compiles the scripts
        # afresh on every run (a new ScriptCache each time, ~50 ms of AST rewriting here); a server
        # compiles each script once. Share one cache, as a server does.
        shared = ScriptCache()
        self._script_cache_owners = (app_test, local_script_runner)
        for module in self._script_cache_owners:
            module.ScriptCache = lambda: shared
        # Private: BidiComponentManager.discover_and_register_components, AppTest._bidi_component_manager.
        # Likewise a server looks for installed custom components once, at start; AppTest does it for
        # every new session (~55 ms of scanning packages here). Share one registry.
        self._components = BidiComponentManager()
        self._components.discover_and_register_components(start_file_watching=False)

    def close(self) -> None:
        st.navigation = self._real_navigation
        for module in self._script_cache_owners:
            module.ScriptCache = ScriptCache
        if self._real_main is not None:
            sys.modules["__main__"] = self._real_main

    def open(self, page: str):
        """A new session (AppTest) that will land on `page`."""
        self.target = self.files[page]
        at = AppTest.from_file(str(APP), default_timeout=self.timeout)
        at._bidi_component_manager = self._components
        return at

    def run(self, at) -> tuple[float, str | None]:
        """Run the whole app once; (milliseconds, first exception message or None)."""
        # Private: AppTest._page_hash/_finished_page_script_hash. An empty request makes every run start
        # from the router and land through the steering above (else a cold run renders Today first).
        at._page_hash = at._finished_page_script_hash = ""
        self.landed = False
        started = time.perf_counter()
        at.run()
        elapsed = (time.perf_counter() - started) * 1000
        error = at.exception[0].value if len(at.exception) else None
        if not self.landed and error is None:
            error = f"the router did not offer {self.target.name}: this run showed another page"
        return elapsed, error


def _quiet_streamlit() -> None:
    # Private: streamlit.logger.set_log_level. AppTest logs "missing ScriptRunContext" and "No runtime
    # found" on every session, a pair per timed run: noise here.
    config.set_option("logger.level", "error")
    streamlit.logger.set_log_level("error")
    for name in ("streamlit", "streamlit.runtime", "streamlit.runtime.scriptrunner_utils.script_run_context",
                 "streamlit.runtime.caching.storage.dummy_cache_storage"):
        logging.getLogger(name).setLevel(logging.ERROR)


@contextmanager
def app_database(url: str):
    """Point the app at `url` for the block, through the environment, as `streamlit run` would."""
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
            figures, first_calls = _measure_page(driver, clock, page, cold=cold, warm=warm)
            figures.loaders = replay_floor(url, first_calls, repeat=floor_repeat)
            figures.floor_ms = round(sum(r["floor_ms"] or 0 for r in figures.loaders), 1)
            progress(f"{page:>10}: cold {format_ms(figures.cold)}, warm {format_ms(figures.warm)}, "
                     f"floor {format_ms(figures.floor_ms)}" + (f"  ERROR {figures.error[:120]}" if figures.error else ""))
            results.append(figures)
    finally:
        driver.close()
        clock.uninstall()
    return results


def _measure_page(driver: "_PageDriver", clock: LoaderClock, page: str, *, cold: int,
                  warm: int) -> tuple[PageFigures, list[LoaderCall]]:
    """One page's cold runs (caches emptied before each), then its warm reruns in the last session.

    Returns the figures and the loader calls of the first cold run, whose reads make the query floor.
    """
    figures = PageFigures(page)
    per_page_peak = reset_peak_rss()
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
    figures.peak_rss_mb = megabytes(proc_status_kb("VmHWM")) if per_page_peak else None
    return figures, first_calls


def _warm_up_imports(driver: _PageDriver) -> None:
    # The first script run in a process imports pandas' I/O and Streamlit's elements (Altair is
    # imported with this module); a server pays that once at start-up, not on a page, so no page
    # is charged for it.
    AppTest.from_string("import streamlit as st\nst.dataframe({'a': [1]})", default_timeout=driver.timeout).run()


def measure_all_pages_cached(url: str, pages: list[str], *, timeout: float = 900.0) -> dict:
    """Peak memory of one process holding every page's cached data at once (a long-running server)."""
    driver = _PageDriver(timeout)
    try:
        clear_streamlit_caches()
        measured = reset_peak_rss()
        started = time.perf_counter()
        for page in pages:
            driver.run(driver.open(page))
        seconds = time.perf_counter() - started
        return {"peak_rss_mb": megabytes(proc_status_kb("VmHWM")) if measured else process_peak_mb(),
                "rss_after_mb": megabytes(proc_status_kb("VmRSS")), "seconds": round(seconds, 1)}
    finally:
        driver.close()
        clear_streamlit_caches()


