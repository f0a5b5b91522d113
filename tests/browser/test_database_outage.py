"""After a database outage, "Try again" reopens the page the person was on (not Today)."""

import shutil

import pytest

from tests.browser.conftest import browser_tab, served_app

pytestmark = pytest.mark.browser


@pytest.fixture
def own_app(app_database, tmp_path):
    """The app served on a copy of the browser database that this test may break and mend."""
    source = app_database.removeprefix("sqlite:///")
    copy = tmp_path / "crowdpulse.db"
    shutil.copy(source, copy)
    with served_app(f"sqlite:///{copy}", tmp_path) as base:
        yield base, copy


def test_try_again_after_an_outage_reopens_the_page_the_person_was_on(browser, own_app):
    base, database = own_app
    with browser_tab(browser, base) as tab:
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
