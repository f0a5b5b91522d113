"""Launch readiness for the studio: missing kinds, who a launch announcement goes to, Today's 7-day window."""

import pandas as pd

from core import attention
from core.comms import launch

NOW = pd.Timestamp("2026-11-20 12:00", tz="UTC")


def resources(*rows) -> pd.DataFrame:
    """Resources as `load_resources` returns them."""
    frame = pd.DataFrame([dict(resource_id=f"r{i}", title=f"Doc {i}", kind=kind, project_id=pid, project=pid.upper(),
                               project_status="upcoming", launch_at=NOW + pd.Timedelta(days=days), owner="ana",
                               status=status, last_reviewed_at=NOW - pd.Timedelta(days=1), review_every_days=30,
                               url=None)
                          for i, (pid, kind, status, days) in enumerate(rows)])
    for column in ("launch_at", "last_reviewed_at"):
        frame[column] = pd.to_datetime(frame[column], utc=True)
    return frame


def test_readiness_names_the_kinds_a_launch_is_missing():
    summary = launch.launch_readiness(resources(("p1", "guide", "published", 5), ("p1", "faq", "draft", 5)), NOW)
    assert summary[["project_id", "ready", "not_ready", "missing", "missing_count"]].values.tolist() == [
        ["p1", 1, 1, "sop", 1]]


def test_today_lists_launches_not_ready_within_7_days_only():
    summary = launch.launch_readiness(resources(
        ("p1", "guide", "draft", 3), ("p1", "faq", "published", 3), ("p1", "sop", "published", 3),
        ("p2", "guide", "draft", 8), ("p2", "faq", "draft", 8), ("p2", "sop", "draft", 8),
        ("p3", "guide", "published", 6), ("p3", "faq", "published", 6), ("p3", "sop", "published", 6),
        ("p4", "guide", "published", 2), ("p4", "faq", "published", 2)), NOW)
    entries = attention.launch_entries(summary)
    assert entries[["title", "detail"]].values.tolist() == [
        ["P4 launches in 2 days", "2 of 2 guides/FAQs/SOPs ready; missing: sop"],
        ["P1 launches in 3 days", "2 of 3 guides/FAQs/SOPs ready"]]


BASE = pd.DataFrame({"member_id": ["a", "b", "c", "d"], "status": ["active", "active", "active", "inactive"],
                     "projects": [("p1",), ("p2",), ("p1", "p2"), ("p3",)]})
PROJECTS = pd.DataFrame({"project_id": ["p1", "p2", "p3", "p9"], "name": ["Atlas", "Beacon", "Delta", "Harbor"],
                         "kind": ["labelling", "rating", "moderation", "moderation"]})


def test_a_launched_project_is_announced_to_its_own_taskers():
    assert launch.launch_audience(BASE, PROJECTS, "p2") == (["b", "c"], "Beacon taskers")


def test_a_project_nobody_has_worked_on_goes_to_active_taskers_on_projects_of_the_same_kind():
    members, label = launch.launch_audience(BASE.assign(status="active"), PROJECTS, "p9")
    assert (members, label) == (["d"], "taskers on other moderation projects")


def test_without_similar_projects_a_launch_goes_to_every_active_tasker():
    projects = PROJECTS.assign(kind=["labelling", "rating", "moderation", "red_teaming"])
    assert launch.launch_audience(BASE, projects, "p9") == (["a", "b", "c"], "active taskers")
