"""Staff accounts, roles and what each role may do (viewer < specialist < manager < admin)."""

import re

import pandas as pd
from sqlalchemy import Engine
from sqlmodel import Session, select

from core import models
from core.db import bump_data_version, session_scope
from core.errors import CrowdPulseError, NotAllowed

ROLES = ("viewer", "specialist", "manager", "admin")
# The one person of local single-user mode (no sign-in, this computer only): a one-person team.
LOCAL_USER = "local user"
# Whoever runs `python -m core`: they hold the database itself, so the command line acts as an admin.
COMMAND_LINE = "command line"
# The worker (`python -m core worker`, started from the command line) publishing and mailing the weekly report.
SCHEDULER = "scheduled report"
UNKNOWN_EMAIL_SETTING = "unknown_email_role"  # Setting key: role for signed-in emails not listed ("none": no access)
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class PersonProblem(CrowdPulseError):
    """A person cannot be added or changed (bad email, unknown role, last admin)."""


def role_allows(role: str | None, needed: str) -> bool:
    """Whether a role is at least the needed one (unknown roles count as viewer)."""
    rank = {name: i for i, name in enumerate(ROLES)}
    return rank.get(role or "viewer", 0) >= rank[needed]


def require_role(role: str | None, needed: str, doing: str) -> None:
    """Refuse with `NotAllowed` unless the role is at least the needed one."""
    if not role_allows(role, needed):
        article = "an" if needed[0] in "aeiou" else "a"
        raise NotAllowed(f"Only {article} {needed}{' or above' if needed != 'admin' else ''} can {doing}; "
                         f"you are signed in as {role or 'viewer'}.")


def role_for_email(engine: Engine, email: str | None) -> str | None:
    """The role of an active staff account; for unknown emails the configured default (None = no access)."""
    if not email:
        return None
    with Session(engine) as session:
        person = session.get(models.Person, email.strip().lower())
        if person is not None:
            return person.role if person.active else None
        fallback = session.get(models.Setting, UNKNOWN_EMAIL_SETTING)
    return fallback.value if fallback is not None and fallback.value in ROLES else None


def role_of(engine: Engine, actor: str | None) -> str | None:
    """The role of the person acting, derived from who they are: the local user, the command line and its worker
    are admins, a signed-in email has its staff account's role (None: no access)."""
    if actor in (LOCAL_USER, COMMAND_LINE, SCHEDULER):
        return "admin"
    return role_for_email(engine, actor)


def require(engine: Engine, actor: str | None, needed: str, doing: str) -> None:
    """Refuse with `NotAllowed` unless the person acting (by identity, not by a role they claim) may do this."""
    require_role(role_of(engine, actor), needed, doing)


def mask_personal(frame: pd.DataFrame) -> pd.DataFrame:
    """Emails and handles masked ('ta…@mail.example', 'ta…') for people who may not see them."""
    masked = frame.copy()
    if "email" in masked:
        masked["email"] = masked["email"].map(
            lambda v: f"{v.split('@')[0][:2]}…@{v.split('@')[-1]}" if isinstance(v, str) and "@" in v else v)
    if "handle" in masked:
        masked["handle"] = masked["handle"].map(lambda v: f"{v[:2]}…" if isinstance(v, str) else v)
    return masked


def save_person(engine: Engine, *, email: str, name: str, role: str, actor: str, active: bool = True,
                team: str | None = None) -> None:
    """Add a staff account or change its name, role, team or access (admins only, by identity; audited)."""
    require(engine, actor, "admin", "change people and roles")
    email = (email or "").strip().lower()
    if not EMAIL.match(email):
        raise PersonProblem(f"'{email}' is not an email address.")
    if role not in ROLES:
        raise PersonProblem(f"Unknown role '{role}': choose one of {', '.join(ROLES)}.")
    with session_scope(engine) as session:
        person = session.get(models.Person, email)
        before = None if person is None else {"name": person.name, "role": person.role, "active": person.active}
        losing_admin = person is not None and person.role == "admin" and person.active and (role != "admin" or not active)
        if losing_admin:
            admins = session.exec(select(models.Person).where(models.Person.role == "admin",
                                                              models.Person.active == True)).all()  # noqa: E712
            if len(admins) <= 1:
                raise PersonProblem("This is the last active admin: make someone else admin first.")
        person = person or models.Person(email=email, name=name)
        person.name, person.role, person.active, person.team = name or person.name, role, active, team or person.team
        session.add(person)
        session.add(models.AuditEvent(actor=actor, action="role_change" if before else "create", entity="person",
                                      entity_id=email, before=before,
                                      after={"name": person.name, "role": role, "active": active}))
        bump_data_version(session)
