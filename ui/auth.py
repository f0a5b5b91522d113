"""Who is using the app and with which role.

With an `[auth]` section in secrets, people sign in with `st.login` (OIDC) and their email maps
to a role on Settings; without it the app runs as one local user with full access and says so.
"""

from dataclasses import dataclass

import streamlit as st

from core import people
from ui import data

LOCAL_USER = "local user"


@dataclass(frozen=True)
class User:
    """The person acting: an email (or the local user) and a role."""

    email: str
    role: str
    local: bool

    def may(self, needed: str) -> bool:
        """Whether this person's role is at least `needed`."""
        return people.role_allows(self.role, needed)


def auth_configured() -> bool:
    """Whether secrets hold an [auth] section (so sign-in is required)."""
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all raises StreamlitSecretNotFoundError (RECIPES)
        return False


def sign_in() -> User:
    """The signed-in person with their role; shows the sign-in or no-access screen and stops otherwise."""
    if not auth_configured():
        user = User(email=LOCAL_USER, role="admin", local=True)
    else:
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
        user = User(email=email, role=role, local=False)
    st.session_state["user"] = user
    return user


def current_user() -> User:
    """The person this run acts for (set by `sign_in` in the router)."""
    return st.session_state.get("user") or User(email=LOCAL_USER, role="admin", local=True)


def sidebar_badge(user: User) -> None:
    """Who is signed in, with what role, and a way out."""
    if user.local:
        st.sidebar.caption("Local mode: one user, full access. Add [auth] to secrets to require sign-in.")
    else:
        st.sidebar.caption(f"Signed in as {user.email} · {user.role}")
        st.sidebar.button("Sign out", on_click=st.logout, key="auth_sidebar_sign_out")
