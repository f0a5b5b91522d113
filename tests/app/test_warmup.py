"""The background warm-up: started once per served process only, and it draws every page it is given."""

import pytest
from streamlit.testing.v1 import AppTest

from tests.browser.conftest import served_app
from ui import warmup


def test_nothing_starts_outside_a_served_session():
    def script():
        import streamlit as st

        from ui import warmup

        st.session_state["thread"] = warmup.start(["", "health"])

    at = AppTest.from_function(script).run()
    assert not at.exception and at.session_state["thread"] is None  # AppTest has no browser connection


@pytest.mark.slow
def test_the_warm_up_draws_each_page_it_is_given_on_a_served_app(seeded_engine, tmp_path, monkeypatch):
    monkeypatch.setenv("CROWDPULSE_WARMUP", "0")  # the server's own warm-up stays off: only ours runs
    url = seeded_engine.url.render_as_string(hide_password=False)
    with served_app(url, tmp_path) as base:
        took = warmup.warm(base.replace("http://", "ws://") + "/_stcore/stream", ["", "health", "queues"])
    assert sorted(took) == ["", "health", "queues"] and all(seconds > 0 for seconds in took.values())
