"""Settings and SLA policy changes: admins only, audited, and never silently overwriting someone else's change."""

import pytest
from sqlmodel import Session, select

from core import admin, models
from core.errors import NotAllowed, StaleEdit
from tests.core.factories import stored

# Who acts: core reads each role from the staff account (issue 16), never from a role the caller passes.
ANA, BEA, MARCUS, SAM = "ana@example.org", "bea@example.org", "marcus@example.org", "sam@example.org"


@pytest.fixture
def policy_id(engine):
    """Two admins, a manager and a viewer; one support/normal policy, version 1."""
    stored(engine, *(models.Person(email=email, name=email.split("@")[0], role=role)
                     for email, role in ((ANA, "admin"), (BEA, "admin"), (MARCUS, "manager"), (SAM, "viewer"))))
    with Session(engine) as session:
        policy = models.SlaPolicy(queue="support", priority="normal", resolution_minutes=2880, first_response_minutes=480)
        session.add(policy)
        session.commit()
        return policy.id


def test_admin_changes_a_target_and_the_version_moves_on(engine, policy_id):
    version = admin.update_policy(engine, policy_id=policy_id, changes={"resolution_minutes": 1440}, expected_version=1,
                                  actor=ANA)
    assert version == 2
    with Session(engine) as session:
        assert session.get(models.SlaPolicy, policy_id).resolution_minutes == 1440
        event = session.exec(select(models.AuditEvent)).one()
    assert (event.before, event.after) == ({"resolution_minutes": 2880}, {"resolution_minutes": 1440})


def test_two_admins_editing_the_same_policy_the_second_is_told_not_overwritten(engine, policy_id):
    admin.update_policy(engine, policy_id=policy_id, changes={"resolution_minutes": 1440}, expected_version=1,
                        actor=ANA)
    with pytest.raises(StaleEdit, match="Someone changed the support/normal policy"):
        admin.update_policy(engine, policy_id=policy_id, changes={"resolution_minutes": 600}, expected_version=1,
                            actor=BEA)
    with Session(engine) as session:
        assert session.get(models.SlaPolicy, policy_id).resolution_minutes == 1440


@pytest.mark.parametrize("who, signed_in_as", [(MARCUS, "manager"), (SAM, "viewer"),
                                               ("stranger@example.org", "viewer")])
def test_only_an_admin_identity_changes_policies_and_settings(engine, policy_id, who, signed_in_as):
    refused = f"you are signed in as {signed_in_as}"
    with pytest.raises(NotAllowed, match=f"Only an admin can change SLA policies; {refused}"):
        admin.update_policy(engine, policy_id=policy_id, changes={"resolution_minutes": 60}, expected_version=1,
                            actor=who)
    with pytest.raises(NotAllowed, match=f"Only an admin can change settings; {refused}"):
        admin.update_setting(engine, key="stuck_after_hours", value=1, expected_version=0, actor=who)
    with Session(engine) as session:
        assert session.get(models.SlaPolicy, policy_id).resolution_minutes == 2880
        assert session.exec(select(models.AuditEvent)).all() == []
        assert session.get(models.Setting, "stuck_after_hours") is None


def test_a_role_string_from_the_caller_is_not_accepted(engine, policy_id):
    with pytest.raises(TypeError):
        admin.update_setting(engine, key="stuck_after_hours", value=1, expected_version=0, actor=SAM,
                             actor_role="admin")


def test_settings_keep_their_json_type_and_version(engine, policy_id):
    assert admin.update_setting(engine, key="stuck_after_hours", value=12, expected_version=0, actor=ANA) == 1
    frame = admin.load_settings(engine)
    assert frame[["key", "value", "version"]].values.tolist() == [["stuck_after_hours", "12", 1]]
    with pytest.raises(StaleEdit):
        admin.update_setting(engine, key="stuck_after_hours", value=6, expected_version=0, actor=BEA)


def test_a_policy_edit_recomputes_the_settled_clocks_in_the_same_write(engine, policy_id):
    from core.queues import rollup as queue_rollup

    admin.update_policy(engine, policy_id=policy_id, changes={"resolution_minutes": 600}, expected_version=1,
                        actor=ANA)
    with engine.connect() as connection:
        assert queue_rollup.is_current(connection)  # readers need no rebuild of their own


def test_filter_choices_lists_projects_by_id_and_each_known_region_once(engine):
    stored(engine, models.Project(project_id="p2", name="Two"), models.Project(project_id="p1", name="One"),
           models.Member(member_id="m1", region="LATAM"), models.Member(member_id="m2", region="EMEA"),
           models.Member(member_id="m3", region="LATAM"), models.Member(member_id="m4"))
    choices = admin.filter_choices(engine)
    assert choices["projects"].to_dict("records") == [{"project_id": "p1", "name": "One"},
                                                      {"project_id": "p2", "name": "Two"}]
    assert choices["regions"] == ["EMEA", "LATAM"]
