"""Today's attention list: everything that needs a specialist now, ranked in one list.

Each builder turns one metric's output into entries; `rank` puts them together. Every entry has a
severity on one 0–100 scale (breached before about to breach, before stuck, confused, tired or
unhappy) and the number of people or items it affects; the ranking score weighs both (`SCORE_HELP`).
Each entry also names the exact view that shows it: the page and the query parameters of its tab,
queue and project (`link`). `today_figures_and_entries` reads everything Today needs from the
database, the one assembly behind the Today page, the digest and the alerts.
"""

import datetime as dt

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from core import overview
from core.comms import launch
from core.feedback.messages import MessageScope
from core.feedback.themes import theme_labels
from core.feedback.voice import growing_negative_themes, theme_sentiment_drops
from core.health import active as health_active
from core.health import scope as health_scope
from core.queues.facts import QueueFacts
from core.queues.views import breach_risk, breached_open, stuck_items
from core.workforce import confusion
from core.workforce import read as workforce

COLUMNS = ["score", "severity", "kind", "title", "detail", "count", "unit", "page", "link"]

SEVERITY = {"breached": 100, "warn_90": 92, "stuck": 85, "confusion": 82, "launch": 78, "sentiment": 76,
            "warn_75": 74, "fatigue": 70, "warn_50": 40}
# A confused project's work counts by the hundred tasks: one hundred recent tasks weigh like one tasker.
TASKS_PER_AFFECTED = 100

SCORE_HELP = ("Score = severity × (1 + log10 of the people or items affected). Severity runs 0–100: breached 100, "
              "90% of SLA used 92, stuck upload 85, confusion 82–90, launch not ready 78, sentiment drop 76, "
              "75% of SLA used 74, fatigue 70, 50% of SLA used 40. Affected: items for queues, taskers for fatigue and "
              "confusion (those who worked on the project since its change), messages for sentiment, guides for "
              "launches. One affected counts ×1, 10 ×2, 100 ×3, so an alert about 24 tired taskers (70 × 2.4 = 167) "
              "ranks above one item at 75% of its SLA (74).")


def attention_score(severity, affected):
    """Severity × (1 + log10(affected)), affected floored at 1: the one ranking rule of Today's list."""
    return np.asarray(severity, dtype="float64") * (1 + np.log10(np.maximum(np.asarray(affected, dtype="float64"), 1)))


def _frame(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=COLUMNS)
    affected = frame["count"].astype("float64")
    if len(frame):
        affected = affected.where(frame["unit"] != "tasks", affected / TASKS_PER_AFFECTED)
    frame["score"] = attention_score(frame["severity"], affected) if len(frame) else pd.Series(dtype="float64")
    return frame


def _items(count: int, queue: str) -> str:
    return f"{count:,} {queue} item{'' if count == 1 else 's'}"


def _hours(minutes: float) -> str:
    hours = minutes / 60
    return f"{minutes:.0f} min" if hours < 1 else f"{hours:.1f} h" if hours < 48 else f"{hours / 24:.1f} days"


_CLOCK_COLUMNS = ("target_minutes", "clock_minutes", "used_share", "time_left_minutes", "due_in_minutes", "state",
                  "warn_level")
_SLA_COLUMNS = ["item_id", "queue", "priority", "resolved_at", "first_response_at", "due_effective", "response_due",
                *_CLOCK_COLUMNS, *(f"response_{name}" for name in _CLOCK_COLUMNS)]


