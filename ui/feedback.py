"""Cached views of the voice of the crowd for the Feedback page, keyed on the data version.

Everything heavy (theme scorecards, discovery, survey breakdowns, the report) is computed once
per data version and filter set and kept as small aggregates, so a warm rerun only redraws.
"""

from functools import partial

import pandas as pd
import streamlit as st

from core.errors import CrowdPulseError
from core.exports import markdown_literal, nps_drag
from core.feedback import inbox as feedback_inbox
from core.feedback import read as feedback_read
from core.feedback import report as feedback_report
from core.feedback import surveys as feedback_surveys
from core.feedback import themes
from core.feedback import triage
from core.feedback.sentiment import sentiment_labels
from core.feedback.surveys import survey_scorecard
from core.feedback.voice import (
    coverage_sentence,
    language_coverage,
    sentiment_by_week,
    sentiment_summary,
    theme_scorecard,
    theme_segments,
    theme_sentiment_mix,
    theme_trend,
    with_theme_names,
)
from ui import auth, data
from ui.filters import Filters

# Discovery reads the newest texts only: recurring new topics show up in any recent sample, and
# reading 300k texts would cost seconds on a cold run.
DISCOVERY_TEXTS = 20_000
# Rows sent to the browser for one list (a table of 300k messages helps nobody).
LIST_ROWS = 500


def actor() -> dict:
    """Who is making a change, as keyword arguments for `core.feedback.triage` (core derives the role from it)."""
    user = auth.current_user()
    return {"actor": user.email}


def may_edit() -> bool:
    """Whether the person may correct, triage and adopt (specialist or above)."""
    return auth.current_user().may(triage.EDITOR_ROLE)


def _filters(start, end, projects, regions) -> Filters:
    return Filters(start=start, end=end, projects=projects, regions=regions)


def _args(f: Filters) -> tuple:
    return f.start, f.end, f.projects, f.regions


@data.on_data_version(2, shared=True, areas=data.VOICE)
def _frames(start, end, projects, regions) -> tuple:
    # Messages and survey responses are roll-up scopes that every view aggregates in SQL (texts are
    # read only for the quotes and lists shown); the response rows are loaded only for a breakdown
    # the roll-up cannot give (an imported attribute, each respondent's main project).
    f = _filters(start, end, projects, regions)
    return data.message_scope(f), data.response_scope(f)


def as_of(f: Filters) -> pd.Timestamp:
    """The end of the filtered range, or the data's 'now' when that comes first."""
    end = pd.Timestamp(f.end, tz="UTC") + pd.Timedelta(days=1)
    return min(end, data.as_of())


def _weeks(start, now: pd.Timestamp) -> int:
    """Whole 7-day windows between the range start and `now` (28 days → 4)."""
    return max(1, round((now - pd.Timestamp(start, tz="UTC")) / pd.Timedelta(days=7)))


# --- taxonomy, surveys, people ---------------------------------------------------------------


@data.on_data_version(areas=data.VOICE)
def taxonomy() -> list:
    """The starting themes plus those the team adopted."""
    return triage.current_taxonomy(data.engine())


def theme_names() -> tuple[dict, dict]:
    """(label per theme key, owning team per theme key)."""
    current = taxonomy()
    return themes.theme_labels(current), themes.theme_owners(current)


@data.on_data_version(areas=data.VOICE)
def adopted() -> list[dict]:
    """Themes the team adopted (key, label, owner, phrases)."""
    return triage.adopted_themes(data.engine())


@data.on_data_version(areas=data.VOICE)
def surveys() -> pd.DataFrame:
    """Survey waves, oldest first."""
    return feedback_read.load_surveys(data.engine())


def people() -> list[str]:
    """Staff emails a message can be assigned to."""
    staff = data.admin_frame("people")
    if staff.empty or "email" not in staff:
        return []
    active = staff[staff["active"]] if "active" in staff else staff
    return sorted(active["email"].dropna().tolist())


# --- overview and themes ----------------------------------------------------------------------


