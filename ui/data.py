"""Cached access to `core`: one engine per process, query results keyed on the data version."""

import functools

import pandas as pd
import streamlit as st
from sqlalchemy import Engine, text
from streamlit.runtime.scriptrunner import get_script_run_ctx

from core import db, timeline


@st.cache_resource(show_spinner=False)
def engine() -> Engine:
    """The process-wide engine for the configured database."""
    from core.settings import get_settings
    return db.make_engine(get_settings().database_url)


def version() -> int:
    """The data version now; every write bumps it, so cached results refresh.

    Read once per script run (a page calls this for every cached accessor): the run's `cursors`
    dict is new on each rerun, and a write made by this process in the meantime forces a re-read.
    Another server's write is therefore seen on the next rerun, as before.
    """
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


def on_data_version(max_entries: int = 4, *, shared: bool = False):
    """Cache a function's results per data version, so that any write makes the next call recompute.

    `shared=True` keeps one object for every session (`st.cache_resource`): for read-only objects that
    are costly to copy; otherwise each call gets its own copy (`st.cache_data`). The cached function
    takes plain, hashable arguments; `.clear()` empties its cache.
    """
    def decorate(function):
        def cached(data_version: int, *args, **kwargs):
            return function(*args, **kwargs)

        # Streamlit keys a cache on the function's module and qualified name: give each its own.
        cached.__module__, cached.__qualname__, cached.__name__ = function.__module__, function.__qualname__, function.__name__
        store = (st.cache_resource if shared else st.cache_data)(show_spinner=False, max_entries=max_entries)(cached)

        @functools.wraps(function)
        def current(*args, **kwargs):
            return store(version(), *args, **kwargs)

        current.clear = store.clear
        return current

    return decorate


@st.cache_data(show_spinner=False, max_entries=4)
def _as_of(data_version: int) -> pd.Timestamp:
    return timeline.data_as_of(engine())


def as_of() -> pd.Timestamp:
    """The moment the data describes (used as 'now' for SLA clocks and 'this week')."""
    return _as_of(version())


@on_data_version()
def filter_choices() -> dict:
    """Projects (id, name) and regions that the filter bar offers."""
    with engine().connect() as connection:
        projects = pd.read_sql(text("SELECT project_id, name FROM project ORDER BY project_id"), connection)
        regions = [r for (r,) in connection.execute(text(
            "SELECT DISTINCT region FROM member WHERE region IS NOT NULL ORDER BY region"))]
    return {"projects": projects, "regions": regions}


# --- queues ------------------------------------------------------------------------------------

# Items created this long before the range start are still loaded: they may be open in it.
QUEUE_LOOKBACK_DAYS = 30


# Held once per data version and shared (cache_resource): the open items' clocks plus memoised SQL
# aggregates of the resolved ones (core.queues.rollup). Treat it as read-only.
@st.cache_resource(show_spinner=False, max_entries=16)
def _queue_facts(data_version: int, start, end, projects, regions, now):
    from core.queues import facts as queues
    # Business hours and pause statuses (read from each item's status history) shape the clocks.
    return queues.QueueFacts(engine(), now, start=pd.Timestamp(start, tz="UTC") - pd.Timedelta(days=QUEUE_LOOKBACK_DAYS),
                             end=pd.Timestamp(end, tz="UTC") + pd.Timedelta(days=1), projects=projects, regions=regions)


def queue_facts(filters):
    """SLA facts (core.queues.facts.QueueFacts) of the queue items in (and open during) the filtered range."""
    return _queue_facts(version(), filters.start, filters.end, filters.projects, filters.regions, as_of())


def queue_status(filters) -> pd.DataFrame:
    """The filtered range's items whose clocks still run (the open ones), with SLA clock, state and warn level."""
    return queue_facts(filters).live


@st.cache_data(show_spinner=False, max_entries=8)
def _sla_trend(data_version: int, filters, freq: str) -> pd.DataFrame:
    return queue_facts(filters).compliance_trend(freq=freq, due_from=pd.Timestamp(filters.start, tz="UTC"))


