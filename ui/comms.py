"""Comms studio and launch readiness: cached accessors, who is acting, and the studio's shared renderers."""

import pandas as pd
import streamlit as st

from core.comms import checks, exports
from ui.data import engine, version

FINDING_LABELS = {"readability": "Hard to read", "jargon": "Jargon", "idiom": "Idiom or slang",
                  "long_sentence": "Long sentence", "passive": "Passive voice", "ambiguous_date": "Ambiguous date",
                  "time_without_zone": "Time without zone", "tone": "Negative or blaming tone",
                  "length": "Too long for the channel", "no_call_to_action": "No call to action or deadline"}
CHANNEL_LABELS = {"email": "Email", "slack": "Slack", "discord": "Discord", "in_app": "In-app banner"}


# --- who is acting --------------------------------------------------------------------------------


def who() -> tuple[str, str]:
    """(actor, role) of the person using the app: the signed-in staff member, or the local single user (admin)."""
    from ui.auth import current_user
    user = current_user()
    return user.email, user.role


# --- cached reads -------------------------------------------------------------------------------


@st.cache_data(show_spinner=False, max_entries=4)
def _drafts(data_version: int) -> pd.DataFrame:
    from core.comms import workflow
    return workflow.list_drafts(engine())


def drafts() -> pd.DataFrame:
    """Every draft with status, audience and languages, newest change first."""
    return _drafts(version())


@st.cache_data(show_spinner=False, max_entries=16)
def _draft(data_version: int, draft_id: int):
    from core.comms import workflow
    return workflow.get_draft(engine(), draft_id)


def draft(draft_id: int):
    """One draft with its current text per language."""
    return _draft(version(), draft_id)


@st.cache_data(show_spinner=False, max_entries=16)
def _revisions(data_version: int, draft_id: int) -> pd.DataFrame:
    from core.comms import workflow
    return workflow.revisions(engine(), draft_id)


def revisions(draft_id: int) -> pd.DataFrame:
    """Every revision of a draft, newest first."""
    return _revisions(version(), draft_id)


@st.cache_data(show_spinner=False, max_entries=16)
def _history(data_version: int, draft_id: int) -> pd.DataFrame:
    from core.comms import workflow
    return workflow.history(engine(), draft_id)


def history(draft_id: int) -> pd.DataFrame:
    """The audit trail of a draft, oldest first."""
    return _history(version(), draft_id)


@st.cache_data(show_spinner=False, max_entries=4)
def _segments(data_version: int) -> pd.DataFrame:
    from core.comms import workflow
    return workflow.list_segments(engine())


def segments() -> pd.DataFrame:
    """Saved audiences, newest first."""
    return _segments(version())


@st.cache_data(show_spinner=False, max_entries=4)
def _events(data_version: int) -> pd.DataFrame:
    from core.comms import events
    return events.load_events(engine())


def events() -> pd.DataFrame:
    """Community events with their turnout."""
    return _events(version())


@st.cache_data(show_spinner=False, max_entries=4)
def _community(data_version: int, now) -> dict:
    from core.comms import context
    return context.community_figures(engine(), now)


def community(now) -> dict:
    """Live counts for newsletters."""
    return _community(version(), now)


def _templates_stamp() -> tuple:
    from core.comms.templates import TEMPLATES_DIR
    return tuple(sorted((p.name, p.stat().st_mtime_ns) for p in TEMPLATES_DIR.glob("*.md")))


@st.cache_data(show_spinner=False, max_entries=2)
def _templates(_stamp: tuple) -> dict:
    from core.comms.templates import load_templates
    return load_templates()


def templates() -> dict:
    """Message templates from data/templates (re-read when a file changes)."""
    return _templates(_templates_stamp())


@st.cache_data(show_spinner=False, max_entries=64)
def _check(body: str, subject: str, channel: str, language: str, share: float, expects_deadline: bool,
           names: tuple) -> checks.CheckReport:
    return checks.check_text(body, subject=subject, channel=channel, language=language,
                             second_language_share=share, expects_deadline=expects_deadline, names=names)


