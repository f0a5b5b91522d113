"""Queues: what will breach next, what is stuck, and how each queue is doing against its SLA."""

import pandas as pd
import streamlit as st

from core import charts
from core.metrics import queues
from ui import data, filters, widgets

st.title("Queues")
st.caption("Review, escalation, staging and support against their SLA targets. "
           "Clocks run on calendar time from each item's creation; an item's own due date wins.")

f = filters.current()
status = data.queue_status(f)
if status.empty:
    st.info("No queue items yet — import queue items on Data.")
    st.stop()

left, right = st.columns(2)
picked_queues = left.multiselect("Queues", sorted(status["queue"].unique()), key="queues_queue", placeholder="All queues")
picked_priorities = right.multiselect("Priorities", sorted(status["priority"].dropna().unique()), key="queues_priority",
                                      placeholder="All priorities")
if picked_queues:
    status = status[status["queue"].isin(picked_queues)]
if picked_priorities:
    status = status[status["priority"].isin(picked_priorities)]

now = data.as_of()
in_range = status["due_effective"].between(pd.Timestamp(f.start, tz="UTC"), pd.Timestamp(f.end, tz="UTC") + pd.Timedelta(days=1))
compliance = queues.sla_compliance(status[in_range]).iloc[0]
is_open = status["resolved_at"].isna()
created_in_range = status["created_at"] >= pd.Timestamp(f.start, tz="UTC")
times = queues.response_times(status[created_in_range]).set_index("metric")

tiles = st.columns(6)
widgets.kpi(tiles[0], "Open backlog", int(is_open.sum()))
widgets.kpi(tiles[1], "Breached (open)", int((is_open & (status["state"] == "breached")).sum()))
widgets.kpi(tiles[2], "At risk", int((status["state"] == "at_risk").sum()),
            help="Open items that have used at least 75% of their SLA target.")
widgets.kpi(tiles[3], "SLA met", compliance["compliance"], fmt="{:.1%}",
            help=f"{int(compliance['met']):,} met of {int(compliance['count']):,} items due in the date range")
widgets.kpi(tiles[4], "First response", times.loc["first_response", "median_seconds"] / 3600, fmt="{:.1f} h",
            help="Median, items created in the date range.")
widgets.kpi(tiles[5], "Resolution p90", times.loc["resolution", "p90_seconds"] / 3600, fmt="{:.1f} h")

risk = data.with_project_names(queues.breach_risk(status))
breached = data.with_project_names(queues.breached_open(status))
risk_columns = ["item_id", "queue", "priority", "project", "status", "warn_level", "used_share", "time_left_minutes",
                "created_at", "due_effective", "assignee"]
risk_config = {
    "used_share": st.column_config.NumberColumn("Target used", format="percent"),
    "time_left_minutes": st.column_config.NumberColumn("Minutes left", format="%d"),
    "overdue_minutes": st.column_config.NumberColumn("Minutes overdue", format="%d"),
    "warn_level": st.column_config.NumberColumn("Warning", format="%d%%"),
    "created_at": st.column_config.DatetimeColumn("Created (UTC)", format="D MMM HH:mm"),
    "due_effective": st.column_config.DatetimeColumn("Due (UTC)", format="D MMM HH:mm"),
}
soon_tab, late_tab = st.tabs([f"About to breach ({len(risk):,})", f"Breached, still open ({len(breached):,})"])
with soon_tab:
    widgets.table(risk.reindex(columns=risk_columns), key="queues_risk", filename="breach-risk", column_config=risk_config,
                  empty="Nothing open has used half of its SLA target.", height=320)
with late_tab:
    late_columns = [c if c != "time_left_minutes" else "overdue_minutes" for c in risk_columns if c != "warn_level"]
    widgets.table(breached.reindex(columns=late_columns), key="queues_breached", filename="breached-open",
                  column_config=risk_config, empty="No open item is past its SLA.", height=320)

left, right = st.columns(2)
picked_queues = left.multiselect("Queues", sorted(status["queue"].unique()), key="queues_queue", placeholder="All queues")
picked_priorities = right.multiselect("Priorities", sorted(status["priority"].dropna().unique()), key="queues_priority",
                                      placeholder="All priorities")
if picked_queues:
    status = status[status["queue"].isin(picked_queues)]
if picked_priorities:
    status = status[status["priority"].isin(picked_priorities)]

now = data.as_of()
in_range = status["due_effective"].between(pd.Timestamp(f.start, tz="UTC"), pd.Timestamp(f.end, tz="UTC") + pd.Timedelta(days=1))
compliance = queues.sla_compliance(status[in_range]).iloc[0]
is_open = status["resolved_at"].isna()
created_in_range = status["created_at"] >= pd.Timestamp(f.start, tz="UTC")
times = queues.response_times(status[created_in_range]).set_index("metric")

