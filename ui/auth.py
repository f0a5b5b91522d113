"""Who is using the app and with which role.

With an `[auth]` section in secrets, people sign in with `st.login` (OIDC) and their email maps
to a role on Settings. Without it nobody is identified and every visitor is admin, so the app
serves this computer only (local single-user mode) or a network said to be trusted, and on any
other address refuses to show anything (`ui.serving`).
"""

from dataclasses import dataclass

import streamlit as st

from core import people
from core.settings import get_settings
from ui import data
from ui.serving import MODE_LINES, auth_configured, serving_mode

LOCAL_USER = people.LOCAL_USER


@dataclass(frozen=True)
class User:
    """The person acting: an email (or the local user) and a role."""

    email: str
    role: str
    local: bool
    trusted_network: bool = False

    def may(self, needed: str) -> bool:
        """Whether this person's role is at least `needed`."""
        return people.role_allows(self.role, needed)


def sign_in() -> User:
    """The signed-in person with their role; shows the sign-in, no-access or refused screen and stops otherwise."""
    if auth_configured():
        user = _signed_in_user()
    else:
        address = st.get_option("server.address")
        mode = serving_mode(address, auth=False, trusted_network=get_settings().trusted_network)
        if mode == "refused":
            st.title("CrowdPulse needs sign-in here")
            st.error(MODE_LINES["refused"].format(address=address or "every network interface"),
                     icon=":material/lock:")
            st.stop()
        user = User(email=LOCAL_USER, role="admin", local=True, trusted_network=mode == "trusted-network")
    st.session_state["user"] = user
    return user


def _signed_in_user() -> User:
    if not st.user.is_logged_in:
        st.title("CrowdPulse")
        st.write("Sign in with your work account to see your community's queues, health and feedback.")
        st.button("Sign in", on_click=st.login, type="primary", key="auth_sign_in", icon=":material/login:")
        st.stop()
    email = str(st.user.email or "").lower()
    role = people.role_for_email(data.engine(), email)
    if role is None:
        st.title("No access yet")
        st.error(f"{email} is signed in but has no CrowdPulse role. Ask an admin to add you on Settings.")
        st.button("Sign out", on_click=st.logout, key="auth_sign_out")
        st.stop()
    return User(email=email, role=role, local=False)


def current_user() -> User:
    """The person this run acts for (set by `sign_in` in the router)."""
    return st.session_state.get("user") or User(email=LOCAL_USER, role="admin", local=True)


def may_draft(container, what: str) -> bool:
    """Whether the current person may write messages; if not, says who can (a viewer has no Comms studio)."""
    if current_user().may("specialist"):
        return True
    container.caption(f"Ask a specialist to draft {what}: viewers read, specialists write.")
    return False


def sidebar_badge(user: User) -> None:
    """Who is signed in, with what role, and a way out; without sign-in, who can open the app."""
    if user.trusted_network:
        st.sidebar.warning(MODE_LINES["trusted-network"], icon=":material/warning:")
    elif user.local:
        st.sidebar.caption("Local single-user mode: only this computer can open it. Everyone here is admin; "
                           "add [auth] to secrets to require sign-in.")
    else:
        st.sidebar.caption(f"Signed in as {user.email} · {user.role}")
        st.sidebar.button("Sign out", on_click=st.logout, key="auth_sidebar_sign_out")
