"""Browser fixtures: the real app served by `streamlit run` on a seeded database, and Chromium."""

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from scripts.served import stop_server
from tests.conftest import DEMO_ANCHOR, free_port, missing_tool, wait_until_healthy

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
# From RECIPES.md: these let the distribution's Chromium run headless in a container.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]
# Opening a page by its URL makes Streamlit probe /<page>/_stcore/health and /host-config
# before the root ones (it guesses the base path): two 404s that are not the app's fault.
# https://github.com/streamlit/streamlit/issues/7074
BASE_PATH_PROBE = re.compile(r"/[^/]+/_stcore/(health|host-config)$")
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
# Counts the script runs the app finishes: every change of stApp's data-test-script-state away from "running".
# Installed once per tab (st.page_link and st.switch_page keep the same document), it returns the count so far.
COUNT_RUNS = """() => {
    if (window.__runsFinished === undefined) {
        window.__runsFinished = 0;
        new MutationObserver(records => {
            for (const record of records) {
                if (record.oldValue === 'running') window.__runsFinished += 1;
            }
        }).observe(document.body, {subtree: true, attributes: true, attributeOldValue: true,
                                   attributeFilter: ['data-test-script-state']});
    }
    return window.__runsFinished;
}"""


@pytest.fixture(scope="session")
def app_database(tmp_path_factory):
    """A SQLite file of its own for the served app, holding the tiny demo scenario (seed 7)."""
    from core.db import init_db, make_engine
    from core.demo import seed_demo

    url = f"sqlite:///{tmp_path_factory.mktemp('browser-db') / 'crowdpulse.db'}"
    engine = make_engine(url)
    init_db(engine)
    seed_demo(engine, scale="tiny", seed=7, anchor=DEMO_ANCHOR)  # seen from CROWDPULSE_NOW = the anchor
    engine.dispose()
    return url


@contextmanager
def served_app(database_url: str, log_dir: Path, *options: str, port: int | None = None) -> Iterator[str]:
    """`streamlit run app.py` on the database at `database_url` (on `port`, else a free one, with more
    `options`): yields its base URL once it is healthy and stops it on exit."""
    port = port or free_port()
    log_path = log_dir / "server.log"
    env = {**os.environ, "CROWDPULSE_DATABASE_URL": database_url}
    command = [
        sys.executable, "-m", "streamlit", "run", "app.py",
        "--server.headless", "true", "--server.port", str(port),
        "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false", *options,
    ]
    with open(log_path, "w") as log:
        server = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdout=log,
                                  stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(base, server, log_path)
        yield base
    finally:
        stop_server(server, timeout=10)


@pytest.fixture(scope="session")
def app_url(app_database, tmp_path_factory):
    """Base URL of `streamlit run app.py` on a free port, stopped at the end of the session."""
    if not (PROJECT_ROOT / "app.py").exists():
        missing_tool("app.py does not exist yet")
    with served_app(app_database, tmp_path_factory.mktemp("streamlit")) as base:
        yield base


@pytest.fixture(scope="session")
def browser():
    """Headless Chromium from the distribution, driven by Playwright."""
    if not CHROMIUM.exists():
        missing_tool(f"{CHROMIUM} is missing: apt-get install -y chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing_tool("the playwright package is not installed: pip install -r requirements-dev.txt")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@dataclass
class AppPage:
    """A browser tab on the app that remembers what went wrong in its console."""

    page: object
    base_url: str
    console_errors: list[str] = field(default_factory=list)

    def record_console(self, message) -> None:
        """Keep console errors, except Streamlit's own base-path probes."""
        if message.type != "error":
            return
        url = message.location.get("url", "")
        if "404" in message.text and BASE_PATH_PROBE.search(url):
            return
        self.console_errors.append(f"{message.text} @ {url}")

    def open(self, path: str = "") -> None:
        """Go to a page of the app and wait until its script has finished."""
        self.page.goto(f"{self.base_url}/{path}")
        self.wait_for_app()

    def wait_for_app(self, timeout_ms: int = 60_000) -> None:
        """Wait as Streamlit's own e2e suite does: connected, script not running, no skeleton."""
        self.page.wait_for_function(
            """() => {
                const app = document.querySelector('[data-testid="stApp"]');
                return app !== null
                    && app.dataset.testConnectionState === 'CONNECTED'
                    && app.dataset.testScriptState === 'notRunning'
                    && document.querySelector('[data-testid="stSkeleton"]') === null;
            }""",
            timeout=timeout_ms,
        )

    def rerun_after(self, action) -> None:
        """Do `action` (a click, a key press) and wait until the script run it starts has finished."""
        finished = self.page.evaluate(COUNT_RUNS)
        action()
        self.page.wait_for_function("n => window.__runsFinished > n", arg=finished)
        self.wait_for_app()

    def click(self, locator) -> None:
        """Click something that makes the app rerun, and wait for that run to finish."""
        self.rerun_after(locator.click)

    def screenshot(self, name: str) -> Path:
        """Save a screenshot of the whole main area for a human to look at."""
        SCREENSHOTS.mkdir(exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        # Streamlit scrolls inside stMain, so full_page alone would stop at the viewport.
        viewport = self.page.viewport_size
        height = self.page.evaluate(
            "document.querySelector('[data-testid=\"stMain\"]')?.scrollHeight ?? 0")
        self.page.set_viewport_size({"width": viewport["width"],
                                     "height": min(max(viewport["height"], height), 6000)})
        # let charts re-lay out at the new size: two animation frames
        self.page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
        self.page.screenshot(path=str(path), full_page=True)
        self.page.set_viewport_size(viewport)
        return path


@contextmanager
def browser_tab(browser, base_url: str) -> Iterator[AppPage]:
    """A fresh browser tab (no cookies) on the app at `base_url` that records console errors and page crashes."""
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    page.set_default_timeout(30_000)
    tab = AppPage(page=page, base_url=base_url)
    page.on("console", tab.record_console)
    page.on("pageerror", lambda error: tab.console_errors.append(f"uncaught: {error}"))
    try:
        yield tab
    finally:
        context.close()


@pytest.fixture
def app_page(browser, app_url):
    """A fresh browser tab on the served app."""
    with browser_tab(browser, app_url) as tab:
        yield tab
