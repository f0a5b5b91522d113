"""Comms studio: a clear, plain, culturally safe message for exactly the right taskers, reviewed, then sent."""

import datetime as dt

import pandas as pd
import streamlit as st

from core.comms import audience as audiences
from core.comms import checks, context, exports, timezones, workflow
from core.comms import events as community_events
from core.comms.errors import StaleDraft, TemplateProblem
from core.comms.templates import render
from core.errors import CrowdPulseError
from ui import charts, comms, data, widgets

actor, role = comms.who()
now = data.as_of()
base = data.audience_base()
engine = data.engine()

st.title("Comms studio")
st.caption("Write from a template filled with live data, check it reads plainly for a global crowd, see it in each "
           "channel and time zone, get it approved, then export it to send.")
if base.empty:
    st.info("No taskers yet — import members on Data.")
    st.stop()

project_table = data.projects()
project_names = dict(zip(project_table["project_id"], project_table["name"]))
segments = comms.segments()
events = community_events.event_turnout(comms.events(), now)
bases = st.session_state.setdefault("comms_base", {})    # draft id → the version this session last loaded
loaded = st.session_state.setdefault("comms_loaded", {})  # editor key → the text it was loaded with

# --- a hand-off from an alert, an event or a launch opens a new draft ---------------------------
handoff = st.session_state.get("comms_handoff")
if handoff:
    signature = (handoff.get("label"), handoff.get("template"), len(handoff.get("member_ids", ())),
                 handoff.get("project_id"), handoff.get("event_id"))
    if st.session_state.get("_comms_handoff_seen") != signature:
        st.session_state["_comms_handoff_seen"] = signature
        st.session_state["comms_open_next"] = 0
        st.session_state["comms_new_template"] = handoff.get("template")
        if handoff.get("project_id"):
            st.session_state["comms_new_project"] = handoff["project_id"]
        if handoff.get("event_id"):
            st.session_state["comms_new_event"] = handoff["event_id"]
        st.session_state.pop("comms_audience_source_new", None)
if "comms_open_next" in st.session_state:
    st.session_state["comms_draft_pick"] = st.session_state.pop("comms_open_next")

listing = comms.drafts()
# the status stays out of the labels: a label that changes on approval would reset the picker to "New draft"
labels = {0: "New draft"} | {int(r.id): f"#{r.id} · {r.title}" for r in listing.itertuples()}
if st.session_state.get("comms_draft_pick") not in labels:
    st.session_state["comms_draft_pick"] = 0
pick, steps = st.columns([2, 3], vertical_alignment="bottom")
draft_id = pick.selectbox("Draft", list(labels), format_func=labels.get, key="comms_draft_pick",
                          help="Open a saved draft, or start a new one from a template.")
draft = comms.draft(draft_id) if draft_id else None
if draft is not None:
    bases.setdefault(draft.id, draft.version)
    steps.markdown(" → ".join(f"**:blue-background[{label}]**" if status == draft.status else f":gray[{label}]"
                              for status, label in workflow.STATUS_LABELS.items())
                   + f"  \n:gray[version {draft.version} · {comms.CHANNEL_LABELS.get(draft.channel, draft.channel)}]")

write_tab, check_tab, preview_tab, review_tab, audience_tab, events_tab = st.tabs(
    ["Write", "Check", "Preview", "Review", "Audience", "Events"])


def show_error(exc: Exception) -> None:
    """A domain error in the specialist's words."""
    st.error(str(exc), icon=":material/error:")


# --- Audience (filled first: every other tab needs it) -----------------------------------------
SOURCES = {"draft": "This draft's audience", "handoff": "From the alert", "segment": "A saved audience",
           "filters": "Filter taskers"}