@data.on_data_version(8, areas=data.VOICE)
def _overview(start, end, projects, regions, now) -> dict:
    messages, responses = _frames(start, end, projects, regions)
    labels, owners = theme_names()
    weeks = _weeks(start, now)
    trend = theme_trend(messages, now, weeks=weeks)
    scorecard = with_theme_names(theme_scorecard(messages, responses, now, weeks=weeks, trend=trend), labels, owners)
    waves = survey_scorecard(responses, surveys())
    waves = waves[waves["sent_at"] <= now]  # the latest wave of a past range is the latest sent by its end
    return {
        "messages": messages.count(),
        "new_messages": messages.new_count(),
        "summary": sentiment_summary(messages).iloc[0].to_dict(),
        "trend": sentiment_by_week(messages, now, weeks=weeks),
        "by_channel": sentiment_summary(messages, by="channel"),
        "scorecard": scorecard,
        "mix": with_theme_names(theme_sentiment_mix(messages), labels, owners),
        "theme_trend": with_theme_names(trend, labels, owners),
        "waves": waves[waves["responses"] > 0].reset_index(drop=True),
        "coverage": coverage_sentence(language_coverage(messages)),
    }


def overview(f: Filters) -> dict:
    """Headline figures, the theme scorecard, weekly trends and survey waves for the filters."""
    return _overview(*_args(f), as_of(f))


# Segments a theme over-represents: the Themes tab and the full report show them, the Overview does not.
SEGMENT_DIMENSIONS = ["region", "project_id", "channel"]


@data.on_data_version(8, areas=data.VOICE)
def _segments(start, end, projects, regions) -> pd.DataFrame:
    return theme_segments(_frames(start, end, projects, regions)[0], SEGMENT_DIMENSIONS)


def segments(f: Filters) -> pd.DataFrame:
    """Per theme, the regions, projects and channels over-represented among its mentions (`theme_segments`)."""
    return _segments(*_args(f))


@data.on_data_version(16, areas=data.VOICE)
def _theme_detail(start, end, projects, regions, theme: str) -> dict:
    messages, _ = _frames(start, end, projects, regions)
    table = data.with_project_names(messages.theme_messages(theme, LIST_ROWS))
    return {
        "count": messages.theme_count(theme),
        "unhappy_authors": messages.unhappy_authors(theme),
        "all_quotes": messages.quotes(theme),
        "table": table.assign(label=sentiment_labels(table))[
            ["created_at", "channel", "project", "region", "label", "sentiment", "text"]],
    }


def theme_detail(f: Filters, theme: str) -> dict:
    """For one theme: how many messages, who wrote the negative ones, representative quotes and the newest mentions."""
    return _theme_detail(*_args(f), theme)


@data.on_data_version(9, areas=data.VOICE)
def _discovered(start, end, projects, regions) -> pd.DataFrame:
    messages, _ = _frames(start, end, projects, regions)
    recent = messages.newest_texts(limit=DISCOVERY_TEXTS)  # oldest first, as written; every language
    return themes.discover_themes(recent["text"].tolist(), recent["themed"].tolist(),
                                  languages=recent["language"].tolist(), taxonomy=taxonomy())


def discovered(f: Filters) -> pd.DataFrame:
    """Recurring phrases no theme covers, per language (candidates the team can name and adopt)."""
    return _discovered(*_args(f))


# --- surveys -----------------------------------------------------------------------------------


@data.on_data_version(8, areas=data.VOICE)
def _population(by: str) -> pd.DataFrame:
    if by != "project_id":  # counted per value in SQL
        return feedback_read.load_survey_population(data.engine(), by=by)
    return feedback_surveys.with_main_project(feedback_read.load_survey_population(data.engine()), _main_projects())


@data.on_data_version(2, spinner="Finding each tasker's main project…", areas=data.VOICE)
def _main_projects() -> pd.DataFrame:
    return feedback_read.load_main_projects(data.engine())


@data.on_data_version(areas=data.VOICE)
def _segment_choices(start, end, projects, regions) -> list[str]:
    _, responses = _frames(start, end, projects, regions)
    return feedback_surveys.survey_segment_columns(pd.DataFrame(columns=responses.columns()).assign(project_id=None))


def segment_choices(f: Filters) -> list[str]:
    """Columns survey answers can be broken down by (project = each respondent's main project)."""
    return _segment_choices(*_args(f))


