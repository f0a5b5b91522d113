"""After a database outage, "Try again" reopens the page the person was on (not Today)."""

import os
import shutil
import subprocess
import sys

import pytest

from scripts.served import stop_server
from tests.browser.conftest import PROJECT_ROOT, AppPage
from tests.conftest import free_port, wait_until_healthy

pytestmark = pytest.mark.browser


@pytest.fixture
def own_app(app_database, tmp_path):
    """The app served on a copy of the browser database that this test may break and mend."""
    source = app_database.removeprefix("sqlite:///")
    copy = tmp_path / "crowdpulse.db"
    shutil.copy(source, copy)
    port = free_port()
    log_path = tmp_path / "server.log"
    env = {**os.environ, "CROWDPULSE_DATABASE_URL": f"sqlite:///{copy}"}
    with open(log_path, "w") as log:
        server = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
                                   "--server.port", str(port), "--server.fileWatcherType", "none",
                                   "--browser.gatherUsageStats", "false"],
                                  cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(base, server, log_path)
        yield base, copy
    finally:
        stop_server(server, timeout=10)


def test_try_again_after_an_outage_reopens_the_page_the_person_was_on(browser, own_app):
    base, database = own_app
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    tab = AppPage(page=context.new_page(), base_url=base)
    tab.page.set_default_timeout(30_000)
    tab.open("queues")
    assert tab.page.locator("h1").first.inner_text() == "Queues"

    healthy = database.read_bytes()
    database.write_bytes(b"this is not a database" * 4096)  # the database goes away under the running app
    for leftover in (database.with_name(database.name + "-wal"), database.with_name(database.name + "-shm")):
        leftover.unlink(missing_ok=True)
    tab.open("queues")
    retry = tab.page.locator(".st-key-database_retry button")
    retry.wait_for()
    assert "/queues" in tab.page.url

    database.write_bytes(healthy)  # the database is back
    tab.click(retry)
    tab.page.locator("h1").filter(has_text="Queues").wait_for()
    assert tab.page.url.split("?")[0].endswith("/queues")
    context.close()
