"""Launch readiness: what each launch still needs, and the launch announcement handed to the studio."""

import datetime as dt

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from sqlmodel import Session

from core.comms import launch
from core.db import bump_data_version
from core.models import Project
from core.comms.audience import load_audience_base
from core.demo import seed_demo
from core.workforce.read import load_projects
from tests.app.conftest import APP

ANCHOR = pd.Timestamp("2026-11-22 09:00", tz="UTC").to_pydatetime()


def bump(engine) -> None:
    """Tell the page's caches that the data changed."""
    with Session(engine) as session:
        bump_data_version(session)
        session.commit()


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


def test_each_launch_shows_ready_count_and_what_is_not_ready(launch_page, engine):
    # The upcoming launch that is not ready comes first, the one 10 days ago after it (issue 19).
    readiness = launch.launch_readiness(launch.load_resources(engine), ANCHOR, projects=load_projects(engine))
    assert readiness["project_id"].tolist() == ["p08", "p07"]
    assert [m.value for m in launch_page.metric] == ["0 of 3", "2 of 3"] == readiness["ready_label"].tolist()
    text = " ".join(m.value for m in launch_page.markdown)
    assert "**Harbor Safety Red\\-Teaming** · launch in 7 days" in text  # the imported name, Markdown-escaped
    assert "Opens Sun 29 Nov 2026, 09:00 UTC" in text
    assert "Harbor Guidelines: not published (in review)" in text
    statuses = next(d.value for d in launch_page.dataframe if "problem" in d.value.columns)["status"]
    assert "in review" in set(statuses) and not any("_" in status for status in statuses)
    problems = next(d.value for d in launch_page.dataframe if "problem" in d.value.columns)
    assert set(problems["project"]) >= {"Harbor Safety Red-Teaming", "Grove Code Evaluation"}


def test_a_launch_with_no_resources_stays_listed_as_none_planned(launch_page, engine):
    with Session(engine) as session:
        session.add(Project(project_id="p99", name="Iris Map Review", kind="moderation", status="upcoming",
                            launch_at=ANCHOR + dt.timedelta(days=3)))
        session.commit()
    bump(engine)
    launch_page.run()
    assert [m.value for m in launch_page.metric] == ["0 of 0 — none planned", "0 of 3", "2 of 3"]
    text = " ".join(m.value for m in launch_page.markdown)
    assert "**Iris Map Review** · launch in 3 days" in text and "Missing: guide, faq, sop" in text


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