def sla_entries(status: pd.DataFrame, *, listed_elsewhere=()) -> pd.DataFrame:
    """Per queue: open items with a clock already breached (first response or resolution, `breached_open`, as the
    Queues page counts them), and items whose highest clock is at 90/75/50% of its target.

    Items in `listed_elsewhere` (e.g. stuck uploads, which have an entry of their own) are left out of the
    warnings only: a breach is counted wherever it is.
    """
    both = ("first_response", "resolution")
    # Only the columns an entry reads: the live frame is wide, and every row filter below copies each column.
    status = status[[column for column in _SLA_COLUMNS if column in status.columns]]
    breached = breached_open(status, targets=both)
    risk = breach_risk(status, targets=both)
    risk = risk[~risk["item_id"].isin(list(listed_elsewhere)) & ~risk["item_id"].isin(breached["item_id"])]
    # An item counts once, at the highest warning of its two clocks.
    risk = risk.sort_values("warn_level", ascending=False, kind="stable").drop_duplicates("item_id")
    rows = []
    for queue in sorted(set(breached["queue"]) | set(risk["queue"])):
        late = breached[breached["queue"] == queue]
        items = late.drop_duplicates("item_id")
        if len(items):
            rows.append(dict(severity=SEVERITY["breached"], kind="breached", count=len(items), unit="items",
                             page="queues", link={"queues_breach_tab": "Breached, still open", "queue": queue},
                             title=f"{_items(len(items), queue)} breached their SLA",
                             detail=f"most overdue by {_hours(late['overdue_minutes'].max())}; priorities: "
                                    + ", ".join(f"{p} {n}" for p, n in items["priority"].value_counts().items())))
        waiting = risk[risk["queue"] == queue]
        for level in (90, 75, 50):
            at_level = waiting[waiting["warn_level"] == level]
            if len(at_level):
                soonest = at_level["time_left_minutes"].min()
                rows.append(dict(severity=SEVERITY[f"warn_{level}"], kind=f"≥{level}% of SLA used",
                                 count=len(at_level), unit="items", page="queues",
                                 link={"queues_breach_tab": "About to breach", "queue": queue},
                                 title=f"{_items(len(at_level), queue)} at {level}% of their SLA",
                                 detail=f"next breach in {_hours(max(soonest, 0))}"))
    return _frame(rows)


def stuck_entries(stuck: pd.DataFrame, project_names: dict[str, str]) -> pd.DataFrame:
    """Staging items stuck, per project, with the most common error."""
    rows = []
    for project, items in stuck.groupby(stuck["project_id"].fillna("no project"), sort=True):
        error = items["last_error"].dropna().mode()
        link = {"queues_work_tab": "Stuck in staging", "queue": "staging"}
        rows.append(dict(severity=SEVERITY["stuck"], kind="stuck", count=len(items), unit="items", page="queues",
                         link=link if project == "no project" else {**link, "project": project},
                         title=f"{len(items):,} uploads stuck in staging on {project_names.get(project, project)}",
                         detail=f"up to {items['hours_stuck'].max():.0f} h without progress"
                                + (f"; most often: {error.iloc[0]}" if len(error) else "")))
    return _frame(rows)


def confusion_entries(confusion: pd.DataFrame, taskers=None) -> pd.DataFrame:
    """Projects whose rejections or questions jumped after a launch or guideline change.

    `taskers(project_id, change_at)` says how many taskers worked on the project since its change: the people
    the entry affects. Without it the entry counts the project's recent tasks (by the hundred in the score).
    """
    rows = []
    for row in confusion.itertuples():
        people = None if taskers is None else int(taskers(row.project_id, row.change_at))
        rows.append(dict(severity=SEVERITY["confusion"] + min(row.severity, 8), kind="confusion",
                         count=row.recent_tasks if people is None else people,
                         unit="tasks" if people is None else "taskers", page="workforce",
                         link={"workforce_tab": "Confusion", "project": row.project_id},
                         title=f"{row.name}: confusion after {row.change_kind}",
                         detail=row.reasons + (f"; {people:,} taskers worked on it since" if people else "")))
    return _frame(rows)


def fatigue_entries(fatigue: pd.DataFrame) -> pd.DataFrame:
    """One entry for all taskers showing fatigue, naming the most common reasons."""
    if fatigue.empty:
        return _frame([])
    regions = fatigue["region"].value_counts().head(2) if "region" in fatigue else pd.Series(dtype=int)
    where = ", ".join(f"{r} {n}" for r, n in regions.items())
    return _frame([dict(severity=SEVERITY["fatigue"], kind="fatigue", count=len(fatigue), unit="taskers",
                        page="workforce", link={"workforce_tab": "Fatigue"},
                        title=f"{len(fatigue):,} taskers show fatigue",
                        detail=f"e.g. {fatigue.iloc[0]['reasons']}" + (f"; most in {where}" if where else ""))])


def sentiment_entries(drops: pd.DataFrame) -> pd.DataFrame:
    """Themes whose net sentiment fell sharply against their baseline."""
    rows = [dict(severity=SEVERITY["sentiment"], kind="sentiment drop", count=row.recent_count,
                 unit="messages", page="feedback", link={"feedback_tab": "Themes"},
                 title=f"Sentiment about {row.theme.replace('_', ' ')} fell {abs(row.change):.0f} points",
                 detail=f"net {row.baseline_net:+.0f} → {row.recent_net:+.0f} over the last 7 days "
                        f"({row.recent_count:,} messages)")
            for row in drops.itertuples()]
    return _frame(rows)


