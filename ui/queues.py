"""Cached data the Queues and Workforce pages need beyond `ui.data`, and who is acting on this session."""

import dataclasses

import pandas as pd
import streamlit as st

from ui import data
from ui.data import as_of, engine, version

# The capacity planner averages this many whole weeks of arrivals.
CAPACITY_WEEKS = 4
# Confusion compares 14 days after a change (up to 60 days ago) with the 28 days before it.
CONFUSION_DAYS = 90


# --- the Queues page ----------------------------------------------------------------------------
# The SLA facts are held once per data version (cache_resource: shared, never copied): the open
# items' clocks plus memoised SQL aggregates of the resolved ones (core.queues.rollup). What the
# page shows is derived from them and cached small (cache_data), so a warm rerun only unpickles a
# few small tables. Treat the shared facts as read-only.


@st.cache_resource(show_spinner=False, max_entries=8)
def _facts(data_version: int, filters, queues: tuple, priorities: tuple):
    return data.queue_facts(filters).narrowed(queues, priorities)


def facts(filters, queues=(), priorities=()):
    """SLA facts (`core.queues.facts.QueueFacts`) under the global filters and the page's queue and priority picks."""
    return _facts(version(), filters, tuple(queues), tuple(priorities))


@st.cache_data(show_spinner=False, max_entries=8)
def _choices(data_version: int, filters) -> dict:
    counts = facts(filters).counts()
    return {"queues": sorted(counts["queue"].dropna().unique()),
            "priorities": sorted(counts["priority"].dropna().unique()), "items": int(counts["items"].sum())}


def choices(filters) -> dict:
    """Queues and priorities present under the global filters, and how many items there are."""
    return _choices(version(), filters)


def _window(filters) -> tuple[pd.Timestamp, pd.Timestamp]:
    return pd.Timestamp(filters.start, tz="UTC"), pd.Timestamp(filters.end, tz="UTC") + pd.Timedelta(days=1)


# A resource, not a data cache: sessions share the object instead of unpickling ~4k rows on every
# rerun. Its frames are read-only (the page only reindexes and filters them).
@st.cache_resource(show_spinner=False, max_entries=16)
def _overview(data_version: int, filters, queues: tuple, priorities: tuple):
    from core.queues import views as metrics
    start, end = _window(filters)
    limits = stuck_thresholds()
    view = metrics.queue_overview(facts(filters, queues, priorities), as_of(), start=start, end=end,
                                  stuck_after_hours=limits["stuck_after_hours"],
                                  max_retries=limits["stuck_max_retries"])
    named = {name: data.with_project_names(getattr(view, name))
             for name in ("risk", "breached", "paused", "stuck", "open_escalations")}
    return dataclasses.replace(view, **named)


def overview(filters, queues=(), priorities=()):
    """The Queues page's headline numbers and tables (`core.queues.views.QueueOverview`)."""
    return _overview(version(), filters, tuple(queues), tuple(priorities))


@st.cache_data(show_spinner=False, max_entries=16)
def _open_items(data_version: int, filters, queues: tuple, priorities: tuple, picked: tuple) -> pd.DataFrame:
    live = facts(filters, queues, priorities).live
    return data.with_project_names(live[live["resolved_at"].isna() & live["queue"].isin(list(picked))])


def open_items(filters, queues, priorities, picked) -> pd.DataFrame:
    """Open items of the picked queues (a click on the backlog chart), with project names."""
    return _open_items(version(), filters, tuple(queues), tuple(priorities), tuple(picked))


@st.cache_data(show_spinner=False, max_entries=32)
def _breakdown(data_version: int, filters, queues: tuple, priorities: tuple, by: str) -> pd.DataFrame:
    from core.queues import views as metrics
    start, end = _window(filters)
    table = metrics.queue_breakdown(facts(filters, queues, priorities), by, start=start, end=end)
    return data.with_project_names(table) if by == "project_id" else table


def breakdown(filters, queues, priorities, by: str) -> pd.DataFrame:
    """Open, breached, at-risk, SLA met and response-time percentiles per queue, project or priority."""
    return _breakdown(version(), filters, tuple(queues), tuple(priorities), by)


@st.cache_data(show_spinner=False, max_entries=32)
def _warnings(data_version: int, filters, queues: tuple, priorities: tuple, by: str) -> pd.DataFrame:
    from core.queues import views as metrics
    table = metrics.warning_counts(facts(filters, queues, priorities).live, by)
    return data.with_project_names(table) if by == "project_id" else table


