"""Draft workflow: roles, status moves, a save race that loses nothing, comments, versions and the audit trail."""

import datetime as dt
import inspect

import pandas as pd
import pytest
from sqlmodel import Session, select

from core.comms import workflow
from core.comms.errors import InvalidTransition, NotAllowed, SegmentProblem, StaleDraft
from core.db import data_version
from core.db import session_scope
from core.models import AuditEvent, DraftRevision, Person, Project, Resource
from tests.core.comms.staff import ADMIN, MANAGER, SPECIALIST, VIEWER, store_staff
from tests.core.factories import stored


@pytest.fixture(autouse=True)
def staff(engine):
    """The staff accounts whose identities carry their roles."""
    return store_staff(engine)


def new_draft(engine, body="Please read the guide.", **overrides) -> int:
    """A draft in English written by the specialist."""
    values = dict(title="Guide update", subject="The guide changed", body=body, **SPECIALIST) | overrides
    return workflow.create_draft(engine, **values)


def test_a_new_draft_has_version_1_its_text_and_an_audit_event(engine):
    draft_id = new_draft(engine)
    draft = workflow.get_draft(engine, draft_id)
    assert (draft.status, draft.version, draft.languages) == ("draft", 1, ["en"])
    assert draft.versions["en"].body == "Please read the guide."
    assert workflow.history(engine, draft_id)[["actor", "action"]].values.tolist() == [["priya@example.com", "create"]]


def test_every_write_bumps_the_data_version(engine):
    before = data_version(engine)
    draft_id = new_draft(engine)
    workflow.add_comment(engine, draft_id, text="Looks good", **MANAGER)
    assert data_version(engine) == before + 2


def test_a_viewer_may_not_write_and_is_told_why(engine):
    with pytest.raises(NotAllowed, match="Only a specialist or above can write a message; you are signed in as viewer"):
        new_draft(engine, **VIEWER)


def test_only_managers_and_admins_approve(engine):
    draft_id = new_draft(engine)
    version = workflow.submit_for_review(engine, draft_id, expected_version=1, **SPECIALIST)
    with pytest.raises(NotAllowed, match="Only a manager or above can approve a message; you are signed in as specialist"):
        workflow.approve(engine, draft_id, expected_version=version, **SPECIALIST)
    assert workflow.get_draft(engine, draft_id).status == "in_review"
    version = workflow.approve(engine, draft_id, expected_version=version, note="clear", **MANAGER)
    assert workflow.get_draft(engine, draft_id).status == "approved"
    admin_draft = new_draft(engine)
    workflow.submit_for_review(engine, admin_draft, expected_version=1, **SPECIALIST)
    workflow.approve(engine, admin_draft, expected_version=2, **ADMIN)
    assert workflow.get_draft(engine, admin_draft).status == "approved"


def test_the_full_path_to_approved_is_recorded_in_order(engine):
    draft_id = new_draft(engine)
    v = workflow.submit_for_review(engine, draft_id, expected_version=1, **SPECIALIST)
    v = workflow.request_changes(engine, draft_id, expected_version=v, note="say when", **MANAGER)
    v = workflow.save_revision(engine, draft_id, expected_version=v, subject="The guide changed",
                               body="Please read the guide by Friday 4 December 2026, 17:00 UTC.", **SPECIALIST)
    v = workflow.submit_for_review(engine, draft_id, expected_version=v, **SPECIALIST)
    v = workflow.approve(engine, draft_id, expected_version=v, **MANAGER)
    draft = workflow.get_draft(engine, draft_id)
    assert (draft.status, draft.version, draft.scheduled_at) == ("approved", 6, None)
    trail = workflow.history(engine, draft_id)
    assert trail["action"].tolist() == ["create", "submit", "request_changes", "save", "submit", "approve"]
    assert trail["detail"].iloc[2] == "In review → Draft: say when"


@pytest.mark.parametrize("status_path, to", [((), "approved"), (("in_review",), "in_review")])
def test_skipping_a_step_is_refused(engine, status_path, to):
    draft_id = new_draft(engine)
    version = 1
    for step in status_path:
        version = workflow.transition(engine, draft_id, to=step, expected_version=version, **SPECIALIST)
    with pytest.raises(InvalidTransition, match="cannot move to"):
        workflow.transition(engine, draft_id, to=to, expected_version=version, **ADMIN)


