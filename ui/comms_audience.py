"""Comms studio, Audience tab: who a message goes to, from a draft, an alert, a saved audience or filters."""

import streamlit as st

from core.comms import audience as audiences
from core.comms import context, languages, workflow
from core.comms.audience import AudienceChoice
from core.comms.workflow import DraftView
from core.errors import CrowdPulseError
from core.exports import markdown_literal
from core.feedback.language import language_name
from ui import comms, widgets

SOURCES = {"draft": "This draft's audience", "handoff": "From the alert", "segment": "A saved audience",
           "filters": "Filter taskers"}
ACTIVE_HELP = ("Active: at least one submitted task in the 28 days ending on the last day with data, as Health "
               "counts monthly active taskers; inactive: none in those days. Banned or paused accounts keep "
               "their stored status.")
SHARE_COLUMN = {"share": st.column_config.ProgressColumn("Share", format="percent", min_value=0, max_value=1)}


def audience_tab(studio: comms.Studio, draft: DraftView | None, handoff: dict | None) -> AudienceChoice:
    """The audience chooser and what the chosen audience reads and where it lives; returns the choice."""
    segments = studio.segments
    options = ([s for s, ok in (("draft", draft is not None and draft.segment_id is not None),
                                ("handoff", draft is None and bool(handoff)),
                                ("segment", not segments.empty)) if ok] + ["filters"])
    source = st.radio("Audience from", options, format_func=SOURCES.get, horizontal=True,
                      key=f"comms_audience_source_{draft.id if draft else 'new'}")
    if source == "draft":
        choice = audiences.saved_audience(studio.base, segments, draft.segment_id, now=studio.now)
    elif source == "handoff":
        choice = audiences.handed_over_audience(studio.base, handoff["member_ids"], handoff["label"])
        if st.button("Dismiss the alert's audience", key="comms_clear_handoff"):
            del st.session_state["comms_handoff"]
            st.rerun()
    elif source == "segment":
        names = dict(zip(segments["id"], segments["name"]))
        segment_id = st.selectbox("Saved audience", list(names), format_func=names.get, key="comms_segment")
        choice = audiences.saved_audience(studio.base, segments, segment_id, now=studio.now)
        segment = segments[segments["id"] == segment_id].iloc[0]
        st.caption(f"{markdown_literal(audiences.segment_summary(segment, studio.project_names))} · "
                   f"saved by {segment['created_by'] or 'someone'}")
    else:
        choice = filter_bar(studio)
    if draft is not None and source != "draft" and draft.status != "sent":
        retarget_button(studio, draft, choice)
    audience_overview(studio, draft, choice.members)
    return choice


def filter_bar(studio: comms.Studio) -> AudienceChoice:
    """Filters over the taskers, with a box to save them as a named audience."""
    base, project_names = studio.base, studio.project_names
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
                                        key="comms_statuses", help=ACTIVE_HELP)
    tenure = c8.slider("Days since onboarding", 0, 730, (0, 730), key="comms_tenure")
    if tenure[0] > 0:
        picked["min_tenure_days"] = tenure[0]
    if tenure[1] < 730:
        picked["max_tenure_days"] = tenure[1]
    choice = audiences.filtered_audience(base, picked, project_names, now=studio.now)
    name_col, save_col = st.columns([3, 1], vertical_alignment="bottom")
    segment_name = name_col.text_input("Save this audience as", placeholder="e.g. Spanish readers on Cedar",
                                       key="comms_segment_name")
    if save_col.button("Save audience", key="comms_save_segment", icon=":material/group_add:"):
        try:
            workflow.save_segment(studio.engine, name=segment_name, filters=choice.spec["filters"], actor=studio.actor)
            st.toast(f"Saved the audience '{segment_name}'.")
            st.rerun()
        except CrowdPulseError as exc:
            comms.show_error(exc)
    return choice


def retarget_button(studio: comms.Studio, draft: DraftView, choice: AudienceChoice) -> None:
    """A button that sends the open draft to the audience chosen here instead of its own."""
    if st.button(f"Send this draft to {choice.label} instead", key="comms_use_audience", icon=":material/swap_horiz:"):
        try:
            segment_id = workflow.segment_for_audience(studio.engine, choice.spec, actor=studio.actor,
                                                       today=studio.now)
            studio.bases[draft.id] = workflow.set_audience(studio.engine, draft.id, segment_id=segment_id,
                                                           expected_version=studio.bases[draft.id],
                                                           actor=studio.actor)
            st.rerun()
        except CrowdPulseError as exc:
            comms.show_error(exc)