with audience_tab:
    options = ([s for s, ok in (("draft", draft is not None and draft.segment_id is not None),
                                ("handoff", draft is None and bool(handoff)),
                                ("segment", not segments.empty)) if ok] + ["filters"])
    source = st.radio("Audience from", options, format_func=SOURCES.get, horizontal=True,
                      key=f"comms_audience_source_{draft.id if draft else 'new'}")
    spec: dict
    if source == "draft":
        segment = segments[segments["id"] == draft.segment_id].iloc[0]
        chosen = audiences.segment_members(base, filters=segment["filters"], member_ids=segment["member_ids"], now=now)
        label, spec = segment["name"], {"segment_id": int(segment["id"])}
    elif source == "handoff":
        chosen = base[base["member_id"].isin(handoff["member_ids"])]
        label = handoff["label"]
        spec = {"member_ids": chosen["member_id"].tolist(), "label": label}
        if st.button("Dismiss the alert's audience", key="comms_clear_handoff"):
            del st.session_state["comms_handoff"]
            st.rerun()
    elif source == "segment":
        names = dict(zip(segments["id"], segments["name"]))
        segment_id = st.selectbox("Saved audience", list(names), format_func=names.get, key="comms_segment")
        segment = segments[segments["id"] == segment_id].iloc[0]
        chosen = audiences.segment_members(base, filters=segment["filters"], member_ids=segment["member_ids"], now=now)
        label, spec = segment["name"], {"segment_id": int(segment_id)}
        described = (f"a list of {len(segment['member_ids']):,} taskers" if segment["member_ids"]
                     else audiences.describe_filters(segment["filters"], project_names))
        st.caption(f"{checks.escape_markdown(described)} · saved by {segment['created_by'] or 'someone'}")
    else:
        c1, c2, c3, c4 = st.columns(4)
        picked = {
            "regions": c1.multiselect("Regions", sorted(base["region"].dropna().unique()), key="comms_regions"),
            "countries": c2.multiselect("Countries", sorted(base["country"].dropna().unique()), key="comms_countries"),
            "languages": c3.multiselect("Languages", sorted(base["language"].dropna().unique()), key="comms_languages"),
            "timezones": c4.multiselect("Time zones", sorted(base["timezone"].dropna().unique()), key="comms_timezones"),
        }
        c5, c6, c7, c8 = st.columns(4)
        picked["projects"] = c5.multiselect("Worked on project", list(project_names), format_func=project_names.get,
                                            key="comms_projects")
        picked["vendors"] = c6.multiselect("Vendor", sorted(base["vendor"].dropna().unique()), key="comms_vendors")
        picked["statuses"] = c7.multiselect("Status", sorted(base["status"].dropna().unique()), default=["active"],
                                            key="comms_statuses")
        tenure = c8.slider("Days since onboarding", 0, 730, (0, 730), key="comms_tenure")
        if tenure[0] > 0:
            picked["min_tenure_days"] = tenure[0]
        if tenure[1] < 730:
            picked["max_tenure_days"] = tenure[1]
        filters_now = {k: list(v) if isinstance(v, (list, tuple)) else v for k, v in picked.items() if v not in ([], None)}
        chosen = audiences.select_audience(base, now=now, **filters_now)
        label = audiences.describe_filters(filters_now, project_names)
        spec = {"filters": filters_now, "label": label}
        name_col, save_col = st.columns([3, 1], vertical_alignment="bottom")
        segment_name = name_col.text_input("Save this audience as", placeholder="e.g. Spanish readers on Cedar",
                                           key="comms_segment_name")
        if save_col.button("Save audience", key="comms_save_segment", icon=":material/group_add:"):
            try:
                workflow.save_segment(engine, name=segment_name, filters=filters_now, actor=actor, role=role)
                st.toast(f"Saved the audience '{segment_name}'.")
                st.rerun()
            except CrowdPulseError as exc:
                show_error(exc)

    if draft is not None and source != "draft" and draft.status != "sent":
        if st.button(f"Send this draft to {label} instead", key="comms_use_audience", icon=":material/swap_horiz:"):
            try:
                segment_id = workflow.segment_for_audience(engine, spec, actor=actor, role=role, today=now)
                bases[draft.id] = workflow.set_audience(engine, draft.id, segment_id=segment_id,
                                                        expected_version=bases[draft.id], actor=actor, role=role)
                st.rerun()
            except CrowdPulseError as exc:
                show_error(exc)

    share = audiences.second_language_share(chosen)
    tiles = st.columns(4)
    widgets.kpi(tiles[0], "Recipients", len(chosen))
    widgets.kpi(tiles[1], "Languages", chosen["language"].nunique())
    widgets.kpi(tiles[2], "Time zones", chosen["timezone"].nunique())
    widgets.kpi(tiles[3], "English as a second language", share, fmt="{:.0%}",
                help="Share of recipients whose language is not English: above 25% the target grade drops to 7, "
                     "above 50% to 6.")
    if draft is not None:
        missing = context.languages_without_version(chosen, draft.languages)
        if not missing.empty:
            st.warning("No version yet for " + ", ".join(f"**{r.language}** ({r.recipients:,} readers)"
                                                         for r in missing.head(6).itertuples())
                       + ". They get the English text unless you add one on Write.", icon=":material/translate:")
        moments = context.draft_moments(draft.context)
        for moment_label, moment in moments.items():
            st.subheader(f"The {moment_label.replace('_', ' ')} in each time zone")
            widgets.table(timezones.local_times(moment, context.zone_mix(chosen)).drop(columns=["offset_minutes"]),
                          key=f"comms_local_{moment_label}", filename=f"local-{moment_label}",
                          column_config=comms.LOCAL_TIME_COLUMNS)
    left, right = st.columns(2)
    with left:
        st.subheader("Language mix")
        widgets.table(audiences.audience_mix(chosen, "language"), key="comms_languages_mix", filename="audience-languages",
                      column_config={"share": st.column_config.ProgressColumn("Share", format="percent", min_value=0,
                                                                              max_value=1)})
    with right:
        st.subheader("Time zones")
        widgets.table(audiences.audience_mix(chosen, "timezone"), key="comms_timezones_mix",
                      filename="audience-timezones",
                      column_config={"share": st.column_config.ProgressColumn("Share", format="percent", min_value=0,
                                                                              max_value=1)})
    st.subheader(f"Recipients ({len(chosen):,})")
    widgets.table(chosen.drop(columns=["projects"]).head(5000), key="comms_recipients", filename="audience",
                  empty="No taskers match this audience — loosen a filter.",
                  column_config={"onboarded_at": st.column_config.DatetimeColumn("Onboarded", format="D MMM YYYY")})

