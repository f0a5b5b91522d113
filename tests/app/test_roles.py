"""Sign-in and roles: who sees which page, and what a viewer may see of people's details."""

import tomllib
from pathlib import Path

import pandas as pd
import pytest
from streamlit import config as st_config
from streamlit.testing.v1 import AppTest

from core import people
from core.comms import approval, workflow
from core.demo import seed_demo
from core.health import segments
from tests.app.conftest import APP
from ui import serving

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


def test_role_check_refuses_on_the_server_side_too(seeded_engine):
    from core.errors import NotAllowed
    with pytest.raises(NotAllowed, match="Only an admin can change people and roles; you are signed in as manager"):
        people.save_person(seeded_engine, email="new@crowdpulse.example", name="New", role="admin",
                           actor="marcus.lead@crowdpulse.example")


# --- who may open the app without sign-in (issue 16: local mode listens on localhost only) -------------------------


@pytest.mark.parametrize(("address", "auth", "trusted", "mode"), [
    ("127.0.0.1", False, False, "local"),
    ("localhost", False, False, "local"),
    ("::1", False, False, "local"),
    ("0.0.0.0", False, False, "refused"),
    ("", False, False, "refused"),  # Streamlit's default: every interface
    (None, False, False, "refused"),
    ("192.168.1.20", False, True, "trusted-network"),
    ("0.0.0.0", True, False, "sign-in"),
    ("127.0.0.1", True, True, "sign-in"),
])
def test_serving_mode_refuses_an_open_admin_on_a_network(address, auth, trusted, mode):
    assert serving.serving_mode(address, auth=auth, trusted_network=trusted) == mode


@pytest.mark.parametrize(("address", "trusted", "code", "line"), [
    ("127.0.0.1", "", 0, "Local single-user mode: only this computer can open it (listening on 127.0.0.1)"),
    ("0.0.0.0", "", 1, "Refusing to serve 0.0.0.0 without sign-in"),
    ("0.0.0.0", "1", 0, "Trusted-network mode: anyone who can reach this port is admin (CROWDPULSE_TRUSTED_NETWORK=1"),
])
def test_make_run_says_how_it_serves_and_refuses_a_network_without_sign_in(monkeypatch, capsys, address, trusted,
                                                                          code, line):
    monkeypatch.setenv("CROWDPULSE_TRUSTED_NETWORK", trusted)
    monkeypatch.setattr(serving, "auth_configured", lambda: False)
    assert serving.startup_check(address) == code
    assert capsys.readouterr().out.startswith(line)


def test_the_shipped_config_listens_on_this_computer_only():
    config = tomllib.loads((Path(APP).parent / ".streamlit" / "config.toml").read_text())
    assert config["server"]["address"] == "127.0.0.1"


@pytest.fixture
def server_address():
    """Set Streamlit's server.address for an AppTest run (AppTest reads the option in this process)."""
    before = st_config.get_option("server.address")
    yield lambda address: st_config.set_option("server.address", address)
    st_config.set_option("server.address", before)


def test_local_mode_says_only_this_computer_can_open_it(seeded_engine):
    at = AppTest.from_file(APP, default_timeout=90).run()
    assert not at.exception
    assert at.title[0].value == "Today"
    assert any(c.value.startswith("Local single-user mode: only this computer can open it") for c in at.sidebar.caption)


def test_without_sign_in_the_app_refuses_to_serve_a_network(seeded_engine, server_address, monkeypatch):
    monkeypatch.delenv("CROWDPULSE_TRUSTED_NETWORK", raising=False)
    server_address("0.0.0.0")
    at = AppTest.from_file(APP, default_timeout=90).run()
    assert not at.exception
    assert at.title[0].value == "CrowdPulse needs sign-in here"
    assert at.error[0].value.startswith("Refusing to serve 0.0.0.0 without sign-in")
    assert not at.metric and not at.sidebar.caption


def test_a_trusted_network_is_served_with_a_loud_warning(seeded_engine, server_address, monkeypatch):
    monkeypatch.setenv("CROWDPULSE_TRUSTED_NETWORK", "1")
    server_address("0.0.0.0")
    at = AppTest.from_file(APP, default_timeout=90).run()
    assert not at.exception
    assert at.title[0].value == "Today"
    assert at.sidebar.warning[0].value.startswith("Trusted-network mode: anyone who can reach this port is admin")


