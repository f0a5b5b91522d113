"""Cached access to `core`: one engine per process, query results keyed on the versions of the data areas they read."""

import functools

import pandas as pd
import streamlit as st
from sqlalchemy import Engine
from streamlit.runtime.scriptrunner import get_script_run_ctx

from core import admin, attention, db, reports, timeline, weeks
from core.comms import audience, launch
from core.feedback import messages as feedback_messages
from core.feedback import read as feedback_read
from core.feedback import surveys as feedback_surveys
from core.feedback import voice as feedback_voice
from core.health import active as health_active
from core.health import scope as health_scope
from core.queues import facts as queues_facts
from core.queues import read as queues_read
from core.settings import get_settings
from core.workforce import read as workforce


@st.cache_resource(show_spinner=False)
def engine() -> Engine:
    """The process-wide engine for the configured database."""
    return db.make_engine(get_settings().database_url)


def versions() -> dict[str, int]:
    """The data versions now (`core.db.data_versions`: overall and per area); writes bump them, so caches refresh.

    Read once per script run (a page calls this for every cached accessor): the run's `cursors`
    dict is new on each rerun, and a write made by this process in the meantime forces a re-read.
    Another server's write is therefore seen on the next rerun, as before.
    """
    # Streamlit internals, guarded by tests/app/test_streamlit_internals.py: `ScriptRunContext.cursors`
    # (a new dict each run) tells runs apart, and the memo rides on the context. Measured on the demo
    # database: a warm rerun calls this 6-8 times (Queues, Feedback, Health: 8), 0.14 ms a read on
    # SQLite and a network round trip each on PostgreSQL; with the memo it is one read a run.
    ctx = get_script_run_ctx(suppress_warning=True)
    run = getattr(ctx, "cursors", None)
    memo = getattr(ctx, "_crowdpulse_version", None)
    if run is not None and memo is not None and memo[0] is run and memo[1] == db.local_writes():
        return memo[2]
    writes = db.local_writes()
    value = db.data_versions(engine())
    if run is not None:
        ctx._crowdpulse_version = (run, writes, value)
    return value


def version() -> int:
    """The overall data version now: every write bumps it (read as `versions()` is)."""
    return versions()[db.OVERALL]


# The data areas (core.db.AREAS) each page's figures read: its cached accessors are keyed on these only,
# so a write elsewhere (a queue retry for Health, an activity import for Feedback) leaves them cached.
QUEUES = ("queues", "members", "projects")
ACTIVITY = ("activity", "members", "projects")  # Health and Workforce
FEEDBACK = ("feedback", "members", "projects")
WORKFORCE = (*ACTIVITY, "feedback")  # the Workforce page: confusion alerts weigh negative feedback too
VOICE = (*FEEDBACK, "activity")  # the Feedback page: survey segments read each tasker's main project from activity
PROJECTS = ("projects",)
MEMBERS = ("members",)


def on_data_version(max_entries: int = 4, *, shared: bool = False, spinner: bool | str = False,
                    areas: tuple[str, ...] | None = None):
    """Cache a function's results per data version, so that a write it depends on makes the next call recompute.

    `areas` names the data areas (core.db.AREAS) the function reads, nested accessors included; the cache
    is keyed on their versions only. Without it, on the overall version: any write refreshes it.
    `shared=True` keeps one object for every session (`st.cache_resource`): for read-only objects that
    are costly to copy; otherwise each call gets its own copy (`st.cache_data`). The cached function
    takes plain, hashable arguments; `.clear()` empties its cache. `spinner` is the text shown while it
    computes (none by default).
    """
    unknown = sorted(set(areas or ()) - set(db.AREAS))
    if unknown:
        raise ValueError(f"Unknown data area(s) {unknown}: choose from {db.AREAS}.")
    keys = tuple(sorted(set(areas))) if areas else (db.OVERALL,)

    def decorate(function):
        def cached(data_version: tuple, *args, **kwargs):
            return function(*args, **kwargs)

        # Streamlit keys a cache on the function's module and qualified name: give each its own.
        cached.__module__, cached.__qualname__, cached.__name__ = function.__module__, function.__qualname__, function.__name__
        store = (st.cache_resource if shared else st.cache_data)(show_spinner=spinner, max_entries=max_entries)(cached)

        @functools.wraps(function)
        def current(*args, **kwargs):
            now = versions()
            return store(tuple(now[key] for key in keys), *args, **kwargs)

        current.clear = store.clear
        current.areas = keys
        return current

    return decorate


