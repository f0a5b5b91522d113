"""Today: what needs me now?"""

import streamlit as st

from core import attention, launch, overview
from core.metrics import feedback, queues, workforce
from ui import data, filters, widgets

PAGES = {"queues": "app_pages/queues.py", "workforce": "app_pages/workforce.py", "feedback": "app_pages/feedback.py",
         "launch": "app_pages/launch.py"}
ICONS = {"breached": ":material/error:", "stuck": ":material/hourglass_disabled:", "confusion": ":material/help:",
         "fatigue": ":material/battery_alert:", "sentiment drop": ":material/sentiment_dissatisfied:",
         "launch": ":material/rocket_launch:", "negative theme": ":material/trending_up:"}

f = filters.current()
now = data.as_of()
st.title("Today")
st.caption(f"What needs you now, most urgent first · data as of {now:%a %d %b, %H:%M} UTC · "
           "tiles compare the last 7 days with the 7 before.")

status = data.queue_status(f)
messages = data.messages(f, days_before=35)
member_days = data.member_days(f)
recent = data.activity(f, days_before=data.FATIGUE_DAYS)

figures = overview.week_figures(status=status, member_days=member_days, members=data.members(f), messages=messages,
                                week_end=now)
for column, figure in zip(st.columns(len(figures)), figures):
    widgets.kpi(column, figure.label, figure.this_week, delta=figure.format_delta(), fmt=figure.fmt,
                inverse=not figure.higher_is_better, help=figure.help)

project_names = dict(zip(data.projects()["project_id"], data.projects()["name"]))
stuck = queues.stuck_items(status, now)
entries = attention.rank(
    attention.sla_entries(status, listed_elsewhere=stuck["item_id"]),
    attention.stuck_entries(stuck, project_names),
    attention.confusion_entries(workforce.confusion_alerts(recent, data.projects(), now, feedback=messages)),
    attention.fatigue_entries(workforce.fatigue_alerts(recent, now)),
    attention.sentiment_entries(feedback.theme_sentiment_drops(messages, now)),
    attention.growing_theme_entries(feedback.growing_negative_themes(messages, now)),
    attention.launch_entries(launch.launch_readiness(data.resources(), now)),
)

st.subheader(f"Needs attention ({len(entries)})")
if entries.empty:
    st.success("Nothing needs you right now: no breach, no stuck upload, no alert.")
for i, entry in enumerate(entries.head(12).itertuples()):
    with st.container(border=True):
        text, link = st.columns([5, 1], vertical_alignment="center")
        text.markdown(f"**{widgets.escape_markdown(entry.title)}**  \n{widgets.escape_markdown(entry.detail)}")
        link.page_link(PAGES[entry.page], label=f"Open {entry.page}", icon=ICONS.get(entry.kind, ":material/schedule:"))
if len(entries) > 12:
    with st.expander(f"{len(entries) - 12} more"):
        widgets.table(entries.iloc[12:], key="today_more", filename="attention-more")
widgets.download(entries, key="today_attention", filename="attention-list")
