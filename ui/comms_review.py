"""Comms studio, Review tab: the workflow steps for one's role, comments, versions with a diff, the history."""

import pandas as pd
import streamlit as st

from core.comms import approval, timezones, workflow
from core.comms.audience import AudienceChoice
from core.comms.workflow import DraftView
from core.errors import CrowdPulseError
from core.exports import markdown_literal
from ui import comms, comms_send, widgets

REVISION_COLUMNS = {"created_at": st.column_config.DatetimeColumn("Saved", format="D MMM HH:mm"),
                    "base_version": st.column_config.NumberColumn("Based on version"),
                    "applied": st.column_config.CheckboxColumn(
                        "Applied", help="Unticked: an edit that lost a save race, kept so nothing is lost.")}


def review_tab(studio: comms.Studio, draft: DraftView, choice: AudienceChoice) -> None:
    """The next workflow step, then comments, versions and the history of the draft."""
    st.caption(f"You act as **{studio.actor}** ({studio.role}). Specialists write and send for review; managers and "
               "admins approve what someone else wrote (four eyes). An approved message is sent below, by email, "
               "Slack or Discord, now or at a local time in each recipient's zone; Markdown, .eml and mail-merge "
               "CSV on Preview are exports for other tools.")
    workflow_steps(studio, draft, choice)
    st.subheader("Comments")
    comments(studio, draft)
    st.subheader("Versions")
    revs = comms.revisions(draft.id)
    widgets.table(revs[["number", "language", "subject", "author", "created_at", "applied", "base_version"]],
                  key="comms_revisions", filename=f"draft-{draft.id}-revisions", column_config=REVISION_COLUMNS)
    if len(revs) > 1:
        revision_diff(revs)
    st.subheader("History")
    widgets.table(comms.history(draft.id)[["at", "actor", "action", "detail"]], key="comms_history",
                  filename=f"draft-{draft.id}-history",
                  column_config={"at": st.column_config.DatetimeColumn("When (UTC)", format="D MMM HH:mm:ss")})


def workflow_steps(studio: comms.Studio, draft: DraftView, choice: AudienceChoice) -> None:
    """The buttons the draft's status allows (submit, approve or request changes), then the send panel."""
    expected = studio.bases[draft.id]

    def move(step, **kwargs) -> None:
        """Run a workflow step and reload, or show why it was refused."""
        try:
            studio.bases[draft.id] = step(studio.engine, draft.id, expected_version=expected, actor=studio.actor,
                                          **kwargs)
            st.rerun(scope="app")
        except CrowdPulseError as exc:
            comms.show_error(exc)

    can_approve = workflow.role_allows(studio.role, "manager")
    # four eyes: say why before the click, not after
    blocker = (approval.approval_blocker(studio.engine, draft.id, studio.actor, base=studio.base) if can_approve
               else None)
    if draft.status == "draft":
        if st.button("Send for review", key="comms_submit", type="primary", icon=":material/send:"):
            move(workflow.submit_for_review)
    elif draft.status == "in_review":
        if blocker:
            st.info(blocker, icon=":material/group:")
        note = st.text_input("Note (what to change, or why it is fine)", key="comms_review_note")
        a1, a2 = st.columns(2)
        why_not = blocker or (None if can_approve else "Only managers and admins approve messages.")
        if a1.button("Approve", key="comms_approve", type="primary", icon=":material/verified:",
                     disabled=why_not is not None, help=why_not):
            move(workflow.approve, note=note or None)
        if a2.button("Request changes", key="comms_request_changes", icon=":material/undo:"):
            move(workflow.request_changes, note=note or "changes requested")
    elif draft.status == "scheduled":
        st.info(f"Scheduled: the first batch goes at {timezones.format_utc(draft.scheduled_at)}. Cancel it below "
                "until it starts.", icon=":material/schedule_send:")
    elif draft.status == "sent":
        st.success("Sent. The text and audience are final; the progress and the history below show who got it.")
    comms_send.send_panel(studio, draft, choice.members)


def comments(studio: comms.Studio, draft: DraftView) -> None:
    """The comments so far and a box to add one."""
    for row in workflow.comment_rows(comms.history(draft.id)).itertuples():
        with st.chat_message("user", avatar=":material/chat:"):
            st.markdown(f"**{markdown_literal(row.actor)}** · {row.at:%d %b %H:%M} UTC · version "
                        f"{row.version}  \n{markdown_literal(row.text)}")
    comment = st.text_area("Add a comment", key="comms_comment", height=80)
    if st.button("Comment", key="comms_add_comment", icon=":material/add_comment:"):
        try:
            workflow.add_comment(studio.engine, draft.id, text=comment, actor=studio.actor)
            st.rerun()
        except CrowdPulseError as exc:
            comms.show_error(exc)


# Comparing two revisions only changes the diff below: it reruns on its own.
@st.fragment
def revision_diff(revs: pd.DataFrame) -> None:
    """Two revisions picked side by side, and the difference between them."""
    numbers = revs["number"].tolist()
    d1, d2 = st.columns(2)
    older = d1.selectbox("Compare revision", numbers, index=1, key="comms_diff_from")
    newer = d2.selectbox("with", numbers, index=0, key="comms_diff_to")
    by_number = revs.set_index("number")
    a, b = by_number.loc[older], by_number.loc[newer]
    st.code(workflow.revision_diff(a["subject"], a["body"], b["subject"], b["body"],
                                   old_label=f"revision {older}", new_label=f"revision {newer}")
            or "(no difference)", language="diff")
