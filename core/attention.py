"""Today's attention list: everything that needs a specialist now, ranked in one list.

Each builder turns one metric's output into entries; `rank` puts them together. Severity is
on one 0–100 scale so different kinds of trouble compare: breached before about to breach,
before stuck, confused, tired or unhappy.
"""

import pandas as pd

from core.comms import launch
from core.feedback.themes import theme_labels
from core.feedback.voice import growing_negative_themes, theme_sentiment_drops
from core.queues.views import stuck_items
from core.workforce import confusion

COLUMNS = ["severity", "kind", "title", "detail", "count", "page"]

SEVERITY = {"breached": 100, "warn_90": 92, "stuck": 85, "confusion": 82, "launch": 78, "sentiment": 76,
            "warn_75": 74, "fatigue": 70, "warn_50": 40}


def _frame(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=COLUMNS)


def _items(count: int, queue: str) -> str:
    return f"{count:,} {queue} item{'' if count == 1 else 's'}"


def _hours(minutes: float) -> str:
    hours = minutes / 60
    return f"{minutes:.0f} min" if hours < 1 else f"{hours:.1f} h" if hours < 48 else f"{hours / 24:.1f} days"


def sla_entries(status: pd.DataFrame, *, listed_elsewhere=()) -> pd.DataFrame:
    """Per queue: open items already breached, and those at 90/75/50% of their target.

    Items in `listed_elsewhere` (e.g. stuck uploads, which have an entry of their own) are left out.
    """
    rows = []
    open_items = status[status["resolved_at"].isna() & ~status["item_id"].isin(list(listed_elsewhere))]
    for queue, items in open_items.groupby("queue", sort=True):
        breached = items[items["state"] == "breached"]
        if len(breached):
            overdue = -breached["time_left_minutes"].min()
            rows.append(dict(severity=SEVERITY["breached"], kind="breached", count=len(breached), page="queues",
                             title=f"{_items(len(breached), queue)} breached their SLA",
                             detail=f"most overdue by {_hours(overdue)}; priorities: "
                                    + ", ".join(f"{p} {n}" for p, n in breached["priority"].value_counts().items())))
        waiting = items[items["state"] != "breached"]
        for level in (90, 75, 50):
            at_level = waiting[waiting["warn_level"] == level]
            if len(at_level):
                soonest = at_level["time_left_minutes"].min()
                rows.append(dict(severity=SEVERITY[f"warn_{level}"], kind=f"≥{level}% of SLA used", count=len(at_level),
                                 page="queues", title=f"{_items(len(at_level), queue)} at {level}% of their SLA",
                                 detail=f"next breach in {_hours(max(soonest, 0))}"))
    return _frame(rows)


def stuck_entries(stuck: pd.DataFrame, project_names: dict[str, str]) -> pd.DataFrame:
    """Staging items stuck, per project, with the most common error."""
    rows = []
    for project, items in stuck.groupby(stuck["project_id"].fillna("no project"), sort=True):
        error = items["last_error"].dropna().mode()
        rows.append(dict(severity=SEVERITY["stuck"], kind="stuck", count=len(items), page="queues",
                         title=f"{len(items):,} uploads stuck in staging on {project_names.get(project, project)}",
                         detail=f"up to {items['hours_stuck'].max():.0f} h without progress"
                                + (f"; most often: {error.iloc[0]}" if len(error) else "")))
    return _frame(rows)


def confusion_entries(confusion: pd.DataFrame) -> pd.DataFrame:
    """Projects whose rejections or questions jumped after a launch or guideline change."""
    rows = [dict(severity=SEVERITY["confusion"] + min(row.severity, 8), kind="confusion", count=row.recent_tasks,
                 page="workforce", title=f"{row.name}: confusion after {row.change_kind}",
                 detail=row.reasons)
            for row in confusion.itertuples()]
    return _frame(rows)


def fatigue_entries(fatigue: pd.DataFrame) -> pd.DataFrame:
    """One entry for all taskers showing fatigue, naming the most common reasons."""
    if fatigue.empty:
        return _frame([])
    regions = fatigue["region"].value_counts().head(2) if "region" in fatigue else pd.Series(dtype=int)
    where = ", ".join(f"{r} {n}" for r, n in regions.items())
    return _frame([dict(severity=SEVERITY["fatigue"], kind="fatigue", count=len(fatigue), page="workforce",
                        title=f"{len(fatigue):,} taskers show fatigue",
                        detail=f"e.g. {fatigue.iloc[0]['reasons']}" + (f"; most in {where}" if where else ""))])


def sentiment_entries(drops: pd.DataFrame) -> pd.DataFrame:
    """Themes whose net sentiment fell sharply against their baseline."""
    rows = [dict(severity=SEVERITY["sentiment"], kind="sentiment drop", count=row.recent_count, page="feedback",
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
                 page="feedback",
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
    rows = [dict(severity=SEVERITY["launch"], kind="launch", count=int(row.not_ready), page="launch",
                 title=f"{row.project} launches in {row.days_to_launch:.0f} days",
                 detail=f"{int(row.ready)} of {int(row.resources)} guides/FAQs/SOPs ready"
                        + (f"; missing: {row.missing}" if getattr(row, "missing", "") else ""))
            for row in upcoming.itertuples()]
    return _frame(rows)


def rank(*parts: pd.DataFrame) -> pd.DataFrame:
    """All entries in one list, most severe first (then the larger count)."""
    frames = [p for p in parts if not p.empty]
    if not frames:
        return _frame([])
    combined = pd.concat(frames, ignore_index=True)
    return combined.sort_values(["severity", "count"], ascending=[False, False], ignore_index=True)


def today_entries(*, status: pd.DataFrame, messages: pd.DataFrame, activity: pd.DataFrame, projects: pd.DataFrame,
                  resources: pd.DataFrame, now, fatigue: pd.DataFrame, negative_feedback: pd.DataFrame,
                  voice=None) -> pd.DataFrame:
    """Everything that needs a specialist now, from the metric inputs, ranked in one list.

    `voice` (a `feedback.messages.MessageScope` of the same messages) lets the theme alerts aggregate in SQL.
    `activity` holds per project-day sums (enough for confusion); `fatigue` the alerts
    (`workforce.read.load_fatigue_alerts`); `negative_feedback` per project-day counts of scored and
    negative messages for the confusion alerts (`workforce.read.load_negative_feedback`).
    """
    project_names = dict(zip(projects["project_id"], projects["name"]))
    stuck = stuck_items(status, now)
    return rank(
        sla_entries(status, listed_elsewhere=stuck["item_id"]),
        stuck_entries(stuck, project_names),
        confusion_entries(confusion.confusion_alerts(activity, projects, now, feedback=negative_feedback)),
        fatigue_entries(fatigue),
        sentiment_entries(theme_sentiment_drops(messages if voice is None else voice, now)),
        growing_theme_entries(growing_negative_themes(messages if voice is None else voice, now)),
        launch_entries(launch.launch_readiness(resources, now)),
    )
