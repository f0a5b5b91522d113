"""Draft workflow: roles, status moves, a save race that loses nothing, comments, versions and the audit trail."""

import pandas as pd
import pytest
from sqlmodel import Session, select

from core.comms import workflow
from core.comms.errors import InvalidTransition, NotAllowed, SegmentProblem, StaleDraft
from core.db import data_version
from core.models import AuditEvent, DraftRevision, Person
from tests.core.factories import stored

SPECIALIST = dict(actor="priya@example.com", role="specialist")
MANAGER = dict(actor="marcus@example.com", role="manager")


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
        new_draft(engine, actor="sam@example.com", role="viewer")


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
    workflow.approve(engine, admin_draft, expected_version=2, actor="ana@example.com", role="admin")
    assert workflow.get_draft(engine, admin_draft).status == "approved"


def test_the_full_path_to_sent_is_recorded_in_order(engine):
    draft_id = new_draft(engine)
    v = workflow.submit_for_review(engine, draft_id, expected_version=1, **SPECIALIST)
    v = workflow.request_changes(engine, draft_id, expected_version=v, note="say when", **MANAGER)
    v = workflow.save_revision(engine, draft_id, expected_version=v, subject="The guide changed",
                               body="Please read the guide by Friday 4 December 2026, 17:00 UTC.", **SPECIALIST)
    v = workflow.submit_for_review(engine, draft_id, expected_version=v, **SPECIALIST)
    v = workflow.approve(engine, draft_id, expected_version=v, **MANAGER)
    v = workflow.schedule(engine, draft_id, expected_version=v, scheduled_at=pd.Timestamp("2026-12-01 09:00", tz="UTC"),
                          **SPECIALIST)
    v = workflow.mark_sent(engine, draft_id, expected_version=v, **SPECIALIST)
    draft = workflow.get_draft(engine, draft_id)
    assert (draft.status, draft.version, draft.scheduled_at.isoformat()) == ("sent", 8, "2026-12-01T09:00:00+00:00")
    trail = workflow.history(engine, draft_id)
    assert trail["action"].tolist() == ["create", "submit", "request_changes", "save", "submit", "approve", "schedule",
                                        "mark_sent"]
    assert trail["detail"].iloc[2] == "In review → Draft: say when"


@pytest.mark.parametrize("status_path, to", [((), "approved"), ((), "sent"), (("in_review",), "scheduled")])
def test_skipping_a_step_is_refused(engine, status_path, to):
    draft_id = new_draft(engine)
    version = 1
    for step in status_path:
        version = workflow.transition(engine, draft_id, to=step, expected_version=version, **SPECIALIST)
    with pytest.raises(InvalidTransition, match="cannot move to"):
        workflow.transition(engine, draft_id, to=to, expected_version=version, actor="ana", role="admin")


def test_a_draft_with_template_placeholders_cannot_go_to_review(engine):
    draft_id = new_draft(engine, body="What changed:\n- [Write the first change in one short sentence.]\n")
    with pytest.raises(InvalidTransition, match=r"placeholders.*\[Write the first change"):
        workflow.submit_for_review(engine, draft_id, expected_version=1, **SPECIALIST)


def test_editing_an_approved_draft_sends_it_back_for_review(engine):
    draft_id = new_draft(engine)
    v = workflow.submit_for_review(engine, draft_id, expected_version=1, **SPECIALIST)
    v = workflow.approve(engine, draft_id, expected_version=v, **MANAGER)
    workflow.save_revision(engine, draft_id, expected_version=v, subject="s", body="Please read it now.", **SPECIALIST)
    assert workflow.get_draft(engine, draft_id).status == "draft"


def test_a_sent_message_is_final(engine):
    draft_id = new_draft(engine)
    v = workflow.submit_for_review(engine, draft_id, expected_version=1, **SPECIALIST)
    v = workflow.approve(engine, draft_id, expected_version=v, **MANAGER)
    v = workflow.mark_sent(engine, draft_id, expected_version=v, **SPECIALIST)
    with pytest.raises(InvalidTransition, match="already sent"):
        workflow.save_revision(engine, draft_id, expected_version=v, subject="s", body="b", **SPECIALIST)


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
        workflow.add_comment(engine, draft_id, text="hi", actor="sam", role="viewer")


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
    stored(engine, Person(email="marcus@example.com", name="Marcus", role="manager"))
    assert workflow.role_of(engine, "marcus@example.com") == "manager"
    assert workflow.role_of(engine, "someone@else.com") == "viewer"
    assert workflow.staff_names(engine) == {"marcus@example.com": "Marcus"}


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
                                     actor="priya", role="specialist")
    version = workflow.get_draft(engine, draft_id).version
    version = workflow.save_revision(engine, draft_id, expected_version=version, subject="Guideline update",
                                     body="What changes:\nRate only the final answer.", actor="priya",
                                     role="specialist")
    workflow.submit_for_review(engine, draft_id, expected_version=version, actor="priya", role="specialist")
    assert workflow.get_draft(engine, draft_id).status == "in_review"
