"""Workforce: who is tiring, which project confuses people, and how each tasker, project and vendor performs."""

import pandas as pd
import streamlit as st

from core import charts
from core.capacity import erlang_c_agents
from core.metrics import drilldown, workforce
from ui import data, filters, widgets

st.title("Workforce")
st.caption("Quality = approved / reviewed · AHT = handle time per task · productivity = tasks per active hour · "
           "occupancy = handle time / active time · skip rate = skipped / (submitted + skipped).")

f = filters.current()
as_of = pd.Timestamp(f.end)
recent = data.activity(f, days_before=data.FATIGUE_DAYS)
if recent.empty:
    st.info("No activity yet — import activity on Data.")
    st.stop()

fatigue = workforce.fatigue_alerts(recent, as_of)
confusion = workforce.confusion_alerts(recent, data.projects(), as_of)

tiles = st.columns(4)
in_range = recent[recent["day"] >= pd.Timestamp(f.start)]
totals = workforce.workforce_table(in_range, by=None).iloc[0]
widgets.kpi(tiles[0], "Quality", totals["quality"], fmt="{:.1%}", help="Approved / reviewed tasks in the date range.")
widgets.kpi(tiles[1], "AHT", totals["aht_seconds"], fmt="{:.0f} s")
widgets.kpi(tiles[2], "Taskers showing fatigue", len(fatigue), help="Last 7 days against their own previous 28.")
widgets.kpi(tiles[3], "Projects showing confusion", len(confusion),
            help="Rejections or questions up after a launch or guideline change.")

fatigue_tab, confusion_tab, table_tab, capacity_tab = st.tabs(
    ["Fatigue", "Confusion", "Taskers, projects, vendors", "Capacity planner"])

with fatigue_tab:
    if fatigue.empty:
        st.success("No tasker's last week drifts from their own baseline.")
    else:
        st.write(f"**{len(fatigue)} taskers** worked differently in the last 7 days than in their previous 28.")
        event = st.dataframe(
            fatigue, hide_index=True, key="workforce_fatigue", on_select="rerun", selection_mode="single-row",
            column_config={"baseline_quality": st.column_config.NumberColumn("Quality before", format="percent"),
                           "recent_quality": st.column_config.NumberColumn("Quality now", format="percent"),
                           "baseline_aht": st.column_config.NumberColumn("AHT before (s)", format="%.0f"),
                           "recent_aht": st.column_config.NumberColumn("AHT now (s)", format="%.0f"),
                           "recent_daily_hours": st.column_config.NumberColumn("Hours/day", format="%.1f"),
                           "severity": st.column_config.NumberColumn(format="%.1f")})
        widgets.download(fatigue, key="workforce_fatigue", filename="fatigue-alerts")
        rows = event.selection.rows if event else []
        member = fatigue.iloc[rows[0]]["member_id"] if rows else fatigue.iloc[0]["member_id"]
        st.caption(f"Evidence for **{member}** (select a row to change): daily hours and quality over 35 days")
        daily = drilldown.member_daily(recent, member)
        widgets.chart(charts.line(daily.melt(id_vars="day", value_vars=["hours", "quality"], var_name="measure"),
                                  "day", "value", color="measure", y_title="hours · quality share", y_format=".1f"))
        widgets.message_button(fatigue["member_id"].tolist(), label="fatigued taskers", template="wellbeing_check",
                               key="workforce_fatigue_message")