tiles = st.columns(6)
widgets.kpi(tiles[0], "Open backlog", int(is_open.sum()))
widgets.kpi(tiles[1], "Breached (open)", int((is_open & (status["state"] == "breached")).sum()))
widgets.kpi(tiles[2], "At risk", int((status["state"] == "at_risk").sum()),
            help="Open items that have used at least 75% of their SLA target.")
widgets.kpi(tiles[3], "SLA met", compliance["compliance"], fmt="{:.1%}",
            help=f"{int(compliance['met']):,} met of {int(compliance['count']):,} items due in the date range")
widgets.kpi(tiles[4], "First response", times.loc["first_response", "median_seconds"] / 3600, fmt="{:.1f} h",
            help="Median, items created in the date range.")
widgets.kpi(tiles[5], "Resolution p90", times.loc["resolution", "p90_seconds"] / 3600, fmt="{:.1f} h")

st.subheader("About to breach")
risk = queues.breach_risk(status)
breached = queues.breached_open(status)
risk_view = pd.concat([breached.assign(when="breached"), risk.assign(when="at risk")], ignore_index=True)
risk_columns = ["item_id", "queue", "priority", "project_id", "status", "when", "warn_level", "used_share",
                "time_left_minutes", "created_at", "due_effective", "assignee"]
widgets.table(risk_view.reindex(columns=risk_columns), key="queues_risk", filename="breach-risk",
              empty="Nothing open has used half of its SLA target.",
              column_config={
                  "used_share": st.column_config.ProgressColumn("Target used", format="percent", min_value=0, max_value=1),
                  "time_left_minutes": st.column_config.NumberColumn("Minutes left", format="%d"),
                  "warn_level": st.column_config.NumberColumn("Warning %", format="%d%%"),
                  "created_at": st.column_config.DatetimeColumn("Created (UTC)", format="D MMM HH:mm"),
                  "due_effective": st.column_config.DatetimeColumn("Due (UTC)", format="D MMM HH:mm"),
              })

left, right = st.columns(2)
with left:
    st.subheader("Backlog by age")
    ages = queues.backlog(status, now)
    picked = widgets.clickable_chart(
        charts.bars(ages, "queue", "count", color="bucket", value_title="open items", select=True, sort="-x",
                    color_order=list(queues.BACKLOG_BUCKETS)),
        key="queues_backlog", field="queue")
    if picked:
        st.caption(f"Open items in {', '.join(picked)}")
        widgets.table(data.with_project_names(status[is_open & status["queue"].isin(picked)]).reindex(
                          columns=risk_columns[:5] + ["created_at", "assignee"]),
                      key="queues_backlog_items", filename="backlog-items")
with right:
    st.subheader("SLA compliance by day")
    trend = queues.sla_compliance_trend(status[in_range], by="queue")
    widgets.chart(charts.line(trend, "date", "compliance", color="queue", y_title="compliance", y_format=".0%"))

st.subheader("Open items per day")
trend = queues.backlog_trend(status, f.start, f.end)
widgets.chart(charts.line(trend, "date", "open_count", color="queue", y_title="open at end of day"))

left, right = st.columns(2)
with left:
    st.subheader("Response times by queue")
    by_queue = queues.response_times(status[created_in_range], by="queue")
    by_queue = by_queue.assign(median_hours=by_queue["median_seconds"] / 3600, p90_hours=by_queue["p90_seconds"] / 3600)
    widgets.table(by_queue[["queue", "metric", "median_hours", "p90_hours", "count"]], key="queues_times",
                  filename="response-times", column_config={
                      "median_hours": st.column_config.NumberColumn("Median (h)", format="%.1f"),
                      "p90_hours": st.column_config.NumberColumn("p90 (h)", format="%.1f")})
with right:
    st.subheader("Compliance by queue and priority")
    widgets.table(queues.sla_compliance(status[in_range], by=["queue", "priority"]), key="queues_by_priority",
                  filename="sla-by-priority", column_config={
                      "compliance": st.column_config.ProgressColumn("Compliance", format="percent", min_value=0, max_value=1)})

left, right = st.columns(2)
with left:
    st.subheader("Stuck in staging")
    stuck = data.with_project_names(queues.stuck_items(status, now))
    widgets.table(stuck.reindex(columns=["item_id", "project", "status", "hours_stuck", "retries", "last_error", "stuck_reason"]),
                  key="queues_stuck", filename="stuck-staging", empty="No staging item is stuck.",
                  column_config={"hours_stuck": st.column_config.NumberColumn("Hours stuck", format="%.0f")})
with right:
    st.subheader("Escalation reasons")
    reasons = queues.escalation_reasons(status[created_in_range])
    if reasons.empty:
        st.info("No escalations in this range.")
    else:
        widgets.chart(charts.bars(reasons, "escalation_reason", "count", value_title="escalations"))

st.subheader("Compliance by project")
widgets.table(data.with_project_names(queues.sla_compliance(status[in_range], by="project_id")), key="queues_by_project", filename="sla-by-project",
              column_config={"compliance": st.column_config.ProgressColumn("Compliance", format="percent", min_value=0, max_value=1)})
