"""The daily numbers behind a fatigue alert: one tasker's evidence to show."""

import pandas as pd

from core.frames import ratio


def member_daily(activity: pd.DataFrame, member_id: str) -> pd.DataFrame:
    """One tasker's active hours, tasks, quality and AHT per day (all projects together)."""
    rows = activity[activity["member_id"] == member_id]
    daily = rows.groupby("day", sort=True)[["active_minutes", "tasks_submitted", "tasks_approved", "tasks_rejected",
                                            "handle_seconds"]].sum().reset_index()
    return pd.DataFrame({
        "day": daily["day"],
        "hours": daily["active_minutes"] / 60,
        "tasks": daily["tasks_submitted"],
        "reviewed": daily["tasks_approved"] + daily["tasks_rejected"],
        "quality": ratio(daily["tasks_approved"], daily["tasks_approved"] + daily["tasks_rejected"]),
        "aht_seconds": ratio(daily["handle_seconds"], daily["tasks_submitted"]),
    })