@data.on_data_version(16, areas=data.VOICE)
def _survey_segments(start, end, projects, regions, by: str) -> pd.DataFrame:
    _, responses = _frames(start, end, projects, regions)
    if by not in feedback_surveys.ResponseScope.SEGMENTS:  # only the rows know imported attributes and main projects
        responses = data.responses(_filters(start, end, projects, regions))
    if by == "project_id":
        responses = feedback_surveys.with_main_project(responses, _main_projects())
    return feedback_surveys.survey_scorecard(responses, surveys(), by=by, population=_population(by))


def survey_segments(f: Filters, by: str) -> pd.DataFrame:
    """Each wave broken down by one segment: NPS and CSAT with margins, estimated response rate, change."""
    return _survey_segments(*_args(f), by)


@data.on_data_version(8, areas=data.VOICE)
def _theme_nps(start, end, projects, regions) -> pd.DataFrame:
    labels, owners = theme_names()
    impact = feedback_surveys.theme_nps_impact(_frames(start, end, projects, regions)[1])
    return with_theme_names(impact, labels, owners)


def theme_nps(f: Filters) -> pd.DataFrame:
    """NPS impact of each theme mentioned in survey comments."""
    return _theme_nps(*_args(f))


@data.on_data_version(8, areas=data.VOICE)
def _comments(start, end, projects, regions, survey_id: str) -> pd.DataFrame:
    _, answers = _frames(start, end, projects, regions)
    return feedback_surveys.survey_comments(answers, survey_id, limit=LIST_ROWS)


def comments(f: Filters, survey_id: str) -> pd.DataFrame:
    """The newest commented answers of one wave with their effective sentiment and themes."""
    return _comments(*_args(f), survey_id)


# --- inbox and report --------------------------------------------------------------------------


@data.on_data_version(16, areas=data.VOICE)
def _inbox(start, end, projects, regions, statuses, themes, sentiments, channels,
           inbox_projects) -> tuple[pd.DataFrame, int]:
    messages, _ = _frames(start, end, projects, regions)
    rows, total = feedback_inbox.inbox_from(messages, statuses=statuses, themes=themes, sentiments=sentiments,
                                            channels=channels, projects=inbox_projects, limit=LIST_ROWS,
                                            labels=theme_names()[0])
    return data.with_project_names(rows), total


def inbox(f: Filters, *, statuses=(), themes=(), sentiments=(), channels=(), projects=()) -> tuple[pd.DataFrame, int]:
    """Messages to triage (newest first, at most LIST_ROWS) and how many match the inbox filters."""
    return _inbox(*_args(f), tuple(statuses), tuple(themes), tuple(sentiments), tuple(channels),
                  tuple(projects))


def _build_report(start, end, projects, regions, now, *, affected: pd.DataFrame, **brief):
    messages, responses = _frames(start, end, projects, regions)
    project_names = dict(zip(data.projects()["project_id"], data.projects()["name"]))
    seen = _overview(start, end, projects, regions, now)  # its scorecard is the report's
    return feedback_report.build_feedback_report(
        messages, responses, surveys(), start=start, end=end, as_of=now, taxonomy=taxonomy(),
        names={"project_id": project_names}, weeks=_weeks(start, now), scorecard=seen["scorecard"],
        affected=affected, waves=seen["waves"], count=seen["messages"], summary=seen["summary"], **brief)


@data.on_data_version(8, spinner="Writing the report…", areas=data.VOICE)
def _report(start, end, projects, regions, now) -> tuple:
    report = _build_report(start, end, projects, regions, now, affected=_segments(start, end, projects, regions))
    return report, feedback_report.report_markdown(report), feedback_report.report_html(report)


def report(f: Filters) -> tuple:
    """(FeedbackReport, its Markdown, its HTML) for the filters."""
    return _report(*_args(f), as_of(f))


# The Overview shows the first three issues with one quote each and no segments: picking one quote
# reads far fewer texts than three, and the Report tab's full report is built only when it is opened.
BRIEF_ISSUES = 3
NO_SEGMENTS = pd.DataFrame(columns=["theme", "dimension"])


@data.on_data_version(8, areas=data.VOICE)
def _brief_report(start, end, projects, regions, now):
    return _build_report(start, end, projects, regions, now, affected=NO_SEGMENTS, top=BRIEF_ISSUES, quotes_shown=1)


def brief_report(f: Filters):
    """The report's first BRIEF_ISSUES issues with only their first quote (no segments), and its rising themes."""
    return _brief_report(*_args(f), as_of(f))


