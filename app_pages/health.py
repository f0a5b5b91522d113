"""Health: is the community active, activating and staying — and where is it not?"""

import pandas as pd
import streamlit as st

from core.health import segments
from ui import charts, data, filters, widgets

st.title("Community health")
st.caption("Active taskers have at least one submitted task that day; staff and bot accounts are excluded. "
           "WAU and MAU count the 7 and 28 days ending on each date.")

f = filters.current()
overview = data.health(f)
if overview is None:
    widgets.nothing_yet("No activity yet — import members and activity on Data.")

active = overview["active"]
latest, week_ago = active.iloc[-1], active[active["date"] <= pd.Timestamp(f.end) - pd.Timedelta(days=7)]
previous = week_ago.iloc[-1] if len(week_ago) else None


def delta(column: str):
    return None if previous is None else latest[column] - previous[column]


tiles = st.columns(5)
widgets.kpi(tiles[0], "Daily active", latest["dau"], delta=delta("dau"), help="Members active on the last day, vs 7 days earlier.")
widgets.kpi(tiles[1], "Weekly active", latest["wau"], delta=delta("wau"))
widgets.kpi(tiles[2], "Monthly active", latest["mau"], delta=delta("mau"))
widgets.kpi(tiles[3], "Active rate", latest["active_rate"], delta=delta("active_rate"), fmt="{:.1%}",
            delta_fmt="{:+.1%}", help=widgets.HELP["active_rate"])
widgets.kpi(tiles[4], "Stickiness", latest["stickiness"], fmt="{:.1%}", help=widgets.HELP["stickiness"])

st.subheader("Active taskers")
widgets.chart(charts.line(overview["active_long"], "date", "members", color="measure", y_title="active taskers",
                          as_of=data.as_of()))

left, right = st.columns(2)
as_of = pd.Timestamp(f.end)
with left:
    st.subheader("Onboarding funnel")
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
    st.subheader("Where taskers stand")
    counts = overview["status_counts"]
    widgets.chart(charts.bars(counts, "status", "members", value_title="members"))
    gone = overview["churn"]
    st.caption(f"Churn: **{gone.churned:,}** of {gone.previous_active:,} taskers active in the previous 28 days "
               f"were not active in the last 28 ({gone.rate:.1%}).")

st.subheader("Retention by onboarding week")
cohorts = overview["recent_cohorts"]
if cohorts.empty:
    st.info("No onboarding cohorts in the last 12 weeks.")
else:
    widgets.chart(charts.heatmap(cohorts, "week_number", "cohort", "share", x_title="weeks after onboarding",
                                 y_title="onboarding week (members)"))

st.subheader("By segment")
dimension = st.segmented_control("Split by", ["region", "country", "timezone", "language", "vendor", "tenure"],
                                 default="region", key="health_split") or "region"
split = data.health_split(f, dimension)
widgets.table(split, key="health_split_table", filename=f"health-by-{dimension}",
              column_config={"active_rate": st.column_config.ProgressColumn("Active rate", format="percent", min_value=0, max_value=1)})

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
kind = st.selectbox("Members", list(segments.MEMBER_LISTS), format_func=segments.MEMBER_LISTS.get, key="health_members")
people = data.member_list(f, kind)
st.caption(f"**{len(people):,}** taskers · {segments.MEMBER_LISTS[kind].lower()} as of {as_of:%d %b %Y}.")
widgets.table(people, key="health_member_list", filename=f"members-{kind}", height=260,
              column_config={"onboarded_at": st.column_config.DatetimeColumn("Onboarded", format="D MMM YYYY")})
member_ids = people["member_id"].tolist()
left, right = st.columns(2)
with left:
    widgets.message_button(member_ids, label=segments.MEMBER_LISTS[kind].lower(),
                           template="activation_nudge" if kind == "stalled_onboarders" else "re_engagement",
                           key="health_message", comms_page="app_pages/comms.py")
with right:
    widgets.save_segment_form(member_ids, default_name=f"{segments.MEMBER_LISTS[kind]} ({as_of:%d %b})",
                              key="health_segment")
