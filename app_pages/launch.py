"""Launch readiness: are the guides, FAQs and SOPs ready for each upcoming launch?"""

import streamlit as st

from core.comms import launch
from core.comms import timezones
from core.exports import markdown_literal
from ui import auth, data, widgets

st.title("Launch readiness")
st.caption("Launches in the 30 days before and after today, the nearest one that is not ready first, and every "
           "resource's review status. A resource is ready when it is published and reviewed within its cadence; "
           "each launch needs a guide, an FAQ and a reviewer SOP.")

resources = data.resources()
if resources.empty:
    widgets.nothing_yet("No guides, FAQs or SOPs yet — import resources on Data.")
now = data.as_of()
projects = data.projects()
readiness = launch.launch_readiness(resources, now, projects=projects)
staleness = launch.resource_staleness(resources, now)

if readiness.empty:
    st.info("No launch within 30 days.")
else:
    for row in readiness.itertuples():
        days = widgets.count_of(abs(row.days_to_launch), "day")
        when = f"in {days}" if row.days_to_launch >= 0 else f"{days} ago"
        with st.container(border=True):
            st.markdown(f"**{markdown_literal(row.project)}** · launch {when}")
            figures, detail, action = st.columns([1, 2.6, 1.8], vertical_alignment="center")
            widgets.kpi(figures, "Ready", row.ready_label, fmt="{}",
                        help="Resources published and reviewed within their cadence, out of those the project has.")
            gaps = staleness[(staleness["project_id"] == row.project_id) & ~staleness["ready"]]
            lines = [f"Opens {timezones.format_utc(row.launch_at)}"]
            lines += [f":orange[{markdown_literal(problem.title)}: {problem.problem}]"
                      for problem in gaps.itertuples()]
            if row.missing:
                lines.append(f":red[Missing: {row.missing}]")
            if len(lines) == 1:
                lines.append(":green[Every guide, FAQ and SOP is ready.]")
            detail.markdown("  \n".join(lines))
            if auth.may_draft(action, "the launch announcement") and action.button(
                    "Draft the launch announcement", key=f"launch_announce_{row.project_id}", icon=":material/campaign:"):
                members, label = launch.launch_audience(data.audience_base(), projects, row.project_id)
                st.session_state["comms_handoff"] = {"member_ids": members, "label": label,
                                                     "template": "project_launch", "project_id": row.project_id}
                st.switch_page("app_pages/comms.py")

st.subheader("Needs attention")
problems = staleness[~staleness["ready"]]
link = {"url": st.column_config.LinkColumn("Link", display_text="open")}
widgets.table(problems[["project", "title", "kind", "owner", "status", "problem", "days_overdue", "launch_at", "url"]],
              key="launch_problems", filename="resources-not-ready", empty="Every resource is published and up to date.",
              column_config={"launch_at": st.column_config.DatetimeColumn("Launch", format="D MMM YYYY"),
                             "days_overdue": st.column_config.NumberColumn("Days overdue", format="%d")} | link)

st.subheader("All resources")
widgets.table(staleness[["project", "title", "kind", "owner", "status", "last_reviewed_at", "review_every_days",
                         "days_since_review", "ready", "url"]], key="launch_all", filename="resources",
              column_config={"last_reviewed_at": st.column_config.DatetimeColumn("Last reviewed", format="D MMM YYYY"),
                             "review_every_days": st.column_config.NumberColumn("Review every (days)"),
                             "days_since_review": st.column_config.NumberColumn("Days since review", format="%d")} | link)