# --- forms the page shares ---------------------------------------------------------------------


def show_notice() -> None:
    """Show the outcome of the change made on the previous run, once."""
    if notice := st.session_state.pop("feedback_notice", None):
        st.success(notice)


def announce(message: str) -> None:
    """Rerun so every table picks up the change, then say what happened."""
    st.session_state["feedback_notice"] = message
    st.rerun()


def correction_form(*, key: str, entity: str, entity_id: str, version: int, text: str, label: str,
                    theme_keys: list[str]) -> None:
    """The form that corrects one text's sentiment and themes (or puts the computed values back).

    Widget keys end with the text's id, so picking another text shows that text's values.
    """
    labels, _ = theme_names()
    choices = list(triage.LABEL_SCORES)
    with st.form(f"{key}_{entity_id}"):
        st.markdown("**Correct the sentiment or themes** — every metric uses your correction")
        st.markdown(f"> {markdown_literal(text, one_line=True)}")
        mood, found = st.columns([1, 2])
        picked = mood.selectbox("Sentiment", choices, index=choices.index(label) if label in choices else 1,
                                key=f"{key}_sentiment_{entity_id}")
        chosen = found.multiselect("Themes", list(labels), default=[k for k in theme_keys if k in labels],
                                   format_func=lambda k: labels.get(k, k), key=f"{key}_themes_{entity_id}")
        save, reset = st.columns(2)
        editable = may_edit()
        changes = None
        if save.form_submit_button("Save correction", icon=":material/save:", disabled=not editable):
            changes = {"sentiment": triage.sentiment_for_label(picked), "themes_set": chosen}
        if reset.form_submit_button("Back to computed values", icon=":material/undo:", disabled=not editable):
            changes = {"sentiment": None, "themes_set": None}
        if not editable:
            st.caption("Viewers can read feedback; a specialist or above can correct it.")
    if changes is not None:
        try:
            triage.override_scores(data.engine(), entity=entity, entity_id=entity_id,
                                   expected_version=version, **actor(), **changes)
        except CrowdPulseError as error:
            st.error(str(error))
        else:
            announce(f"Saved the correction of {entity_id}; every metric now uses it.")


KEEP, NOBODY = "(leave as is)", "(nobody)"


def triage_form(selected: pd.DataFrame) -> None:
    """Assign, set the status of, or link to a queue item the selected inbox messages."""
    versions = dict(zip(selected["feedback_id"], selected["version"].astype(int)))
    plural = "s" if len(versions) > 1 else ""
    editable = may_edit()
    with st.form("feedback_triage"):
        st.markdown(f"**Triage {len(versions):,} selected message{plural}**")
        who, what, link_to = st.columns(3)
        assignee = who.selectbox("Assign to", [KEEP, NOBODY, *people()], key="feedback_triage_assignee")
        status = what.selectbox("Status", [KEEP, *triage.TRIAGE_STATUSES], key="feedback_triage_status")
        link = link_to.text_input("Link to queue item", key="feedback_triage_link", placeholder="e.g. q0012345",
                                  help="The id of a review, escalation, staging or support item on the Queues page.")
        submitted = st.form_submit_button("Save", icon=":material/save:", disabled=not editable)
        if not editable:
            st.caption("Viewers can read feedback; a specialist or above can triage it.")
    if not submitted:
        return
    unchanged = triage.UNCHANGED
    try:
        triage.triage_messages(
            data.engine(), versions=versions, **actor(), status=unchanged if status == KEEP else status,
            assignee={KEEP: unchanged, NOBODY: None}.get(assignee, assignee), linked_item_id=link.strip() or unchanged)
    except CrowdPulseError as error:
        st.error(str(error))
    else:
        for field in ("feedback_triage_assignee", "feedback_triage_status", "feedback_triage_link"):
            st.session_state.pop(field, None)  # the next selection starts from "leave as is"
        announce(f"Saved triage of {len(versions):,} message{plural}.")


def rising_callouts(report) -> None:
    """A warning for each theme whose complaints grew fast this week, whatever its rank."""
    for rising in report.rising:
        st.warning("Rising fast — " + markdown_literal(feedback_report.rising_text(rising), one_line=True),
                   icon=":material/trending_up:")


