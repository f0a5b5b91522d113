"""Comms studio, Events tab: upcoming and past events, announcing one, adding one, recording turnout."""

import datetime as dt

import pandas as pd
import streamlit as st

from core.comms import context, timezones
from core.comms import events as community_events
from core.errors import CrowdPulseError
from core.exports import markdown_literal
from ui import charts, comms, widgets

EVENT_COLUMNS = {"starts_at": st.column_config.DatetimeColumn("Starts (UTC)", format="ddd D MMM YYYY, HH:mm"),
                 "duration_minutes": st.column_config.NumberColumn("Minutes"),
                 "attendance_rate": st.column_config.ProgressColumn("Attended", format="percent", min_value=0,
                                                                    max_value=1),
                 "days_away": st.column_config.NumberColumn("Days away", format="%.1f")}


def events_tab(studio: comms.Studio) -> None:
    """The events list with their turnout, and the forms that add to it."""
    st.caption("Webinars, office hours and challenges. Announce one to open a draft with its start time in each "
               "reader's time zone; attendance against registrations shows once it is over.")
    upcoming, past = community_events.upcoming_and_past(studio.events)
    st.subheader(f"Upcoming ({len(upcoming)})")
    widgets.table(upcoming.drop(columns=["when", "attendance", "attendance_rate"]), key="comms_events_upcoming",
                  filename="events-upcoming", column_config=EVENT_COLUMNS, empty="No upcoming event — add one below.")
    if not upcoming.empty:
        announcer(studio, upcoming)
    st.subheader(f"Past ({len(past)})")
    if not past.empty and past["attendance_rate"].notna().any():
        widgets.chart(charts.bars(past.dropna(subset=["attendance_rate"]), "title", "attendance_rate",
                                  value_title="attended / registered", value_format=".0%"))
    widgets.table(past.drop(columns=["when", "days_away"]), key="comms_events_past", filename="events-past",
                  column_config=EVENT_COLUMNS, empty="No past events yet.")
    with st.expander("Add an event", icon=":material/add:"):
        event_form(studio)
    if not studio.events.empty:
        with st.expander("Record registrations and attendance", icon=":material/how_to_reg:"):
            turnout_form(studio)


# Picking another event only changes this panel: it reruns on its own.
@st.fragment
def announcer(studio: comms.Studio, upcoming: pd.DataFrame) -> None:
    """Pick an upcoming event, see its start in the invitees' zones, and hand it to a new draft."""
    titles = dict(zip(upcoming["event_id"], upcoming["title"]))
    announce_col, button_col = st.columns([3, 1], vertical_alignment="bottom")
    event_id = announce_col.selectbox("Event to announce", list(titles), format_func=titles.get,
                                      key="comms_event_pick")
    chosen_event = community_events.event_record(studio.events, event_id)
    try:
        invited = community_events.event_audience(studio.base, chosen_event["audience"], studio.segments,
                                                  now=studio.now)
    except community_events.UnknownAudience as exc:
        st.error(markdown_literal(str(exc)), icon=":material/group_off:")
        button_col.button("Announce in the studio", key="comms_announce", icon=":material/campaign:", disabled=True)
        return
    st.caption(f"Starts {timezones.format_utc(chosen_event['starts_at'])} for {len(invited):,} taskers "
               f"({markdown_literal(chosen_event['audience'])}). In their time zones:")
    st.markdown("\n".join(f"- {line}" for line in
                          timezones.zone_lines(chosen_event["starts_at"], context.zone_mix(invited))))
    if button_col.button("Announce in the studio", key="comms_announce", icon=":material/campaign:", type="primary"):
        st.session_state["comms_handoff"] = {"member_ids": invited["member_id"].tolist(),
                                             "label": f"taskers invited to {chosen_event['title']}",
                                             "template": "event_invite", "project_id": None, "event_id": event_id}
        st.rerun(scope="app")


def event_form(studio: comms.Studio) -> None:
    """A form that adds an event, its start given in any time zone."""
    with st.form("comms_event_form", clear_on_submit=True):
        title = st.text_input("Title", key="comms_event_title")
        d1, d2, d3, d4 = st.columns(4)
        day = d1.date_input("Date", value=(studio.now + pd.Timedelta(days=7)).date(), key="comms_event_day")
        clock = d2.time_input("Start time", value=dt.time(14, 0), key="comms_event_time")
        zone = d3.selectbox("Time zone of that time", ["UTC"] + sorted(studio.base["timezone"].dropna().unique()),
                            key="comms_event_zone")
        minutes = d4.number_input("Minutes", min_value=5, max_value=600, value=60, step=5, key="comms_event_minutes")
        audience_names = [community_events.ALL_TASKERS] + studio.segments["name"].tolist()
        event_audience = st.selectbox("Audience", audience_names, key="comms_event_audience")
        if st.form_submit_button("Add event"):
            try:
                community_events.add_event(studio.engine, title=title, starts_at=timezones.to_utc(day, clock, zone),
                                           duration_minutes=int(minutes), audience=event_audience,
                                           actor=studio.actor, role=studio.role)
                st.rerun()
            except CrowdPulseError as exc:
                comms.show_error(exc)


def turnout_form(studio: comms.Studio) -> None:
    """A form that records an event's registrations and attendance."""
    all_titles = dict(zip(studio.events["event_id"], studio.events["title"]))
    with st.form("comms_turnout_form"):
        turnout_id = st.selectbox("Event", list(all_titles), format_func=all_titles.get, key="comms_turnout_event")
        t1, t2 = st.columns(2)
        registered = t1.number_input("Registrations", min_value=0, step=1, key="comms_turnout_registrations")
        attended = t2.number_input("Attendance", min_value=0, step=1, key="comms_turnout_attendance")
        if st.form_submit_button("Record"):
            try:
                community_events.record_turnout(studio.engine, turnout_id, registrations=int(registered),
                                                attendance=int(attended), actor=studio.actor, role=studio.role)
                st.rerun()
            except CrowdPulseError as exc:
                comms.show_error(exc)
