"""Who is using the app and with which role (local single-user mode until [auth] is configured)."""

from dataclasses import dataclass

import streamlit as st

LOCAL_USER = "local user"


@dataclass(frozen=True)
class User:
    """The person acting: an email (or the local user) and a role."""

    email: str
    role: str
    local: bool


def current_user() -> User:
    """The signed-in person, or the local single user (full access) when sign-in is not configured."""
    return User(email=LOCAL_USER, role="admin", local=True)