with confusion_tab:
    if confusion.empty:
        st.success("No recent launch or guideline change shows rising rejections or questions.")
    else:
        widgets.table(confusion.drop(columns=["flagged"]), key="workforce_confusion", filename="confusion-alerts",
                      column_config={"change_at": st.column_config.DatetimeColumn("Changed", format="D MMM YYYY"),
                                     "baseline_rejection_rate": st.column_config.NumberColumn("Rejections before", format="percent"),
                                     "recent_rejection_rate": st.column_config.NumberColumn("Rejections after", format="percent"),
                                     "severity": st.column_config.NumberColumn(format="%.1f")})
        names = dict(zip(confusion["project_id"], confusion["name"]))
        project = st.selectbox("Project", list(names), format_func=names.get, key="workforce_confusion_project")
        change_at = confusion.set_index("project_id").loc[project, "change_at"]
        left, right = st.columns(2)
        with left:
            st.caption("Who is affected: after the change vs the 28 days before, by region")
            regions = workforce.confusion_by_region(recent, project, change_at, as_of=as_of)
            widgets.table(regions, key="workforce_confusion_regions", filename=f"confusion-{project}-regions",
                          column_config={"baseline_rejection_rate": st.column_config.NumberColumn("Rejections before", format="percent"),
                                         "recent_rejection_rate": st.column_config.NumberColumn("Rejections after", format="percent")})
        with right:
            st.caption("Daily rejection rate")
            trend = workforce.daily_project_trend(recent, project)
            widgets.chart(charts.line(trend, "day", "rejection_rate", y_title="rejection rate", y_format=".0%"))
        worst = regions.iloc[0]["region"] if len(regions) else None
        affected = drilldown.members_on_project(recent, project, since=change_at, region=worst)
        widgets.message_button(affected, label=f"{names[project]} taskers in {worst}", template="guideline_update",
                               key="workforce_confusion_message", project_id=project)

with table_tab:
    dimension = st.segmented_control("Per", ["member_id", "project_id", "vendor"], default="project_id",
                                     format_func={"member_id": "tasker", "project_id": "project", "vendor": "vendor"}.get,
                                     key="workforce_dimension") or "project_id"
    frame = in_range.assign(vendor=in_range["vendor"].fillna("direct")) if dimension == "vendor" else in_range
    widgets.table(workforce.workforce_table(frame, by=dimension), key="workforce_table", filename=f"workforce-by-{dimension}",
                  column_config={"quality": st.column_config.NumberColumn(format="percent"),
                                 "occupancy": st.column_config.NumberColumn(format="percent"),
                                 "skip_rate": st.column_config.NumberColumn(format="percent"),
                                 "too_fast_rate": st.column_config.NumberColumn(format="percent"),
                                 "aht_seconds": st.column_config.NumberColumn("AHT (s)", format="%.0f"),
                                 "productivity": st.column_config.NumberColumn("Tasks/hour", format="%.1f"),
                                 "handle_seconds": None, "active_minutes": None})

with capacity_tab:
    st.write("How many reviewers does a queue need to answer a share of items within a time (Erlang C)?")
    c1, c2, c3 = st.columns(3)
    arrivals = c1.number_input("Items arriving per hour", min_value=0.1, value=20.0, step=1.0, key="capacity_arrivals")
    aht = c2.number_input("Handling time per item (minutes)", min_value=0.5, value=12.0, step=0.5, key="capacity_aht")
    target = c3.slider("Target: share answered in time", 0.5, 0.99, 0.9, key="capacity_target")
    c4, c5, c6 = st.columns(3)
    within = c4.number_input("…within (minutes)", min_value=1.0, value=60.0, step=5.0, key="capacity_within")
    shrinkage = c5.slider("Shrinkage (breaks, meetings, absence)", 0.0, 0.6, 0.3, key="capacity_shrinkage")
    occupancy = c6.slider("Maximum occupancy", 0.5, 1.0, 0.85, key="capacity_occupancy")
    plan = erlang_c_agents(arrivals, aht * 60, target, within * 60, shrinkage=shrinkage, max_occupancy=occupancy)
    out = st.columns(4)
    widgets.kpi(out[0], "Reviewers on task", plan.agents)
    widgets.kpi(out[1], "Reviewers to schedule", plan.scheduled, help="On-task reviewers divided by (1 − shrinkage).")
    widgets.kpi(out[2], "Service level", plan.service_level, fmt="{:.1%}")
    widgets.kpi(out[3], "Average wait", plan.asa_seconds / 60, fmt="{:.1f} min")
