"""Workforce: who is tiring, which project confuses people, how each tasker, project and vendor performs,
and how many reviewers a queue needs."""

from typing import NamedTuple

import streamlit as st

from core.workforce import capacity, confusion as confusion_rules
from core.errors import CrowdPulseError
from core.workforce import handling, quality, roster, vendors
from ui import charts, data, filters, planning, widgets
from ui import queues as queue_data

st.title("Workforce")
st.caption("Quality = approved / reviewed · AHT = handle time per task · productivity = tasks per active hour · "
           "occupancy = handle time / active time · skip rate = skipped / (submitted + skipped). Everything here "
           "follows the date range: tables cover its days, fatigue and confusion are judged as of its last day.")

f = filters.current()
data_as_of = data.as_of()  # daily charts stop at the data's last moment and mark that day "so far"
summary = queue_data.workforce_summary(f)
if not summary["rows"]:
    widgets.nothing_yet("No activity yet — import activity on Data.")
fatigue, totals = summary["fatigue"], summary["totals"]
confusion = queue_data.confusion(f)

tiles = st.columns(4)
widgets.kpi(tiles[0], "Quality", totals["quality"], fmt="{:.1%}", help=widgets.HELP["quality"])
widgets.kpi(tiles[1], "AHT", totals["aht_seconds"], fmt="{:,.0f} s", help=widgets.HELP["aht"])
widgets.kpi(tiles[2], "Taskers showing fatigue", len(fatigue),
            help="Last 7 days against their own previous 28, at least two signals.")
widgets.kpi(tiles[3], "Projects showing confusion", len(confusion),
            help="Rejections or questions up after a launch or guideline change.")

percent = st.column_config.NumberColumn
RATE = "%.1f%%"  # rates in percent with one decimal, as Today's text writes them (8.5%)


def show_fatigue() -> None:
    """Taskers whose last week drifts from their own baseline, with one tasker's evidence."""
    if fatigue.empty:
        st.success("No tasker's last week drifts from their own baseline.")
    else:
        st.write(f"**{len(fatigue)} taskers** worked differently in the last 7 days than in their previous 28: "
                 "quality down, handle time up, long days or long streaks (two signals or more).")
        event = st.dataframe(
            fatigue, hide_index=True, key="workforce_fatigue", on_select="rerun", selection_mode="single-row",
            column_config={"member_id": "Tasker", "region": "Region", "country": "Country", "vendor": "Vendor",
                           "recent_tasks": "Tasks (7 days)", "reasons": "Why flagged",
                           "baseline_quality": percent("Quality before", format="percent"),
                           "recent_quality": percent("Quality now", format="percent"),
                           "baseline_aht": percent("AHT before (s)", format="%.0f", help=widgets.HELP["aht"]),
                           "recent_aht": percent("AHT now (s)", format="%.0f", help=widgets.HELP["aht"]),
                           "recent_daily_hours": percent("Hours/day", format="%.1f"),
                           "streak_days": percent("Days in a row", format="%d"),
                           "severity": percent("Severity", format="%.1f", help=widgets.HELP["fatigue_severity"])})
        widgets.download(fatigue, key="workforce_fatigue", filename="fatigue-alerts")
        rows = event.selection.rows if event else []
        chosen = fatigue.iloc[rows[0] if rows else 0]
        st.markdown(f"**Evidence for {chosen['member_id']}** (select a row to change): {chosen['reasons']}")
        daily = queue_data.member_daily(f, chosen["member_id"])
        hours_chart, quality_chart = st.columns(2)
        with hours_chart:
            st.caption("Active hours per day (dashed: the 9-hour threshold)")
            widgets.chart(charts.line_with_rule(daily, "day", "hours", rule=9, rule_label="9 hours a day",
                                                y_title="hours", y_format=".1f", as_of=data_as_of))
        with quality_chart:
            st.caption("Quality per day: approved share of reviewed tasks")
            widgets.chart(charts.line(daily, "day", "quality", y_title="quality", y_format=".0%", height=180,
                                      n="reviewed", n_title="tasks reviewed", as_of=data_as_of, period="D"))
        widgets.message_button(fatigue["member_id"].tolist(), label="fatigued taskers", template="wellbeing_check",
                               key="workforce_fatigue_message",
                               comms_page="app_pages/comms.py")


