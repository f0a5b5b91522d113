"""Four eyes: nobody approves a message they wrote or last edited, unless the team is one person (issue 16)."""

import pytest
from sqlmodel import Session

from core.comms import approval, workflow
from core.comms.errors import NotAllowed, SelfApproval
from core.people import LOCAL_USER
from tests.core.comms.staff import ADMIN as OTHER_MANAGER
from tests.core.comms.staff import MANAGER, SPECIALIST, store_staff
REFUSAL = ("You wrote or last edited this message, so someone else must approve it (four eyes): ask another manager "
           "or admin. A one-person team can allow self-approval with CROWDPULSE_ALLOW_SELF_APPROVAL=1.")


@pytest.fixture(autouse=True)
def four_eyes_on(monkeypatch, engine):
    """The shipped default: self-approval is off; the staff accounts carry their roles."""
    monkeypatch.delenv("CROWDPULSE_ALLOW_SELF_APPROVAL", raising=False)
    store_staff(engine)


def in_review(engine, writer: dict) -> int:
    """A draft written by `writer` and sent for review by them (now at version 2)."""
    draft_id = workflow.create_draft(engine, title="Guide update", subject="The guide changed",
                                     body="Please read the guide.", **writer)
    workflow.submit_for_review(engine, draft_id, expected_version=1, **writer)
    return draft_id


def test_a_manager_cannot_approve_a_draft_they_wrote(engine):
    draft_id = in_review(engine, MANAGER)
    with pytest.raises(SelfApproval) as refused:
        workflow.approve(engine, draft_id, expected_version=2, **MANAGER)
    assert str(refused.value) == REFUSAL
    assert isinstance(refused.value, NotAllowed)  # pages show it as any refusal
    assert workflow.get_draft(engine, draft_id).status == "in_review"
    assert workflow.history(engine, draft_id)["action"].tolist() == ["create", "submit"]


def test_a_manager_cannot_approve_a_draft_they_last_edited(engine):
    draft_id = workflow.create_draft(engine, title="Guide update", subject="The guide changed",
                                     body="Please read the guide.", **SPECIALIST)
    v = workflow.save_revision(engine, draft_id, expected_version=1, subject="The guide changed",
                               body="Please read the new guide.", **MANAGER)
    v = workflow.submit_for_review(engine, draft_id, expected_version=v, **SPECIALIST)
    with Session(engine) as session:
        assert approval.writers(session, draft_id) == {"priya@example.com", "marcus@example.com"}
    with pytest.raises(SelfApproval):
        workflow.approve(engine, draft_id, expected_version=v, **MANAGER)
    assert workflow.approve(engine, draft_id, expected_version=v, **OTHER_MANAGER) == 4


def test_commenting_or_sending_back_does_not_make_a_manager_a_writer(engine):
    draft_id = in_review(engine, SPECIALIST)
    workflow.add_comment(engine, draft_id, text="Say when the guide changes.", **MANAGER)
    v = workflow.request_changes(engine, draft_id, expected_version=2, note="say when", **MANAGER)
    v = workflow.submit_for_review(engine, draft_id, expected_version=v, **SPECIALIST)
    assert approval.approval_blocker(engine, draft_id, MANAGER["actor"]) is None
    assert workflow.approve(engine, draft_id, expected_version=v, **MANAGER) == 5
    assert workflow.history(engine, draft_id)["detail"].iloc[-1] == "In review → Approved"


def test_the_review_tab_is_told_who_may_not_approve(engine):
    draft_id = in_review(engine, MANAGER)
    assert approval.approval_blocker(engine, draft_id, "marcus@example.com") == REFUSAL
    assert approval.approval_blocker(engine, draft_id, "ana@example.com") is None


def test_a_one_person_team_may_self_approve_and_the_audit_says_so(engine, monkeypatch):
    monkeypatch.setenv("CROWDPULSE_ALLOW_SELF_APPROVAL", "1")
    draft_id = in_review(engine, MANAGER)
    assert approval.approval_blocker(engine, draft_id, "marcus@example.com") is None
    assert workflow.approve(engine, draft_id, expected_version=2, note="only me here", **MANAGER) == 3
    last = workflow.history(engine, draft_id).iloc[-1]
    assert (last["actor"], last["action"], last["detail"]) == ("marcus@example.com", "approve",
                                                               "In review → Approved (self-approved): only me here")
    assert last["after"] == {"status": "approved", "version": 3, "self_approved": True, "note": "only me here"}


def test_the_setting_does_not_let_a_specialist_approve(engine, monkeypatch):
    monkeypatch.setenv("CROWDPULSE_ALLOW_SELF_APPROVAL", "1")
    draft_id = in_review(engine, SPECIALIST)
    with pytest.raises(NotAllowed, match="Only a manager or above can approve a message"):
        workflow.approve(engine, draft_id, expected_version=2, **SPECIALIST)


def test_local_single_user_mode_is_a_one_person_team(engine):
    local = dict(actor=LOCAL_USER)
    draft_id = in_review(engine, local)
    assert workflow.approve(engine, draft_id, expected_version=2, **local) == 3
    assert workflow.history(engine, draft_id)["detail"].iloc[-1] == "In review → Approved (self-approved)"