def warnings(filters, queues, priorities, by: str) -> pd.DataFrame:
    """Open clocks at 50/75/90% of their target and breached, per queue, project or priority."""
    return _warnings(version(), filters, tuple(queues), tuple(priorities), by)


@st.cache_data(show_spinner=False, max_entries=16)
def _compliance_trend(data_version: int, filters, queues: tuple, priorities: tuple, target: str) -> pd.DataFrame:
    start, end = _window(filters)
    return facts(filters, queues, priorities).compliance_trend(target, due_from=start, due_to=end, by="queue")


def compliance_trend(filters, queues, priorities, target: str) -> pd.DataFrame:
    """SLA met per day and queue for one target (resolution or first_response), targets due in the date range."""
    return _compliance_trend(version(), filters, tuple(queues), tuple(priorities), target)


@st.cache_data(show_spinner=False, max_entries=4)
def _enforcements(data_version: int) -> pd.DataFrame:
    from core.queues import actions as queue_actions
    return queue_actions.load_enforcements(engine())


def enforcements() -> pd.DataFrame:
    """The latest warnings, bans and takedowns, newest first."""
    return _enforcements(version())


@st.cache_data(show_spinner=False, max_entries=4)
def _stuck_thresholds(data_version: int) -> dict:
    from core.queues import read as queues
    return queues.load_stuck_thresholds(engine())


def stuck_thresholds() -> dict:
    """Hours without progress and retries after which a staging item counts as stuck."""
    return _stuck_thresholds(version())


@st.cache_data(show_spinner=False, max_entries=8)
def _arrivals(data_version: int, queue: str, now: pd.Timestamp, weeks: int) -> pd.DataFrame:
    from core.workforce import capacity
    from core.queues import read as queues
    items = queues.load_arrivals(engine(), queue, start=now - pd.Timedelta(weeks=weeks), end=now)
    return capacity.arrivals_by_hour_of_week(items, now, weeks=weeks)


def arrivals(queue: str) -> pd.DataFrame:
    """Mean arrivals in each hour of the week for one queue over the last four weeks."""
    return _arrivals(version(), queue, as_of(), CAPACITY_WEEKS)


@st.cache_data(show_spinner=False, max_entries=8)
def _handle_seconds(data_version: int, queue: str, now: pd.Timestamp, weeks: int) -> pd.Series:
    from core.queues import read as queues
    return queues.load_handle_seconds(engine(), queue, start=now - pd.Timedelta(weeks=weeks), end=now)


def handle_seconds(queue: str) -> pd.Series:
    """Handling seconds recorded on the queue's items over the last four weeks (empty when none are recorded)."""
    return _handle_seconds(version(), queue, as_of(), CAPACITY_WEEKS)


def _confusion_start(filters):
    return filters.end - pd.Timedelta(days=CONFUSION_DAYS).to_pytimedelta()


@st.cache_data(show_spinner=False, max_entries=8)
def _project_days(data_version: int, filters) -> pd.DataFrame:
    from core.workforce import metrics as workforce
    return workforce.load_project_day_totals(engine(), start=_confusion_start(filters), end=filters.end,
                                             projects=filters.projects, regions=filters.regions)


@st.cache_data(show_spinner=False, max_entries=8)
def _project_regions(data_version: int, filters, project_id: str) -> pd.DataFrame:
    from core.workforce import metrics as workforce
    return workforce.load_project_day_totals(engine(), start=_confusion_start(filters), end=filters.end,
                                             projects=[project_id], regions=filters.regions, by_region=True)


def actor() -> dict:
    """Who is acting, as keyword arguments for `core.queues.actions`: actor and actor_role."""
    from ui import auth
    user = auth.current_user()
    return {"actor": user.email, "actor_role": user.role}


def may_act() -> bool:
    """Whether the person may retry items and record enforcement (specialist or above)."""
    from ui import auth
    return auth.current_user().may("specialist")


# --- the Workforce page -------------------------------------------------------------------------
# Everything here reads the workforce roll-ups (`core.workforce.rollup`) or small SQL aggregates;
# activity rows are read only for one tasker's evidence.


@st.cache_data(show_spinner=False, max_entries=8)
def _workforce_summary(data_version: int, filters) -> dict:
    return {"rows": len(data.project_days(filters, days_before=data.FATIGUE_DAYS)),
            "totals": _workforce_totals(data_version, filters),
            "fatigue": data.fatigue(filters)}


def _workforce_totals(data_version: int, filters) -> dict:
    from core.workforce import metrics as workforce
    return workforce.load_workforce_table(engine(), start=filters.start, end=filters.end, by=None,
                                          projects=filters.projects, regions=filters.regions,
                                          members=False).iloc[0].to_dict()


