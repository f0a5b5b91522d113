"""Launch readiness: are the guides, FAQs and SOPs ready for each upcoming launch?"""

import streamlit as st

from core import launch
from ui import data, widgets

st.title("Launch readiness")
st.caption("Launches in the 30 days before and after today, and every resource's review status. "
           "A resource is ready when it is published and reviewed within its cadence.")

resources = data.resources()
if resources.empty:
    st.info("No guides, FAQs or SOPs yet — import resources on Data.")
    st.stop()
now = data.as_of()
readiness = launch.launch_readiness(resources, now)
staleness = launch.resource_staleness(resources, now)

if readiness.empty:
    st.info("No launch within 30 days.")
else:
    columns = st.columns(min(len(readiness), 4))
    for column, row in zip(columns, readiness.itertuples()):
        when = f"in {row.days_to_launch:.0f} days" if row.days_to_launch >= 0 else f"{-row.days_to_launch:.0f} days ago"
        widgets.kpi(column, f"{row.project} — launch {when}", f"{row.ready}/{row.resources} ready", fmt="{}",
                    help="Resources published and reviewed within their cadence, out of those the project has.")

st.subheader("Needs attention")
problems = staleness[~staleness["ready"]]
widgets.table(problems[["project", "title", "kind", "owner", "status", "problem", "days_overdue", "launch_at"]],
              key="launch_problems", filename="resources-not-ready", empty="Every resource is published and up to date.",
              column_config={"launch_at": st.column_config.DatetimeColumn("Launch", format="D MMM YYYY"),
                             "days_overdue": st.column_config.NumberColumn("Days overdue", format="%d")})

st.subheader("All resources")
widgets.table(staleness[["project", "title", "kind", "owner", "status", "last_reviewed_at", "review_every_days",
                         "days_since_review", "ready"]], key="launch_all", filename="resources",
              column_config={"last_reviewed_at": st.column_config.DatetimeColumn("Last reviewed", format="D MMM YYYY"),
                             "review_every_days": st.column_config.NumberColumn("Review every (days)"),
                             "days_since_review": st.column_config.NumberColumn("Days since review", format="%d")})
