"""Feedback: what is the crowd saying, how do they feel, and what should we fix first?"""

import pandas as pd
import streamlit as st

from core import charts, themes
from core.metrics import feedback
from ui import data, filters, widgets

st.title("Feedback")
st.caption("Channel messages (Slack, Discord, forum, modmail, email, tickets) and survey waves. "
           "Sentiment is VADER's compound score for English text; other languages are marked, not scored.")

f = filters.current()
messages = data.messages(f)
responses = data.responses(f)
if messages.empty and responses.empty:
    st.info("No feedback or surveys yet — import feedback or survey responses on Data.")
    st.stop()

summary = feedback.sentiment_summary(messages).iloc[0]
by_wave = feedback.nps(responses, by="survey_id")
latest_wave = by_wave.iloc[-1] if len(by_wave) else None
previous_wave = by_wave.iloc[-2] if len(by_wave) > 1 else None
latest_csat = feedback.csat(responses[responses["survey_id"] == latest_wave["survey_id"]]).iloc[0] if latest_wave is not None else None

tiles = st.columns(4)
widgets.kpi(tiles[0], "Messages", len(messages), help="Channel messages from taskers in the date range.")
widgets.kpi(tiles[1], "Net sentiment", summary["net"], fmt="{:+.0f}",
            help=f"% positive − % negative over {int(summary['count']):,} scored English messages.")
if latest_wave is not None:
    widgets.kpi(tiles[2], f"NPS ({latest_wave['survey_id']})", latest_wave["nps"], fmt="{:+.0f}",
                delta=None if previous_wave is None else latest_wave["nps"] - previous_wave["nps"], delta_fmt="{:+.0f}",
                help=f"± {latest_wave['margin_of_error']:.0f} points (95%), {int(latest_wave['responses']):,} answers; "
                     "delta vs the previous wave.")
    widgets.kpi(tiles[3], "CSAT (latest wave)", latest_csat["csat"], fmt="{:.0%}",
                help=f"± {latest_csat['margin_of_error']:.0%} (95%), {int(latest_csat['responses']):,} ratings.")

st.subheader("Themes")
theme_table = feedback.theme_summary(messages)
impact = feedback.theme_nps_impact(responses)[["theme", "nps_impact"]] if len(responses) else None
if impact is not None:
    theme_table = theme_table.merge(impact, on="theme", how="left")
owners = {t.key: t.owner for t in themes.TAXONOMY}
theme_table["owner"] = theme_table["theme"].map(owners)
picked = widgets.clickable_chart(charts.bars(theme_table, "theme", "count", value_title="messages", select=True),
                                 key="feedback_themes_chart", field="theme")
widgets.table(theme_table, key="feedback_themes", filename="themes", column_config={
    "share": st.column_config.NumberColumn(format="percent"),
    "mean_sentiment": st.column_config.NumberColumn("Mean sentiment", format="%.2f"),
    "negative_share": st.column_config.ProgressColumn("Negative", format="percent", min_value=0, max_value=1),
    "nps_impact": st.column_config.NumberColumn("NPS impact (points)", format="%+.1f",
                                                help="NPS of all responses − NPS of responses mentioning the theme.")})

theme = picked[0] if picked else (theme_table.iloc[0]["theme"] if len(theme_table) else None)
if theme:
    mentions = messages[feedback.effective_themes(messages).map(lambda found: theme in found)]
    st.markdown(f"**What people say about {theme.replace('_', ' ')}** ({len(mentions):,} messages; click a bar to switch)")
    for quote in themes.representative_quotes(mentions["text"].tolist(), feedback.effective_sentiment(mentions).tolist()):
        st.markdown(f"> {quote}")
    widgets.table(mentions[["created_at", "channel", "project_id", "region", "sentiment", "text"]].sort_values(
        "created_at", ascending=False), key="feedback_mentions", filename=f"messages-{theme}", height=260,
        column_config={"created_at": st.column_config.DatetimeColumn("When (UTC)", format="D MMM HH:mm"),
                       "sentiment": st.column_config.NumberColumn(format="%.2f")})

left, right = st.columns(2)
with left:
    st.subheader("Net sentiment by week")
    trend = feedback.sentiment_trend(messages, freq="W")
    widgets.chart(charts.line(trend, "date", "net", y_title="net sentiment (points)", y_format="+.0f"))
with right:
    st.subheader("NPS by survey wave")
    if by_wave.empty:
        st.info("No survey responses yet — import them on Data.")
    else:
        widgets.table(by_wave, key="feedback_waves", filename="nps-by-wave", column_config={
            "nps": st.column_config.NumberColumn("NPS", format="%+.0f"),
            "margin_of_error": st.column_config.NumberColumn("± (95%)", format="%.1f")})

st.subheader("NPS by region, latest wave")
if latest_wave is not None:
    latest = responses[responses["survey_id"] == latest_wave["survey_id"]]
    widgets.table(feedback.nps(latest, by="region"), key="feedback_nps_region", filename="nps-by-region",
                  column_config={"nps": st.column_config.NumberColumn("NPS", format="%+.0f"),
                                 "margin_of_error": st.column_config.NumberColumn("± (95%)", format="%.1f")})

st.subheader("New topics the taxonomy does not cover")
english = messages[messages["language"].isin(["en", "und"])]
found = themes.discover_themes(english["text"].tolist(), feedback.effective_themes(english).tolist())
widgets.table(found.assign(keywords=found["keywords"].map(", ".join)) if len(found) else found,
              key="feedback_discovered", filename="new-topics",
              empty="Every recurring phrase is already covered by a theme.")
not_scored = int(messages["sentiment"].isna().sum())
if not_scored:
    languages = messages.loc[messages["sentiment"].isna(), "language"].value_counts()
    st.caption(f"{not_scored:,} messages in other languages are not scored: "
               + ", ".join(f"{lang} {n:,}" for lang, n in languages.items()) + ".")