def show_confusion() -> None:
    """Projects whose rejections or questions rose after a change, by region, with a message to the affected."""
    if confusion.empty:
        st.success("No recent launch or guideline change shows rising rejections or questions.")
    else:
        widgets.table(confusion_rules.in_percent(confusion.drop(columns=["flagged"])), key="workforce_confusion",
                      filename="confusion-alerts",
                      column_config={"project_id": "Project ID", "name": "Project", "change_kind": "Change",
                                     "baseline_source": st.column_config.TextColumn(
                                         "Compared with", help=widgets.HELP["compared_with"]),
                                     "recent_tasks": "Tasks after",
                                     "reasons": "Why flagged",
                                     "change_at": st.column_config.DatetimeColumn("Changed", format="D MMM YYYY"),
                                     "baseline_rejection_pct": percent("Rejections before", format=RATE),
                                     "recent_rejection_pct": percent("Rejections after", format=RATE),
                                     "rejection_ratio": percent("× rejections", format="%.1f"),
                                     "baseline_questions_per_100": percent("Questions/100 before", format="%.1f"),
                                     "recent_questions_per_100": percent("Questions/100 after", format="%.1f"),
                                     "questions_ratio": percent("× questions", format="%.1f"),
                                     "baseline_negative_pct": percent("Negative feedback before", format=RATE),
                                     "recent_negative_pct": percent("Negative feedback after", format=RATE),
                                     "severity": percent("Severity", format="%.1f",
                                                         help=widgets.HELP["confusion_severity"])})
        names = dict(zip(confusion["project_id"], confusion["name"]))
        project = st.selectbox("Project", list(names), format_func=names.get, key="workforce_confusion_project")
        alert = confusion.set_index("project_id").loc[project]
        st.markdown(f"**Evidence for {names[project]}** since its {alert['change_kind']} on "
                    f"{alert['change_at']:%d %b %Y}: {alert['reasons']}")
        detail = queue_data.confusion_detail(f, project, alert["change_at"])
        regions, trend = detail["regions"], detail["trend"]
        rejections_chart, questions_chart = st.columns(2)
        with rejections_chart:
            st.caption("Daily rejection rate (dashed: the rate before the change)")
            widgets.chart(charts.line_with_rule(trend, "date", "rejection_rate", rule=alert["baseline_rejection_rate"],
                                                rule_label="before the change", y_title="rejected",
                                                y_format=".0%", n="reviewed", n_title="tasks reviewed",
                                                as_of=data_as_of))
        with questions_chart:
            st.caption("Questions per 100 tasks per day (dashed: before the change)")
            widgets.chart(charts.line_with_rule(trend, "date", "questions_per_100",
                                                rule=alert["baseline_questions_per_100"],
                                                rule_label="before the change", y_title="questions per 100",
                                                y_format=".1f", n="submitted", n_title="tasks", as_of=data_as_of))
        st.caption("Who is affected: the 14 days after the change against the 28 before, by region")
        widgets.table(confusion_rules.in_percent(regions), key="workforce_confusion_regions", filename=f"confusion-{project}-regions",
                      column_config={"region": "Region",
                                     "baseline_rejection_pct": percent("Rejections before", format=RATE),
                                     "recent_rejection_pct": percent("Rejections after", format=RATE),
                                     "rejection_ratio": percent("× rejections", format="%.1f"),
                                     "questions_ratio": percent("× questions", format="%.1f"),
                                     "baseline_questions_per_100": percent("Questions/100 before", format="%.2f"),
                                     "recent_questions_per_100": percent("Questions/100 after", format="%.2f"),
                                     "recent_tasks": percent("Tasks after", format="%d"),
                                     "recent_members": percent("Taskers after", format="%d"),
                                     "affected": st.column_config.CheckboxColumn("Affected")})
        flagged = regions.loc[regions["affected"], "region"].tolist()
        audience = st.multiselect("Regions to message", regions["region"].tolist(), default=flagged,
                                  key=f"workforce_confusion_regions_{project}",
                                  help="Preset to the regions whose rejections or questions rose past the alert's "
                                       "thresholds.")
        affected = queue_data.affected(f, project, alert["change_at"], audience)
        st.caption(confusion_rules.audience_note(names[project], audience, len(affected), regions, alert["change_at"]))
        widgets.message_button(affected, label=f"{names[project]} taskers in {', '.join(audience) or 'no region'}",
                               template="guideline_update", key="workforce_confusion_message", project_id=project,
                               comms_page="app_pages/comms.py")


