"""Settings and SLA policy changes: admins only, audited, and never silently overwriting someone else's change."""

import pytest
from sqlmodel import Session, select

from core import admin, models
from core.errors import NotAllowed, StaleEdit
from tests.core.factories import stored


@pytest.fixture
def policy_id(engine):
    """One support/normal policy, version 1."""
    with Session(engine) as session:
        policy = models.SlaPolicy(queue="support", priority="normal", resolution_minutes=2880, first_response_minutes=480)
        session.add(policy)
        session.commit()
        return policy.id


def test_admin_changes_a_target_and_the_version_moves_on(engine, policy_id):
    version = admin.update_policy(engine, policy_id=policy_id, changes={"resolution_minutes": 1440}, expected_version=1,
                                  actor="ana", actor_role="admin")
    assert version == 2
    with Session(engine) as session:
        assert session.get(models.SlaPolicy, policy_id).resolution_minutes == 1440
        event = session.exec(select(models.AuditEvent)).one()
    assert (event.before, event.after) == ({"resolution_minutes": 2880}, {"resolution_minutes": 1440})


def test_two_admins_editing_the_same_policy_the_second_is_told_not_overwritten(engine, policy_id):
    admin.update_policy(engine, policy_id=policy_id, changes={"resolution_minutes": 1440}, expected_version=1,
                        actor="ana", actor_role="admin")
    with pytest.raises(StaleEdit, match="Someone changed the support/normal policy"):
        admin.update_policy(engine, policy_id=policy_id, changes={"resolution_minutes": 600}, expected_version=1,
                            actor="marcus", actor_role="admin")
    with Session(engine) as session:
        assert session.get(models.SlaPolicy, policy_id).resolution_minutes == 1440


def test_a_manager_cannot_change_policies(engine, policy_id):
    with pytest.raises(NotAllowed):
        admin.update_policy(engine, policy_id=policy_id, changes={"resolution_minutes": 60}, expected_version=1,
                            actor="marcus", actor_role="manager")


def test_settings_keep_their_json_type_and_version(engine):
    assert admin.update_setting(engine, key="stuck_after_hours", value=12, expected_version=0, actor="ana",
                                actor_role="admin") == 1
    frame = admin.load_settings(engine)
    assert frame[["key", "value", "version"]].values.tolist() == [["stuck_after_hours", "12", 1]]
    with pytest.raises(StaleEdit):
        admin.update_setting(engine, key="stuck_after_hours", value=6, expected_version=0, actor="b", actor_role="admin")


def test_a_policy_edit_recomputes_the_settled_clocks_in_the_same_write(engine, policy_id):
    from core.queues import rollup as queue_rollup

    admin.update_policy(engine, policy_id=policy_id, changes={"resolution_minutes": 600}, expected_version=1,
                        actor="ana", actor_role="admin")
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
