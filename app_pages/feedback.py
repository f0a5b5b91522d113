"""Feedback: what is the crowd saying, how do they feel, and what should we fix first?"""

import pandas as pd
import streamlit as st

from core.exports import markdown_literal
from core.feedback import report as feedback_report, themes
from core.feedback.sentiment import SENTIMENT_LABELS
from core.feedback.triage import TRIAGE_STATUSES
from core.feedback.voice import IMPACT_HELP, theme_week_series
from ui import charts, data, filters, widgets
from ui import feedback as voice

NUMBER = st.column_config.NumberColumn
PERCENT = NUMBER("Share", format="percent")
MARGIN = NUMBER("± (95%)", format="%.1f", help="95% margin of error, in NPS points.")
WHEN = st.column_config.DatetimeColumn("When (UTC)", format="D MMM HH:mm")
MOOD = dict(color="sentiment", color_order=["negative", "neutral", "positive", "not scored"],
            color_range=[charts.BAD, charts.NEUTRAL, charts.GOOD, "#56B4E9"], row_height=40)
SURVEY_COLUMNS = {
    "survey_id": "Wave", "title": "Title", "sent_at": st.column_config.DatetimeColumn("Sent", format="D MMM YYYY"),
    "responses": NUMBER("Responses"), "respondents": NUMBER("Taskers"), "audience": NUMBER("Audience", format="%.0f"),
    "response_rate": NUMBER("Response rate", format="percent"), "nps": NUMBER("NPS", format="%+.0f"),
    "nps_margin": MARGIN, "nps_change": NUMBER("vs previous wave", format="%+.0f"),
    "csat": NUMBER("CSAT", format="percent"), "csat_margin": NUMBER("CSAT ±", format="percent"),
    "promoters": None, "passives": None, "detractors": None, "nps_responses": None, "csat_responses": None,
}
SEGMENT_TITLES = {"region": "Region", "country": "Country", "language": "Language", "vendor": "Vendor",
                  "tenure_band": "Tenure", "project_id": "Main project", "channel": "Channel"}

st.title("Feedback")
st.caption("What taskers say in Slack, Discord, the forum, modmail, email and tickets, and how they answer surveys. "
           "Sentiment is scored by a lexicon made for each language (VADER for English, LeIA for Portuguese, "
           "vaderSentiment-fr for French); messages in other languages are counted as not scored. Messages follow "
           "the date range; the survey tiles show the latest wave sent by its end.")
voice.show_notice()

f = filters.current()
seen = voice.overview(f)
labels, owners = voice.theme_names()
if seen["messages"] == 0 and seen["waves"].empty:
    widgets.nothing_yet("No feedback or surveys yet — import feedback or survey responses on Data.")


# --- headline ----------------------------------------------------------------------------------
summary, waves = seen["summary"], seen["waves"]
latest = waves.iloc[-1] if len(waves) else None
tiles = st.columns(5)
widgets.kpi(tiles[0], "Messages", seen["messages"],
            help=f"Channel messages from taskers in the date range; {seen['new_messages']:,} not triaged yet.")
widgets.kpi(tiles[1], "Net sentiment", summary["net"], fmt="{:+.0f}",
            help=f"% positive − % negative over {int(summary['count']):,} scored messages.")
if latest is not None:
    widgets.kpi(tiles[2], "NPS · latest wave", latest["nps"], fmt="{:+.0f}",
                delta=latest["nps_change"], delta_fmt="{:+.0f}",
                help=f"Wave {latest['survey_id']}: ± {latest['nps_margin']:.0f} points (95%), "
                     f"{int(latest['nps_responses']):,} answers; delta vs the previous wave.")
    widgets.kpi(tiles[3], "CSAT · latest wave", latest["csat"], fmt="{:.0%}",
                help=f"± {latest['csat_margin']:.0%} (95%), {int(latest['csat_responses']):,} ratings of 4–5 out of 5.")
    widgets.kpi(tiles[4], "Response rate", latest["response_rate"], fmt="{:.0%}",
                help=f"{int(latest['respondents']):,} taskers answered of an audience of {latest['audience']:,.0f}."
                if pd.notna(latest["audience"]) else "The survey has no audience size stored.")


