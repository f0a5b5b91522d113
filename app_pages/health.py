"""Health: is the community active, activating and staying — and where is it not?"""

import pandas as pd
import streamlit as st

from core.health import segments
from core.health.crowd import STATUS_LABELS
from ui import charts, data, filters, widgets
from ui import health as health_data
from ui.widgets import HELP

SPLIT_COLUMNS = {
    "members": st.column_config.NumberColumn("Members", help="Community members with this value (the base)."),
    "wau": st.column_config.NumberColumn("WAU", help=HELP["wau"]),
    "mau": st.column_config.NumberColumn("MAU", help=HELP["mau"]),
    "active_rate": st.column_config.ProgressColumn("Active rate", format="percent", min_value=0, max_value=1,
                                                   help=HELP["active_rate"]),
}
MEMBER_COLUMNS = {
    "member_id": st.column_config.TextColumn("Member", help="The member's id in your data."),
    "onboarded_at": st.column_config.DatetimeColumn("Onboarded", format="D MMM YYYY",
                                                    help="When the member finished onboarding (UTC)."),
}

st.title("Community health")
f = filters.current()
st.caption("Active taskers have at least one submitted task that day; staff and bot accounts are excluded. "
           "WAU and MAU count the 7 and 28 days ending on each date. Everything here follows the date range: the "
           "tiles and member lists are measured on its last day, the charts cover its days."
           + (f" Base: the members of {', '.join(health_data.project_names_of(f))}." if f.projects else ""),
           help=HELP["base"])

overview = health_data.health(f)
if overview is None:
    widgets.nothing_yet("No activity yet — import members and activity on Data.")

active = overview["active"]
latest, week_ago = active.iloc[-1], active[active["date"] <= pd.Timestamp(f.end) - pd.Timedelta(days=7)]
previous = week_ago.iloc[-1] if len(week_ago) else None
as_of = pd.Timestamp(f.end)
day_scope, range_scope = health_data.health_file_scope(f), health_data.health_file_scope(f, whole_range=True)


def delta(column: str):
    return None if previous is None else latest[column] - previous[column]


tiles = st.columns(5)
widgets.kpi(tiles[0], "Daily active", latest["dau"], delta=delta("dau"), help=HELP["dau"] + " Change: vs 7 days earlier.")
widgets.kpi(tiles[1], "Weekly active", latest["wau"], delta=delta("wau"), help=HELP["wau"] + " Change: vs 7 days earlier.")
widgets.kpi(tiles[2], "Monthly active", latest["mau"], delta=delta("mau"), help=HELP["mau"] + " Change: vs 7 days earlier.")
widgets.kpi(tiles[3], "Active rate", latest["active_rate"], delta=delta("active_rate"), fmt="{:.1%}",
            delta_fmt="{:+.1%}", help=HELP["active_rate"] + (" " + HELP["base"] if f.projects else ""))
widgets.kpi(tiles[4], "Stickiness", latest["stickiness"], fmt="{:.1%}", help=HELP["stickiness"])

st.subheader("Active taskers")
widgets.chart(charts.line(overview["active_long"], "date", "members", color="measure", y_title="active taskers",
                          as_of=data.as_of()))

left, right = st.columns(2)
with left:
    st.subheader("Onboarding funnel", help=HELP["activation"])
    st.caption(f"Taskers who signed up since {overview['since']:%d %b %Y}, the start of the activity loaded.")
    funnel = overview["funnel"]
    labels = {"signed_up": "1 · signed up", "onboarded": "2 · onboarded", "activated_7d": "3 · first task ≤ 7 days",
              "retained_30d": "4 · active on days 30–36"}
    funnel = funnel.assign(stage=funnel["stage"].map(labels))
    widgets.chart(charts.bars(funnel, "stage", "members", value_title="members", sort="ascending"))
    days_to_activate = overview["days_to_activate"]
    st.caption(f"Median time from onboarding to first task: **{widgets.count_of(days_to_activate, 'day')}**. "
               f"{funnel.iloc[2]['share_of_previous']:.0%} of onboarded taskers whose first week has passed started a task in it.")
with right:
    st.subheader("Where taskers stand", help="New: onboarded and active in the last 28 days; returning: active in them, "
                 "onboarded earlier; dormant: active before, not in them; never active: no task yet.")
    counts = overview["status_counts"]
    counts = counts.assign(status=counts["status"].map(STATUS_LABELS))
    widgets.chart(charts.bars(counts, "status", "members", value_title="members"))
    gone = overview["churn"]
    st.caption(f"Churn: **{gone.churned:,}** of {gone.previous_active:,} taskers active in the previous 28 days "
               f"were not active in the last 28 ({gone.rate:.1%}).", help=HELP["churn"])

