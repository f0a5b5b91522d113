"""Global filters (date range, projects, regions): one sidebar bar, kept across pages and in the URL.

The range filters history (trends, compliance of clocks that came due in it, response times of items
created in it); "now" figures (open, breached, at risk, paused, stuck) describe the present whatever
it says. A page's own picks (Queues' queue and priority, every page's open tab) live in the URL too
(`adopt_from_url` / `mirror_to_url`).
"""

import datetime as dt
from dataclasses import dataclass

import streamlit as st

from ui import data

DEFAULT_DAYS = 28


@dataclass(frozen=True)
class Filters:
    """What every page filters by."""

    start: dt.date
    end: dt.date
    projects: tuple[str, ...]
    regions: tuple[str, ...]

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def _parse_day(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def default_start(as_of: dt.date) -> dt.date:
    """The first day of a new session's date range: the last DEFAULT_DAYS days of data end on `as_of`."""
    return as_of - dt.timedelta(days=DEFAULT_DAYS - 1)


def _seed_from_url(as_of: dt.date, projects: list[str], regions: list[str]) -> None:
    """On the first run of a session, take the filters from the query string (a shared link)."""
    if st.session_state.get("_filters_seeded"):
        return
    params = st.query_params
    start = _parse_day(params.get("from")) or default_start(as_of)
    end = _parse_day(params.get("to")) or as_of
    if start > end:
        start, end = end, start
    st.session_state["filter_range"] = (start, end)
    st.session_state["filter_projects"] = [p for p in params.get_all("project") if p in projects]
    st.session_state["filter_regions"] = [r for r in params.get_all("region") if r in regions]
    st.session_state["_filters_seeded"] = True


def _follow_link(as_of: dt.date, projects: list[str], regions: list[str]) -> None:
    """A link within the app (Today's entries) that set other filters in the URL than this app last wrote: take them.

    A URL without any filter key (after `st.switch_page`) changes nothing; the filters are written back below.
    """
    written = st.session_state.get("_filters_url")
    current = {key: st.query_params.get_all(key) for key in SHARED_KEYS}
    if written is None or not any(current.values()) or current == written:
        return
    last = st.session_state.get("filters")
    start = _parse_day(st.query_params.get("from")) or (last.start if last else default_start(as_of))
    end = _parse_day(st.query_params.get("to")) or (last.end if last else as_of)
    st.session_state["filter_range"] = (min(start, end), max(start, end))
    st.session_state["filter_projects"] = [p for p in current["project"] if p in projects]
    st.session_state["filter_regions"] = [r for r in current["region"] if r in regions]


def _restore_after_switch() -> None:
    """Put back the last run's filters when Streamlit dropped the widgets' state.

    `st.switch_page` (e.g. "Draft a message" handing an audience to the Comms studio) starts the
    next page without the sidebar widgets' values, so the date box fell back to today alone.
    """
    last = st.session_state.get("filters")
    if last is None:
        return
    if not isinstance(st.session_state.get("filter_range"), (tuple, list)):
        st.session_state["filter_range"] = (last.start, last.end)
    for key, value in (("filter_projects", last.projects), ("filter_regions", last.regions)):
        if key not in st.session_state:
            st.session_state[key] = list(value)


def _keep_range_within(as_of: dt.date) -> None:
    """After data changes (a new import, a reset) keep the chosen days possible: none after the last day of data."""
    chosen = st.session_state.get("filter_range")
    if not isinstance(chosen, (tuple, list)) or not chosen:
        return
    if any(day > as_of for day in chosen):
        length = (chosen[-1] - chosen[0]).days if len(chosen) == 2 else DEFAULT_DAYS - 1
        end = min(chosen[-1], as_of)
        st.session_state["filter_range"] = (min(chosen[0], end - dt.timedelta(days=length)), end)


def _complete_half_range(page: str | None) -> None:
    """A range left with only its first day picked when the user moved to another page becomes that day.

    Mid-selection the date box holds one day (the filters already use it as a one-day range); on
    the next page it would keep showing a single date with no way to tell what is applied.
    """
    previous = st.session_state.get("_filters_page")
    st.session_state["_filters_page"] = page
    chosen = st.session_state.get("filter_range")
    if page != previous and isinstance(chosen, (tuple, list)) and len(chosen) == 1:
        st.session_state["filter_range"] = (chosen[0], chosen[0])


def sidebar_filters(page: str | None = None) -> Filters:
    """Render the shared filter bar in the sidebar (on `page`) and mirror it in the URL."""
    as_of = data.as_of().date()
    choices = data.filter_choices()
    project_names = dict(zip(choices["projects"]["project_id"], choices["projects"]["name"]))
    _seed_from_url(as_of, list(project_names), choices["regions"])
    _follow_link(as_of, list(project_names), choices["regions"])
    _restore_after_switch()
    _keep_range_within(as_of)
    _complete_half_range(page)
    with st.sidebar:
        fresh = data.freshness()
        st.caption(fresh.describe())
        for warning in fresh.warnings():
            st.warning(warning, icon=":material/schedule:")
        # The last day with data: a range ending before it is history; open clocks always run on the present.
        picked = st.date_input("Date range", key="filter_range", max_value=as_of,
                               help="Filters history: trends, SLA met for clocks that came due in these days, "
                                    "response times of items created in them. Open, breached, at-risk, paused and "
                                    "stuck items are always the ones now.")
        st.multiselect("Projects", options=list(project_names), key="filter_projects",
                       format_func=lambda pid: project_names.get(pid, pid), placeholder="All projects")
        st.multiselect("Regions", options=choices["regions"], key="filter_regions", placeholder="All regions")
    if isinstance(picked, (tuple, list)) and len(picked) == 2:
        start, end = picked
    else:  # the user has picked only the first day so far
        start = end = picked[0] if isinstance(picked, (tuple, list)) and picked else as_of
    filters = Filters(start=start, end=end, projects=tuple(st.session_state["filter_projects"]),
                      regions=tuple(st.session_state["filter_regions"]))
    _write_url(filters)
    st.session_state["filters"] = filters
    return filters


SHARED_KEYS = ("from", "to", "project", "region")


def url_params(filters: Filters) -> dict:
    """The filters as query parameters (a link that keeps them: `st.page_link(..., query_params=…)`)."""
    wanted = {"from": filters.start.isoformat(), "to": filters.end.isoformat()}
    if filters.projects:
        wanted["project"] = list(filters.projects)
    if filters.regions:
        wanted["region"] = list(filters.regions)
    return wanted


def _write_url(filters: Filters) -> None:
    wanted = url_params(filters)
    # Page-specific keys (e.g. week=) stay; only the shared filter keys are rewritten.
    current = {k: st.query_params.get_all(k) for k in SHARED_KEYS}
    target = {k: (v if isinstance(v, list) else [v]) for k, v in wanted.items()}
    st.session_state["_filters_url"] = {k: target.get(k, []) for k in SHARED_KEYS}
    if any(current.get(k, []) != target.get(k, []) for k in SHARED_KEYS):
        for key in SHARED_KEYS:
            if key in st.query_params:
                del st.query_params[key]
        st.query_params.update(wanted)


def adopt_from_url(param: str, key: str, *, options=None, many: bool = True) -> None:
    """Before a widget runs: take its value from `?param=` when a link put another one there than the app last
    wrote (a shared link, Today's entries); values not among `options` are dropped."""
    values = st.query_params.get_all(param)
    if not values or values == st.session_state.get(f"_url_{param}"):
        return
    if options is not None:
        values = [value for value in values if value in options]
    if values or many:
        st.session_state[key] = values if many else values[0]
    st.session_state[f"_url_{param}"] = values


def mirror_to_url(param: str, value) -> None:
    """After a widget ran: write its value to `?param=` (a list for several values; nothing when empty)."""
    values = [] if value is None else [str(v) for v in value] if isinstance(value, (list, tuple)) else [str(value)]
    st.session_state[f"_url_{param}"] = values
    if st.query_params.get_all(param) == values:
        return
    if param in st.query_params:
        del st.query_params[param]
    if values:
        st.query_params[param] = values


def current() -> Filters:
    """The filters the sidebar set on this run."""
    return st.session_state["filters"]
