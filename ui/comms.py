"""Comms studio and launch readiness: cached accessors, who is acting, and the studio's shared renderers."""

from dataclasses import dataclass

import pandas as pd
import streamlit as st
from sqlalchemy import Engine

from core.comms import checks, context, exports, timezones, workflow
from core.comms import events as community_events
from core.comms.templates import TEMPLATES_DIR, load_templates
from core.exports import markdown_literal
from ui import data, widgets
from ui.auth import current_user
from ui.data import engine, on_data_version

FINDING_LABELS = checks.KIND_LABELS
CHANNEL_LABELS = {"email": "Email", "slack": "Slack", "discord": "Discord", "in_app": "In-app banner"}


# --- who is acting --------------------------------------------------------------------------------


def who() -> tuple[str, str]:
    """(actor, role) of the person using the app: the signed-in staff member, or the local single user (admin)."""
    user = current_user()
    return user.email, user.role


# --- cached reads -------------------------------------------------------------------------------


@on_data_version()
def drafts() -> pd.DataFrame:
    """Every draft with status, audience and languages, newest change first."""
    return workflow.list_drafts(engine())


@on_data_version(max_entries=16)
def draft(draft_id: int) -> workflow.DraftView:
    """One draft with its current text per language."""
    return workflow.get_draft(engine(), draft_id)


@on_data_version(max_entries=16)
def revisions(draft_id: int) -> pd.DataFrame:
    """Every revision of a draft, newest first."""
    return workflow.revisions(engine(), draft_id)


@on_data_version(max_entries=16)
def history(draft_id: int) -> pd.DataFrame:
    """The audit trail of a draft, oldest first."""
    return workflow.history(engine(), draft_id)


@on_data_version()
def segments() -> pd.DataFrame:
    """Saved audiences, newest first."""
    return workflow.list_segments(engine())


@on_data_version()
def events() -> pd.DataFrame:
    """Community events with their turnout."""
    return community_events.load_events(engine())


def _templates_stamp() -> tuple:
    return tuple(sorted((p.name, p.stat().st_mtime_ns) for p in TEMPLATES_DIR.glob("*.md")))


@st.cache_data(show_spinner=False, max_entries=2)
def _templates(_stamp: tuple) -> dict:
    return load_templates()


def templates() -> dict:
    """Message templates from data/templates (re-read when a file changes)."""
    return _templates(_templates_stamp())


@st.cache_data(show_spinner=False, max_entries=64)
def _check(body: str, subject: str, channel: str, language: str, share: float, expects_deadline: bool,
           names: tuple, options: tuple) -> checks.CheckReport:
    return checks.check_text(body, subject=subject, channel=channel, language=language,
                             second_language_share=share, expects_deadline=expects_deadline, names=names,
                             **dict(options))


def check(body: str, *, subject: str, channel: str, language: str, share: float, expects_deadline: bool,
          names=(), **options) -> checks.CheckReport:
    """The plain-language checks of a text (cached on the text, so typing stays fast).

    `options` go to `checks.check_text` as they are: send_date, zones, glossary, blockers.
    """
    frozen = tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in options.items()))
    return _check(body, subject, channel, language, round(share, 2), expects_deadline, tuple(names), frozen)


# --- renderers ----------------------------------------------------------------------------------


def readability_tiles(report: checks.CheckReport) -> None:
    """The adapted grade against its target beside the standard grade (or the language's reading ease)."""
    if report.readability_note:
        st.caption(report.readability_note)
        return
    if report.readability_formula != "Flesch-Kincaid":
        st.metric(f"Reading ease ({report.readability_formula}, target ≥ 60)", f"{report.flesch_reading_ease:.0f}",
                  border=True, help="0-100, higher is easier; 60 and above is plain language.")
        return
    grade, standard = st.columns(2)
    over = report.grade - report.target_grade
    grade.metric(f"Grade (target ≤ {report.target_grade:.0f})", f"{report.grade:.1f}", f"{over:+.1f}",
                 delta_color="inverse", border=True,
                 help="Flesch-Kincaid grade counting what readers struggle with: acronyms as they are spoken, and "
                      "jargon, idioms and informal words as hard words. The target is 8, lower when many readers "
                      "have English as a second language (7 above 25%, 6 above 50%).")
    standard.metric("Standard grade", f"{report.standard_grade:.1f}", border=True,
                    help=f"The published Flesch-Kincaid formula, syllables counted by rule (Flesch reading ease "
                         f"{report.flesch_reading_ease:.0f}). It does not see acronyms or jargon.")


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
        quoted = f" “{markdown_literal(_short(finding.text))}”" if finding.text else ""
        colour = checks.HIGHLIGHT.get(finding.kind, "gray")
        level = " · **blocking**" if finding.level == "blocking" else ""
        why = f"{markdown_literal(finding.message)} " if finding.message else ""
        st.markdown(f":{colour}-background[{FINDING_LABELS[finding.kind]}]{level} · {where}{quoted}  \n"
                    f":gray[{why}{markdown_literal(finding.suggestion)}]")
    if limit is not None and len(report.findings) > limit:
        st.caption(f"{len(report.findings) - limit} more on the Check tab.")