st.subheader("Retention by onboarding week", help="Each row is the members onboarded that ISO week; a cell is the "
             "share of them active (any submitted task) in the Nth week after it.")
cohorts = overview["recent_cohorts"]
if cohorts.empty:
    st.info("No onboarding cohorts in the last 12 weeks.")
else:
    widgets.chart(charts.heatmap(cohorts, "week_number", "cohort", "share", x_title="weeks after onboarding",
                                 y_title="onboarding week (members)"))

st.subheader("By segment")
dimension = st.segmented_control("Split by", ["region", "country", "timezone", "language", "vendor", "tenure"],
                                 default="region", key="health_split") or "region"
split = health_data.health_split(f, dimension)
widgets.table(split, key="health_split_table", filename=f"health-by-{dimension}-{range_scope}",
              column_config=SPLIT_COLUMNS)

left, right = st.columns(2)
with left:
    st.subheader("Net sentiment by week")
    trend = data.sentiment_trend(f, freq="W")
    if trend is None:
        st.info("No channel feedback in this range — import feedback on Data.")
    else:
        widgets.chart(charts.line(trend, "date", "net", y_title="net sentiment (points)", y_format="+.0f",
                                  x_title="week of", n="count", n_title="texts", as_of=data.as_of(), period="W"))
with right:
    st.subheader("Response-time SLA met, by week")
    widgets.chart(charts.line(data.sla_trend(f, freq="W"), "date", "compliance", y_title="items that met their SLA",
                              y_format=".0%", x_title="week of", n="count", as_of=data.as_of(), period="W"))

st.subheader("Who is behind the numbers")
behind = st.segmented_control("Behind", ["A figure", "A retention cell", "A segment row"], default="A figure",
                              key="health_behind") or "A figure"
if behind == "A retention cell" and not cohorts.empty:
    c1, c2 = st.columns(2)
    weeks = sorted(cohorts["cohort_week"].unique(), reverse=True)
    week = c1.selectbox("Onboarding week", weeks, format_func=lambda w: f"{pd.Timestamp(w):%d %b %Y}", key="health_cell_week")
    numbers = cohorts.loc[cohorts["cohort_week"] == week, "week_number"].tolist()
    number = c2.selectbox("Weeks after onboarding", numbers, key="health_cell_number")
    people = health_data.cohort_list(f, pd.Timestamp(week), int(number))
    what, template = f"onboarded the week of {pd.Timestamp(week):%d %b}, active in week {number}", "re_engagement"
    slug = f"cohort-{pd.Timestamp(week):%Y-%m-%d}-week-{number}"
elif behind == "A segment row":
    c1, c2 = st.columns(2)
    value = c1.selectbox(f"{dimension.capitalize()}", split[dimension].tolist(), key="health_row_value")
    group = c2.selectbox("Who", list(segments.SEGMENT_GROUPS), format_func=segments.SEGMENT_GROUPS.get,
                         key="health_row_group")
    people = health_data.segment_list(f, dimension, value, group)
    what, template = f"{segments.SEGMENT_GROUPS[group].lower()} · {dimension} {value}", "re_engagement"
    slug = f"{dimension}-{segments.file_scope(value)}-{group}"
else:
    kind = st.selectbox("Members", list(segments.MEMBER_LISTS), format_func=segments.MEMBER_LISTS.get,
                        key="health_members")
    people = health_data.member_list(f, kind)
    what, slug = segments.MEMBER_LISTS[kind].lower(), kind.replace("_", "-")
    template = "activation_nudge" if kind in ("stalled_onboarders", "never_active") else "re_engagement"
st.caption(f"**{len(people):,}** taskers · {what} as of {as_of:%d %b %Y}.")
widgets.table(people, key="health_member_list", filename=f"health-members-{slug}-{day_scope}", height=260,
              column_config=MEMBER_COLUMNS)
member_ids = people["member_id"].tolist()
left, right = st.columns(2)
with left:
    widgets.message_button(member_ids, label=what, template=template, key="health_message",
                           comms_page="app_pages/comms.py")
with right:
    widgets.save_segment_form(member_ids, default_name=f"{what.capitalize()} ({as_of:%d %b})"[:120],
                              key="health_segment")