def sla_trend(filters, freq: str = "W") -> pd.DataFrame:
    """Resolution SLA met per period for the clocks due since the range start (date, compliance, met, breached, count)."""
    return _sla_trend(version(), filters, freq)


@st.cache_data(show_spinner=False, max_entries=4)
def _policies(data_version: int) -> pd.DataFrame:
    from core.queues import read as queues
    return queues.load_policies(engine())


def policies() -> pd.DataFrame:
    """SLA policies per queue and priority."""
    return _policies(version())


# --- launch readiness, audiences, admin ---------------------------------------------------------


@st.cache_data(show_spinner=False, max_entries=4)
def _resources(data_version: int) -> pd.DataFrame:
    from core.comms import launch
    return launch.load_resources(engine())


def resources() -> pd.DataFrame:
    """Guides, FAQs and SOPs with their project's launch date."""
    return _resources(version())


@st.cache_data(show_spinner=False, max_entries=4)
def _audience_base(data_version: int) -> pd.DataFrame:
    from core.comms import audience
    return audience.load_audience_base(engine())


def audience_base() -> pd.DataFrame:
    """Members a message can reach, with the fields a segment filters on."""
    return _audience_base(version())


@st.cache_data(show_spinner=False, max_entries=4)
def _table_counts(data_version: int) -> pd.DataFrame:
    from core import admin
    return admin.table_counts(engine())


def table_counts() -> pd.DataFrame:
    """Rows stored per entity."""
    return _table_counts(version())


@st.cache_data(show_spinner=False, max_entries=4)
def _admin_frame(data_version: int, name: str) -> pd.DataFrame:
    from core import admin
    return getattr(admin, f"load_{name}")(engine())


def admin_frame(name: str) -> pd.DataFrame:
    """One of the admin listings: sync_runs, people, settings, audit."""
    return _admin_frame(version(), name)


# --- health --------------------------------------------------------------------------------------

# Cohorts and the funnel look this far back; MAU needs 27 more days before the first shown day.
HEALTH_LOOKBACK_DAYS = 120


@st.cache_data(show_spinner=False, max_entries=8)
def _members(data_version: int, regions) -> pd.DataFrame:
    from core.health import metrics as health
    return health.load_community(engine(), regions=regions)


def members(filters) -> pd.DataFrame:
    """Community members (no staff, no bots) in the filtered regions: id, region, sign-up and onboarding times."""
    return _members(version(), filters.regions)


@st.cache_data(show_spinner=False, max_entries=8)
def _member_days(data_version: int, start, end, projects):
    from core.health import metrics as health
    return health.load_active_days(engine(), start=start, end=end, projects=projects)


def member_days(filters, *, lookback_days: int = HEALTH_LOOKBACK_DAYS):
    """Who was active on which day (`health.ActiveDays`), from far enough back for MAU, funnel and cohorts.

    `lookback_days` (+ 27 for the first MAU window) before the range end: the week's figures need 7.
    """
    return _member_days(version(), _active_days_start(filters, lookback_days), filters.end, filters.projects)


def _active_days_start(filters, lookback_days: int):
    return min(filters.start, filters.end - pd.Timedelta(days=lookback_days).to_pytimedelta()) \
        - pd.Timedelta(days=27).to_pytimedelta()


# --- workforce -----------------------------------------------------------------------------------

# Fatigue compares the last 7 days with the 28 before them: 35 days of activity.
FATIGUE_DAYS = 35


@st.cache_data(show_spinner=False, max_entries=4)
def _projects(data_version: int) -> pd.DataFrame:
    from core.workforce import metrics as workforce
    return workforce.load_projects(engine())


def projects() -> pd.DataFrame:
    """Projects with launch and guideline-change moments."""
    return _projects(version())


@st.cache_data(show_spinner=False, max_entries=8)
def _activity(data_version: int, start, end, projects, regions) -> pd.DataFrame:
    from core.workforce import metrics as workforce
    return workforce.load_activity(engine(), start=start, end=end, projects=projects, regions=regions)