def workforce_summary(filters) -> dict:
    """Activity rows loaded, totals over the date range, and the fatigue alerts at its last day."""
    return _workforce_summary(version(), filters)


@st.cache_data(show_spinner=False, max_entries=32)
def _member_daily(data_version: int, filters, member_id: str) -> pd.DataFrame:
    from core.workforce import drilldown, metrics as workforce
    rows = workforce.load_member_daily(engine(), member_id, start=data._reaching_back(filters, data.FATIGUE_DAYS),
                                       end=filters.end, projects=filters.projects)
    return drilldown.member_daily(rows, member_id)


def member_daily(filters, member_id: str) -> pd.DataFrame:
    """One tasker's hours, tasks, quality and AHT per day over the fatigue window."""
    return _member_daily(version(), filters, member_id)


@st.cache_data(show_spinner=False, max_entries=8)
def _confusion(data_version: int, filters) -> pd.DataFrame:
    from core.workforce import metrics as workforce
    return workforce.confusion_alerts(_project_days(data_version, filters), data.projects(), pd.Timestamp(filters.end),
                                      feedback=data.negative_feedback(filters, days_before=CONFUSION_DAYS))


def confusion(filters) -> pd.DataFrame:
    """Projects confused after a launch or guideline change (90 days of per-project totals), with feedback shares."""
    return _confusion(version(), filters)


@st.cache_data(show_spinner=False, max_entries=16)
def _confusion_detail(data_version: int, filters, project_id: str, change_at: pd.Timestamp) -> dict:
    from core.frames import as_date
    from core.workforce import metrics as workforce
    first = max(as_date(change_at), _confusion_start(filters))
    last = min(first + pd.Timedelta(days=13).to_pytimedelta(), filters.end)
    members = workforce.load_recent_members(engine(), project_id, start=first, end=last, regions=filters.regions)
    return {"regions": workforce.confusion_by_region(_project_regions(data_version, filters, project_id), project_id,
                                                     change_at, as_of=pd.Timestamp(filters.end),
                                                     recent_members=members),
            "trend": workforce.daily_project_trend(_project_days(data_version, filters), project_id)}


def confusion_detail(filters, project_id: str, change_at) -> dict:
    """One confused project's rates per region (`regions`) and per day (`trend`)."""
    return _confusion_detail(version(), filters, project_id, pd.Timestamp(change_at))


@st.cache_data(show_spinner=False, max_entries=32)
def _affected(data_version: int, filters, project_id: str, change_at: pd.Timestamp, regions: tuple) -> list[str]:
    from core.frames import as_date
    from core.workforce import metrics as workforce
    since = max(as_date(change_at), _confusion_start(filters))
    return workforce.load_affected_members(engine(), project_id, since, end=filters.end, regions=filters.regions,
                                           values=list(regions))


def affected(filters, project_id: str, change_at, regions) -> list[str]:
    """Taskers who worked on the project since its change, in the given regions."""
    return _affected(version(), filters, project_id, pd.Timestamp(change_at), tuple(regions))


@st.cache_data(show_spinner=False, max_entries=16)
def _workforce_table(data_version: int, filters, by: str) -> pd.DataFrame:
    from core.workforce import metrics as workforce
    table = workforce.load_workforce_table(engine(), start=filters.start, end=filters.end, by=by,
                                           projects=filters.projects, regions=filters.regions)
    return data.with_project_names(table) if by == "project_id" else table


def workforce_table(filters, by: str) -> pd.DataFrame:
    """Quality, AHT, productivity, occupancy, skip and too-fast rates per tasker, project or vendor."""
    return _workforce_table(version(), filters, by)


@st.cache_data(show_spinner=False, max_entries=32)
def _staffing_plan(data_version: int, queue: str, aht_seconds: float, target: float, within_seconds: float,
                   shrinkage: float, max_occupancy: float) -> pd.DataFrame:
    from core.workforce import capacity
    return capacity.staffing_by_hour_of_week(arrivals(queue), aht_seconds, target, within_seconds,
                                             shrinkage=shrinkage, max_occupancy=max_occupancy)


def staffing_plan(queue: str, aht_seconds: float, target: float, within_seconds: float, *, shrinkage: float,
                  max_occupancy: float) -> pd.DataFrame:
    """Reviewers needed in each hour of the week for the queue's recent arrivals (Erlang C)."""
    return _staffing_plan(version(), queue, aht_seconds, target, within_seconds, shrinkage, max_occupancy)
