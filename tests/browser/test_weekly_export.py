"""The weekly report's HTML export is a self-contained page that shows its charts in a real browser."""

import pytest

from core import reports, timeline, weeks
from core.db import make_engine

pytestmark = pytest.mark.browser


def test_html_export_opens_in_chromium_with_its_trend_charts(browser, app_database, tmp_path):
    engine = make_engine(app_database)
    week = weeks.last_complete_week(timeline.data_as_of(engine))
    page_file = tmp_path / "weekly.html"
    page_file.write_text(reports.to_html(reports.weekly_report_from_db(engine, week)), encoding="utf-8")
    context = browser.new_context(viewport={"width": 1000, "height": 1600}, offline=True)  # nothing may load from outside
    page = context.new_page()
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.goto(page_file.as_uri())
    assert page.locator("h1").inner_text() == f"CrowdPulse weekly health — {week}"
    assert page.locator("figure svg").count() == 6
    assert page.locator("figure svg path").count() > 6  # the lines are drawn
    assert not errors
    page.screenshot(path=str(tmp_path / "weekly.png"), full_page=True)
    context.close()
