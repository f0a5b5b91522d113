"""AppTest helpers: run a page of the app against the session's seeded database."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[2] / "app.py")


def open_app(page: str | None = None, *, query: dict | None = None, state: dict | None = None) -> AppTest:
    """Run app.py (optionally switched to a page, with query params and widget state, such as the open tab) against
    the database CROWDPULSE_DATABASE_URL names, and return the AppTest."""
    at = AppTest.from_file(APP, default_timeout=90)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.run()
    if page:
        at.switch_page(f"app_pages/{page}.py").run()
    if state:
        for key, value in state.items():
            at.session_state[key] = value
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.fixture
def app(seeded_engine):
    """`open_app` on the session's seeded database."""
    return open_app
