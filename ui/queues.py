"""Cached data the Queues and Workforce pages need beyond `ui.data`, and who is acting on this session."""

import dataclasses

import pandas as pd

from core.frames import as_date
from core.queues import actions as queue_actions
from core.queues import read as queues_read
from core.queues import views as queues_views
from core.workforce import drilldown
from core.workforce import confusion as workforce_confusion
from core.workforce import read as workforce
from ui import auth, data
from ui.data import engine, on_data_version

# Confusion compares 14 days after a change (up to 60 days ago) with the 28 days before it.
CONFUSION_DAYS = workforce_confusion.HISTORY_DAYS


# --- the Queues page ----------------------------------------------------------------------------
# The SLA facts are held once per data version (cache_resource: shared, never copied): the open
# items' clocks plus memoised SQL aggregates of the resolved ones (core.queues.rollup). What the
# page shows is derived from them and cached small (cache_data), so a warm rerun only unpickles a
# few small tables. Treat the shared facts as read-only.


@on_data_version(8, shared=True)
def _facts(filters, queues: tuple, priorities: tuple, now):
    return data.queue_facts(filters).narrowed(queues, priorities)


def facts(filters, queues=(), priorities=()):
    """SLA facts (`core.queues.facts.QueueFacts`) under the global filters and the page's queue and priority picks,
    open clocks at the present (to the minute)."""
    return _facts(filters, tuple(queues), tuple(priorities), data.clock_now())


@on_data_version(8)
def choices(filters) -> dict:
    """Queues and priorities present under the global filters, and how many items there are."""
    counts = facts(filters).counts()
    return {"queues": sorted(counts["queue"].dropna().unique()),
            "priorities": sorted(counts["priority"].dropna().unique()), "items": int(counts["items"].sum())}


def _window(filters) -> tuple[pd.Timestamp, pd.Timestamp]:
    return pd.Timestamp(filters.start, tz="UTC"), pd.Timestamp(filters.end, tz="UTC") + pd.Timedelta(days=1)


# A resource, not a data cache: sessions share the object instead of unpickling ~4k rows on every
# rerun. Its frames are read-only (the page only reindexes and filters them).
@on_data_version(16, shared=True)
def _overview(filters, queues: tuple, priorities: tuple, now):
    start, end = _window(filters)
    limits = stuck_thresholds()
    view = queues_views.queue_overview(facts(filters, queues, priorities), now, start=start, end=end,
                                       stuck_after_hours=limits["stuck_after_hours"],
                                       max_retries=limits["stuck_max_retries"])
    named = {name: data.with_project_names(getattr(view, name))
             for name in ("risk", "breached", "paused", "stuck", "open_escalations")}
    return dataclasses.replace(view, **named)


def overview(filters, queues=(), priorities=()):
    """The Queues page's headline numbers and tables (`core.queues.views.QueueOverview`)."""
    return _overview(filters, tuple(queues), tuple(priorities), data.clock_now())


@on_data_version(16)
def _open_items(filters, queues: tuple, priorities: tuple, picked: tuple, now) -> pd.DataFrame:
    live = facts(filters, queues, priorities).live
    return data.with_project_names(live[live["resolved_at"].isna() & live["queue"].isin(list(picked))])


def open_items(filters, queues, priorities, picked) -> pd.DataFrame:
    """Open items of the picked queues (a click on the backlog chart), with project names."""
    return _open_items(filters, tuple(queues), tuple(priorities), tuple(picked), data.clock_now())


@on_data_version(32)
def _breakdown(filters, queues: tuple, priorities: tuple, by: str, now) -> pd.DataFrame:
    start, end = _window(filters)
    table = queues_views.queue_breakdown(facts(filters, queues, priorities), by, start=start, end=end)
    return data.with_project_names(table) if by == "project_id" else table


def breakdown(filters, queues, priorities, by: str) -> pd.DataFrame:
    """Open, breached, at-risk, SLA met and response-time percentiles per queue, project or priority."""
    return _breakdown(filters, tuple(queues), tuple(priorities), by, data.clock_now())


@on_data_version(32)
def _warnings(filters, queues: tuple, priorities: tuple, by: str, now) -> pd.DataFrame:
    table = queues_views.warning_counts(facts(filters, queues, priorities).live, by)
    return data.with_project_names(table) if by == "project_id" else table


def warnings(filters, queues, priorities, by: str) -> pd.DataFrame:
    """Open clocks at 50/75/90% of their target and breached, per queue, project or priority."""
    return _warnings(filters, tuple(queues), tuple(priorities), by, data.clock_now())


@on_data_version(16)
def _compliance_trend(filters, queues: tuple, priorities: tuple, target: str, now) -> pd.DataFrame:
    start, end = _window(filters)
    return facts(filters, queues, priorities).compliance_trend(target, due_from=start, due_to=end, by="queue")


def compliance_trend(filters, queues, priorities, target: str) -> pd.DataFrame:
    """SLA met per day and queue for one target (resolution or first_response), targets due in the date range."""
    return _compliance_trend(filters, tuple(queues), tuple(priorities), target, data.clock_now())


