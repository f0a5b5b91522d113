"""The staff of the comms tests: who they are decides what they may do (core derives the role from the identity)."""

from core.models import Person
from tests.core.factories import stored

SPECIALIST = dict(actor="priya@example.com")
MANAGER = dict(actor="marcus@example.com")
ADMIN = dict(actor="ana@example.com")
VIEWER = dict(actor="sam@example.com")
ROLES = {"priya@example.com": "specialist", "marcus@example.com": "manager", "ana@example.com": "admin",
         "sam@example.com": "viewer"}


def store_staff(engine):
    """Priya (specialist), Marcus (manager), Ana (admin) and Sam (viewer) as staff accounts."""
    return stored(engine, *(Person(email=email, name=email.split("@")[0].title(), role=role)
                            for email, role in ROLES.items()))
