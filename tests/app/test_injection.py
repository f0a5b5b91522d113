"""Hostile text in imported data renders as text: no HTML, script, link or formula runs anywhere."""

import datetime as dt
import re

import pytest
from sqlmodel import Session, select

from core import models
from core.demo import seed_demo
from core.exports import markdown_literal, to_safe_csv

UNESCAPED = re.compile(r"(?<!\\)<(script|img)|(?<!\\)\]\(javascript")
HOSTILE = [
    "<script>alert('x')</script>",
    "<img src=x onerror=alert(1)>",
    "[click me](javascript:alert(1))",
    ":red[spoofed alert] **bold** $x^2$",
    "=HYPERLINK(\"http://evil.example\",\"pay\")",
    "'; DROP TABLE member; --",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_escaped_markdown_keeps_every_character_but_none_of_the_meaning(text):
    escaped = markdown_literal(text)
    assert escaped.replace("\\", "") == text.replace("\\", "")
    for special in "<>[]():*$":
        assert f"\\{special}" in escaped or special not in text


def test_formula_cells_are_neutralised_in_csv_exports():
    import pandas as pd
    csv = to_safe_csv(pd.DataFrame({"text": HOSTILE})).decode()
    assert "'=HYPERLINK" in csv and "\n=HYPERLINK" not in csv and '\n"=HYPERLINK' not in csv


@pytest.fixture
def hostile_app(engine, monkeypatch):
    """A tiny demo whose project name and newest feedback carry hostile text."""
    seed_demo(engine, scale="tiny", seed=7, anchor=dt.datetime(2026, 11, 20, 12, tzinfo=dt.UTC))
    with Session(engine) as session:
        project = session.get(models.Project, "p05")
        project.name = "<img src=x onerror=alert(1)> [Ember](javascript:alert(1))"
        for i, text in enumerate(HOSTILE):
            session.add(models.Feedback(feedback_id=f"evil{i}", channel="slack", member_id="m000001", project_id="p05",
                                        created_at=dt.datetime(2026, 11, 20, 11, tzinfo=dt.UTC), text=text,
                                        sentiment=-0.5, themes=["tooling"], language="en"))
        session.add(models.Setting(key="'; DROP TABLE member; --", value="<b>x</b>"))
        for resource in session.exec(select(models.Resource)).all():  # Launch readiness lists the stale ones by title
            resource.title = ":red[**Urgent**] [guide](https://evil.example) <b>FAQ</b>"
            session.add(resource)
        session.commit()
    monkeypatch.setenv("CROWDPULSE_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    return engine


@pytest.mark.parametrize("page", [None, "queues", "feedback", "weekly", "settings", "launch"])
def test_pages_render_hostile_data_as_text(hostile_app, page):
    from streamlit.testing.v1 import AppTest

    from tests.app.conftest import APP
    at = AppTest.from_file(APP, default_timeout=90).run()
    if page:
        at.switch_page(f"app_pages/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    for tab in [t.label for t in at.tabs] if page == "feedback" else [None]:  # Feedback runs only its open tab
        if tab:
            at.session_state["feedback_tab"] = tab
            at.run()
        for element in at.markdown:  # anything hostile that reaches Markdown arrives escaped
            assert not UNESCAPED.search(element.value), element.value
    if page == "launch":
        shown = "\n".join(element.value for element in at.markdown)
        assert "\\:red\\[\\*\\*Urgent" in shown and ":red[**Urgent" not in shown
    with Session(hostile_app) as session:
        assert session.get(models.Member, "m000001") is not None  # nothing was dropped
