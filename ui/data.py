"""Cached access to `core`: one engine per process, query results keyed on the data version."""

import functools

import pandas as pd
import streamlit as st
from sqlalchemy import Engine
from streamlit.runtime.scriptrunner import get_script_run_ctx

from core import admin, attention, db, overview, reports, timeline, weeks
from core.comms import audience, launch
from core.feedback import messages as feedback_messages
from core.feedback import read as feedback_read
from core.feedback import surveys as feedback_surveys
from core.feedback import voice as feedback_voice
from core.health import active as health_active
from core.health import breakdowns, segments
from core.health import scope as health_scope
from core.queues import facts as queues_facts
from core.queues import read as queues_read
from core.settings import get_settings
from core.workforce import confusion, read as workforce


@st.cache_resource(show_spinner=False)
def engine() -> Engine:
    """The process-wide engine for the configured database."""
    return db.make_engine(get_settings().database_url)


def version() -> int:
    """The data version now; every write bumps it, so cached results refresh.

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
    value = db.data_version(engine())
    if run is not None:
        ctx._crowdpulse_version = (run, writes, value)
    return value


def on_data_version(max_entries: int = 4, *, shared: bool = False, spinner: bool | str = False):
    """Cache a function's results per data version, so that any write makes the next call recompute.

    `shared=True` keeps one object for every session (`st.cache_resource`): for read-only objects that
    are costly to copy; otherwise each call gets its own copy (`st.cache_data`). The cached function
    takes plain, hashable arguments; `.clear()` empties its cache. `spinner` is the text shown while it
    computes (none by default).
    """
    def decorate(function):
        def cached(data_version: int, *args, **kwargs):
            return function(*args, **kwargs)

        # Streamlit keys a cache on the function's module and qualified name: give each its own.
        cached.__module__, cached.__qualname__, cached.__name__ = function.__module__, function.__qualname__, function.__name__
        store = (st.cache_resource if shared else st.cache_data)(show_spinner=spinner, max_entries=max_entries)(cached)

        @functools.wraps(function)
        def current(*args, **kwargs):
            return store(version(), *args, **kwargs)

        current.clear = store.clear
        return current

    return decorate


@on_data_version()
def as_of() -> pd.Timestamp:
    """The moment the data describes (used as 'now' for SLA clocks and 'this week')."""
    return timeline.data_as_of(engine())


@on_data_version()
def filter_choices() -> dict:
    """Projects (id, name) and regions that the filter bar offers."""
    return admin.filter_choices(engine())


# --- queues ------------------------------------------------------------------------------------

# Items created this long before the range start are still loaded: they may be open in it.
QUEUE_LOOKBACK_DAYS = 30


# Held once per data version and shared (cache_resource): the open items' clocks plus memoised SQL
# aggregates of the resolved ones (core.queues.rollup). Treat it as read-only.
@on_data_version(16, shared=True)
def _queue_facts(start, end, projects, regions, now):
    # Business hours and pause statuses (read from each item's status history) shape the clocks.
    first = pd.Timestamp(start, tz="UTC") - pd.Timedelta(days=QUEUE_LOOKBACK_DAYS)
    return queues_facts.QueueFacts(engine(), now, start=first, end=pd.Timestamp(end, tz="UTC") + pd.Timedelta(days=1),
                                   projects=projects, regions=regions)


def queue_facts(filters):
    """SLA facts (core.queues.facts.QueueFacts) of the queue items in (and open during) the filtered range."""
    return _queue_facts(filters.start, filters.end, filters.projects, filters.regions, as_of())


def queue_status(filters) -> pd.DataFrame:
    """The filtered range's items whose clocks still run (the open ones), with SLA clock, state and warn level."""
    return queue_facts(filters).live


@on_data_version(8)
def sla_trend(filters, freq: str = "W") -> pd.DataFrame:
    """Resolution SLA met per period for the clocks due since the range start (date, compliance, met, breached, count)."""
    return queue_facts(filters).compliance_trend(freq=freq, due_from=pd.Timestamp(filters.start, tz="UTC"))


@on_data_version()
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


@on_data_version(8)
def _members(regions) -> pd.DataFrame:
    return health_active.load_community(engine(), regions=regions)


def members(filters) -> pd.DataFrame:
    """Community members (no staff, no bots) in the filtered regions: id, region, sign-up and onboarding times."""
    return _members(filters.regions)


@on_data_version(8)
def _member_days(start, end, projects):
    return health_active.load_active_days(engine(), start=start, end=end, projects=projects)