def activity(filters, *, days_before: int = 0) -> pd.DataFrame:
    """Non-staff activity rows in the filtered range, reaching `days_before` further back (millions at scale:
    prefer the aggregates below)."""
    start = min(filters.start, filters.end - pd.Timedelta(days=days_before).to_pytimedelta())
    return _activity(version(), start, filters.end, filters.projects, filters.regions)


def _reaching_back(filters, days_before: int):
    return min(filters.start, filters.end - pd.Timedelta(days=days_before).to_pytimedelta())


@st.cache_data(show_spinner=False, max_entries=8)
def _project_days(data_version: int, start, end, projects, regions) -> pd.DataFrame:
    from core.workforce import metrics as workforce
    return workforce.load_project_day_totals(engine(), start=start, end=end, projects=projects, regions=regions)


def project_days(filters, *, days_before: int = 0) -> pd.DataFrame:
    """Non-staff activity summed per project and day over the filtered range, reaching `days_before` further back."""
    return _project_days(version(), _reaching_back(filters, days_before), filters.end, filters.projects,
                         filters.regions)


@st.cache_data(show_spinner=False, max_entries=8)
def _negative_feedback(data_version: int, start, end, projects, regions) -> pd.DataFrame:
    from core.workforce import metrics as workforce
    return workforce.load_negative_feedback(engine(), start=start, end=end, projects=projects, regions=regions)


def negative_feedback(filters, *, days_before: int = 0) -> pd.DataFrame:
    """Scored and negative messages per project and day, like `messages(filters, days_before=…)`, for confusion."""
    return _negative_feedback(version(), _reaching_back(filters, days_before), filters.end, filters.projects,
                              filters.regions)


@st.cache_data(show_spinner=False, max_entries=8)
def _fatigue(data_version: int, as_of, start, end, projects, regions) -> pd.DataFrame:
    from core.workforce import metrics as workforce
    return workforce.load_fatigue_alerts(engine(), as_of, window_start=start, last_day=end, projects=projects,
                                         regions=regions)


def fatigue(filters, as_of=None) -> pd.DataFrame:
    """Fatigue alerts at `as_of` (default the range's last day) over the filtered activity, FATIGUE_DAYS back."""
    day = pd.Timestamp(as_of if as_of is not None else filters.end)
    day = (day.tz_convert("UTC").tz_localize(None) if day.tzinfo else day).normalize().date()
    return _fatigue(version(), day, _reaching_back(filters, FATIGUE_DAYS), filters.end, filters.projects,
                    filters.regions)


# --- voice of the crowd --------------------------------------------------------------------------


@st.cache_data(show_spinner=False, max_entries=8)
def _messages(data_version: int, start, end, projects, regions) -> pd.DataFrame:
    from core.feedback import metrics as feedback
    return feedback.load_message_scores(message_scope_for(start, end, projects, regions))


def messages(filters, *, days_before: int = 0) -> pd.DataFrame:
    """Channel messages in the filtered range (reaching `days_before` further back), staff excluded.

    Without text or themes (see `core.feedback.metrics.load_message_scores`): for per-message
    sentiment; theme and text views read `message_scope` instead.
    """
    start = min(filters.start, filters.end - pd.Timedelta(days=days_before).to_pytimedelta())
    return _messages(version(), start, filters.end, filters.projects, filters.regions)


def message_scope_for(start, end, projects, regions):
    """The roll-up scope of the messages created from day `start` through day `end`."""
    from core.feedback import metrics as feedback
    return feedback.MessageScope(engine(), start=pd.Timestamp(start, tz="UTC"),
                                 end=pd.Timestamp(end, tz="UTC") + pd.Timedelta(days=1),
                                 projects=tuple(projects) if projects else None,
                                 regions=tuple(regions) if regions else None)