# --- overview: what is the crowd saying ---------------------------------------------------------
def show_overview() -> None:
    """What the crowd is saying: the issues to fix first, themes by mood, the sentiment trend, channels."""
    report = voice.brief_report(f)
    st.subheader("What needs fixing first")
    st.caption("Themes ranked by impact: negative mentions, weighted by their drag on NPS and by how fast they are "
               "rising. The Report tab has the full list and exports.", help=IMPACT_HELP)
    if not report.issues:
        st.success("No theme has negative mentions in this period.")
    for column, issue in zip(st.columns(3), report.issues[:3]):
        with column:
            voice.issue_card(issue, brief=True)
    voice.rising_callouts(report)
    left, right = st.columns([3, 2])
    with left:
        st.markdown("**What they talk about, and how they feel about it**")
        widgets.chart(charts.bars(seen["mix"], "label", "count", value_title="mentions", **MOOD))
    with right:
        st.markdown("**Net sentiment, 7-day windows**")
        widgets.chart(charts.line(seen["trend"], "week_end", "net", y_title="net sentiment (points)", y_format="+.0f",
                                  x_title="week ending", n="count", n_title="texts"))
    st.markdown("**How each channel feels**")
    widgets.table(seen["by_channel"], key="feedback_by_channel", filename="sentiment-by-channel", column_config={
        "channel": "Channel", "mean_compound": NUMBER("Mean compound", format="%.2f"),
        "positive_share": NUMBER("Positive", format="percent"), "negative_share": NUMBER("Negative", format="percent"),
        "net": NUMBER("Net", format="%+.0f"), "count": NUMBER("Scored messages")})
    st.caption(seen["coverage"])


# --- themes -------------------------------------------------------------------------------------
def show_themes() -> None:
    """Every theme ranked by impact, one theme's quotes and mentions, topics the taxonomy misses."""
    scorecard = seen["scorecard"]
    st.subheader("Themes")
    st.caption("Click a bar to see what people say about that theme. Impact weighs negative mentions by their drag "
               "on NPS and how fast they are rising; the CSV has every column.", help=IMPACT_HELP)
    picked = widgets.clickable_chart(
        charts.bars(seen["mix"], "label", "count", value_title="mentions", select=True, **MOOD),
        key="feedback_themes_chart", field="label")
    widgets.table(scorecard[["label", "impact", "count", "negative_share", "nps_impact", "last_7_days", "change", "weekly",
                             "share", "owner", "theme", "mean_sentiment", "negative", "nps_responses", "previous_7_days"]],
                  key="feedback_themes", filename="themes", column_config={
        "theme": None, "label": "Theme", "owner": "Owner", "count": NUMBER("Mentions"), "share": PERCENT,
        "mean_sentiment": None, "negative": None, "nps_responses": None, "previous_7_days": None,
        "negative_share": st.column_config.ProgressColumn("Negative", format="percent", min_value=0, max_value=1),
        "nps_impact": NUMBER("Drags NPS down by (points)", format="%.1f", help=widgets.HELP["nps_drag"]),
        "last_7_days": NUMBER("Last 7 days"), "change": NUMBER("vs 7 days before", format="percent"),
        "weekly": st.column_config.LineChartColumn("Weekly mentions", help="7-day windows, oldest first."),
        "impact": NUMBER("Impact", format="%.0f", help=IMPACT_HELP)})

    by_label = dict(zip(scorecard["label"], scorecard["theme"]))
    theme = by_label.get(picked[0]) if picked else (scorecard.iloc[0]["theme"] if len(scorecard) else None)
    if theme:
        detail = voice.theme_detail(f, theme)
        st.subheader(markdown_literal(labels.get(theme, theme), one_line=True))
        st.caption(f"{detail['count']:,} messages · owner: {owners.get(theme, 'ops')} · click another bar to switch.")
        quotes, weekly = st.columns([3, 2])
        with quotes:
            for quote in detail["all_quotes"]:
                st.markdown(f"> {markdown_literal(quote, one_line=True)}")
            affected = voice.segments(f)
            affected = affected[affected["theme"] == theme]
            if len(affected):
                project_names = dict(zip(data.projects()["project_id"], data.projects()["name"]))
                shown = feedback_report.affected_segments(affected, {"project_id": project_names}, limit=4)
                st.markdown("**Over-represented among its mentions:**  \n" + "  \n".join(
                    f"{markdown_literal(s.name, one_line=True)} {s.figures}" for s in shown))
        with weekly:
            widgets.chart(charts.line(theme_week_series(seen["theme_trend"], theme), "week_end", "count",
                                      color="series", y_title="mentions", x_title="week ending"))
        widgets.message_button(detail["unhappy_authors"], label=f"taskers unhappy about {labels.get(theme, theme).lower()}",
                               template=themes.template_for(theme), key="feedback_message_theme",
                               comms_page="app_pages/comms.py")
        widgets.table(detail["table"], key="feedback_mentions", filename=f"messages-{theme}", height=260,
                      column_config={"created_at": WHEN, "channel": "Channel", "project": "Project", "region": "Region",
                                     "label": "Sentiment", "sentiment": NUMBER("Compound", format="%.2f"),
                                     "text": st.column_config.TextColumn("Message", width="large")})

    st.subheader("New topics the taxonomy does not cover")
    found = voice.discovered(f)
    widgets.table(found.assign(keywords=found["keywords"].map(", ".join)) if len(found) else found,
                  key="feedback_discovered", filename="new-topics",
                  empty="Every recurring phrase is already covered by a theme.")
    voice.adopt_form(found)
    voice.adopted_list()


