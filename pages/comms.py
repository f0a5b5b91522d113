"""Comms studio: who will receive a message, what they read and where they live."""

import streamlit as st

from core import audience
from ui import data, filters, widgets

st.title("Comms studio")
st.caption("Choose an audience to see its recipients, languages and time zones before you write.")

base = data.audience_base()
if base.empty:
    st.info("No taskers yet — import members on Data.")
    st.stop()

handoff = st.session_state.get("comms_handoff")
if handoff:
    chosen = base[base["member_id"].isin(handoff["member_ids"])]
    st.info(f"Audience from an alert: **{len(chosen):,} {handoff['label']}** · suggested template: "
            f"{handoff['template'].replace('_', ' ')}.")
    if st.button("Choose a different audience", key="comms_clear_handoff"):
        del st.session_state["comms_handoff"]
        st.rerun()
else:
    f = filters.current()
    choices = data.filter_choices()
    names = dict(zip(choices["projects"]["project_id"], choices["projects"]["name"]))
    c1, c2, c3, c4 = st.columns(4)
    regions = c1.multiselect("Regions", sorted(base["region"].dropna().unique()), default=list(f.regions), key="comms_regions")
    countries = c2.multiselect("Countries", sorted(base["country"].dropna().unique()), key="comms_countries")
    languages = c3.multiselect("Languages", sorted(base["language"].dropna().unique()), key="comms_languages")
    projects = c4.multiselect("Worked on project", list(names), default=list(f.projects), format_func=names.get,
                              key="comms_projects")
    chosen = audience.select_audience(base, regions=regions, countries=countries, languages=languages, projects=projects)

tiles = st.columns(3)
widgets.kpi(tiles[0], "Recipients", len(chosen))
widgets.kpi(tiles[1], "Languages", chosen["language"].nunique())
widgets.kpi(tiles[2], "Time zones", chosen["timezone"].nunique())

left, right = st.columns(2)
with left:
    st.subheader("Language mix")
    widgets.table(audience.audience_mix(chosen, "language"), key="comms_languages_mix", filename="audience-languages",
                  column_config={"share": st.column_config.ProgressColumn("Share", format="percent", min_value=0, max_value=1)})
with right:
    st.subheader("Time zones")
    widgets.table(audience.audience_mix(chosen, "timezone"), key="comms_timezones_mix", filename="audience-timezones",
                  column_config={"share": st.column_config.ProgressColumn("Share", format="percent", min_value=0, max_value=1)})

st.subheader("Recipients")
widgets.table(chosen.drop(columns=["projects"]).head(5000), key="comms_recipients", filename="audience",
              column_config={"onboarded_at": st.column_config.DatetimeColumn("Onboarded", format="D MMM YYYY")})