def message_scope(filters, *, days_before: int = 0):
    """The messages of `messages(filters, days_before=…)` as a scope the feedback metrics aggregate in SQL."""
    start = min(filters.start, filters.end - pd.Timedelta(days=days_before).to_pytimedelta())
    return message_scope_for(start, filters.end, filters.projects, filters.regions)


@st.cache_data(show_spinner=False, max_entries=8)
def _sentiment_trend(data_version: int, start, end, projects, regions, freq: str) -> pd.DataFrame:
    from core.feedback import metrics as feedback
    scope = message_scope_for(start, end, projects, regions)
    return feedback.sentiment_trend(scope, freq=freq) if scope.count() else None


def sentiment_trend(filters, freq: str = "W") -> pd.DataFrame | None:
    """Net sentiment per period of the filtered messages (None without any message)."""
    return _sentiment_trend(version(), filters.start, filters.end, filters.projects, filters.regions, freq)


@st.cache_data(show_spinner=False, max_entries=4)
def _responses(data_version: int) -> pd.DataFrame:
    from core.feedback import metrics as feedback
    return feedback.load_responses(engine())


def responses(filters) -> pd.DataFrame:
    """Survey responses of every wave (region filter applied), staff excluded."""
    frame = _responses(version())
    return frame[frame["region"].isin(filters.regions)] if filters.regions else frame


def response_scope(filters):
    """The responses of `responses(filters)` as a scope the survey metrics count in SQL (no rows read)."""
    from core.feedback import metrics as feedback
    return feedback.ResponseScope(engine(), regions=tuple(filters.regions) if filters.regions else None)


# A Series (not a dict) held as a resource: mapping through it reuses its index's hash table,
# where mapping through a dict builds one on every call.
@st.cache_resource(show_spinner=False, max_entries=4)
def _project_names(data_version: int) -> pd.Series:
    listed = _projects(data_version)
    return pd.Series(listed["name"].to_numpy(), index=pd.Index(listed["project_id"]))