# --- surveys ------------------------------------------------------------------------------------
def show_surveys() -> None:
    """Survey waves with margins, by segment, the themes that drag NPS down, and comment corrections."""
    st.subheader("Survey waves")
    st.caption("Every wave (the date range applies to channel messages; the region filter applies here too).")
    if waves.empty:
        st.info("No survey responses yet — import them on Data.")
    else:
        order = waves["survey_id"].tolist()
        nps_chart, csat_chart = st.columns(2)
        with nps_chart:
            st.markdown("**NPS by wave** (bars: 95% margin of error)")
            widgets.chart(charts.estimates(waves, "survey_id", "nps", "nps_margin", y_title="NPS", x_sort=order,
                                           n="nps_responses"))
        with csat_chart:
            st.markdown("**CSAT by wave** (share rating 4–5 of 5)")
            widgets.chart(charts.estimates(waves[waves["csat_responses"] > 0], "survey_id", "csat", "csat_margin",
                                           y_title="CSAT", y_format=".0%", margin_format=".1%", x_sort=order,
                                           n="csat_responses"))
        widgets.table(waves, key="feedback_waves", filename="survey-waves", column_config=SURVEY_COLUMNS)

        st.subheader("By segment")
        choices = voice.segment_choices(f)
        segment = st.selectbox("Break down by", choices, key="feedback_survey_segment",
                               format_func=lambda c: SEGMENT_TITLES.get(c, c.replace("_", " ").capitalize()))
        by_segment = voice.survey_segments(f, segment)
        latest_rows = by_segment[by_segment["survey_id"] == order[-1]]
        widgets.chart(charts.estimates(by_segment[by_segment["nps_responses"] >= 10], "survey_id", "nps", "nps_margin",
                                       color=segment, y_title="NPS (± 95%)", x_sort=order, n="nps_responses"))
        st.caption(f"Latest wave ({markdown_literal(order[-1], one_line=True)}) by "
                   f"{markdown_literal(SEGMENT_TITLES.get(segment, segment).lower(), one_line=True)}. The audience of a "
                   "segment is estimated from the wave's audience and the segment's share of activated taskers; "
                   "groups with fewer than 10 answers are left off the chart (their margins are too wide).")
        widgets.table(latest_rows, key="feedback_segments", filename=f"survey-by-{segment}", column_config={
            **SURVEY_COLUMNS, "survey_id": None, "title": None, "sent_at": None,
            segment: SEGMENT_TITLES.get(segment, segment), "audience": NUMBER("Audience (est.)", format="%.0f")})

        st.subheader("Which themes drag NPS down")
        widgets.table(voice.theme_nps(f), key="feedback_theme_nps", filename="theme-nps-impact", column_config={
            "theme": None, "label": "Theme", "owner": "Owner", "responses": NUMBER("Comments mentioning it"),
            "nps": NUMBER("Their NPS", format="%+.0f"),
            "nps_impact": NUMBER("Drags NPS down by (points)", format="%.1f", help=widgets.HELP["nps_drag"])})

        with st.expander(f"Comments of {order[-1]} — correct a sentiment or theme"):
            answers = voice.comments(f, order[-1])
            picked_rows = st.dataframe(
                answers.drop(columns=["version"]), hide_index=True, key="feedback_comments", on_select="rerun",
                selection_mode="single-row", height=260,
                column_config={"submitted_at": WHEN, "sentiment": NUMBER(format="%.2f"), "label": "Sentiment"})
            rows = picked_rows.selection.rows if picked_rows else []
            if rows:
                answer = answers.iloc[rows[0]]
                voice.correction_form(key="feedback_comment_override", entity="survey_response",
                                      entity_id=answer["response_id"], version=int(answer["version"]),
                                      text=answer["comment"], label=answer["label"], theme_keys=list(answer["themes"]))
            else:
                st.caption("Select a comment to correct its sentiment or themes.")


