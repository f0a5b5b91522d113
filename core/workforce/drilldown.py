"""The people and daily numbers behind an alert: evidence to show and audiences to message."""

import pandas as pd

from core.frames import as_day, ratio


def member_daily(activity: pd.DataFrame, member_id: str) -> pd.DataFrame:
    """One tasker's active hours, tasks, quality and AHT per day (all projects together)."""
    rows = activity[activity["member_id"] == member_id]
    daily = rows.groupby("day", sort=True)[["active_minutes", "tasks_submitted", "tasks_approved", "tasks_rejected",
                                            "handle_seconds"]].sum().reset_index()
    return pd.DataFrame({
        "day": daily["day"],
        "hours": daily["active_minutes"] / 60,
        "tasks": daily["tasks_submitted"],
        "quality": ratio(daily["tasks_approved"], daily["tasks_approved"] + daily["tasks_rejected"]),
        "aht_seconds": ratio(daily["handle_seconds"], daily["tasks_submitted"]),
    })


def members_on_project(activity: pd.DataFrame, project_id: str, *, since=None, region: str | None = None) -> list[str]:
    """Members who worked on a project (since a moment, in a region), sorted."""
    rows = activity[activity["project_id"] == project_id]
    if since is not None:
        rows = rows[rows["day"] >= as_day(since)]
    if region is not None and "region" in rows:
        rows = rows[rows["region"] == region]
    return sorted(rows["member_id"].unique().tolist())
