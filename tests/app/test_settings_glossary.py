"""Settings, Glossary tab: a team teaches the checks its project's words, and the checks use them (issue 19)."""

import datetime as dt

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from core.comms import checks, glossary
from core.demo import seed_demo
from tests.app.conftest import APP

ANCHOR = pd.Timestamp("2026-11-22 09:00", tz="UTC").to_pydatetime()
SEND = dt.date(2026, 11, 23)


@pytest.fixture
def settings_page(engine, monkeypatch) -> AppTest:
    """The Settings page, as the local admin, on a tiny demo."""
    seed_demo(engine, scale="tiny", seed=7, anchor=ANCHOR)
    monkeypatch.setenv("CROWDPULSE_NOW", ANCHOR.isoformat())
    monkeypatch.setenv("CROWDPULSE_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    at = AppTest.from_file(APP, default_timeout=90).run()
    at.switch_page("app_pages/settings.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def teach(at: AppTest, term: str, plain: str) -> AppTest:
    """Type a term and its plain wording and save them."""
    at.text_input(key="settings_glossary_term").set_value(term)
    at.text_input(key="settings_glossary_plain").set_value(plain)
    next(b for b in at.button if b.label == "Add or change the term").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    return at


def shown_terms(at: AppTest) -> list[list[str]]:
    """The project's own terms as the Glossary tab lists them."""
    return next(d.value for d in at.dataframe if list(d.value.columns) == ["term", "plain wording"]).values.tolist()


def test_a_team_teaches_pairwise_and_the_checks_suggest_its_wording(settings_page, engine):
    at = settings_page
    at.selectbox(key="settings_glossary_project").set_value("p03").run()
    teach(at, "side by side task", "comparison of two answers")
    assert shown_terms(at) == [["side by side task", "comparison of two answers"]]
    text = "Rate each answer in the side by side task. Read the guide."
    plain = checks.check_text(text, send_date=SEND)
    taught = checks.check_text(text, send_date=SEND, glossary=glossary.audience_glossary(engine, "p03"))
    assert [f.kind for f in plain.findings] == []
    assert [(f.kind, f.text, f.suggestion) for f in taught.findings] == [
        ("jargon", "side by side task", "Say 'comparison of two answers' instead of 'side by side task'.")]
    # Another project's taskers are not taught it.
    assert checks.check_text(text, send_date=SEND, glossary=glossary.audience_glossary(engine, "p01")).findings == []


def test_a_term_the_taskers_know_is_no_longer_flagged_and_can_be_removed(settings_page, engine):
    at = settings_page
    at.selectbox(key="settings_glossary_project").set_value("p03").run()
    text = "Keep your IAA above 0.8. Read the guide."
    assert [f.text for f in checks.check_text(text, send_date=SEND).findings] == ["IAA"]
    teach(at, "IAA", "")
    assert shown_terms(at) == [["IAA", glossary.KNOWN_TERM]]
    assert checks.check_text(text, send_date=SEND, glossary=glossary.audience_glossary(engine, "p03")).findings == []
    at.button(key="settings_glossary_remove_button").click().run()
    assert glossary.project_terms(engine, "p03")[0] == ()
    audit = pd.read_sql("SELECT entity_id, action FROM auditevent WHERE entity = 'setting'", engine)
    assert audit.values.tolist().count(["glossary:p03", "update"]) == 2