@pytest.mark.parametrize("to", ["scheduled", "sent"])
def test_nobody_marks_a_message_scheduled_or_sent_by_hand(engine, to):
    # Issue 17: a draft becomes scheduled or sent only by being sent (core.comms.schedule queues its deliveries).
    draft_id = new_draft(engine)
    v = workflow.submit_for_review(engine, draft_id, expected_version=1, **SPECIALIST)
    v = workflow.approve(engine, draft_id, expected_version=v, **MANAGER)
    with pytest.raises(InvalidTransition, match="scheduled or sent by sending it"):
        workflow.transition(engine, draft_id, to=to, expected_version=v, **ADMIN)
    with pytest.raises(InvalidTransition, match="scheduled or sent by sending it"):
        workflow.record_send_state(engine, draft_id, to=to, expected_version=v, **ADMIN)  # no send exists
    assert not hasattr(workflow, "mark_sent")
    assert workflow.get_draft(engine, draft_id).status == "approved"


def test_a_draft_with_template_placeholders_cannot_go_to_review(engine):
    draft_id = new_draft(engine, body="What changed:\n- [Write the first change in one short sentence.]\n")
    with pytest.raises(InvalidTransition, match=r"blocking findings on Check before review: placeholder to fill "
                                                r"“\[Write the first change"):
        workflow.submit_for_review(engine, draft_id, expected_version=1, **SPECIALIST)


def test_editing_an_approved_draft_sends_it_back_for_review(engine):
    draft_id = new_draft(engine)
    v = workflow.submit_for_review(engine, draft_id, expected_version=1, **SPECIALIST)
    v = workflow.approve(engine, draft_id, expected_version=v, **MANAGER)
    workflow.save_revision(engine, draft_id, expected_version=v, subject="s", body="Please read it now.", **SPECIALIST)
    assert workflow.get_draft(engine, draft_id).status == "draft"


def test_two_people_saving_the_same_version_the_second_gets_a_conflict_and_keeps_their_text(engine):
    draft_id = new_draft(engine)
    # Both opened version 1; Marcus saves first.
    workflow.save_revision(engine, draft_id, expected_version=1, subject="S", body="Marcus's text.", **MANAGER)
    with pytest.raises(StaleDraft) as caught:
        workflow.save_revision(engine, draft_id, expected_version=1, subject="S", body="Priya's text.", **SPECIALIST)
    conflict = caught.value
    assert (conflict.current_version, conflict.kept_revision, conflict.saved_by) == (2, 3, "marcus@example.com")
    assert "nothing is lost" in str(conflict)
    # The winner's text is current; the loser's is stored, unapplied, and the race is in the audit trail.
    assert workflow.get_draft(engine, draft_id).versions["en"].body == "Marcus's text."
    revisions = workflow.revisions(engine, draft_id)
    assert revisions[["number", "body", "applied", "base_version", "author"]].values.tolist() == [
        [3, "Priya's text.", False, 1, "priya@example.com"],
        [2, "Marcus's text.", True, 1, "marcus@example.com"],
        [1, "Please read the guide.", True, 1, "priya@example.com"]]
    assert workflow.history(engine, draft_id)["action"].tolist() == ["create", "save", "conflict"]
    # Re-applying on top of the current version works.
    assert workflow.save_revision(engine, draft_id, expected_version=conflict.current_version, subject="S",
                                  body="Priya's text.", **SPECIALIST) == 3
    assert workflow.get_draft(engine, draft_id).versions["en"].body == "Priya's text."


def test_approving_a_version_someone_has_since_changed_is_refused(engine):
    draft_id = new_draft(engine)
    v = workflow.submit_for_review(engine, draft_id, expected_version=1, **SPECIALIST)
    workflow.add_comment(engine, draft_id, text="one thing", **SPECIALIST)  # comments do not change the version
    workflow.save_revision(engine, draft_id, expected_version=v, subject="S", body="Changed.", **SPECIALIST)
    with pytest.raises(StaleDraft, match="after you opened version 2"):
        workflow.approve(engine, draft_id, expected_version=v, **MANAGER)