@on_data_version(areas=("activity", "queues"))
def as_of() -> pd.Timestamp:
    """The latest moment the stored data describes (its last day is "the last day with data"); open SLA clocks run
    on `clock_now()` instead."""
    return timeline.data_as_of(engine())


@on_data_version(areas=("activity", "queues", "admin"))  # as_of, and the sync sources and runs
def _freshness(now: pd.Timestamp, stale_after_hours: float):
    return timeline.freshness(engine(), stale_after_hours=stale_after_hours, now=now)


def freshness():
    """How old the data is now and which sync sources have not succeeded within the `stale_after_hours` setting."""
    return _freshness(clock_now(), get_settings().stale_after_hours)


@on_data_version(areas=("projects", "members"))
def filter_choices() -> dict:
    """Projects (id, name) and regions that the filter bar offers."""
    return admin.filter_choices(engine())


# --- queues ------------------------------------------------------------------------------------


def clock_now() -> pd.Timestamp:
    """The present to the minute: open SLA clocks run on it (a cache keyed on it still hits within a minute)."""
    return timeline.present_minute()


# Held once per data version, filters and minute, and shared (cache_resource): the open items' clocks plus
# memoised SQL aggregates of the resolved ones (core.queues.rollup). Treat it as read-only.
@on_data_version(16, shared=True, areas=QUEUES)
def _queue_facts(projects, regions, now):
    # Every item in the projects and regions: "now" figures (open, breached, at risk, paused, stuck) describe
    # the present whatever the date range; each history question (clocks due in the range, items created in
    # it) applies the range itself.
    inputs = _live_inputs(projects, regions)
    return queues_facts.QueueFacts(engine(), now, projects=projects, regions=regions,
                                   inputs=inputs if inputs.since <= now else None)


# The open items' clock inputs (items, policies, pause spells) change only with the data: read once per data
# version and placed at each new minute (`core.queues.read.live_status`), instead of read again every minute.
@on_data_version(8, shared=True)
def _live_inputs(projects, regions):
    return queues_read.load_live_inputs(engine(), clock_now(), projects=projects, regions=regions)


def queue_facts(filters):
    """SLA facts (core.queues.facts.QueueFacts) of the queue items in the filters' projects and regions, at the
    present (to the minute)."""
    return _queue_facts(filters.projects, filters.regions, clock_now())


def queue_status(filters) -> pd.DataFrame:
    """The items whose clocks still run now (the open ones), with SLA clock, state and warn level."""
    return queue_facts(filters).live


@on_data_version(8, areas=QUEUES)
def sla_trend(filters, freq: str = "W") -> pd.DataFrame:
    """Resolution SLA met per period for the clocks due in the range (date, compliance, met, breached, count)."""
    return queue_facts(filters).compliance_trend(freq=freq, due_from=pd.Timestamp(filters.start, tz="UTC"),
                                                 due_to=pd.Timestamp(filters.end, tz="UTC") + pd.Timedelta(days=1))


@on_data_version(areas=("queues",))
def policies() -> pd.DataFrame:
    """SLA policies per queue and priority."""
    return queues_read.load_policies(engine())


# --- launch readiness, audiences, admin ---------------------------------------------------------


@on_data_version()
def resources() -> pd.DataFrame:
    """Guides, FAQs and SOPs with their project's launch date."""
    return launch.load_resources(engine())


@on_data_version()
def audience_base() -> pd.DataFrame:
    """Members a message can reach, with the fields a segment filters on."""
    return audience.load_audience_base(engine())


@on_data_version()
def table_counts() -> pd.DataFrame:
    """Rows stored per entity."""
    return admin.table_counts(engine())


@on_data_version()
def admin_frame(name: str) -> pd.DataFrame:
    """One of the admin listings: sync_runs, people, settings, audit."""
    return getattr(admin, f"load_{name}")(engine())


# --- health --------------------------------------------------------------------------------------

# Cohorts and the funnel look this far back; MAU needs 27 more days before the first shown day.
HEALTH_LOOKBACK_DAYS = 120


@on_data_version(8, areas=MEMBERS)
def _members(regions) -> pd.DataFrame:
    return health_active.load_community(engine(), regions=regions)


def members(filters) -> pd.DataFrame:
    """Community members (no staff, no bots) in the filtered regions: id, region, sign-up and onboarding times."""
    return _members(filters.regions)


@on_data_version(8, areas=ACTIVITY)
def _counted_members(regions, projects, end) -> pd.DataFrame:
    return health_scope.project_base(engine(), _members(regions), end=end, projects=projects)


