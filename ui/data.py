"""Cached access to `core`: one engine per process, query results keyed on the data version."""

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


@st.cache_data(show_spinner=False, max_entries=4)
def _as_of(data_version: int) -> pd.Timestamp:
    return timeline.data_as_of(engine())


def as_of() -> pd.Timestamp:
    """The moment the data describes (used as 'now' for SLA clocks and 'this week')."""
    return _as_of(version())


@st.cache_data(show_spinner=False, max_entries=4)
def _filter_choices(data_version: int) -> dict:
    with engine().connect() as connection:
        projects = pd.read_sql(text("SELECT project_id, name FROM project ORDER BY project_id"), connection)
        regions = [r for (r,) in connection.execute(text(
            "SELECT DISTINCT region FROM member WHERE region IS NOT NULL ORDER BY region"))]
    return {"projects": projects, "regions": regions}


def filter_choices() -> dict:
    """Projects (id, name) and regions that the filter bar offers."""
    return _filter_choices(version())


# --- queues ------------------------------------------------------------------------------------

# Items created this long before the range start are still loaded: they may be open in it.
QUEUE_LOOKBACK_DAYS = 30


@st.cache_data(show_spinner=False, max_entries=16)
def _queue_status(data_version: int, start, end, projects, regions, now) -> pd.DataFrame:
    from core.metrics import queues
    # Business hours and pause statuses (read from each item's status history) shape the clocks.
    return queues.load_sla_status(engine(), now,
                                  start=pd.Timestamp(start, tz="UTC") - pd.Timedelta(days=QUEUE_LOOKBACK_DAYS),
                                  end=pd.Timestamp(end, tz="UTC") + pd.Timedelta(days=1),
                                  projects=projects, regions=regions)


def queue_status(filters) -> pd.DataFrame:
    """Queue items in (and open during) the filtered range, with SLA clock, state and warn level."""
    return _queue_status(version(), filters.start, filters.end, filters.projects, filters.regions, as_of())


@st.cache_data(show_spinner=False, max_entries=4)
def _policies(data_version: int) -> pd.DataFrame:
    from core.metrics import queues
    return queues.load_policies(engine())


def policies() -> pd.DataFrame:
    """SLA policies per queue and priority."""
    return _policies(version())


# --- launch readiness, audiences, admin ---------------------------------------------------------


@st.cache_data(show_spinner=False, max_entries=4)
def _resources(data_version: int) -> pd.DataFrame:
    from core import launch
    return launch.load_resources(engine())


def resources() -> pd.DataFrame:
    """Guides, FAQs and SOPs with their project's launch date."""
    return _resources(version())


@st.cache_data(show_spinner=False, max_entries=4)
def _audience_base(data_version: int) -> pd.DataFrame:
    from core import audience
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
    from core.metrics import health
    return health.load_members(engine(), regions=regions)


def members(filters) -> pd.DataFrame:
    """Members in the filtered regions (staff and bots flagged)."""
    return _members(version(), filters.regions)


@st.cache_data(show_spinner=False, max_entries=8)
def _member_days(data_version: int, start, end, projects) -> pd.DataFrame:
    from core.metrics import health
    return health.load_daily_active(engine(), start=start, end=end, projects=projects)


def member_days(filters) -> pd.DataFrame:
    """Distinct active (member, day) pairs from far enough back for MAU, funnel and cohorts."""
    start = min(filters.start, filters.end - pd.Timedelta(days=HEALTH_LOOKBACK_DAYS).to_pytimedelta()) \
        - pd.Timedelta(days=27).to_pytimedelta()
    return _member_days(version(), start, filters.end, filters.projects)


# --- workforce -----------------------------------------------------------------------------------

# Fatigue compares the last 7 days with the 28 before them: 35 days of activity.
FATIGUE_DAYS = 35


@st.cache_data(show_spinner=False, max_entries=4)
def _projects(data_version: int) -> pd.DataFrame:
    from core.metrics import workforce
    return workforce.load_projects(engine())


def projects() -> pd.DataFrame:
    """Projects with launch and guideline-change moments."""
    return _projects(version())


@st.cache_data(show_spinner=False, max_entries=8)
def _activity(data_version: int, start, end, projects, regions) -> pd.DataFrame:
    from core.metrics import workforce
    return workforce.load_activity(engine(), start=start, end=end, projects=projects, regions=regions)


def activity(filters, *, days_before: int = 0) -> pd.DataFrame:
    """Non-staff activity rows in the filtered range, reaching `days_before` further back."""
    start = min(filters.start, filters.end - pd.Timedelta(days=days_before).to_pytimedelta())
    return _activity(version(), start, filters.end, filters.projects, filters.regions)