names_in_text = tuple(project_names.values()) + tuple(events["title"])

# --- Events -------------------------------------------------------------------------------------
with events_tab:
    st.caption("Webinars, office hours and challenges. Announce one to open a draft with its start time in each "
               "reader's time zone; attendance against registrations shows once it is over.")
    upcoming = events[events["when"] == "upcoming"].sort_values("starts_at")
    past = events[events["when"] == "past"]
    columns = {"starts_at": st.column_config.DatetimeColumn("Starts (UTC)", format="ddd D MMM YYYY, HH:mm"),
               "duration_minutes": st.column_config.NumberColumn("Minutes"),
               "attendance_rate": st.column_config.ProgressColumn("Attended", format="percent", min_value=0,
                                                                  max_value=1),
               "days_away": st.column_config.NumberColumn("Days away", format="%.1f")}
    st.subheader(f"Upcoming ({len(upcoming)})")
    widgets.table(upcoming.drop(columns=["when", "attendance", "attendance_rate"]), key="comms_events_upcoming",
                  filename="events-upcoming", column_config=columns, empty="No upcoming event — add one below.")
    if not upcoming.empty:
        titles = dict(zip(upcoming["event_id"], upcoming["title"]))
        announce_col, button_col = st.columns([3, 1], vertical_alignment="bottom")
        event_id = announce_col.selectbox("Event to announce", list(titles), format_func=titles.get,
                                          key="comms_event_pick")
        chosen_event = community_events.event_record(events, event_id)
        invited = community_events.event_audience(base, chosen_event["audience"], segments, now=now)
        st.caption(f"Starts {timezones.format_utc(chosen_event['starts_at'])} for {len(invited):,} taskers "
                   f"({chosen_event['audience']}). In their time zones:")
        st.markdown("\n".join(f"- {line}" for line in
                              timezones.zone_lines(chosen_event["starts_at"], context.zone_mix(invited))))
        if button_col.button("Announce in the studio", key="comms_announce", icon=":material/campaign:",
                             type="primary"):
            st.session_state["comms_handoff"] = {"member_ids": invited["member_id"].tolist(),
                                                 "label": f"taskers invited to {chosen_event['title']}",
                                                 "template": "event_invite", "project_id": None, "event_id": event_id}
            st.rerun()
    st.subheader(f"Past ({len(past)})")
    if not past.empty and past["attendance_rate"].notna().any():
        widgets.chart(charts.bars(past.dropna(subset=["attendance_rate"]), "title", "attendance_rate",
                                  value_title="attended / registered", value_format=".0%"))
    widgets.table(past.drop(columns=["when", "days_away"]), key="comms_events_past", filename="events-past",
                  column_config=columns, empty="No past events yet.")
    with st.expander("Add an event", icon=":material/add:"):
        with st.form("comms_event_form", clear_on_submit=True):
            title = st.text_input("Title", key="comms_event_title")
            d1, d2, d3, d4 = st.columns(4)
            day = d1.date_input("Date", value=(now + pd.Timedelta(days=7)).date(), key="comms_event_day")
            clock = d2.time_input("Start time", value=dt.time(14, 0), key="comms_event_time")
            zone = d3.selectbox("Time zone of that time", ["UTC"] + sorted(base["timezone"].dropna().unique()),
                                key="comms_event_zone")
            minutes = d4.number_input("Minutes", min_value=5, max_value=600, value=60, step=5, key="comms_event_minutes")
            audience_names = [community_events.ALL_TASKERS] + segments["name"].tolist()
            event_audience = st.selectbox("Audience", audience_names, key="comms_event_audience")
            if st.form_submit_button("Add event"):
                try:
                    community_events.add_event(engine, title=title, starts_at=timezones.to_utc(day, clock, zone),
                                               duration_minutes=int(minutes), audience=event_audience, actor=actor,
                                               role=role)
                    st.rerun()
                except CrowdPulseError as exc:
                    show_error(exc)
    if not events.empty:
        with st.expander("Record registrations and attendance", icon=":material/how_to_reg:"):
            all_titles = dict(zip(events["event_id"], events["title"]))
            with st.form("comms_turnout_form"):
                turnout_id = st.selectbox("Event", list(all_titles), format_func=all_titles.get, key="comms_turnout_event")
                t1, t2 = st.columns(2)
                registered = t1.number_input("Registrations", min_value=0, step=1, key="comms_turnout_registrations")
                attended = t2.number_input("Attendance", min_value=0, step=1, key="comms_turnout_attendance")
                if st.form_submit_button("Record"):
                    try:
                        community_events.record_turnout(engine, turnout_id, registrations=int(registered),
                                                        attendance=int(attended), actor=actor, role=role)
                        st.rerun()
                    except CrowdPulseError as exc:
                        show_error(exc)