def counted_members(filters) -> pd.DataFrame:
    """The members a rate counts: the regions' community or, under a project filter, the project's members (the
    Health page's base)."""
    return _counted_members(filters.regions, filters.projects, filters.end)


@on_data_version(8, areas=ACTIVITY)
def _member_days(start, end, projects):
    return health_active.load_active_days(engine(), start=start, end=end, projects=projects)


def member_days(filters, *, lookback_days: int = HEALTH_LOOKBACK_DAYS):
    """Who was active on which day (`core.health.active.ActiveDays`), from far enough back for MAU, funnel and cohorts.

    `lookback_days` (+ 27 for the first MAU window) before the range end: the week's figures need 7.
    """
    return _member_days(active_days_start(filters, lookback_days), filters.end, filters.projects)


def active_days_start(filters, lookback_days: int):
    """The first day of activity a Health read needs: the lookback and the 28 days the first MAU looks back over."""
    return min(filters.start, filters.end - pd.Timedelta(days=lookback_days).to_pytimedelta()) \
        - pd.Timedelta(days=27).to_pytimedelta()


# --- workforce -----------------------------------------------------------------------------------

# Fatigue compares the last 7 days with the 28 before them: 35 days of activity.
FATIGUE_DAYS = 35


@on_data_version(areas=PROJECTS)
def projects() -> pd.DataFrame:
    """Projects with launch and guideline-change moments."""
    return workforce.load_projects(engine())


def reaching_back(filters, days_before: int):
    """The first day of the filtered range, moved `days_before` days before its end if that is earlier."""
    return min(filters.start, filters.end - pd.Timedelta(days=days_before).to_pytimedelta())


@on_data_version(8, areas=ACTIVITY)
def _project_days(start, end, projects, regions) -> pd.DataFrame:
    return workforce.load_project_day_totals(engine(), start=start, end=end, projects=projects, regions=regions)


def project_days(filters, *, days_before: int = 0) -> pd.DataFrame:
    """Non-staff activity summed per project and day over the filtered range, reaching `days_before` further back."""
    return _project_days(reaching_back(filters, days_before), filters.end, filters.projects, filters.regions)


@on_data_version(8, areas=FEEDBACK)
def _negative_feedback(start, end, projects, regions) -> pd.DataFrame:
    return workforce.load_negative_feedback(engine(), start=start, end=end, projects=projects, regions=regions)


def negative_feedback(filters, *, days_before: int = 0) -> pd.DataFrame:
    """Scored and negative messages per project and day, like `messages(filters, days_before=…)`, for confusion."""
    return _negative_feedback(reaching_back(filters, days_before), filters.end, filters.projects, filters.regions)


@on_data_version(8, areas=ACTIVITY)
def _fatigue(as_of, start, end, projects, regions) -> pd.DataFrame:
    return workforce.load_fatigue_alerts(engine(), as_of, window_start=start, last_day=end, projects=projects,
                                         regions=regions)


def fatigue(filters, as_of=None) -> pd.DataFrame:
    """Fatigue alerts at `as_of` (default the range's last day) over the filtered activity, FATIGUE_DAYS back."""
    day = pd.Timestamp(as_of if as_of is not None else filters.end)
    day = (day.tz_convert("UTC").tz_localize(None) if day.tzinfo else day).normalize().date()
    return _fatigue(day, reaching_back(filters, FATIGUE_DAYS), filters.end, filters.projects, filters.regions)


# --- voice of the crowd --------------------------------------------------------------------------


@on_data_version(8, areas=FEEDBACK)
def _messages(start, end, projects, regions) -> pd.DataFrame:
    return feedback_messages.load_message_scores(message_scope_for(start, end, projects, regions))


def messages(filters, *, days_before: int = 0) -> pd.DataFrame:
    """Channel messages in the filtered range (reaching `days_before` further back), staff excluded.

    Without text or themes (see `core.feedback.messages.load_message_scores`): for per-message
    sentiment; theme and text views read `message_scope` instead.
    """
    return _messages(reaching_back(filters, days_before), filters.end, filters.projects, filters.regions)


def message_scope_for(start, end, projects, regions):
    """The roll-up scope of the messages created from day `start` through day `end`."""
    return feedback_messages.MessageScope(engine(), start=pd.Timestamp(start, tz="UTC"),
                                          end=pd.Timestamp(end, tz="UTC") + pd.Timedelta(days=1),
                                          projects=tuple(projects) if projects else None,
                                          regions=tuple(regions) if regions else None)


