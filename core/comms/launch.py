"""Launch readiness: which guides, FAQs and SOPs each launch still needs."""

import pandas as pd
from sqlalchemy import Engine, select

from core.frames import read_frame, unparsed
from core.models import Project, Resource

READY_STATUSES = ("published",)
# Reading speed for an estimated read time (words per minute of instructional text).
READING_WORDS_PER_MINUTE = 200
# What every launch needs before taskers start: a guide, an FAQ and a reviewer SOP.
REQUIRED_KINDS = ("guide", "faq", "sop")


def load_resources(engine: Engine) -> pd.DataFrame:
    """Every resource with its project's name, status and launch date, and its length in `words` where an import
    gave one (an extra `words` column, kept as an attribute; NaN when unknown)."""
    resource, project = Resource.__table__, Project.__table__
    statement = (
        select(resource.c.resource_id, resource.c.title, resource.c.kind, resource.c.project_id,
               project.c.name.label("project"), project.c.status.label("project_status"),
               unparsed(project.c.launch_at), resource.c.owner, resource.c.status,
               unparsed(resource.c.last_reviewed_at), resource.c.review_every_days, resource.c.url,
               resource.c.attributes)
        .select_from(resource.outerjoin(project, project.c.project_id == resource.c.project_id))
        .order_by(project.c.launch_at.desc(), resource.c.resource_id))
    frame = read_frame(engine, statement, timestamps=("launch_at", "last_reviewed_at"))
    words = pd.to_numeric(frame.pop("attributes").map(lambda extra: (extra or {}).get("words")), errors="coerce")
    return frame.assign(words=words.where(words > 0).astype("float64"))


def resource_staleness(resources: pd.DataFrame, now) -> pd.DataFrame:
    """Resources with days since review, days overdue for review, and whether each is ready."""
    now = pd.Timestamp(now)
    since = (now - resources["last_reviewed_at"]).dt.total_seconds() / 86400
    overdue = (since - resources["review_every_days"]).clip(lower=0)
    ready = resources["status"].isin(READY_STATUSES) & resources["last_reviewed_at"].notna() & (overdue == 0)
    problem = pd.Series("", index=resources.index, dtype=object)
    problem = problem.mask(overdue > 0, "review overdue")
    status = resources["status"].map(readable_status).astype(object)  # an empty map is float: keep it text
    problem = problem.mask(~resources["status"].isin(READY_STATUSES), "not published (" + status + ")")
    return resources.assign(days_since_review=since.round(0), days_overdue=overdue.round(0), ready=ready, problem=problem,
                            status=status)


def readable_status(status) -> str:
    """A stored status in words: 'in_review' → 'in review'."""
    return str(status).replace("_", " ") if isinstance(status, str) else "unknown"


def launch_readiness(resources: pd.DataFrame, now, *, horizon_days: int = 30,
                     projects: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per project launching or launched within the horizon: resources ready out of needed, days to launch.

    Sorted for the person preparing launches: upcoming launches that are not ready first, nearest
    first; then the ready ones by date; then launches already past, latest first. With `projects`,
    a launch that has no resources at all stays on the list ("0 of 0 — none planned").
    """
    now = pd.Timestamp(now)
    staleness = resource_staleness(resources, now)
    days_to_launch = (staleness["launch_at"] - now).dt.total_seconds() / 86400
    window = staleness[days_to_launch.between(-horizon_days, horizon_days)]
    summary = window.groupby(["project_id", "project"], dropna=False).agg(
        launch_at=("launch_at", "first"), resources=("resource_id", "size"), ready=("ready", "sum")).reset_index()
    bare = _launches_without_resources(projects, summary, now, horizon_days)
    if len(bare):
        summary = pd.concat([summary, bare], ignore_index=True)
    summary[["resources", "ready"]] = summary[["resources", "ready"]].astype(int)
    summary["days_to_launch"] = ((summary["launch_at"] - now).dt.total_seconds() / 86400).round(1)
    summary["not_ready"] = summary["resources"] - summary["ready"]
    kinds = window.groupby("project_id", dropna=False)["kind"].agg(set)
    summary["missing"] = summary["project_id"].map(
        lambda pid: ", ".join(k for k in REQUIRED_KINDS if k not in kinds.get(pid, set())))
    summary["missing_count"] = summary["missing"].map(lambda text: len(text.split(", ")) if text else 0)
    summary["ready_label"] = [f"{r} of {n}" if n else "0 of 0 — none planned"
                              for r, n in zip(summary["ready"], summary["resources"])]
    past = summary["days_to_launch"] < 0
    complete = (summary["not_ready"] == 0) & (summary["missing_count"] == 0) & (summary["resources"] > 0)
    order = pd.DataFrame({"past": past, "complete": complete,
                          "when": summary["days_to_launch"].where(~past, -summary["days_to_launch"])})
    return summary.loc[order.sort_values(["past", "complete", "when"], kind="stable").index].reset_index(drop=True)


def _launches_without_resources(projects, summary: pd.DataFrame, now, horizon_days: int) -> pd.DataFrame:
    columns = ["project_id", "project", "launch_at", "resources", "ready"]
    if projects is None or projects.empty or "launch_at" not in projects:
        return pd.DataFrame(columns=columns)
    launch_at = pd.to_datetime(projects["launch_at"], utc=True)
    days = (launch_at - now).dt.total_seconds() / 86400
    bare = projects[days.between(-horizon_days, horizon_days) & ~projects["project_id"].isin(summary["project_id"])]
    return pd.DataFrame({"project_id": bare["project_id"], "project": bare["name"],
                         "launch_at": launch_at[bare.index], "resources": 0, "ready": 0}, columns=columns)


def announcement_blockers(resources: pd.DataFrame, project_id: str | None, now) -> list[str]:
    """Why a launch announcement cannot go out yet: its guides and FAQs that are not ready, or no guide at all."""
    if not project_id:
        return []
    own = resource_staleness(resources[resources["project_id"] == project_id], pd.Timestamp(now))
    blockers = [f"'{row.title}' ({row.kind}) is {row.problem}: the announcement sends readers to it."
                for row in own.itertuples() if not row.ready and row.kind in ("guide", "faq")]
    if not (own["kind"] == "guide").any():
        blockers.append("This launch has no guide yet: readers would have nothing to read before they start.")
    return blockers


def project_guide(resources: pd.DataFrame, project_id: str | None, now) -> dict | None:
    """The project's guide for a template: title, link, readiness, and read time when its length is known."""
    own = resources[(resources["project_id"] == project_id) & (resources["kind"] == "guide")]
    if own.empty:
        return None
    row = resource_staleness(own, pd.Timestamp(now)).sort_values(["ready", "last_reviewed_at"], ascending=False).iloc[0]
    words = row.get("words") if "words" in row else None
    minutes = int(-(-int(words) // READING_WORDS_PER_MINUTE)) if words is not None and not pd.isna(words) else None
    url = row["url"] if isinstance(row["url"], str) and row["url"].strip() else None
    return {"title": row["title"], "url": url, "ready": bool(row["ready"]), "status": row["status"],
            "read_minutes": minutes}


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
