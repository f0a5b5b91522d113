"""Launch readiness: which guides, FAQs and SOPs each launch still needs."""

import pandas as pd
from sqlalchemy import Engine, text

from core.frames import read_frame

READY_STATUSES = ("published",)
# What every launch needs before taskers start: a guide, an FAQ and a reviewer SOP.
REQUIRED_KINDS = ("guide", "faq", "sop")


def load_resources(engine: Engine) -> pd.DataFrame:
    """Every resource with its project's name, status and launch date."""
    query = text(
        "SELECT r.resource_id, r.title, r.kind, r.project_id, p.name AS project, p.status AS project_status, "
        "p.launch_at, r.owner, r.status, r.last_reviewed_at, r.review_every_days, r.url "
        "FROM resource r LEFT JOIN project p ON p.project_id = r.project_id ORDER BY p.launch_at DESC, r.resource_id")
    return read_frame(engine, query, timestamps=("launch_at", "last_reviewed_at"))


def resource_staleness(resources: pd.DataFrame, now) -> pd.DataFrame:
    """Resources with days since review, days overdue for review, and whether each is ready."""
    now = pd.Timestamp(now)
    since = (now - resources["last_reviewed_at"]).dt.total_seconds() / 86400
    overdue = (since - resources["review_every_days"]).clip(lower=0)
    ready = resources["status"].isin(READY_STATUSES) & resources["last_reviewed_at"].notna() & (overdue == 0)
    problem = pd.Series("", index=resources.index, dtype=object)
    problem = problem.mask(overdue > 0, "review overdue")
    problem = problem.mask(~resources["status"].isin(READY_STATUSES),
                           "not published (" + resources["status"].astype(str) + ")")
    return resources.assign(days_since_review=since.round(0), days_overdue=overdue.round(0), ready=ready, problem=problem)


def launch_readiness(resources: pd.DataFrame, now, *, horizon_days: int = 30) -> pd.DataFrame:
    """Per project launching or launched within the horizon: resources ready out of needed, days to launch."""
    now = pd.Timestamp(now)
    staleness = resource_staleness(resources, now)
    days_to_launch = (staleness["launch_at"] - now).dt.total_seconds() / 86400
    window = staleness[days_to_launch.between(-horizon_days, horizon_days)]
    summary = window.groupby(["project_id", "project"], dropna=False).agg(
        launch_at=("launch_at", "first"), resources=("resource_id", "size"), ready=("ready", "sum")).reset_index()
    summary["days_to_launch"] = ((summary["launch_at"] - now).dt.total_seconds() / 86400).round(1)
    summary["not_ready"] = summary["resources"] - summary["ready"]
    kinds = window.groupby("project_id", dropna=False)["kind"].agg(set)
    summary["missing"] = summary["project_id"].map(
        lambda pid: ", ".join(k for k in REQUIRED_KINDS if k not in kinds.get(pid, set())))
    summary["missing_count"] = summary["missing"].map(lambda text: len(text.split(", ")) if text else 0)
    return summary.sort_values("days_to_launch", ignore_index=True)


def launch_audience(base: pd.DataFrame, projects: pd.DataFrame, project_id: str) -> tuple[list[str], str]:
    """Who a launch announcement goes to, and how to call them.

    The project's own taskers when it has any; before launch nobody has worked on it yet, so the
    active taskers on live projects of the same kind (the people qualified for this work).
    """
    project = projects.set_index("project_id").loc[project_id]
    active = base[base["status"] == "active"]
    own = active[active["projects"].map(lambda worked: project_id in worked)]
    if len(own):
        return own["member_id"].tolist(), f"{project['name']} taskers"
    same_kind = set(projects.loc[(projects["kind"] == project["kind"]) & (projects["project_id"] != project_id),
                                 "project_id"])
    similar = active[active["projects"].map(lambda worked: bool(same_kind.intersection(worked)))]
    if len(similar):
        return similar["member_id"].tolist(), f"taskers on other {str(project['kind']).replace('_', ' ')} projects"
    return active["member_id"].tolist(), "active taskers"