def show_table() -> None:
    """Performance per tasker, project or vendor, searchable."""
    left, middle, right = st.columns([2, 2, 1])
    with left:
        dimension = st.segmented_control("Per", ["member_id", "project_id", "vendor"], default="project_id",
                                         format_func={"member_id": "tasker", "project_id": "project",
                                                      "vendor": "vendor (BPO, agency or direct)"}.get,
                                         key="workforce_dimension") or "project_id"
    search = middle.text_input("Find", key="workforce_search", placeholder="tasker, project or vendor contains…")
    least = right.number_input("At least tasks", min_value=0, value=0, step=50, key="workforce_min_tasks")
    table = quality.matching_rows(queue_data.workforce_table(f, dimension), search, min_submitted=least)
    st.caption(f"{len(table):,} rows in the date range, lowest quality first.")
    widgets.table(table, key="workforce_table", filename=f"workforce-by-{dimension}", sort_by="quality",
                  column_config={"member_id": "Tasker", "project_id": "Project ID", "project": "Project",
                                 "vendor": "Vendor", "submitted": "Submitted", "approved": "Approved",
                                 "rejected": "Rejected", "skipped": "Skipped",
                                 "too_fast": percent("Too fast (n)", format="%d", help=widgets.HELP["too_fast"]),
                                 "questions": "Questions", "members": "Taskers", "active_days": "Active days",
                                 "quality": percent("Quality", format="percent", help=widgets.HELP["quality"]),
                                 "occupancy": percent("Occupancy", format="percent", help=widgets.HELP["occupancy"]),
                                 "skip_rate": percent("Skip rate", format="percent", help=widgets.HELP["skip_rate"]),
                                 "too_fast_rate": percent("Too fast (share)", format="percent",
                                                          help=widgets.HELP["too_fast_rate"]),
                                 "aht_seconds": percent("AHT (s)", format="%.0f", help=widgets.HELP["aht"]),
                                 "productivity": percent("Tasks/hour", format="%.1f", help=widgets.HELP["productivity"]),
                                 "handle_seconds": None, "active_minutes": None})


class CapacityInputs(NamedTuple):
    """What the planner is asked: the queue, handling time (minutes), the SLA target and the what-if changes."""
    queue: str
    aht: float
    target: float
    within: float
    shrinkage: float
    occupancy: float
    more_arrivals: float
    longer_handling: float
    away: str | None


def show_capacity() -> None:
    """Next week hour by hour: forecast arrivals, reviewers needed (Erlang C), the roster against it, what-ifs."""
    st.write("How many reviewers does a queue need next week, hour by hour, to answer its target share of items in "
             "time — and does the roster have them? (Erlang C, with shrinkage and an occupancy cap.)")
    asked = capacity_inputs()
    forecast = planning.forecast(asked.queue)
    shifts = planning.shifts(asked.queue, forecast.starts)
    try:
        gap = roster.what_if_week(forecast.frame, shifts, forecast.starts, aht_seconds=asked.aht * 60,
                                  target=asked.target, within_seconds=asked.within * 3600, shrinkage=asked.shrinkage,
                                  max_occupancy=asked.occupancy, more_arrivals=asked.more_arrivals,
                                  longer_handling=asked.longer_handling, away=asked.away)
    except CrowdPulseError as problem:
        st.error(str(problem))
        st.stop()
    st.caption(f"Forecast: {forecast.method}, chosen on the held-out week from {forecast.held_out_start:%d %b %H:00} UTC. "
               "Mean absolute error there: " + " · ".join(f"{name} {error:.2f} items/hour"
                                                         for name, error in forecast.errors.items()) + ".")
    peak = gap.loc[gap["scheduled"].idxmax()]
    capacity_tiles(gap, peak)
    picked = capacity_charts(asked.queue, gap)
    roster_views(asked, gap, roster.without_vendor(shifts, asked.away), forecast.starts)
    staffing_options(asked, gap, picked_hour(picked, peak), picked=bool(picked))


