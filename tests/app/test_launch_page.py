"""Launch readiness: what each launch still needs, and the launch announcement handed to the studio."""

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from core.comms import launch
from core.comms.audience import load_audience_base
from core.demo import seed_demo
from core.workforce.read import load_projects
from tests.app.conftest import APP

ANCHOR = pd.Timestamp("2026-11-22 09:00", tz="UTC").to_pydatetime()


@pytest.fixture
def launch_page(engine, monkeypatch) -> AppTest:
    """The Launch readiness page on a tiny demo with a fixed anchor."""
    seed_demo(engine, scale="tiny", seed=7, anchor=ANCHOR)
    monkeypatch.setenv("CROWDPULSE_NOW", ANCHOR.isoformat())  # looked at from the moment it was seeded
    monkeypatch.setenv("CROWDPULSE_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    at = AppTest.from_file(APP, default_timeout=90).run()
    at.switch_page("app_pages/launch.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_each_launch_shows_ready_count_and_what_is_not_ready(launch_page):
    assert [m.value for m in launch_page.metric] == ["2/3", "0/3"]
    text = " ".join(m.value for m in launch_page.markdown)
    assert "**Harbor Safety Red\\-Teaming** · launch in 7 days" in text  # the imported name, Markdown-escaped
    assert "Opens Sun 29 Nov 2026, 09:00 UTC" in text
    assert "Harbor Guidelines: not published (in_review)" in text
    problems = next(d.value for d in launch_page.dataframe if "problem" in d.value.columns)
    assert set(problems["project"]) >= {"Harbor Safety Red-Teaming", "Grove Code Evaluation"}


def test_draft_the_launch_announcement_hands_the_project_and_its_audience_to_the_studio(launch_page, engine):
    launch_page.button(key="launch_announce_p08").click().run()
    handoff = launch_page.session_state["comms_handoff"]
    assert (handoff["template"], handoff["project_id"], handoff["label"]) == \
        ("project_launch", "p08", "taskers on other moderation projects")
    # Nobody has worked on p08 before launch: the active taskers on the other moderation projects get it.
    member_ids, label = launch.launch_audience(load_audience_base(engine), load_projects(engine), "p08")
    assert (handoff["member_ids"], handoff["label"]) == (member_ids, label)
    assert len(member_ids) > 0
    launch_page.switch_page("app_pages/comms.py").run()
    assert launch_page.selectbox(key="comms_new_template").value == "project_launch"
    assert launch_page.selectbox(key="comms_new_project").value == "p08"


def test_today_lists_the_launch_that_is_not_ready_within_7_days(launch_page):
    launch_page.switch_page("app_pages/today.py").run()
    listed = [m.value for m in launch_page.markdown] + [
        title for d in launch_page.dataframe if "title" in d.value.columns for title in d.value["title"]]
    assert any("Harbor Safety Red-Teaming launches in 7 days" in text.replace("\\", "") for text in listed)
