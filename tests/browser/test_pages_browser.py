"""Every page renders in a real Chromium without an exception, a console error or a missing title."""

import re

import pytest

pytestmark = pytest.mark.browser

PAGES = ["", "queues", "workforce", "health", "weekly", "feedback", "comms", "launch", "data",
         "settings"]


def assert_rendered_cleanly(app_page):
    """No Python exception box, no console error, and a heading in the main area."""
    page = app_page.page
    exceptions = page.locator('[data-testid="stException"]')
    assert exceptions.count() == 0, exceptions.first.inner_text()
    assert not app_page.console_errors, "console errors:\n" + "\n".join(app_page.console_errors)
    headings = page.locator('[data-testid="stMain"]').locator("h1, h2, h3")
    assert headings.count() > 0, "the page has no heading in its main area"


def test_a_deep_link_on_a_fresh_server_goes_through_the_router(app_page):
    # First in this module on purpose: the served app has not run st.navigation yet. With a folder
    # named pages/ Streamlit 1.67 would run that page file alone, skipping sign-in and filters.
    app_page.open("settings")
    sidebar = app_page.page.locator('[data-testid="stSidebar"]').inner_text()
    assert "Date range" in sidebar and "Today" in sidebar
    assert_rendered_cleanly(app_page)


@pytest.mark.parametrize("path", PAGES, ids=[p or "today" for p in PAGES])
def test_page_renders_without_errors(app_page, path):
    app_page.open(path)
    app_page.screenshot(path or "today")
    assert_rendered_cleanly(app_page)


def test_sidebar_link_takes_today_to_queues(app_page):
    app_page.open("")
    app_page.click(app_page.page.locator('[data-testid="stSidebarNav"] a[href$="/queues"]'))
    app_page.page.wait_for_url(re.compile(r"/queues(\?|$)"))  # the filters ride along in the query
    app_page.screenshot("journey-today-to-queues")
    assert_rendered_cleanly(app_page)


def test_charts_are_drawn_full_width(app_page):
    # Charts go to the browser as plain Vega-Lite specs with their aggregates inline (ui.widgets).
    app_page.open("queues")
    page = app_page.page
    charts = page.locator('[data-testid="stVegaLiteChart"]')
    charts.first.wait_for(state="visible", timeout=30_000)
    drawn = page.locator('[data-testid="stVegaLiteChart"] canvas, [data-testid="stVegaLiteChart"] svg.marks')
    drawn.first.wait_for(state="visible", timeout=30_000)
    assert charts.count() >= 3 and drawn.count() >= 3
    box = drawn.first.bounding_box()
    assert box and box["width"] > 200 and box["height"] > 100
    assert_rendered_cleanly(app_page)


@pytest.mark.parametrize(("path", "tab", "shows"), [
    ("feedback", "Inbox", ".st-key-feedback_inbox_status"),
    ("feedback", "Report", ".st-key-feedback_report_html"),
    ("queues", "Paused, waiting on the tasker", "text=These clocks are stopped by a pause status"),
])
def test_a_tab_runs_when_it_is_opened_and_stays_open(app_page, path, tab, shows):
    # Only the open tab runs (ui.widgets.lazy_tabs): a click reruns the page with that tab's content.
    app_page.open(path)
    page = app_page.page
    assert page.locator(shows).count() == 0
    page.get_by_role("tab", name=tab, exact=True).click()
    page.locator(shows).first.wait_for(state="visible", timeout=30_000)
    app_page.wait_for_app()
    assert page.get_by_role("tab", name=tab, exact=True).get_attribute("aria-selected") == "true"
    app_page.screenshot(f"tab-{path}-{tab.split(',')[0].lower().replace(' ', '-')}")
    assert_rendered_cleanly(app_page)