def test_with_sign_in_a_network_address_shows_the_sign_in_button(seeded_engine, server_address):
    server_address("0.0.0.0")
    at = signed_in(None)
    assert at.button(key="auth_sign_in")


# --- a viewer is told who can draft, instead of a button that crashes (the Comms studio is not theirs) ------------


def test_a_viewer_is_asked_to_get_a_specialist_instead_of_a_draft_button(seeded_engine):
    at = signed_in("sam.viewer@crowdpulse.example", "health")
    members = next(frame.value for frame in at.dataframe if "handle" in frame.value.columns)
    assert not [b for b in at.button if b.key == "health_message"]
    label = segments.MEMBER_LISTS[at.selectbox(key="health_members").value].lower()
    hints = [c.value for c in at.caption if c.value.startswith("Ask a specialist to draft")]
    assert hints == [f"Ask a specialist to draft a message to these {len(members):,} {label}: viewers read, "
                     "specialists write."]


def test_a_specialist_still_hands_the_same_members_to_the_comms_studio(seeded_engine):
    at = signed_in("priya.cs@crowdpulse.example", "health")
    members = next(frame.value for frame in at.dataframe if "handle" in frame.value.columns)
    label = segments.MEMBER_LISTS[at.selectbox(key="health_members").value].lower()
    button = at.button(key="health_message")
    assert button.label == f"Draft a message to these {len(members):,} {label}"
    button.click().run()
    assert not at.exception
    assert at.title[0].value == "Comms studio"


def test_a_viewer_sees_who_drafts_each_launch_announcement(seeded_engine):
    buttons = [b for b in signed_in("priya.cs@crowdpulse.example", "launch").button
               if b.key.startswith("launch_announce_")]
    at = signed_in("sam.viewer@crowdpulse.example", "launch")
    assert buttons, "the fixture has launches within 30 days"
    assert not [b for b in at.button if b.key.startswith("launch_announce_")]
    hints = [c.value for c in at.caption if c.value.startswith("Ask a specialist to draft the launch announcement")]
    assert len(hints) == len(buttons)


# --- four eyes in the review tab ------------------------------------------------------------------------------------


@pytest.fixture
def written_by_marcus(engine, monkeypatch):
    """A tiny demo of its own holding a draft the manager Marcus wrote and sent for review; returns its id."""
    anchor = pd.Timestamp("2026-11-22 09:00", tz="UTC").to_pydatetime()
    seed_demo(engine, scale="tiny", seed=7, anchor=anchor)
    monkeypatch.setenv("CROWDPULSE_NOW", anchor.isoformat())
    monkeypatch.setenv("CROWDPULSE_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.delenv("CROWDPULSE_ALLOW_SELF_APPROVAL", raising=False)
    marcus = dict(actor="marcus.lead@crowdpulse.example")
    draft_id = workflow.create_draft(engine, title="Guide update", subject="The guide changed",
                                     body="Please read the guide.", **marcus)
    workflow.submit_for_review(engine, draft_id, expected_version=1, **marcus)
    return draft_id


def review_tab(email: str, draft_id: int) -> AppTest:
    """The Comms studio open on a draft, as this signed-in person."""
    at = AppTest.from_file(APP, default_timeout=90)
    at.secrets["auth"] = AUTH
    at.user = {"is_logged_in": True, "email": email}
    at.session_state["comms_open_next"] = draft_id
    at.run()
    at.switch_page("app_pages/comms.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_the_manager_who_wrote_a_draft_sees_why_approve_is_disabled(written_by_marcus, engine):
    at = review_tab("marcus.lead@crowdpulse.example", written_by_marcus)
    assert at.button(key="comms_approve").disabled
    assert approval.REFUSAL in [i.value for i in at.info]
    other = review_tab("ana.ops@crowdpulse.example", written_by_marcus)
    assert not other.button(key="comms_approve").disabled
    assert approval.REFUSAL not in [i.value for i in other.info]
    other.button(key="comms_approve").click().run()
    assert not other.exception and not other.error
    assert workflow.get_draft(engine, written_by_marcus).status == "approved"
    assert workflow.history(engine, written_by_marcus)["detail"].iloc[-1] == "In review → Approved"