def audience_overview(studio: comms.Studio, draft: DraftView | None, chosen) -> None:
    """Tiles, missing language versions, local times of the draft's moments, the mixes and the recipients."""
    tiles = st.columns(4)
    widgets.kpi(tiles[0], "Recipients", len(chosen))
    widgets.kpi(tiles[1], "Languages", chosen["language"].nunique())
    widgets.kpi(tiles[2], "Time zones", chosen["timezone"].nunique())
    widgets.kpi(tiles[3], "English as a second language", audiences.second_language_share(chosen), fmt="{:.0%}",
                help="Share of recipients whose language is not English: above 25% the target grade drops to 7, "
                     "above 50% to 6.")
    if draft is not None:
        language_versions(studio, draft, chosen)
        for moment_label, moment in context.draft_moments(draft.context).items():
            st.subheader(f"The {moment_label.replace('_', ' ')} in each time zone")
            comms.local_times_table(moment, chosen, key=f"comms_local_{moment_label}", filename=f"local-{moment_label}")
    left, right = st.columns(2)
    with left:
        st.subheader("Language mix")
        widgets.table(audiences.audience_mix(chosen, "language"), key="comms_languages_mix",
                      filename="audience-languages", column_config=SHARE_COLUMN)
    with right:
        st.subheader("Time zones")
        widgets.table(audiences.audience_mix(chosen, "timezone"), key="comms_timezones_mix",
                      filename="audience-timezones", column_config=SHARE_COLUMN)
    st.subheader(f"Recipients ({len(chosen):,})")
    widgets.table(chosen.drop(columns=["projects"]).head(5000), key="comms_recipients", filename="audience",
                  empty="No taskers match this audience — loosen a filter.",
                  column_config={"onboarded_at": st.column_config.DatetimeColumn("Onboarded", format="D MMM YYYY")})


VERSION_COLUMNS = {"language": "Language", "recipients": st.column_config.NumberColumn("Recipients"),
                   "share": st.column_config.ProgressColumn("Share", format="percent", min_value=0, max_value=1),
                   "own_language": st.column_config.NumberColumn("Read their own language"),
                   "english_fallback": st.column_config.NumberColumn("Fall back to English"),
                   "has_version": st.column_config.CheckboxColumn("Version written"),
                   "send_english": st.column_config.CheckboxColumn("English decided")}


def language_versions(studio: comms.Studio, draft: DraftView, chosen) -> None:
    """Per language: who reads their own and who falls back to English; a decision box for each large group."""
    table = languages.draft_language_table(studio.engine, draft.id, audience=chosen)
    fallback = int(table["english_fallback"].sum())
    st.subheader("Languages of this message")
    st.caption(f"{len(chosen) - fallback:,} recipients read their own language, {fallback:,} get the English text. "
               + ("A launch or guideline message needs a version for every language group above the threshold "
                  "(Settings, comms_language_version_threshold) before approval."
                  if draft.template in languages.RULE_TEMPLATES else ""))
    widgets.table(table.drop(columns=["required", "missing"]), key="comms_language_versions",
                  filename="audience-language-versions", column_config=VERSION_COLUMNS)
    blocker = languages.missing_versions_message(table)
    if blocker:
        st.warning(blocker, icon=":material/translate:")
    for row in table[table["required"] & ~table["has_version"]].itertuples():
        english_decision(studio, draft, row)


def english_decision(studio: comms.Studio, draft: DraftView, row) -> None:
    """Decide (with a reason, audited) to send the English text to a large language group, or withdraw that."""
    key = f"comms_send_english_{draft.id}_{row.language}"
    if row.send_english:
        left, right = st.columns([3, 1], vertical_alignment="bottom")
        left.caption(f"Decided: the {row.recipients:,} {language_name(row.language)} readers get the English text.")
        if right.button("Withdraw", key=f"{key}_withdraw", disabled=draft.status == "sent"):
            _decide(studio, draft, row.language, "", withdraw=True)
        return
    left, right = st.columns([3, 1], vertical_alignment="bottom")
    reason = left.text_input(f"Why the {row.recipients:,} {language_name(row.language)} readers get English",
                             key=f"{key}_reason",
                             placeholder="e.g. no translator before the launch")
    if right.button(f"Send English to {language_name(row.language)} readers", key=key,
                    disabled=draft.status == "sent"):
        _decide(studio, draft, row.language, reason)


def _decide(studio: comms.Studio, draft: DraftView, language: str, reason: str, *, withdraw: bool = False) -> None:
    try:
        languages.decide_send_english(studio.engine, draft.id, language=language, reason=reason, withdraw=withdraw,
                                      actor=studio.actor)
        st.rerun()
    except CrowdPulseError as exc:
        comms.show_error(exc)
