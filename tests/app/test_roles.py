"""Sign-in and roles: who sees which page, and what a viewer may see of people's details."""

import pytest
from streamlit.testing.v1 import AppTest

from core import people
from tests.app.conftest import APP

AUTH = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "x" * 32, "client_id": "id",
        "client_secret": "secret", "server_metadata_url": "https://example.invalid/.well-known/openid-configuration"}


def signed_in(email: str | None, page: str | None = None) -> AppTest:
    """Run the app with [auth] configured and this email signed in (None: nobody signed in)."""
    at = AppTest.from_file(APP, default_timeout=90)
    at.secrets["auth"] = AUTH
    at.user = {"is_logged_in": True, "email": email} if email else {"is_logged_in": False}
    at.run()
    if page:
        at.switch_page(f"app_pages/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_nobody_signed_in_sees_only_the_sign_in_button(seeded_engine):
    at = signed_in(None)
    assert at.button(key="auth_sign_in")
    assert not at.metric


def test_an_email_without_a_role_is_told_to_ask_an_admin(seeded_engine):
    at = signed_in("stranger@example.com")
    assert at.title[0].value == "No access yet"
    assert "ask an admin" in at.error[0].value.lower()


@pytest.mark.parametrize("page", ["settings", "data", "comms"])
def test_a_viewer_sees_today_but_no_page_above_their_role(seeded_engine, page):
    at = signed_in("sam.viewer@crowdpulse.example")
    assert at.title[0].value == "Today"
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page(f"app_pages/{page}.py")


def test_a_specialist_reaches_the_comms_studio_but_not_settings(seeded_engine):
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        signed_in("priya.cs@crowdpulse.example").switch_page("app_pages/settings.py")
    assert signed_in("priya.cs@crowdpulse.example", "comms").title[0].value == "Comms studio"


def test_a_viewer_sees_masked_emails_and_handles_in_member_lists(seeded_engine):
    at = signed_in("sam.viewer@crowdpulse.example", "health")
    members = next(frame.value for frame in at.dataframe if "handle" in frame.value.columns)
    assert len(members) and members["handle"].str.endswith("…").all()


def test_a_manager_opens_settings_but_cannot_edit_people(seeded_engine):
    at = signed_in("marcus.lead@crowdpulse.example", "settings")
    assert at.title[0].value == "Settings"
    assert not [b for b in at.button if b.key == "settings_person_save"]


def test_role_check_refuses_on_the_server_side_too(engine):
    from core.errors import NotAllowed
    with pytest.raises(NotAllowed, match="Only an admin can change people and roles; you are signed in as manager"):
        people.save_person(engine, email="new@crowdpulse.example", name="New", role="admin", actor="marcus",
                           actor_role="manager")