def member_days(filters, *, lookback_days: int = HEALTH_LOOKBACK_DAYS):
    """Who was active on which day (`core.health.active.ActiveDays`), from far enough back for MAU, funnel and cohorts.

    `lookback_days` (+ 27 for the first MAU window) before the range end: the week's figures need 7.
    """
    return _member_days(_active_days_start(filters, lookback_days), filters.end, filters.projects)


def _active_days_start(filters, lookback_days: int):
    return min(filters.start, filters.end - pd.Timedelta(days=lookback_days).to_pytimedelta()) \
        - pd.Timedelta(days=27).to_pytimedelta()


# --- workforce -----------------------------------------------------------------------------------

# Fatigue compares the last 7 days with the 28 before them: 35 days of activity.
FATIGUE_DAYS = 35


@on_data_version()
def projects() -> pd.DataFrame:
    """Projects with launch and guideline-change moments."""
    return workforce.load_projects(engine())


def reaching_back(filters, days_before: int):
    """The first day of the filtered range, moved `days_before` days before its end if that is earlier."""
    return min(filters.start, filters.end - pd.Timedelta(days=days_before).to_pytimedelta())


@on_data_version(8)
def _project_days(start, end, projects, regions) -> pd.DataFrame:
    return workforce.load_project_day_totals(engine(), start=start, end=end, projects=projects, regions=regions)


def project_days(filters, *, days_before: int = 0) -> pd.DataFrame:
    """Non-staff activity summed per project and day over the filtered range, reaching `days_before` further back."""
    return _project_days(reaching_back(filters, days_before), filters.end, filters.projects, filters.regions)


@on_data_version(8)
def _negative_feedback(start, end, projects, regions) -> pd.DataFrame:
    return workforce.load_negative_feedback(engine(), start=start, end=end, projects=projects, regions=regions)


def negative_feedback(filters, *, days_before: int = 0) -> pd.DataFrame:
    """Scored and negative messages per project and day, like `messages(filters, days_before=…)`, for confusion."""
    return _negative_feedback(reaching_back(filters, days_before), filters.end, filters.projects, filters.regions)


@on_data_version(8)
def _fatigue(as_of, start, end, projects, regions) -> pd.DataFrame:
    return workforce.load_fatigue_alerts(engine(), as_of, window_start=start, last_day=end, projects=projects,
                                         regions=regions)


def fatigue(filters, as_of=None) -> pd.DataFrame:
    """Fatigue alerts at `as_of` (default the range's last day) over the filtered activity, FATIGUE_DAYS back."""
    day = pd.Timestamp(as_of if as_of is not None else filters.end)
    day = (day.tz_convert("UTC").tz_localize(None) if day.tzinfo else day).normalize().date()
    return _fatigue(day, reaching_back(filters, FATIGUE_DAYS), filters.end, filters.projects, filters.regions)


# --- voice of the crowd --------------------------------------------------------------------------


@on_data_version(8)
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


@on_data_version(8)
def _sentiment_trend(start, end, projects, regions, freq: str) -> pd.DataFrame:
    scope = message_scope_for(start, end, projects, regions)
    return feedback_voice.sentiment_trend(scope, freq=freq) if scope.count() else None


def sentiment_trend(filters, freq: str = "W") -> pd.DataFrame | None:
    """Net sentiment per period of the filtered messages (None without any message)."""
    return _sentiment_trend(filters.start, filters.end, filters.projects, filters.regions, freq)


@on_data_version()
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
@on_data_version(shared=True)
def _project_names() -> pd.Series:
    listed = projects()
    return pd.Series(listed["name"].to_numpy(), index=pd.Index(listed["project_id"]))