def capacity_inputs() -> CapacityInputs:
    """The queue, handling time, target, shrinkage, occupancy and what-if inputs; where the handling time comes from."""
    queue_names = sorted(data.policies()["queue"].unique()) or ["review"]
    c1, c2, c3, c4 = st.columns(4)
    queue = c1.selectbox("Queue", queue_names, key="capacity_queue",
                         index=queue_names.index("review") if "review" in queue_names else 0)
    handled = planning.handled(queue)
    measured, count = handling.measured_aht(handled)
    default_aht = (measured or capacity.DEFAULT_AHT_SECONDS) / 60
    aht = c2.number_input("Handling time per item (minutes)", min_value=0.5, value=round(default_aht, 1), step=0.5,
                          key=f"capacity_aht_{queue}")
    target = c3.slider("Target: share answered in time", 0.5, 0.99, 0.9, key="capacity_target")
    within = c4.number_input("…within (hours)", min_value=0.05, value=4.0, step=0.5, key="capacity_within")
    c5, c6, c7, c8, c9 = st.columns(5)
    shrinkage = c5.slider("Shrinkage (breaks, meetings, absence)", 0.0, 0.6, 0.3, key="capacity_shrinkage")
    occupancy = c6.slider("Maximum occupancy", 0.5, 1.0, 0.85, key="capacity_occupancy",
                          help=widgets.HELP["occupancy_cap"])
    more = c7.slider("What if arrivals change by", -0.5, 1.0, 0.0, step=0.1, key="capacity_more_arrivals",
                     format="percent")
    longer = c8.slider("…and handling time by", -0.5, 1.0, 0.0, step=0.1, key="capacity_longer_handling",
                       format="percent")
    teams = roster.teams(planning.shifts(queue, planning.forecast(queue).starts))
    away = c9.selectbox("…and this team is away", [None, *teams], key="capacity_away",
                        format_func=lambda team: "nobody" if team is None else team)
    st.caption(f"Handling time: mean of {count:,} finished {queue} items of the last 4 weeks, measured as the time "
               "in progress in each item's history (pauses excluded) or its imported handle_seconds."
               if measured is not None else
               f"Handling time: only {count} finished {queue} items have a handling time, so the default "
               f"{capacity.DEFAULT_AHT_SECONDS / 60:.0f} minutes is used — enter yours, or import handle_seconds.")
    if count:
        with st.expander(f"Handling time by priority and hour ({count:,} items)"):
            widgets.table(handling.aht_table(handled, by=("priority", "hour")), key="capacity_aht_table",
                          filename=f"handling-time-{queue}", column_config={
                              "aht_seconds": percent("AHT (s)", format="%.0f"), "items": "Items measured",
                              "hour": percent("Hour (UTC)", format="%d")})
    return CapacityInputs(queue, aht, target, within, shrinkage, occupancy, more, longer, away)


def capacity_tiles(gap, peak) -> None:
    """Next week's arrivals, the peak to schedule, and the hours the roster leaves short, by how many heads."""
    summary = roster.gap_summary(gap)
    out = st.columns(4)
    widgets.kpi(out[0], "Arrivals next week", gap["arrivals_per_hour"].sum(), help="The forecast, what-if included.")
    widgets.kpi(out[1], "Peak reviewers to schedule", int(peak["scheduled"]),
                help=f"{peak['label']} UTC: {int(peak['agents'])} on the queue, divided by (1 − shrinkage).")
    widgets.kpi(out[2], "Hours under-staffed", summary["under_hours"],
                help=f"Hours the roster is more than {roster.TOLERANCE:g} heads short of the reviewers to schedule.")
    widgets.kpi(out[3], "Heads short at the worst hour", max(0.0, -(summary["worst_gap"] or 0.0)), fmt="{:,.1f}",
                help=f"{summary['worst_label']} UTC." if summary["worst_label"] else None)


def capacity_charts(queue: str, gap) -> list:
    """Forecast arrivals per hour (clickable) beside reviewers to schedule against the roster; returns the clicked hour."""
    left, right = st.columns(2)
    with left:
        st.caption(f"Items expected per hour next week ({queue}, UTC) — click an hour to see its staffing options")
        picked = widgets.clickable_chart(charts.week_hours(gap, "arrivals_per_hour", y_title="items per hour",
                                                           select=True, height=200),
                                         key="capacity_arrivals_chart", field="hour_of_week")
    with right:
        st.caption("Reviewers to schedule against the roster, per hour of next week")
        widgets.chart(charts.week_hours(roster.scheduled_and_rostered(gap), "reviewers", color="who", y_title="reviewers", y_format=",.1f",
                                        step=True, height=200))
    return picked


def roster_views(asked: CapacityInputs, gap, shifts, starts) -> None:
    """The hours the roster leaves short or over, and the heads each team rosters in each hour."""
    short = roster.off_plan_hours(gap)
    st.markdown(f"**Against the roster** (week from {starts:%a %d %b %H:00} UTC"
                + (f", without {asked.away}" if asked.away else "") + "): "
                f"{(gap['status'] == 'under').sum()} hours under-staffed, {(gap['status'] == 'over').sum()} over.")
    widgets.table(short[["moment", "label", "arrivals_per_hour", "agents", "scheduled", "rostered", "gap", "status"]],
                  key="capacity_roster_gap", filename=f"roster-gap-{asked.queue}",
                  empty="The roster covers every hour as planned.", column_config={
                      "moment": st.column_config.DatetimeColumn("Hour (UTC)", format="ddd D MMM HH:mm"),
                      "label": None, "arrivals_per_hour": percent("Items/hour", format="%.1f"),
                      "agents": percent("On the queue", format="%d"), "scheduled": percent("To schedule", format="%d"),
                      "rostered": percent("Rostered", format="%.1f"),
                      "gap": percent("Gap (heads)", format="%+.1f", help="Rostered − to schedule: negative is short."),
                      "status": "Staffed"})
    per_team = roster.team_coverage(shifts, starts)
    if len(per_team):
        st.caption("Heads rostered per team and hour (in-house and each vendor):")
        widgets.table(per_team, key="capacity_roster_teams", filename=f"roster-teams-{asked.queue}",
                      column_config={"moment": st.column_config.DatetimeColumn("Hour (UTC)", format="ddd D MMM HH:mm")})