# --- Write --------------------------------------------------------------------------------------
subject, body, language, expects_deadline = "", "", "en", False
with write_tab:
    if draft is None:
        catalogue = comms.templates()
        if st.session_state.get("comms_new_template") not in catalogue:
            st.session_state["comms_new_template"] = next(iter(catalogue))
        t1, t2 = st.columns([3, 2])
        key = t1.selectbox("Template", list(catalogue), format_func=lambda k: catalogue[k].title,
                           key="comms_new_template")
        template = catalogue[key]
        t1.caption(template.description)
        channel = t2.segmented_control("Channel", list(comms.CHANNEL_LABELS), format_func=comms.CHANNEL_LABELS.get,
                                       default=template.channel, key=f"comms_new_channel_{key}") or template.channel
        st.markdown(f"**Audience:** {checks.escape_markdown(label)} · **{len(chosen):,}** recipients · change it "
                    "on the Audience tab.")
        title = st.text_input("Draft title (for your team)", value=f"{template.title}: {label}"[:120],
                              key=f"comms_new_title_{key}")
        project = deadline = chosen_event = None
        link = None
        needs = set(template.needs)
        inputs = st.columns(2)
        if "project" in needs:
            if st.session_state.get("comms_new_project") not in project_names:
                st.session_state["comms_new_project"] = next(iter(project_names))
            project_id = inputs[0].selectbox("Project", list(project_names), format_func=project_names.get,
                                             key="comms_new_project")
            project = project_table[project_table["project_id"] == project_id].iloc[0].to_dict()
        if "event" in needs:
            all_titles = dict(zip(events["event_id"], events["title"]))
            if not all_titles:
                st.info("No events yet — add one on the Events tab.")
            else:
                if st.session_state.get("comms_new_event") not in all_titles:
                    st.session_state["comms_new_event"] = next(iter(all_titles))
                event_id = inputs[0].selectbox("Event", list(all_titles), format_func=all_titles.get,
                                               key="comms_new_event")
                chosen_event = community_events.event_record(events, event_id)
        if "link" in needs:
            link = inputs[1].text_input("Link", value="https://community.crowdpulse.example/",
                                        key=f"comms_new_link_{key}",
                                        help="The guide, survey, sign-up or status page the reader should open.")
        if "deadline" in needs:
            d1, d2, d3 = st.columns(3)
            day = d1.date_input("Deadline date", value=(now + pd.Timedelta(days=7)).date(), key="comms_new_deadline_day")
            clock = d2.time_input("Deadline time", value=dt.time(17, 0), key="comms_new_deadline_time")
            zone = d3.selectbox("…in the time zone", ["UTC"] + sorted(chosen["timezone"].dropna().unique()),
                                key="comms_new_deadline_zone", help="The zone the date and time above are in. Readers "
                                "see it in their own zone.")
            deadline = timezones.to_utc(day, clock, zone)
        signer = st.text_input("Signed by", value=comms.sender_name(actor), key="comms_new_signer")
        when = (deadline if deadline is not None else chosen_event["starts_at"] if chosen_event else
                project.get("launch_at") if project is not None and not pd.isna(project.get("launch_at")) else None)
        if when is not None and len(chosen):
            with st.expander("When that is for your readers", expanded=True, icon=":material/schedule:"):
                widgets.table(timezones.local_times(when, context.zone_mix(chosen)).drop(columns=["offset_minutes"]),
                              key="comms_new_local_times", filename="local-times",
                              column_config=comms.LOCAL_TIME_COLUMNS)
        with st.expander("Edit the template before filling it", icon=":material/code:"):
            st.caption("Variables: " + ", ".join(f"`{name}`" for name in
                                                 ["audience", "sender", "community", *sorted(needs)])
                       + ". An unknown variable or a loop that runs too long stops with the line it is on.")
            subject_source = st.text_input("Subject template", value=template.subject, key=f"comms_tpl_subject_{key}")
            body_source = st.text_area("Body template", value=template.body, height=260, key=f"comms_tpl_body_{key}")
        if st.button("Fill the template and create the draft", key="comms_create", type="primary",
                     icon=":material/edit_document:", disabled=chosen.empty):
            variables = context.template_variables(audience=chosen, audience_label=label,
                                                   sender={"name": signer}, project=project, deadline=deadline,
                                                   event=chosen_event, link=link, community=comms.community(now))
            try:
                filled_subject, filled_body = render(subject_source, body_source, variables)
                segment_id = workflow.segment_for_audience(engine, spec, actor=actor, role=role, today=now)
                new_id = workflow.create_draft(
                    engine, title=title, subject=filled_subject, body=filled_body, actor=actor, role=role,
                    channel=channel, template=key, segment_id=segment_id,
                    context=context.draft_context(audience_label=label, project=project, deadline=deadline,
                                                  event=chosen_event, link=link))
                st.session_state.pop("comms_handoff", None)
                st.session_state["comms_open_next"] = new_id
                st.rerun()
            except TemplateProblem as exc:
                st.error(f"The template could not be filled. {exc}", icon=":material/error:")
            except CrowdPulseError as exc:
                show_error(exc)
        if chosen.empty:
            st.caption("Choose an audience with at least one tasker on the Audience tab.")
    else:
        template = comms.templates().get(draft.template)
        expects_deadline = bool(template and template.expects_deadline)
        audience_languages = audiences.audience_mix(chosen, "language")["language"].tolist()
        language_options = draft.languages + [lang for lang in audience_languages
                                              if lang not in draft.versions and lang != "unknown"]
        language = st.segmented_control(
            "Language version", language_options, default="en" if "en" in draft.versions else draft.languages[0],
            format_func=lambda lang: lang if lang in draft.versions else f"{lang} (none yet)",
            key=f"comms_language_{draft.id}") or "en"
        saved = draft.versions.get(language)
        starting = saved or draft.versions.get("en") or next(iter(draft.versions.values()))
        subject_key, body_key = f"comms_subject_{draft.id}_{language}", f"comms_body_{draft.id}_{language}"
        draft_keys = [k for k in loaded if k.startswith(f"comms_subject_{draft.id}_") or k.startswith(f"comms_body_{draft.id}_")]
        if draft.version != bases[draft.id]:
            edited = any(st.session_state.get(k) != loaded[k] for k in draft_keys)
            if not edited:  # nothing typed here since: take the newer text quietly
                for k in draft_keys:
                    st.session_state.pop(k, None)
                    loaded.pop(k, None)
                bases[draft.id] = draft.version
            else:
                st.warning(f"Someone saved version {draft.version} while you were editing version {bases[draft.id]}. "
                           "When you save, your text is kept and you can compare and re-apply it.",
                           icon=":material/sync_problem:")
        if subject_key not in st.session_state:
            st.session_state[subject_key] = loaded[subject_key] = starting.subject
            st.session_state[body_key] = loaded[body_key] = starting.body
        read_only = draft.status == "sent" or not workflow.role_allows(role, "specialist")
        left, right = st.columns([3, 2], gap="large")
        with left:
            if saved is None:
                st.info(f"No {language} version yet: the English text is below to translate. Saving creates the "
                        f"{language} version.", icon=":material/translate:")
            subject = st.text_input("Subject", key=subject_key, disabled=read_only)
            body = st.text_area("Message (Markdown)", key=body_key, height=460, disabled=read_only)
            unsaved = saved is None or subject != saved.subject or body != saved.body
            save_col, state_col = st.columns([1, 3], vertical_alignment="center")
            if save_col.button("Save", key="comms_save", type="primary", icon=":material/save:",
                               disabled=read_only or not unsaved):
                try:
                    bases[draft.id] = workflow.save_revision(engine, draft.id, expected_version=bases[draft.id],
                                                             subject=subject, body=body, language=language,
                                                             actor=actor, role=role)
                    loaded[subject_key], loaded[body_key] = subject, body
                    st.session_state.pop("comms_conflict", None)
                    st.toast(f"Saved the {language} version.")
                    st.rerun()
                except StaleDraft as exc:
                    st.session_state["comms_conflict"] = {"draft_id": draft.id, "language": language,
                                                          "message": str(exc), "kept": exc.kept_revision,
                                                          "current": exc.current_version}
                except CrowdPulseError as exc:
                    show_error(exc)
            if draft.status == "sent":
                state_col.caption("Sent messages are final: start a new draft for a correction.")
            elif unsaved:
                state_col.caption(":orange[Unsaved changes]" + (" · saving sends it back to draft for a new review"
                                                                if draft.status in ("in_review", "approved", "scheduled") else ""))
            conflict = st.session_state.get("comms_conflict")
            if conflict and conflict["draft_id"] == draft.id and conflict["language"] == language:
                with st.container(border=True):
                    st.error(conflict["message"], icon=":material/sync_problem:")
                    current = saved or starting
                    st.code(workflow.revision_diff(current.subject, current.body, subject, body,
                                                   old_label=f"saved version {draft.version}",
                                                   new_label=f"your text (kept as revision {conflict['kept']})")
                            or "(no difference)", language="diff")
                    keep_col, take_col = st.columns(2)
                    if keep_col.button("Re-apply my text on top", key="comms_conflict_reapply", icon=":material/redo:"):
                        try:
                            bases[draft.id] = workflow.save_revision(engine, draft.id, expected_version=draft.version,
                                                                     subject=subject, body=body, language=language,
                                                                     actor=actor, role=role)
                            loaded[subject_key], loaded[body_key] = subject, body
                            st.session_state.pop("comms_conflict")
                            st.rerun()
                        except CrowdPulseError as exc:
                            show_error(exc)
                    if take_col.button("Load the saved version", key="comms_conflict_take", icon=":material/download:",
                                       help=f"Your text stays in the history as revision {conflict['kept']}."):
                        for k in [subject_key, body_key]:
                            st.session_state.pop(k, None)
                            loaded.pop(k, None)
                        bases[draft.id] = draft.version
                        st.session_state.pop("comms_conflict")
                        st.rerun()
        with right:
            report = comms.check(body, subject=subject, channel=draft.channel, language=language,
                                 share=audiences.second_language_share(chosen), expects_deadline=expects_deadline,
                                 names=names_in_text)
            comms.readability_tiles(report)
            left_over = workflow.unfilled_placeholders(subject + "\n" + body)
            if left_over:
                st.warning(f"{len(left_over)} template placeholder(s) still to fill, e.g. “{left_over[0]}”.",
                           icon=":material/edit:")
            comms.findings_list(report, limit=8)

