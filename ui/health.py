"""The Health page's cached reads: the members counted (core.health.scope) and the figures, splits and member lists
behind every number, once per data version and filters."""

import pandas as pd

from core.health import active as health_active
from core.health import breakdowns, segments
from core.health import scope as health_scope
from ui.data import ACTIVITY, HEALTH_LOOKBACK_DAYS, active_days_start, project_names, engine, members, on_data_version


# Held once per data version and filters and shared (cache_resource): the members counted matched to their
# active days (core.health.scope), so the figures, the splits and every member list reuse one match. Read-only.
@on_data_version(shared=True, areas=ACTIVITY)
def _scope(filters):
    # The days of member_days(filters), read here so that the matrix is held once, not also pickled in st.cache_data.
    return health_scope.load_scope(engine(), start=active_days_start(filters, HEALTH_LOOKBACK_DAYS), end=filters.end,
                                   projects=filters.projects, members=members(filters))


@on_data_version(8, areas=ACTIVITY)
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


@on_data_version(32, areas=ACTIVITY)
def health_split(filters, dimension: str) -> pd.DataFrame:
    """Members, WAU, MAU and active rate per value of a member attribute (the project's members under a project filter)."""
    working = _scope(filters).working
    return breakdowns.active_by(working.days, _with_split_column(filters, dimension), pd.Timestamp(filters.end),
                                dimension)


def _member_details(chosen: pd.DataFrame) -> pd.DataFrame:
    return health_active.with_member_details(engine(), chosen, health_active.MEMBER_DETAILS)


@on_data_version(32, areas=ACTIVITY)
def member_list(filters, kind: str) -> pd.DataFrame:
    """The members behind one of core.health.segments.MEMBER_LISTS."""
    return _member_details(segments.members_behind(kind, _scope(filters), pd.Timestamp(filters.end)))


@on_data_version(32, areas=ACTIVITY)
def cohort_list(filters, cohort_week: pd.Timestamp, week_number: int) -> pd.DataFrame:
    """The members behind one retention cell (onboarding week × week N)."""
    return _member_details(segments.cohort_members(_scope(filters), cohort_week, week_number))


@on_data_version(32, areas=ACTIVITY)
def segment_list(filters, dimension: str, value: str, group: str) -> pd.DataFrame:
    """The members behind one row of the split by `dimension`: all of them, or its WAU or MAU."""
    chosen = segments.segment_row_members(_scope(filters), _with_split_column(filters, dimension),
                                          pd.Timestamp(filters.end), dimension, value, group)
    return _member_details(chosen)


def project_names_of(filters) -> list[str]:
    """The names of the filtered projects, in the filter's order."""
    names = project_names()
    return [str(names.get(project_id, project_id)) for project_id in filters.projects]


def health_file_scope(filters, *, whole_range: bool = False) -> str:
    """The Health view's scope in a file name: the range end (or the range), regions, projects."""
    day = f"{filters.start:%Y-%m-%d}-to-{filters.end:%Y-%m-%d}" if whole_range else f"{filters.end:%Y-%m-%d}"
    return segments.file_scope(day, filters.regions, project_names_of(filters))