def issue_card(issue, *, brief: bool = False) -> None:
    """One top issue in a bordered box: figures, owner, affected segments and quotes (one quote when brief)."""
    escape = partial(markdown_literal, one_line=True)
    with st.container(border=True):
        st.markdown(f"**{issue.rank}. {escape(issue.label)}** · owner: **{issue.owner}**"
                    + ("" if brief else f" · impact {issue.impact:,.0f}"))
        figures = (f"{issue.mentions:,} mentions ({issue.share:.0%}), {issue.negative_share:.0%} negative · "
                   f"last 7 days {issue.last_7_days:,} vs {issue.previous_7_days:,} ({issue.trend})")
        if brief:
            impact = "" if issue.nps_impact is None else f" · {nps_drag(issue.nps_impact)}"
            st.caption(figures + impact)
        else:
            st.markdown(f"{figures}  \nNPS impact {escape(feedback_report.nps_text(issue))}")
            if issue.segments:
                st.markdown("Affected: " + "; ".join(f"{escape(s.name)} {escape(s.figures)}" for s in issue.segments))
        for quote in issue.quotes[:1] if brief else issue.quotes:
            st.markdown(f"> {escape(quote)}")


def adopt_form(found: pd.DataFrame) -> None:
    """Pick a discovered topic, name it, check its phrases and owner, and adopt it into the taxonomy."""
    if found.empty:
        return
    candidates = dict(zip(found["candidate"], found["keywords"]))

    def prefill() -> None:
        chosen = st.session_state["feedback_adopt_candidate"]
        st.session_state["feedback_adopt_name"] = chosen.capitalize()
        # Single words seen alongside ("plans", "asia") would tag far too much: offer phrases only.
        phrases = [k for k in candidates.get(chosen, []) if " " in k] or [chosen]
        st.session_state["feedback_adopt_phrases"] = "\n".join(phrases)

    if st.session_state.get("feedback_adopt_candidate") not in candidates:
        st.session_state["feedback_adopt_candidate"] = found.iloc[0]["candidate"]
        prefill()
    st.selectbox("Adopt a topic", list(candidates), key="feedback_adopt_candidate", on_change=prefill,
                 help="Name it, check its phrases and pick the team that owns it: every stored message and "
                      "survey comment with one of the phrases is tagged with it.")
    with st.form("feedback_adopt"):
        name_col, owner_col = st.columns([2, 1])
        name_col.text_input("Theme name", key="feedback_adopt_name")
        owner_col.selectbox("Owner", list(themes.OWNER_TEAMS), key="feedback_adopt_owner")
        st.text_area("Phrases that signal it (one per line)", key="feedback_adopt_phrases", height=110)
        submitted = st.form_submit_button("Adopt into the taxonomy", icon=":material/add_circle:",
                                          disabled=not may_edit())
    if not submitted:
        return
    try:
        result = triage.adopt_theme(
            data.engine(), name=st.session_state["feedback_adopt_name"],
            phrases=st.session_state["feedback_adopt_phrases"].splitlines(),
            owner=st.session_state["feedback_adopt_owner"], **actor())
    except CrowdPulseError as error:
        st.error(str(error))
    else:
        announce(f"Adopted '{result.theme.label}': tagged {result.messages:,} messages and "
                 f"{result.responses:,} survey comments.")


def adopted_list() -> None:
    """The themes the team adopted, each with a button to retire it."""
    escape = partial(markdown_literal, one_line=True)
    themes_adopted = adopted()
    if not themes_adopted:
        return
    with st.expander(f"Adopted themes ({len(themes_adopted)})"):
        for theme in themes_adopted:
            text, action = st.columns([5, 1], vertical_alignment="center")
            text.markdown(f"**{escape(theme['label'])}** · owner {theme['owner']} · "
                          f"phrases: {escape(', '.join(theme['phrases']))}")
            if action.button("Retire", key=f"feedback_retire_{theme['key']}", icon=":material/delete:",
                             disabled=not may_edit()):
                try:
                    result = triage.retire_theme(data.engine(), key=theme["key"], **actor())
                except CrowdPulseError as error:
                    st.error(str(error))
                else:
                    announce(f"Retired '{result.theme.label}': removed from {result.messages:,} messages "
                             f"and {result.responses:,} survey comments.")