def test_language_versions_are_kept_side_by_side(engine):
    draft_id = new_draft(engine)
    workflow.save_revision(engine, draft_id, expected_version=1, language="es", subject="La guía cambió",
                           body="Lean la guía, por favor.", **SPECIALIST)
    draft = workflow.get_draft(engine, draft_id)
    assert draft.languages == ["en", "es"]
    assert draft.versions["es"].subject == "La guía cambió"
    assert workflow.list_drafts(engine).iloc[0]["languages"] == "en, es"


def test_comments_are_listed_with_author_version_and_text(engine):
    draft_id = new_draft(engine)
    workflow.add_comment(engine, draft_id, text="  Say the date in full.  ", **MANAGER)
    assert workflow.comments(engine, draft_id)[["actor", "version", "text"]].values.tolist() == [
        ["marcus@example.com", 1, "Say the date in full."]]
    with pytest.raises(InvalidTransition):
        workflow.add_comment(engine, draft_id, text=" ", **MANAGER)
    with pytest.raises(NotAllowed):
        workflow.add_comment(engine, draft_id, text="hi", **VIEWER)


def test_revision_diff_shows_changed_lines_and_nothing_for_equal_texts():
    diff = workflow.revision_diff("Hi", "Line one\nLine two\n", "Hi", "Line one\nLine 2\n",
                                  old_label="revision 1", new_label="revision 2")
    assert diff.splitlines() == ["--- revision 1", "+++ revision 2", "@@ -1,3 +1,3 @@", " Subject: Hi", " Line one",
                                 "-Line two", "+Line 2"]
    assert workflow.revision_diff("a", "b", "a", "b") == ""


def test_segments_from_filters_and_lists_with_unique_names_for_hand_offs(engine):
    first = workflow.save_segment(engine, name="Spanish readers", filters={"languages": ["es"]}, **SPECIALIST)
    with pytest.raises(SegmentProblem, match="already exists"):
        workflow.save_segment(engine, name="Spanish readers", filters={"languages": ["es"]}, **SPECIALIST)
    with pytest.raises(SegmentProblem, match="at least one"):
        workflow.save_segment(engine, name="Nobody", **SPECIALIST)
    second = workflow.segment_for_audience(engine, {"member_ids": ["m1", "m2"], "label": "fatigued taskers"},
                                           today=pd.Timestamp("2026-11-22"), **SPECIALIST)
    third = workflow.segment_for_audience(engine, {"member_ids": ["m3"], "label": "fatigued taskers"},
                                          today=pd.Timestamp("2026-11-22"), **SPECIALIST)
    assert workflow.segment_for_audience(engine, {"segment_id": first}, today=None, **SPECIALIST) == first
    segments = workflow.list_segments(engine).set_index("id")
    assert segments.loc[second, "name"] == "fatigued taskers · 22 Nov 2026"
    assert segments.loc[third, "name"] == "fatigued taskers · 22 Nov 2026 (2)"
    assert segments.loc[second, "member_ids"] == ["m1", "m2"]
    with Session(engine) as session:
        assert len(session.exec(select(AuditEvent).where(AuditEvent.entity == "segment")).all()) == 3


def test_role_of_a_staff_email_and_of_a_stranger(engine):
    assert workflow.role_of(engine, "marcus@example.com") == "manager"
    assert workflow.role_of(engine, "someone@else.com") == "viewer"
    assert workflow.staff_names(engine)["marcus@example.com"] == "Marcus"


def test_a_conflict_is_stored_in_one_transaction_with_its_audit_event(engine):
    draft_id = new_draft(engine)
    workflow.save_revision(engine, draft_id, expected_version=1, subject="S", body="first", **MANAGER)
    with pytest.raises(StaleDraft):
        workflow.save_revision(engine, draft_id, expected_version=1, subject="S", body="second", **SPECIALIST)
    with Session(engine) as session:
        kept = session.exec(select(DraftRevision).where(DraftRevision.applied == False)).all()  # noqa: E712
    assert [r.body for r in kept] == ["second"]