# --- Check --------------------------------------------------------------------------------------
with check_tab:
    if draft is None:
        st.info("Create a draft on Write to check it.")
    else:
        st.caption(f"The {language} text as it is in the editor now, with each problem highlighted; the list says "
                   "how to fix it.")
        left, right = st.columns([3, 2], gap="large")
        with left:
            comms.highlight_legend()
            with st.container(border=True):
                st.markdown(f"**Subject:** {checks.escape_markdown(subject)}")
                st.markdown(checks.highlighted_markdown(body, report.findings))
        with right:
            comms.readability_tiles(report)
            comms.findings_list(report)
        with st.expander("Findings as a table", icon=":material/table:"):
            widgets.table(comms.findings_frame(report), key="comms_findings", filename=f"draft-{draft.id}-findings",
                          empty="No findings: plain, clear and complete.")

# --- Preview and export -------------------------------------------------------------------------
with preview_tab:
    if draft is None:
        st.info("Create a draft on Write to preview it.")
    else:
        st.caption("How the editor's text will look when pasted into each channel. It is shown as text: nothing you "
                   "write is run as HTML.")
        for channel_tab, channel in zip(st.tabs(list(comms.CHANNEL_LABELS.values())), comms.CHANNEL_LABELS):
            with channel_tab:
                text = comms.channel_preview(channel, subject, body)
                limit = checks.BODY_LIMITS.get(channel)
                st.caption(f"{len(text):,} characters" + (f" of {limit:,} allowed" if limit else "")
                           + (f" · subject {len(subject)} of {checks.SUBJECT_LIMIT} shown in most inboxes"
                              if channel == "email" else ""))
        st.subheader("Export")
        approved = draft.status in ("approved", "scheduled", "sent")
        versions = {lang: (rev.subject, rev.body) for lang, rev in draft.versions.items()}
        export_language = st.selectbox("Language version to export", draft.languages, key="comms_export_language")
        chosen_subject, chosen_body = versions[export_language]

        def note_export(format_name: str) -> None:
            """Record the export in the draft's audit trail."""
            workflow.record_export(engine, draft.id, format=format_name, actor=actor)

        st.download_button("Markdown (all languages, for sharing)",
                           exports.to_markdown(draft.title, versions, status=workflow.STATUS_LABELS[draft.status],
                                               audience=label),
                           file_name=f"draft-{draft.id}.md", mime="text/markdown", key="comms_export_md",
                           icon=":material/description:", on_click=note_export, args=("markdown",))
        if not approved:
            st.info("Sending exports (.eml, Slack, Discord, mail merge) unlock once a manager approves the draft on "
                    "Review.", icon=":material/lock:")
        else:
            e1, e2, e3, e4 = st.columns(4)
            e1.download_button(".eml for your mail tool",
                               exports.to_eml(chosen_subject, chosen_body, sender=comms.sender_name(actor),
                                              language=export_language, draft_id=draft.id, date=now),
                               file_name=f"draft-{draft.id}-{export_language}.eml", mime="message/rfc822",
                               key="comms_export_eml", icon=":material/mail:", on_click=note_export, args=("eml",))
            e2.download_button("Slack text", exports.to_slack(chosen_subject, chosen_body),
                               file_name=f"draft-{draft.id}-{export_language}-slack.txt", mime="text/plain",
                               key="comms_export_slack", icon=":material/tag:", on_click=note_export, args=("slack",))
            e3.download_button("Discord text", exports.to_discord(chosen_subject, chosen_body),
                               file_name=f"draft-{draft.id}-{export_language}-discord.txt", mime="text/plain",
                               key="comms_export_discord", icon=":material/forum:", on_click=note_export,
                               args=("discord",))
            e4.download_button(f"Mail-merge CSV ({len(chosen):,} recipients)",
                               exports.mail_merge_csv(chosen, moments=context.draft_moments(draft.context),
                                                      languages_available=draft.languages),
                               file_name=f"draft-{draft.id}-recipients.csv", mime="text/csv",
                               key="comms_export_merge", icon=":material/table:", on_click=note_export,
                               args=("mail_merge_csv",))
            st.caption("The mail-merge CSV gives each recipient the language version they get and the deadline, "
                       "event start or launch in their own time zone.")

