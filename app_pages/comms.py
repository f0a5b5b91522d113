"""Comms studio: a clear, plain, culturally safe message for exactly the right taskers, reviewed, then sent."""

import streamlit as st

from ui import comms, widgets
from ui.comms_audience import audience_tab
from ui.comms_check import check_tab, preview_tab
from ui.comms_events import events_tab
from ui.comms_review import review_tab
from ui.comms_write import EditorText, draft_editor, new_draft_form

studio = comms.open_studio()

st.title("Comms studio")
st.caption("Write from a template filled with live data, check it reads plainly for a global crowd, see it in each "
           "channel and time zone, get it approved, then send it by email, Slack or Discord (or export it).")
if studio.base.empty:
    widgets.nothing_yet("No taskers yet — import members on Data.")

handoff = comms.accept_handoff()
draft = comms.draft_picker(studio)

write, check, preview, review, audience, events = st.tabs(["Write", "Check", "Preview", "Review", "Audience", "Events"])

# Filled first: every other tab needs the audience.
with audience:
    choice = audience_tab(studio, draft, handoff)

with events:
    events_tab(studio)

with write:
    if draft is None:
        new_draft_form(studio, choice)
        editing = EditorText()
    else:
        editing = draft_editor(studio, draft, choice)

with check:
    if draft is None:
        st.info("Create a draft on Write to check it.")
    else:
        check_tab(draft, editing)

with preview:
    if draft is None:
        st.info("Create a draft on Write to preview it.")
    else:
        preview_tab(studio, draft, editing, choice)

with review:
    if draft is None:
        st.info("Create a draft on Write; it goes to review from here.")
    else:
        review_tab(studio, draft, choice)
