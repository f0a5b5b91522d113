"""Settings: SLA policies, alert thresholds, people and roles."""

import streamlit as st

from ui import data, widgets

st.title("Settings")
st.caption("SLA targets per queue and priority, alert thresholds, and who has which role.")

st.subheader("SLA policies")
policies = data.policies()
shown = policies.assign(
    resolution_hours=policies["resolution_minutes"] / 60,
    first_response_hours=policies["first_response_minutes"] / 60,
    clock=policies["business_hours"].map({True: "business hours", False: "calendar (24/7)"}),
    pauses=policies["pause_statuses"].map(lambda v: ", ".join(v) if isinstance(v, list) else ""),
)
widgets.table(shown[["queue", "priority", "first_response_hours", "resolution_hours", "clock", "timezone", "pauses"]],
              key="settings_policies", filename="sla-policies", empty="No SLA policies yet.",
              column_config={"first_response_hours": st.column_config.NumberColumn("First response (h)", format="%.1f"),
                             "resolution_hours": st.column_config.NumberColumn("Resolution (h)", format="%.1f")})

left, right = st.columns(2)
with left:
    st.subheader("Alert thresholds")
    widgets.table(data.admin_frame("settings"), key="settings_thresholds", filename="settings")
with right:
    st.subheader("People and roles")
    widgets.table(data.admin_frame("people"), key="settings_people", filename="people",
                  empty="No staff accounts yet.")