# --- Review -------------------------------------------------------------------------------------
with review_tab:
    if draft is None:
        st.info("Create a draft on Write; it goes to review from here.")
    else:
        expected = bases[draft.id]

        def move(step, **kwargs) -> None:
            """Run a workflow step and reload, or show why it was refused."""
            try:
                bases[draft.id] = step(engine, draft.id, expected_version=expected, actor=actor, role=role, **kwargs)
                st.rerun()
            except CrowdPulseError as exc:
                show_error(exc)

        can_approve = workflow.role_allows(role, "manager")
        st.caption(f"You act as **{actor}** ({role}). Specialists write and send for review; managers and admins "
                   "approve. Sending is an export from Preview, then “Mark as sent”.")
        if draft.status == "draft":
            if st.button("Send for review", key="comms_submit", type="primary", icon=":material/send:"):
                move(workflow.submit_for_review)
        elif draft.status == "in_review":
            note = st.text_input("Note (what to change, or why it is fine)", key="comms_review_note")
            a1, a2 = st.columns(2)
            if a1.button("Approve", key="comms_approve", type="primary", icon=":material/verified:",
                         disabled=not can_approve,
                         help=None if can_approve else "Only managers and admins approve messages."):
                move(workflow.approve, note=note or None)
            if a2.button("Request changes", key="comms_request_changes", icon=":material/undo:"):
                move(workflow.request_changes, note=note or "changes requested")
        elif draft.status in ("approved", "scheduled"):
            s1, s2, s3 = st.columns(3)
            send_day = s1.date_input("Send on", value=(now + pd.Timedelta(days=1)).date(), key="comms_send_day")
            send_time = s2.time_input("at", value=dt.time(9, 0), key="comms_send_time")
            send_zone = s3.selectbox("time zone", ["UTC"] + sorted(chosen["timezone"].dropna().unique()),
                                     key="comms_send_zone")
            send_at = timezones.to_utc(send_day, send_time, send_zone)
            st.caption(f"= {timezones.format_utc(send_at)}. The most common reader zones: "
                       + "; ".join(timezones.zone_lines(send_at, context.zone_mix(chosen), limit=4)[:4]))
            b1, b2, b3 = st.columns(3)
            if draft.status == "approved" and b1.button("Schedule", key="comms_schedule", icon=":material/schedule_send:"):
                move(workflow.schedule, scheduled_at=send_at)
            if draft.status == "scheduled":
                b1.info(f"Scheduled for {timezones.format_utc(draft.scheduled_at)}.")
                if b3.button("Unschedule", key="comms_unschedule"):
                    move(workflow.transition, to="approved")
            if b2.button("Mark as sent", key="comms_mark_sent", icon=":material/done_all:"):
                move(workflow.mark_sent)
        else:
            st.success("Sent. The text and audience are final; the history below shows who did what.")

        st.subheader("Comments")
        for row in workflow.comment_rows(comms.history(draft.id)).itertuples():
            with st.chat_message("user", avatar=":material/chat:"):
                st.markdown(f"**{checks.escape_markdown(row.actor)}** · {row.at:%d %b %H:%M} UTC · version "
                            f"{row.version}  \n{checks.escape_markdown(row.text)}")
        comment = st.text_area("Add a comment", key="comms_comment", height=80)
        if st.button("Comment", key="comms_add_comment", icon=":material/add_comment:"):
            try:
                workflow.add_comment(engine, draft.id, text=comment, actor=actor, role=role)
                st.rerun()
            except CrowdPulseError as exc:
                show_error(exc)

        st.subheader("Versions")
        revs = comms.revisions(draft.id)
        widgets.table(revs[["number", "language", "subject", "author", "created_at", "applied", "base_version"]],
                      key="comms_revisions", filename=f"draft-{draft.id}-revisions",
                      column_config={"created_at": st.column_config.DatetimeColumn("Saved", format="D MMM HH:mm"),
                                     "base_version": st.column_config.NumberColumn("Based on version"),
                                     "applied": st.column_config.CheckboxColumn(
                                         "Applied", help="Unticked: an edit that lost a save race, kept so nothing "
                                                         "is lost.")})
        if len(revs) > 1:
            numbers = revs["number"].tolist()
            d1, d2 = st.columns(2)
            older = d1.selectbox("Compare revision", numbers, index=1, key="comms_diff_from")
            newer = d2.selectbox("with", numbers, index=0, key="comms_diff_to")
            a, b = revs.set_index("number").loc[older], revs.set_index("number").loc[newer]
            st.code(workflow.revision_diff(a["subject"], a["body"], b["subject"], b["body"],
                                           old_label=f"revision {older}", new_label=f"revision {newer}")
                    or "(no difference)", language="diff")

        st.subheader("History")
        widgets.table(comms.history(draft.id)[["at", "actor", "action", "detail"]], key="comms_history",
                      filename=f"draft-{draft.id}-history",
                      column_config={"at": st.column_config.DatetimeColumn("When (UTC)", format="D MMM HH:mm:ss")})