def with_project_names(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with a readable `project` name column next to `project_id` (unchanged if it has one already)."""
    if "project" in frame.columns:
        return frame
    names = _project_names(version())
    position = list(frame.columns).index("project_id") + 1 if "project_id" in frame else len(frame.columns)
    out = frame.copy()
    out.insert(position, "project", frame["project_id"].map(names).fillna(frame["project_id"]) if "project_id" in frame else None)
    return out


# --- weekly report -------------------------------------------------------------------------------


@st.cache_data(show_spinner="Building the weekly report…", max_entries=16)
def _weekly_report(data_version: int, week: str, projects, regions):
    from core import reports
    return reports.weekly_report_from_db(engine(), week, projects=projects, regions=regions)


def weekly_report(week: str, filters):
    """The weekly report for an ISO week under the project and region filters."""
    return _weekly_report(version(), week, filters.projects, filters.regions)


@st.cache_data(show_spinner=False, max_entries=16)
def _weekly_exports(data_version: int, week: str, projects, regions) -> tuple[str, str]:
    from core import reports
    report = _weekly_report(data_version, week, projects, regions)
    return reports.to_markdown(report), reports.to_html(report)


def weekly_exports(week: str, filters) -> tuple[str, str]:
    """The weekly report as Markdown and as printable HTML with its charts (built once per data version)."""
    return _weekly_exports(version(), week, filters.projects, filters.regions)


@st.cache_data(show_spinner=False, max_entries=4)
def _snapshots(data_version: int) -> pd.DataFrame:
    from core import reports
    return reports.list_snapshots(engine())


def snapshots() -> pd.DataFrame:
    """Published weekly snapshots, newest first."""
    return _snapshots(version())


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
    from core.ingest import sheets
    return sheets.client_from_settings(sheets_secrets())


@st.cache_data(show_spinner=False, max_entries=4)
def _sheet_sources(data_version: int) -> pd.DataFrame:
    from core.ingest import sheets
    return sheets.list_sources(engine())


def sheet_sources() -> pd.DataFrame:
    """Configured Google Sheets sources with their last sync."""
    return _sheet_sources(version())


# --- Today -----------------------------------------------------------------------------------------


@st.cache_data(show_spinner=False, max_entries=8)
def _today(data_version: int, filters, now) -> tuple:
    from core import attention, overview
    status = queue_facts(filters)
    said = message_scope(filters, days_before=35)
    figures = overview.week_figures(status=status, member_days=member_days(filters, lookback_days=7),
                                    members=members(filters), messages=said, week_end=now)
    entries = attention.today_entries(status=status.live, messages=said, voice=said,
                                      activity=project_days(filters, days_before=FATIGUE_DAYS), projects=projects(),
                                      fatigue=fatigue(filters, now),
                                      negative_feedback=negative_feedback(filters, days_before=FATIGUE_DAYS),
                                      resources=resources(), now=now)
    return figures, entries


def today(filters) -> tuple:
    """Today's headline figures and ranked attention list, computed once per data version and filters."""
    return _today(version(), filters, as_of())


# --- Health ----------------------------------------------------------------------------------------


# Held once per data version and filters and shared (cache_resource): the community matched to its
# active days, so the figures, the splits and every member list reuse one match. Treat it as read-only.
@st.cache_resource(show_spinner=False, max_entries=4)
def _crowd(data_version: int, filters):
    from core.health import metrics as health
    # The days of member_days(filters), read here so that the matrix is held once, not also pickled in st.cache_data.
    days = health.load_active_days(engine(), start=_active_days_start(filters, HEALTH_LOOKBACK_DAYS), end=filters.end,
                                   projects=filters.projects)
    return health.Crowd(members(filters), days)


@st.cache_data(show_spinner=False, max_entries=8)
def _health(data_version: int, filters) -> dict | None:
    crowd = _crowd(data_version, filters)
    if crowd.members.empty or crowd.days.empty:
        return None
    overview = crowd.overview(filters.start, filters.end)
    # Shaped for the charts here, once per data version, instead of on every rerun of the page.
    overview["active_long"] = overview["active"].melt(id_vars="date", value_vars=["dau", "wau", "mau"],
                                                      var_name="measure", value_name="members")
    cohorts = overview["cohorts"]
    recent = cohorts[cohorts["cohort_week"] >= pd.Timestamp(filters.end) - pd.Timedelta(weeks=12)]
    overview["recent_cohorts"] = recent.assign(
        cohort=recent["cohort_week"].dt.strftime("%Y-%m-%d") + " (" + recent["cohort_size"].astype(str) + ")")
    return overview


def health(filters) -> dict | None:
    """The Health page's activity figures (see core.health.metrics.health_overview), None without activity.

    Adds, for the charts: `active_long` (date, measure dau/wau/mau, members) and `recent_cohorts` (the
    cohorts of the 12 weeks before the range end, each labelled "week start (size)" in `cohort`).
    """
    return _health(version(), filters)


@st.cache_data(show_spinner=False, max_entries=32)
def _health_split(data_version: int, filters, dimension: str) -> pd.DataFrame:
    from core.health import breakdowns
    from core.health import metrics as health
    crowd = _crowd(data_version, filters)
    community = crowd.members
    if dimension not in community and dimension != "tenure":
        community = health.with_member_details(engine(), community, [dimension])
    return breakdowns.active_by(crowd.days, community, pd.Timestamp(filters.end), dimension)


def health_split(filters, dimension: str) -> pd.DataFrame:
    """Members, WAU, MAU and active rate per value of a member attribute."""
    return _health_split(version(), filters, dimension)


@st.cache_data(show_spinner=False, max_entries=32)
def _member_list(data_version: int, filters, kind: str) -> pd.DataFrame:
    from core.health import segments
    from core.health import metrics as health
    chosen = segments.members_behind(kind, _crowd(data_version, filters), pd.Timestamp(filters.end))
    return health.with_member_details(engine(), chosen, health.MEMBER_DETAILS)


def member_list(filters, kind: str) -> pd.DataFrame:
    """The members behind one of core.health.segments.MEMBER_LISTS."""
    return _member_list(version(), filters, kind)