def message_scope(filters, *, days_before: int = 0):
    """The messages of `messages(filters, days_before=…)` as a scope the feedback metrics aggregate in SQL."""
    return message_scope_for(reaching_back(filters, days_before), filters.end, filters.projects, filters.regions)


@on_data_version(8, areas=FEEDBACK)
def _sentiment_trend(start, end, projects, regions, freq: str) -> pd.DataFrame:
    scope = message_scope_for(start, end, projects, regions)
    return feedback_voice.sentiment_trend(scope, freq=freq) if scope.count() else None


def sentiment_trend(filters, freq: str = "W") -> pd.DataFrame | None:
    """Net sentiment per period of the filtered messages (None without any message)."""
    return _sentiment_trend(filters.start, filters.end, filters.projects, filters.regions, freq)


@on_data_version(areas=FEEDBACK)
def _responses() -> pd.DataFrame:
    return feedback_read.load_responses(engine())


def responses(filters) -> pd.DataFrame:
    """Survey responses of every wave (region filter applied), staff excluded."""
    frame = _responses()
    return frame[frame["region"].isin(filters.regions)] if filters.regions else frame


def response_scope(filters):
    """The responses of `responses(filters)` as a scope the survey metrics count in SQL (no rows read)."""
    return feedback_surveys.ResponseScope(engine(), regions=tuple(filters.regions) if filters.regions else None)


# A Series (not a dict) held as a resource: mapping through it reuses its index's hash table,
# where mapping through a dict builds one on every call.
@on_data_version(shared=True, areas=PROJECTS)
def project_names() -> pd.Series:
    """Project names by project id."""
    listed = projects()
    return pd.Series(listed["name"].to_numpy(), index=pd.Index(listed["project_id"]))


def with_project_names(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with a readable `project` name column next to `project_id` (unchanged if it has one already)."""
    if "project" in frame.columns:
        return frame
    names = project_names()
    position = list(frame.columns).index("project_id") + 1 if "project_id" in frame else len(frame.columns)
    out = frame.copy()
    out.insert(position, "project", frame["project_id"].map(names).fillna(frame["project_id"]) if "project_id" in frame else None)
    return out


# --- weekly report -------------------------------------------------------------------------------


@on_data_version(16, spinner="Building the weekly report…")
def _weekly_report(week: str, projects, regions):
    return reports.weekly_report_from_db(engine(), week, projects=projects, regions=regions)


def weekly_report(week: str, filters):
    """The weekly report for an ISO week under the project and region filters."""
    return _weekly_report(week, filters.projects, filters.regions)


@on_data_version()
def snapshots() -> pd.DataFrame:
    """Published weekly snapshots, newest first."""
    return reports.list_snapshots(engine())


@on_data_version()
def data_start() -> pd.Timestamp | None:
    """The earliest recorded moment, for telling which weeks a link can ask for."""
    return weeks.data_start(engine())


# --- imports and Google Sheets (issue 3) ---------------------------------------------------------


def sheets_secrets() -> dict:
    """The [gcp_service_account] secret as a plain dict for core.ingest.sheets ({} when not configured)."""
    try:
        section = st.secrets.get("gcp_service_account")
    except Exception:  # no secrets file at all raises, even for .get
        return {}
    return {"gcp_service_account": dict(section)} if section else {}


@st.cache_resource(show_spinner=False)
def sheets_client():
    """The process-wide Google Sheets client (raises SheetAuthFailed when credentials are missing)."""
    from core.ingest import sheets  # heavy optional dependency: gspread and google-auth, for the Data page only
    return sheets.client_from_settings(sheets_secrets())


@on_data_version()
def sheet_sources() -> pd.DataFrame:
    """Configured Google Sheets sources with their last sync."""
    from core.ingest import sheets  # heavy optional dependency: gspread and google-auth, for the Data page only
    return sheets.list_sources(engine())


# --- Today -----------------------------------------------------------------------------------------


@on_data_version(8)
def _today(projects, regions, now, as_of) -> tuple:
    return attention.today_figures_and_entries(engine(), now=now, as_of=as_of, projects=projects, regions=regions,
                                               status=_queue_facts(projects, regions, now))


def today(filters) -> tuple:
    """Today's headline figures and ranked attention list for the filters' projects and regions, now: the 28 days
    ending on the data's last day (whatever the sidebar's range), open clocks at the present (to the minute)."""
    return _today(filters.projects, filters.regions, clock_now(), as_of())