# Issue 6: a theme that suddenly draws many more complaints ranks just below a sentiment drop.
GROWING_THEME_SEVERITY = SEVERITY["sentiment"] - 1


def growing_theme_entries(growth: pd.DataFrame, labels: dict[str, str] | None = None) -> pd.DataFrame:
    """Themes whose negative mentions this week grew fast against their usual weekly count (labels: key → name)."""
    labels = labels or theme_labels()
    rows = [dict(severity=GROWING_THEME_SEVERITY, kind="negative theme", count=int(row.recent_negative),
                 unit="messages", page="feedback", link={"feedback_tab": "Themes"},
                 title=f"Complaints about {labels.get(row.theme, row.theme.replace('_', ' ')).lower()} are "
                       f"{row.growth:.1f}× the usual",
                 detail=f"{row.recent_negative:,} negative messages in the last 7 days against about "
                        f"{row.usual_negative:.0f} in a usual week")
            for row in growth.itertuples()]
    return _frame(rows)


# Issue 7: Today lists launches that are not ready within a week.
LAUNCH_WINDOW_DAYS = 7


def launch_entries(readiness: pd.DataFrame) -> pd.DataFrame:
    """Launches within 7 days whose guides, FAQs or SOPs are not ready (or missing)."""
    gaps = readiness["not_ready"] + (readiness["missing_count"] if "missing_count" in readiness else 0)
    # Whole days, as the entry's title says them: a launch "in 7 days" is within the window.
    days = readiness["days_to_launch"].round(0)
    upcoming = readiness[(readiness["days_to_launch"] >= 0) & (days <= LAUNCH_WINDOW_DAYS) & (gaps > 0)]
    rows = [dict(severity=SEVERITY["launch"], kind="launch", count=int(row.not_ready), unit="resources",
                 page="launch", link={},
                 title=f"{row.project} launches in {row.days_to_launch:.0f} days",
                 detail=f"{int(row.ready)} of {int(row.resources)} guides/FAQs/SOPs ready"
                        + (f"; missing: {row.missing}" if getattr(row, "missing", "") else ""))
            for row in upcoming.itertuples()]
    return _frame(rows)


def rank(*parts: pd.DataFrame) -> pd.DataFrame:
    """All entries in one list, highest score first (then the more severe, then the larger count)."""
    frames = [p for p in parts if not p.empty]
    if not frames:
        return _frame([])
    combined = pd.concat(frames, ignore_index=True)
    return combined.sort_values(["score", "severity", "count"], ascending=False, ignore_index=True, kind="stable")


def today_entries(*, status: pd.DataFrame, messages: pd.DataFrame, activity: pd.DataFrame, projects: pd.DataFrame,
                  resources: pd.DataFrame, now, fatigue: pd.DataFrame, negative_feedback: pd.DataFrame,
                  voice=None, as_of=None, taskers=None) -> pd.DataFrame:
    """Everything that needs a specialist now, from the metric inputs, ranked in one list.

    `voice` (a `feedback.messages.MessageScope` of the same messages) lets the theme alerts aggregate in SQL.
    `activity` holds per project-day sums (enough for confusion); `fatigue` the alerts
    (`workforce.read.load_fatigue_alerts`); `negative_feedback` per project-day counts of scored and
    negative messages for the confusion alerts (`workforce.read.load_negative_feedback`). Stuck uploads and
    launches are timed at `now` (the present); confusion and the voice alerts at `as_of`, the data's latest
    moment (default `now`). `taskers` counts the people a confused project affects (see `confusion_entries`).
    """
    as_of = now if as_of is None else as_of
    project_names = dict(zip(projects["project_id"], projects["name"]))
    stuck = stuck_items(status, now)
    return rank(
        sla_entries(status, listed_elsewhere=stuck["item_id"]),
        stuck_entries(stuck, project_names),
        confusion_entries(confusion.confusion_alerts(activity, projects, as_of, feedback=negative_feedback), taskers),
        fatigue_entries(fatigue),
        sentiment_entries(theme_sentiment_drops(messages if voice is None else voice, as_of)),
        growing_theme_entries(growing_negative_themes(messages if voice is None else voice, as_of)),
        launch_entries(launch.launch_readiness(resources, now)),
    )