def check(body: str, *, subject: str, channel: str, language: str, share: float, expects_deadline: bool,
          names=()) -> checks.CheckReport:
    """The plain-language checks of a text (cached on the text, so typing stays fast)."""
    return _check(body, subject, channel, language, round(share, 2), expects_deadline, tuple(names))


# --- renderers ----------------------------------------------------------------------------------


def readability_tiles(report: checks.CheckReport) -> None:
    """Reading ease and grade against its target, side by side."""
    ease, grade = st.columns(2)
    ease.metric("Reading ease", f"{report.flesch_reading_ease:.0f}", border=True,
                help="Flesch reading ease: 60–70 is plain English, 80+ is easy. Higher is easier.")
    over = report.grade - report.target_grade
    grade.metric(f"Grade (target ≤ {report.target_grade:.0f})", f"{report.grade:.1f}", f"{over:+.1f}",
                 delta_color="inverse", border=True,
                 help="Flesch-Kincaid grade. The target is 8, lower when many readers have English as a second "
                      "language (7 above 25%, 6 above 50%).")


LOCAL_TIME_COLUMNS = {"timezone": st.column_config.TextColumn("Time zone"), "place": "Place",
                      "recipients": st.column_config.NumberColumn("Recipients"),
                      "local_time": "Local time", "utc_offset": "Offset",
                      "local_date": st.column_config.DateColumn("Local date", format="ddd D MMM"),
                      "day_note": "Date vs UTC"}


def findings_list(report: checks.CheckReport, *, limit: int | None = None) -> None:
    """Each finding as a line: what, where, the fix (all user text escaped)."""
    if not report.findings:
        st.success("No findings: plain, clear and complete.")
        return
    st.markdown(f"**{len(report.findings)} finding{'s' if len(report.findings) != 1 else ''}**")
    shown = report.findings if limit is None else report.findings[:limit]
    for finding in shown:
        where = "subject" if finding.part == "subject" else f"line {finding.line}" if finding.line else "message"
        quoted = f" “{checks.escape_markdown(_short(finding.text))}”" if finding.text else ""
        colour = checks.HIGHLIGHT.get(finding.kind, "gray")
        st.markdown(f":{colour}-background[{FINDING_LABELS[finding.kind]}] · {where}{quoted}  \n"
                    f":gray[{checks.escape_markdown(finding.suggestion)}]")
    if limit is not None and len(report.findings) > limit:
        st.caption(f"{len(report.findings) - limit} more on the Check tab.")


def _short(text: str, size: int = 90) -> str:
    text = " ".join(text.split())
    return text if len(text) <= size else text[:size - 1] + "…"


def findings_frame(report: checks.CheckReport) -> pd.DataFrame:
    """Findings as a table: kind, where, text, fix."""
    rows = [dict(kind=FINDING_LABELS[f.kind], where="subject" if f.part == "subject" else (f.line or "message"),
                 text=f.text, fix=f.suggestion) for f in report.findings]
    return pd.DataFrame(rows, columns=["kind", "where", "text", "fix"]).astype({"where": str})


def highlight_legend() -> None:
    """What each highlight colour means."""
    st.caption(":orange-background[hard or long sentence] · :violet-background[jargon or idiom] · "
               ":blue-background[passive voice] · :red-background[date, time or tone]")


def channel_preview(channel: str, subject: str, body: str) -> str:
    """Show the message as it would be pasted into the channel (as text, never as HTML); returns that text."""
    text = exports.for_channel(channel, subject, body)
    st.code(text, language="markdown" if channel in ("email", "discord") else None, wrap_lines=True)
    return text


def sender_name(actor: str) -> str:
    """Who a message is signed by by default: the signed-in person's name, else the community team."""
    return _staff_names(version()).get(actor, "The CrowdPulse community team")


@st.cache_data(show_spinner=False, max_entries=4)
def _staff_names(data_version: int) -> dict:
    from core.comms.workflow import staff_names
    return staff_names(engine())