def show_vendors() -> None:
    """Vendors and BPOs side by side: quality, AHT, occupancy, SLA share, onboarding outcomes, and who is behind each."""
    lens = planning.vendor_lens(f)
    if lens.empty:
        widgets.nothing_yet("No vendors yet — import members with a vendor column on Data.")
        return
    for finding in vendors.vendor_findings(lens):
        st.warning(finding)
    widgets.table(lens, key="vendor_lens", filename="vendors", column_config={
        "vendor": "Vendor", "taskers": "Taskers", "onboarded": "Onboarded", "members": "Active in range",
        "activated_in_7_days": "Started within 7 days", "never_started": "Never started",
        "activation_rate": percent("Start rate", format="percent"),
        "never_started_rate": percent("Never started (share)", format="percent"),
        "paused": "Paused", "offboarded": "Offboarded", "banned": "Banned", "submitted": "Tasks",
        "quality": percent("Quality", format="percent", help=widgets.HELP["quality"]),
        "aht_seconds": percent("AHT (s)", format="%.0f", help=widgets.HELP["aht"]),
        "occupancy": percent("Occupancy", format="percent", help=widgets.HELP["occupancy"]),
        "productivity": percent("Tasks/hour", format="%.1f"),
        "met": "Items met SLA", "breached": "Items breached",
        "sla_share": percent("SLA met (share)", format="percent")})
    left, right = st.columns(2)
    vendor = left.selectbox("Taskers of", lens["vendor"].tolist(), key="vendor_lens_vendor")
    outcome = right.selectbox("Who", ["never_started", "activated_in_7_days", "onboarded", *vendors.STATUSES],
                              key="vendor_lens_outcome", format_func=lambda o: o.replace("_", " "))
    widgets.table(planning.vendor_taskers(vendor, outcome), key="vendor_lens_taskers",
                  filename=f"taskers-{vendor}-{outcome}", empty="Nobody.")


def picked_hour(picked, peak) -> int:
    """The hour of the week clicked on the chart, else the peak hour."""
    return int(picked[0]) if picked else int(peak["hour_of_week"])


def staffing_options(asked: CapacityInputs, plan, hour: int, picked: bool) -> None:
    """The chosen hour's arrivals and what each staffing level around its need gives."""
    chosen = plan.set_index("hour_of_week").loc[hour]
    st.markdown(f"**{chosen['label']} UTC** · {chosen['arrivals_per_hour']:.2f} items per hour · "
                f"{int(chosen['agents'])} on the queue meet the target "
                f"({'peak hour' if not picked else 'picked on the chart'}). What each staffing level gives "
                "(meeting the target = answering in time and staying within the occupancy cap):")
    levels = capacity.staffing_levels(chosen["arrivals_per_hour"], asked.aht * 60 * (1 + asked.longer_handling),
                                      asked.target, asked.within * 3600,
                                      agents=max(int(chosen["agents"]), 1), shrinkage=asked.shrinkage,
                                      max_occupancy=asked.occupancy)
    widgets.table(levels, key="capacity_levels", filename=f"staffing-options-{asked.queue}-{hour}", column_config={
        "agents": percent("On the queue", format="%d"),
        "scheduled": percent("To schedule", format="%d"),
        "service_level": st.column_config.ProgressColumn("Answered in time", format="percent", min_value=0,
                                                         max_value=1),
        "occupancy": percent("Occupancy", format="percent", help=widgets.HELP["occupancy"]),
        "asa_seconds": percent("Average wait (s)", format="%.0f"),
        "keeps_up": st.column_config.CheckboxColumn("Keeps up"),
        "within_cap": st.column_config.CheckboxColumn("Within occupancy cap", help=widgets.HELP["occupancy_cap"]),
        "meets_target": st.column_config.CheckboxColumn("Meets target")})


widgets.lazy_tabs({"Fatigue": show_fatigue, "Confusion": show_confusion, "Taskers, projects, vendors": show_table,
                   "Vendors": show_vendors, "Capacity planner": show_capacity}, key="workforce_tab")