def _short(text: str, size: int = 90) -> str:
    text = " ".join(text.split())
    return text if len(text) <= size else text[:size - 1] + "…"


def findings_frame(report: checks.CheckReport) -> pd.DataFrame:
    """Findings as a table: kind, where, text, fix."""
    rows = [dict(kind=FINDING_LABELS[f.kind], level=f.level,
                 where="subject" if f.part == "subject" else (f.line or "message"), text=f.text, why=f.message,
                 fix=f.suggestion) for f in report.findings]
    return pd.DataFrame(rows, columns=["kind", "level", "where", "text", "why", "fix"]).astype({"where": str})


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
    return staff_names().get(actor, "The CrowdPulse community team")


@on_data_version()
def staff_names() -> dict:
    """Staff display names by email."""
    return workflow.staff_names(engine())


# --- the studio's shared state ---------------------------------------------------------------


@dataclass
class Studio:
    """What every part of the Comms studio reads: who acts, the data as of now, and the versions loaded."""

    actor: str
    role: str
    engine: Engine
    now: pd.Timestamp
    base: pd.DataFrame
    project_table: pd.DataFrame
    segments: pd.DataFrame
    events: pd.DataFrame
    bases: dict   # draft id → the version this session last loaded
    loaded: dict  # editor key → the text it was loaded with

    @property
    def project_names(self) -> dict:
        """Project names by id."""
        return dict(zip(self.project_table["project_id"], self.project_table["name"]))

    @property
    def names_in_text(self) -> tuple:
        """Names a message may use without being flagged as jargon: projects and events."""
        return tuple(self.project_names.values()) + tuple(self.events["title"])


def open_studio() -> Studio:
    """The studio's reads for this run, and the session's record of the drafts it loaded."""
    actor, role = who()
    now = data.as_of()
    return Studio(actor=actor, role=role, engine=engine(), now=now, base=data.audience_base(),
                  project_table=data.projects(), segments=segments(),
                  events=community_events.event_turnout(events(), now),
                  bases=st.session_state.setdefault("comms_base", {}),
                  loaded=st.session_state.setdefault("comms_loaded", {}))


def show_error(exc: Exception) -> None:
    """A domain error in the specialist's words."""
    st.error(str(exc), icon=":material/error:")


def accept_handoff() -> dict | None:
    """A hand-off from an alert, an event or a launch: the first time it is seen, it opens a new draft."""
    handoff = st.session_state.get("comms_handoff")
    if handoff:
        signature = (handoff.get("label"), handoff.get("template"), len(handoff.get("member_ids", ())),
                     handoff.get("project_id"), handoff.get("event_id"))
        if st.session_state.get("_comms_handoff_seen") != signature:
            st.session_state["_comms_handoff_seen"] = signature
            st.session_state["comms_open_next"] = 0
            st.session_state["comms_new_template"] = handoff.get("template")
            if handoff.get("project_id"):
                st.session_state["comms_new_project"] = handoff["project_id"]
            if handoff.get("event_id"):
                st.session_state["comms_new_event"] = handoff["event_id"]
            st.session_state.pop("comms_audience_source_new", None)
    if "comms_open_next" in st.session_state:
        st.session_state["comms_draft_pick"] = st.session_state.pop("comms_open_next")
    return handoff


def draft_picker(studio: Studio) -> workflow.DraftView | None:
    """The draft picker with the workflow steps beside it; the draft opened, or None for a new one."""
    listing = drafts()
    # the status stays out of the labels: a label that changes on approval would reset the picker to "New draft"
    labels = {0: "New draft"} | dict(zip(listing["id"].astype(int), "#" + listing["id"].astype(str) + " · "
                                         + listing["title"].astype(str)))
    if st.session_state.get("comms_draft_pick") not in labels:
        st.session_state["comms_draft_pick"] = 0
    pick, steps = st.columns([2, 3], vertical_alignment="bottom")
    draft_id = pick.selectbox("Draft", list(labels), format_func=labels.get, key="comms_draft_pick",
                              help="Open a saved draft, or start a new one from a template.")
    opened = draft(draft_id) if draft_id else None
    if opened is not None:
        studio.bases.setdefault(opened.id, opened.version)
        steps.markdown(" → ".join(f"**:blue-background[{label}]**" if status == opened.status else f":gray[{label}]"
                                  for status, label in workflow.STATUS_LABELS.items())
                       + f"  \n:gray[version {opened.version} · {CHANNEL_LABELS.get(opened.channel, opened.channel)}]")
    return opened


def local_times_table(moment, audience: pd.DataFrame, *, key: str, filename: str) -> None:
    """A moment in each of the audience's time zones, as a table."""
    widgets.table(timezones.local_times(moment, context.zone_mix(audience)).drop(columns=["offset_minutes"]),
                  key=key, filename=filename, column_config=LOCAL_TIME_COLUMNS)