# --- voice of the crowd --------------------------------------------------------------------------


@st.cache_data(show_spinner=False, max_entries=8)
def _messages(data_version: int, start, end, projects) -> pd.DataFrame:
    from core.metrics import feedback
    return feedback.load_feedback(engine(), start=pd.Timestamp(start, tz="UTC"),
                                  end=pd.Timestamp(end, tz="UTC") + pd.Timedelta(days=1), projects=projects)


def messages(filters, *, days_before: int = 0) -> pd.DataFrame:
    """Channel messages in the filtered range (reaching `days_before` further back), staff excluded."""
    start = min(filters.start, filters.end - pd.Timedelta(days=days_before).to_pytimedelta())
    frame = _messages(version(), start, filters.end, filters.projects)
    return frame[frame["region"].isin(filters.regions)] if filters.regions else frame


@st.cache_data(show_spinner=False, max_entries=4)
def _responses(data_version: int) -> pd.DataFrame:
    from core.metrics import feedback
    return feedback.load_responses(engine())


def responses(filters) -> pd.DataFrame:
    """Survey responses of every wave (region filter applied), staff excluded."""
    frame = _responses(version())
    return frame[frame["region"].isin(filters.regions)] if filters.regions else frame


@st.cache_data(show_spinner=False, max_entries=4)
def _project_names(data_version: int) -> dict[str, str]:
    listed = _projects(data_version)
    return dict(zip(listed["project_id"], listed["name"]))


def with_project_names(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with a readable `project` name column next to `project_id`."""
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
    """The [gcp_service_account] secret as a plain dict for core.sheets ({} when not configured)."""
    try:
        section = st.secrets.get("gcp_service_account")
    except Exception:  # no secrets file at all raises, even for .get
        return {}
    return {"gcp_service_account": dict(section)} if section else {}


@st.cache_resource(show_spinner=False)
def sheets_client():
    """The process-wide Google Sheets client (raises SheetAuthFailed when credentials are missing)."""
    from core import sheets
    return sheets.client_from_settings(sheets_secrets())


@st.cache_data(show_spinner=False, max_entries=4)
def _sheet_sources(data_version: int) -> pd.DataFrame:
    from core import sheets
    return sheets.list_sources(engine())


def sheet_sources() -> pd.DataFrame:
    """Configured Google Sheets sources with their last sync."""
    return _sheet_sources(version())


# --- Today -----------------------------------------------------------------------------------------


@st.cache_data(show_spinner=False, max_entries=8)
def _today(data_version: int, filters, now) -> tuple:
    from core import attention, overview
    status = queue_status(filters)
    said = messages(filters, days_before=35)
    figures = overview.week_figures(status=status, member_days=member_days(filters), members=members(filters),
                                    messages=said, week_end=now)
    entries = attention.today_entries(status=status, messages=said,
                                      activity=activity(filters, days_before=FATIGUE_DAYS), projects=projects(),
                                      resources=resources(), now=now)
    return figures, entries


def today(filters) -> tuple:
    """Today's headline figures and ranked attention list, computed once per data version and filters."""
    return _today(version(), filters, as_of())


# --- Health ----------------------------------------------------------------------------------------


@st.cache_data(show_spinner=False, max_entries=8)
def _health(data_version: int, filters) -> dict:
    from core.metrics import health
    return health.health_overview(members(filters), member_days(filters), filters.start, filters.end)


def health(filters) -> dict:
    """The Health page's activity figures (see core.metrics.health.health_overview), once per data version."""
    return _health(version(), filters)


@st.cache_data(show_spinner=False, max_entries=32)
def _health_split(data_version: int, filters, dimension: str) -> pd.DataFrame:
    from core.metrics import breakdowns
    return breakdowns.active_by(member_days(filters), members(filters), pd.Timestamp(filters.end), dimension)


def health_split(filters, dimension: str) -> pd.DataFrame:
    """Members, WAU, MAU and active rate per value of a member attribute."""
    return _health_split(version(), filters, dimension)


@st.cache_data(show_spinner=False, max_entries=32)
def _member_list(data_version: int, filters, kind: str) -> pd.DataFrame:
    from core import segments
    return segments.member_list(kind, members(filters), member_days(filters), pd.Timestamp(filters.end))


def member_list(filters, kind: str) -> pd.DataFrame:
    """The members behind one of core.segments.MEMBER_LISTS."""
    return _member_list(version(), filters, kind)