# --- inbox --------------------------------------------------------------------------------------
def show_inbox() -> None:
    """Messages to triage, filtered, with assignment, handling and corrections."""
    st.subheader(f"Inbox · {seen['new_messages']:,} new")
    channel_names = seen["by_channel"]["channel"].tolist()
    project_names = dict(zip(data.projects()["project_id"], data.projects()["name"]))
    c1, c2, c3, c4, c5 = st.columns([3, 3, 2, 2, 3])
    statuses = c1.multiselect("Status", list(TRIAGE_STATUSES), default=["new", "assigned"],
                              key="feedback_inbox_status")
    wanted_themes = c2.multiselect("Theme", list(labels), format_func=labels.get, key="feedback_inbox_theme",
                                   placeholder="Any theme")
    sentiments = c3.multiselect("Sentiment", list(SENTIMENT_LABELS), key="feedback_inbox_sentiment",
                                placeholder="Any sentiment")
    wanted_channels = c4.multiselect("Channel", channel_names, key="feedback_inbox_channel", placeholder="Any channel")
    wanted_projects = c5.multiselect("Project", list(project_names), format_func=lambda p: project_names.get(p, p),
                                     key="feedback_inbox_project", placeholder="Any project")
    rows, total = voice.inbox(f, statuses=statuses, themes=wanted_themes, sentiments=sentiments,
                              channels=wanted_channels, projects=wanted_projects)
    st.caption(f"{total:,} messages match" + (f"; the newest {len(rows):,} are listed — narrow the filters to see "
                                               "others" if total > len(rows) else "")
               + ". Select messages to assign them, mark them handled or link them to a queue item.")
    shown = rows.drop(columns=["version", "project_id", "themes"])
    selection = st.dataframe(
        shown, hide_index=True, key="feedback_inbox", on_select="rerun", selection_mode="multi-row", height=360,
        column_order=["created_at", "text", "sentiment_label", "theme_names", "channel", "project", "region",
                      "triage_status", "assignee", "linked_item_id", "overridden", "sentiment", "feedback_id"],
        column_config={"feedback_id": "Id", "created_at": WHEN, "theme_names": "Themes", "channel": "Channel",
                       "project": "Project", "region": "Region", "sentiment_label": "Sentiment",
                       "text": st.column_config.TextColumn("Message", width="large"),
                       "sentiment": NUMBER("Compound", format="%.2f"), "triage_status": "Status",
                       "assignee": "Assignee", "linked_item_id": "Queue item",
                       "overridden": st.column_config.CheckboxColumn("Corrected")})
    widgets.download(shown, key="feedback_inbox", filename="inbox")
    chosen_rows = rows.iloc[selection.selection.rows] if selection and selection.selection.rows else rows.head(0)
    if len(chosen_rows):
        voice.triage_form(chosen_rows)
    if len(chosen_rows) == 1:
        message = chosen_rows.iloc[0]
        voice.correction_form(key="feedback_override", entity="feedback", entity_id=message["feedback_id"],
                              version=int(message["version"]), text=message["text"],
                              label=message["sentiment_label"], theme_keys=list(message["themes"]))


# --- report -------------------------------------------------------------------------------------
def show_report() -> None:
    """The top-issues report with its Markdown and HTML downloads."""
    report, report_markdown, report_html = voice.report(f)
    st.subheader(f"Top issues, {report.start:%d %b} – {report.end:%d %b %Y}")
    st.caption("Ranked by impact (negative mentions weighted by NPS drag and growth); the owner is the theme's team.",
               help=IMPACT_HELP)
    left, right = st.columns(2)
    left.download_button("Download Markdown", report_markdown, file_name="feedback-report.md", mime="text/markdown",
                         key="feedback_report_md", icon=":material/download:")
    right.download_button("Download HTML", report_html, file_name="feedback-report.html", mime="text/html",
                          key="feedback_report_html", icon=":material/download:")
    voice.rising_callouts(report)
    if not report.issues:
        st.success("No theme has negative mentions in this period.")
    for issue in report.issues:
        voice.issue_card(issue)


widgets.lazy_tabs({"Overview": show_overview, "Themes": show_themes, "Surveys": show_surveys, "Inbox": show_inbox,
                   "Report": show_report}, key="feedback_tab")
