"""Today: what needs me now?"""

import streamlit as st

from core.attention import SCORE_HELP
from core.exports import markdown_literal
from ui import data, filters, widgets

PAGES = {"queues": "app_pages/queues.py", "workforce": "app_pages/workforce.py", "feedback": "app_pages/feedback.py",
         "launch": "app_pages/launch.py"}
ICONS = {"breached": ":material/error:", "stuck": ":material/hourglass_disabled:", "confusion": ":material/help:",
         "fatigue": ":material/battery_alert:", "sentiment drop": ":material/sentiment_dissatisfied:",
         "launch": ":material/rocket_launch:", "negative theme": ":material/trending_up:"}
SHOWN = 12

f = filters.current()
fresh = data.freshness()
st.title("Today")
st.caption(f"What needs you now, highest score first · open clocks at {fresh.present:%a %d %b, %H:%M} UTC · "
           f"{fresh.describe()}. Everything here is **now**, whatever the "
           "sidebar's date range (projects and regions apply): the tiles compare the last 7 days to the data's last "
           "moment with the 7 before; open backlog is now against a week ago.", help=SCORE_HELP)

figures, entries = data.today(f)
for column, figure in zip(st.columns(len(figures)), figures):
    widgets.kpi(column, figure.label, figure.this_week, delta=figure.format_delta(), fmt=figure.fmt,
                inverse=not figure.higher_is_better, help=figure.help)

st.subheader(f"Needs attention ({len(entries)})", help=SCORE_HELP)
if entries.empty:
    st.success("Nothing needs you right now: no breach, no stuck upload, no alert.")
for entry in entries.head(SHOWN).itertuples():
    with st.container(border=True):
        text, link = st.columns([5, 1], vertical_alignment="center")
        text.markdown(f"**{markdown_literal(entry.title)}**  \n{markdown_literal(entry.detail)}")
        text.caption(f"Score {entry.score:,.0f} · severity {entry.severity:.0f} · {entry.count:,} {entry.unit[:-1] if entry.count == 1 else entry.unit}",
                     help=SCORE_HELP)
        link.page_link(PAGES[entry.page], label=f"Open {entry.page}", icon=ICONS.get(entry.kind, ":material/schedule:"),
                       query_params={**filters.url_params(f), **entry.link})
listed = entries.drop(columns=["link"])
if len(entries) > SHOWN:
    with st.expander(f"{len(entries) - SHOWN} more"):
        widgets.table(listed.iloc[SHOWN:], key="today_more", filename="attention-more",
                      column_config={"score": st.column_config.NumberColumn("Score", format="%.0f", help=SCORE_HELP),
                                     "count": st.column_config.NumberColumn("Affected", format="%d")})
widgets.download(listed, key="today_attention", filename="attention-list")