def with_project_names(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with a readable `project` name column next to `project_id` (unchanged if it has one already)."""
    if "project" in frame.columns:
        return frame
    names = _project_names()
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


@on_data_version(16)
def _weekly_exports(week: str, projects, regions) -> tuple[str, str]:
    report = _weekly_report(week, projects, regions)
    return reports.to_markdown(report), reports.to_html(report)


def weekly_exports(week: str, filters) -> tuple[str, str]:
    """The weekly report as Markdown and as printable HTML with its charts (built once per data version)."""
    return _weekly_exports(week, filters.projects, filters.regions)


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
def _today(filters, now) -> tuple:
    status = queue_facts(filters)
    said = message_scope(filters, days_before=35)
    figures = overview.week_figures(status=status, member_days=member_days(filters, lookback_days=7),
                                    members=members(filters), messages=said, week_end=now)
    entries = attention.today_entries(status=status.live, messages=said, voice=said,
                                      activity=project_days(filters, days_before=confusion.HISTORY_DAYS),
                                      projects=projects(), fatigue=fatigue(filters, now),
                                      negative_feedback=negative_feedback(filters, days_before=confusion.HISTORY_DAYS),
                                      resources=resources(), now=now)
    return figures, entries


def today(filters) -> tuple:
    """Today's headline figures and ranked attention list, computed once per data version and filters."""
    return _today(filters, as_of())


# --- Health ----------------------------------------------------------------------------------------


# Held once per data version and filters and shared (cache_resource): the members counted matched to their
# active days (core.health.scope), so the figures, the splits and every member list reuse one match. Read-only.
@on_data_version(shared=True)
def _scope(filters):
    # The days of member_days(filters), read here so that the matrix is held once, not also pickled in st.cache_data.
    return health_scope.load_scope(engine(), start=_active_days_start(filters, HEALTH_LOOKBACK_DAYS), end=filters.end,
                                   projects=filters.projects, members=members(filters))


@on_data_version(8)
def health(filters) -> dict | None:
    """The Health page's activity figures (see core.health.scope.HealthScope.overview), None without activity.

    Adds, for the charts: `active_long` (date, measure dau/wau/mau, members) and `recent_cohorts` (the
    cohorts of the 12 weeks before the range end, each labelled "week start (size)" in `cohort`).
    """
    scope = _scope(filters)
    if scope.community.members.empty or scope.community.days.empty:
        return None
    figures = scope.overview(filters.start, filters.end)
    # Shaped for the charts here, once per data version, instead of on every rerun of the page.
    figures["active_long"] = figures["active"].melt(id_vars="date", value_vars=["dau", "wau", "mau"],
                                                    var_name="measure", value_name="members")
    cohorts = figures["cohorts"]
    recent = cohorts[cohorts["cohort_week"] >= pd.Timestamp(filters.end) - pd.Timedelta(weeks=12)]
    figures["recent_cohorts"] = recent.assign(
        cohort=recent["cohort_week"].dt.strftime("%Y-%m-%d") + " (" + recent["cohort_size"].astype(str) + ")")
    return figures


def _with_split_column(filters, dimension: str) -> pd.DataFrame:
    # The counted members with the split's attribute read in when the crowd does not hold it.
    community = _scope(filters).working.members
    if dimension not in community and dimension != "tenure":
        community = health_active.with_member_details(engine(), community, [dimension])
    return community


@on_data_version(32)
def health_split(filters, dimension: str) -> pd.DataFrame:
    """Members, WAU, MAU and active rate per value of a member attribute (the project's members under a project filter)."""
    working = _scope(filters).working
    return breakdowns.active_by(working.days, _with_split_column(filters, dimension), pd.Timestamp(filters.end),
                                dimension)


def _member_details(chosen: pd.DataFrame) -> pd.DataFrame:
    return health_active.with_member_details(engine(), chosen, health_active.MEMBER_DETAILS)


@on_data_version(32)
def member_list(filters, kind: str) -> pd.DataFrame:
    """The members behind one of core.health.segments.MEMBER_LISTS."""
    return _member_details(segments.members_behind(kind, _scope(filters), pd.Timestamp(filters.end)))


@on_data_version(32)
def cohort_list(filters, cohort_week: pd.Timestamp, week_number: int) -> pd.DataFrame:
    """The members behind one retention cell (onboarding week × week N)."""
    return _member_details(segments.cohort_members(_scope(filters), cohort_week, week_number))


@on_data_version(32)
def segment_list(filters, dimension: str, value: str, group: str) -> pd.DataFrame:
    """The members behind one row of the split by `dimension`: all of them, or its WAU or MAU."""
    chosen = segments.segment_row_members(_scope(filters), _with_split_column(filters, dimension),
                                          pd.Timestamp(filters.end), dimension, value, group)
    return _member_details(chosen)


def project_names_of(filters) -> list[str]:
    """The names of the filtered projects, in the filter's order."""
    names = _project_names()
    return [str(names.get(project_id, project_id)) for project_id in filters.projects]


def health_file_scope(filters, *, whole_range: bool = False) -> str:
    """The Health view's scope in a file name: the range end (or the range), regions, projects."""
    day = f"{filters.start:%Y-%m-%d}-to-{filters.end:%Y-%m-%d}" if whole_range else f"{filters.end:%Y-%m-%d}"
    return segments.file_scope(day, filters.regions, project_names_of(filters))