@on_data_version()
def enforcements() -> pd.DataFrame:
    """The latest warnings, bans and takedowns, newest first."""
    return queue_actions.load_enforcements(engine())


@on_data_version()
def stuck_thresholds() -> dict:
    """Hours without progress and retries after which a staging item counts as stuck."""
    return queues_read.load_stuck_thresholds(engine())


def _confusion_start(filters):
    return filters.end - pd.Timedelta(days=CONFUSION_DAYS).to_pytimedelta()


@on_data_version(8, areas=data.WORKFORCE)
def _project_days(filters) -> pd.DataFrame:
    return workforce.load_project_day_totals(engine(), start=_confusion_start(filters), end=filters.end,
                                             projects=filters.projects, regions=filters.regions)


@on_data_version(8, areas=data.WORKFORCE)
def _project_regions(filters, project_id: str) -> pd.DataFrame:
    return workforce.load_project_day_totals(engine(), start=_confusion_start(filters), end=filters.end,
                                             projects=[project_id], regions=filters.regions, by_region=True)


def actor() -> dict:
    """Who is acting, as keyword arguments for `core.queues.actions` (core derives the role from it)."""
    user = auth.current_user()
    return {"actor": user.email}


def may_act() -> bool:
    """Whether the person may retry items and record enforcement (specialist or above)."""
    return auth.current_user().may("specialist")


# --- the Workforce page -------------------------------------------------------------------------
# Everything here reads the workforce roll-ups (`core.workforce.rollup`) or small SQL aggregates;
# activity rows are read only for one tasker's evidence.


@on_data_version(8, areas=data.WORKFORCE)
def workforce_summary(filters) -> dict:
    """Activity rows loaded, totals over the date range, and the fatigue alerts at its last day."""
    return {"rows": len(data.project_days(filters, days_before=data.FATIGUE_DAYS)),
            "totals": _workforce_totals(filters),
            "fatigue": data.fatigue(filters)}


def _workforce_totals(filters) -> dict:
    return workforce.load_workforce_table(engine(), start=filters.start, end=filters.end, by=None,
                                          projects=filters.projects, regions=filters.regions,
                                          members=False).iloc[0].to_dict()


@on_data_version(32, areas=data.WORKFORCE)
def member_daily(filters, member_id: str) -> pd.DataFrame:
    """One tasker's hours, tasks, quality and AHT per day over the fatigue window."""
    rows = workforce.load_member_daily(engine(), member_id, start=data.reaching_back(filters, data.FATIGUE_DAYS),
                                       end=filters.end, projects=filters.projects)
    return drilldown.member_daily(rows, member_id)


@on_data_version(8, areas=data.WORKFORCE)
def confusion(filters) -> pd.DataFrame:
    """Projects confused after a launch or guideline change (90 days of per-project totals), with feedback shares."""
    return workforce_confusion.confusion_alerts(_project_days(filters), data.projects(), pd.Timestamp(filters.end),
                                                feedback=data.negative_feedback(filters, days_before=CONFUSION_DAYS))


@on_data_version(16, areas=data.WORKFORCE)
def _confusion_detail(filters, project_id: str, change_at: pd.Timestamp) -> dict:
    first = max(as_date(change_at), _confusion_start(filters))
    last = min(first + pd.Timedelta(days=13).to_pytimedelta(), filters.end)
    members = workforce.load_recent_members(engine(), project_id, start=first, end=last, regions=filters.regions)
    return {"regions": workforce_confusion.confusion_by_region(_project_regions(filters, project_id), project_id,
                                                               change_at, as_of=pd.Timestamp(filters.end),
                                                               recent_members=members),
            "trend": workforce_confusion.daily_project_trend(_project_days(filters), project_id)}


def confusion_detail(filters, project_id: str, change_at) -> dict:
    """One confused project's rates per region (`regions`) and per day (`trend`)."""
    return _confusion_detail(filters, project_id, pd.Timestamp(change_at))


@on_data_version(32, areas=data.WORKFORCE)
def _affected(filters, project_id: str, change_at: pd.Timestamp, regions: tuple) -> list[str]:
    since = max(as_date(change_at), _confusion_start(filters))
    return workforce.load_affected_members(engine(), project_id, since, end=filters.end, regions=filters.regions,
                                           values=list(regions))


def affected(filters, project_id: str, change_at, regions) -> list[str]:
    """Taskers who worked on the project since its change, in the given regions."""
    return _affected(filters, project_id, pd.Timestamp(change_at), tuple(regions))


@on_data_version(16, areas=data.WORKFORCE)
def workforce_table(filters, by: str) -> pd.DataFrame:
    """Quality, AHT, productivity, occupancy, skip and too-fast rates per tasker, project or vendor."""
    table = workforce.load_workforce_table(engine(), start=filters.start, end=filters.end, by=by,
                                           projects=filters.projects, regions=filters.regions)
    return data.with_project_names(table) if by == "project_id" else table
