"""Today: what needs me now?"""

import streamlit as st

from core.exports import markdown_literal
from ui import data, filters, widgets

PAGES = {"queues": "app_pages/queues.py", "workforce": "app_pages/workforce.py", "feedback": "app_pages/feedback.py",
         "launch": "app_pages/launch.py"}
# The tab of the linked page that shows each kind of entry (ui.widgets.lazy_tabs reads it from the URL).
TABS = {"breached": {"queues_breach_tab": "Breached, still open"}, "stuck": {"queues_work_tab": "Stuck in staging"},
        "confusion": {"workforce_tab": "Confusion"}, "fatigue": {"workforce_tab": "Fatigue"},
        "negative theme": {"feedback_tab": "Themes"}}
ICONS = {"breached": ":material/error:", "stuck": ":material/hourglass_disabled:", "confusion": ":material/help:",
         "fatigue": ":material/battery_alert:", "sentiment drop": ":material/sentiment_dissatisfied:",
         "launch": ":material/rocket_launch:", "negative theme": ":material/trending_up:"}

f = filters.current()
now = data.as_of()
st.title("Today")
st.caption(f"What needs you now, most urgent first · data as of {now:%a %d %b, %H:%M} UTC · "
           "tiles compare the last 7 days with the 7 before.")

figures, entries = data.today(f)
for column, figure in zip(st.columns(len(figures)), figures):
    widgets.kpi(column, figure.label, figure.this_week, delta=figure.format_delta(), fmt=figure.fmt,
                inverse=not figure.higher_is_better, help=figure.help)

st.subheader(f"Needs attention ({len(entries)})")
if entries.empty:
    st.success("Nothing needs you right now: no breach, no stuck upload, no alert.")
for i, entry in enumerate(entries.head(12).itertuples()):
    with st.container(border=True):
        text, link = st.columns([5, 1], vertical_alignment="center")
        text.markdown(f"**{markdown_literal(entry.title)}**  \n{markdown_literal(entry.detail)}")
        link.page_link(PAGES[entry.page], label=f"Open {entry.page}", icon=ICONS.get(entry.kind, ":material/schedule:"),
                       query_params=TABS.get(entry.kind))
if len(entries) > 12:
    with st.expander(f"{len(entries) - 12} more"):
        widgets.table(entries.iloc[12:], key="today_more", filename="attention-more")
widgets.download(entries, key="today_attention", filename="attention-list")