def test_a_draft_whose_placeholders_were_filled_in_a_later_revision_goes_to_review(engine):
    from core.comms import workflow
    draft_id = workflow.create_draft(engine, title="Update", subject="Guideline update",
                                     body="What changes:\n[Write the first change in one short sentence.]",
                                     **SPECIALIST)
    version = workflow.get_draft(engine, draft_id).version
    version = workflow.save_revision(engine, draft_id, expected_version=version, subject="Guideline update",
                                     body="What changes:\nRate only the final answer.", **SPECIALIST)
    workflow.submit_for_review(engine, draft_id, expected_version=version, **SPECIALIST)
    assert workflow.get_draft(engine, draft_id).status == "in_review"


WRITES = ("create_draft", "save_revision", "transition", "submit_for_review", "approve", "request_changes",
          "add_comment", "set_audience", "save_segment", "segment_for_audience", "record_send_state")


def test_the_role_comes_from_who_acts_never_from_a_role_the_caller_passes(engine):
    # Issue 16: every workflow write takes the actor only; core looks up what that person may do.
    assert [name for name in WRITES if "role" in inspect.signature(getattr(workflow, name)).parameters] == []
    draft_id = new_draft(engine)
    v = workflow.submit_for_review(engine, draft_id, expected_version=1, **SPECIALIST)
    with pytest.raises(NotAllowed, match="can approve a message; you are signed in as viewer"):
        workflow.approve(engine, draft_id, expected_version=v, actor="stranger@elsewhere.org")
    with session_scope(engine) as session:
        session.get(Person, "marcus@example.com").role = "specialist"  # Marcus moved to another job
    with pytest.raises(NotAllowed, match="you are signed in as specialist"):
        workflow.approve(engine, draft_id, expected_version=v, **MANAGER)
    assert workflow.approve(engine, draft_id, expected_version=v, **ADMIN) == v + 1


def test_a_placeholder_link_keeps_a_draft_from_review(engine):
    # Issue 19: the checks' blocking findings (here a placeholder link) stop the workflow, not only the page.
    draft_id = new_draft(engine, body="Please read the new guide: https://example.com/guide")
    with pytest.raises(InvalidTransition, match="before review: placeholder to fill “https://example.com/guide”"):
        workflow.submit_for_review(engine, draft_id, expected_version=1, **SPECIALIST)
    assert workflow.get_draft(engine, draft_id).status == "draft"


def launch_announcement(engine, guide_status: str) -> int:
    """A launch announcement for project p1 (launching in 5 days) whose one guide has this status."""
    stored(engine, Project(project_id="p1", name="Harbor", launch_at=dt.datetime(2026, 11, 25, 9, tzinfo=dt.UTC)),
           Resource(resource_id="r1", title="Harbor Guidelines", kind="guide", project_id="p1", status=guide_status,
                    last_reviewed_at=dt.datetime(2026, 11, 10, tzinfo=dt.UTC)))
    return new_draft(engine, template="project_launch", context={"project_id": "p1"})


def test_a_launch_announcement_waits_for_its_guide_before_review(engine):
    draft_id = launch_announcement(engine, "in_review")
    with pytest.raises(InvalidTransition, match=r"before review: 'Harbor Guidelines' \(guide\) is not published "
                                                r"\(in review\)"):
        workflow.submit_for_review(engine, draft_id, expected_version=1, **SPECIALIST)


def test_approval_is_refused_when_the_guide_stops_being_ready_during_review(engine):
    draft_id = launch_announcement(engine, "published")
    v = workflow.submit_for_review(engine, draft_id, expected_version=1, **SPECIALIST)
    with session_scope(engine) as session:
        session.get(Resource, "r1").status = "draft"  # pulled back for a rewrite
    with pytest.raises(InvalidTransition, match="before approval: 'Harbor Guidelines'"):
        workflow.approve(engine, draft_id, expected_version=v, **MANAGER)
    assert workflow.get_draft(engine, draft_id).status == "in_review"
