"""Roles: the order, server-side refusals, masking, and keeping at least one admin."""

import pytest
from sqlmodel import Session, select

from core import models, people
from core.errors import NotAllowed


@pytest.mark.parametrize("role, needed, allowed", [
    ("admin", "manager", True), ("manager", "manager", True), ("specialist", "manager", False),
    ("viewer", "specialist", False), (None, "viewer", True), ("intruder", "specialist", False),
])
def test_roles_are_ordered_viewer_specialist_manager_admin(role, needed, allowed):
    assert people.role_allows(role, needed) is allowed


def test_refusal_names_the_needed_and_the_actual_role():
    with pytest.raises(NotAllowed, match="Only a manager or above can approve; you are signed in as specialist."):
        people.require_role("specialist", "manager", "approve")


def test_masking_keeps_the_domain_and_two_letters():
    import pandas as pd
    masked = people.mask_personal(pd.DataFrame({"email": ["tasker1@mail.example", None], "handle": ["tasker1", None]}))
    assert masked["email"].iloc[0] == "ta…@mail.example" and masked["handle"].iloc[0] == "ta…"
    assert masked["email"].isna().iloc[1] and masked["handle"].isna().iloc[1]


def test_admin_adds_a_person_and_the_change_is_audited(engine):
    people.save_person(engine, email="Lee@Example.com ", name="Lee", role="specialist", actor=people.COMMAND_LINE)
    assert people.role_for_email(engine, "lee@example.com") == "specialist"
    with Session(engine) as session:
        event = session.exec(select(models.AuditEvent)).one()
    assert (event.actor, event.action, event.entity_id, event.after["role"]) == (
        "command line", "create", "lee@example.com", "specialist")


@pytest.mark.parametrize("actor, signed_in_as", [("lee@example.com", "specialist"), ("sam@example.com", "viewer"),
                                                 ("stranger@example.com", "viewer"), (None, "viewer")])
def test_only_an_admin_identity_changes_people(engine, actor, signed_in_as):
    people.save_person(engine, email="lee@example.com", name="Lee", role="specialist", actor=people.COMMAND_LINE)
    people.save_person(engine, email="sam@example.com", name="Sam", role="viewer", actor=people.COMMAND_LINE)
    refused = f"Only an admin can change people and roles; you are signed in as {signed_in_as}"
    with pytest.raises(NotAllowed, match=refused):
        people.save_person(engine, email="sam@example.com", name="Sam", role="admin", actor=actor)
    assert people.role_for_email(engine, "sam@example.com") == "viewer"


@pytest.mark.parametrize("actor, role", [(people.LOCAL_USER, "admin"), (people.COMMAND_LINE, "admin"),
                                         (people.SCHEDULER, "admin"), ("ada@example.com", "admin"),
                                         ("ADA@example.com ", "admin"), ("off@example.com", None),
                                         ("nobody@example.com", None), ("", None), (None, None)])
def test_the_role_comes_from_who_is_acting(engine, actor, role):
    people.save_person(engine, email="ada@example.com", name="Ada", role="admin", actor=people.COMMAND_LINE)
    people.save_person(engine, email="off@example.com", name="Off", role="admin", active=False,
                       actor=people.COMMAND_LINE)
    assert people.role_of(engine, actor) == role


def test_unknown_emails_get_no_access_unless_a_default_role_is_set(engine):
    assert people.role_for_email(engine, "someone@example.com") is None
    with Session(engine) as session:
        session.add(models.Setting(key=people.UNKNOWN_EMAIL_SETTING, value="viewer"))
        session.commit()
    assert people.role_for_email(engine, "someone@example.com") == "viewer"


def test_the_last_admin_cannot_be_demoted(engine):
    people.save_person(engine, email="ana@example.com", name="Ana", role="admin", actor=people.COMMAND_LINE)
    with pytest.raises(people.PersonProblem, match="last active admin"):
        people.save_person(engine, email="ana@example.com", name="Ana", role="manager", actor="ana@example.com")


def test_a_deactivated_person_has_no_access(engine):
    people.save_person(engine, email="a@example.com", name="A", role="admin", actor=people.COMMAND_LINE)
    people.save_person(engine, email="b@example.com", name="B", role="manager", actor="a@example.com")
    people.save_person(engine, email="b@example.com", name="B", role="manager", active=False, actor="a@example.com")
    assert people.role_for_email(engine, "b@example.com") is None