# --- what Today reads ---------------------------------------------------------------------------------

# Today reads the 28 days ending on the data's last day, whatever range a page shows.
TODAY_DAYS = 28
# The voice alerts compare the last 7 days with the 4 weeks before; fatigue the last 7 with the 28 before.
VOICE_DAYS = 35
FATIGUE_DAYS = 35
# The tiles compare 7 days with the 7 before; MAU looks 27 days further back.
WEEK_DAYS = 7
MAU_DAYS = 27
# A confused project's people: those who worked on it in (up to) the 14 days confusion compares.
CONFUSION_WINDOW_DAYS = 14


def _changed_projects_feedback(engine: Engine, every_project: pd.DataFrame, *, as_of, start, end, projects,
                               regions) -> pd.DataFrame | None:
    """The negative feedback confusion reads: of the (filtered) projects changed in its lookback only, from the
    first of their baselines (all projects over 88 days cost ~0.1 s of grouping 130k+ messages at large)."""
    changed = confusion.change_days(every_project, as_of)
    if projects:
        changed = changed[changed.index.isin(list(projects))]
    if changed.empty:
        return None
    first = (changed.min() - pd.Timedelta(days=confusion.BASELINE_DAYS)).date()
    return workforce.load_negative_feedback(engine, start=max(start, first), end=end, projects=list(changed.index),
                                            regions=regions)


def today_figures_and_entries(engine: Engine, *, now, as_of, projects=(), regions=(),
                              status: QueueFacts | None = None) -> tuple[list, pd.DataFrame]:
    """Today's headline figures and ranked attention list in some projects and regions (none: all): open clocks
    at `now`, history the 28 days ending on the day of `as_of` (the data's latest moment).

    `status` may pass the QueueFacts of the same projects and regions at `now` when a caller holds them already.
    """
    end = pd.Timestamp(as_of).tz_convert("UTC").date()
    start = end - dt.timedelta(days=TODAY_DAYS - 1)
    projects, regions = tuple(projects or ()), tuple(regions or ())

    def back(days: int) -> dt.date:
        return min(start, end - dt.timedelta(days=days))

    status = status if status is not None else QueueFacts(engine, now, projects=projects, regions=regions)
    said = MessageScope(engine, start=pd.Timestamp(back(VOICE_DAYS), tz="UTC"),
                        end=pd.Timestamp(end, tz="UTC") + pd.Timedelta(days=1), projects=projects or None,
                        regions=regions or None)
    # The tiles' days: this week's and last week's, each with its month before (one read; under a project filter
    # the same read also says who the project's members are).
    days_from = end - dt.timedelta(days=WEEK_DAYS + MAU_DAYS)
    members = health_active.load_onboarded(engine, regions=regions)
    if projects:
        members, member_days = health_scope.project_base_and_days(engine, members, start=days_from, end=end,
                                                                  projects=projects)
    else:
        member_days = health_active.load_active_days(engine, start=days_from, end=end)
    figures = overview.week_figures(status=status, member_days=member_days, members=members, messages=said,
                                    week_end=as_of, now=now)
    history = back(confusion.HISTORY_DAYS)

    def taskers(project_id: str, change_at) -> int:
        """Taskers (in the regions) who worked on the project in the days after its change that confusion compares."""
        first = pd.Timestamp(change_at).date()
        last = min(first + dt.timedelta(days=CONFUSION_WINDOW_DAYS - 1), end)
        return int(workforce.load_recent_members(engine, project_id, start=first, end=last, regions=regions).sum())

    every_project = workforce.load_projects(engine)
    entries = today_entries(
        status=status.live, messages=said, voice=said, projects=every_project,
        activity=workforce.load_project_day_totals(engine, start=history, end=end, projects=projects, regions=regions),
        fatigue=workforce.load_fatigue_alerts(engine, end, window_start=back(FATIGUE_DAYS), last_day=end,
                                              projects=projects, regions=regions),
        negative_feedback=_changed_projects_feedback(engine, every_project, as_of=as_of, start=history, end=end,
                                                     projects=projects, regions=regions),
        resources=launch.load_resources(engine), now=now, as_of=as_of, taskers=taskers)
    return figures, entries
