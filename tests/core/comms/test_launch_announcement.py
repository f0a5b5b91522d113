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


def test_launches_are_sorted_nearest_unready_first_then_ready_then_past():
    summary = launch.launch_readiness(resources(
        ("ready_soon", "guide", "published", 2), ("ready_soon", "faq", "published", 2),
        ("ready_soon", "sop", "published", 2),
        ("unready_later", "guide", "draft", 9), ("unready_near", "guide", "in_review", 4),
        ("past", "guide", "draft", -3)), NOW)
    assert summary["project_id"].tolist() == ["unready_near", "unready_later", "ready_soon", "past"]


def test_a_launch_without_resources_is_listed_as_none_planned():
    projects = pd.DataFrame({"project_id": ["p1", "p9", "old"], "name": ["P1", "P9", "Old"],
                             "launch_at": [NOW + pd.Timedelta(days=5), NOW + pd.Timedelta(days=1),
                                           NOW - pd.Timedelta(days=90)]})
    summary = launch.launch_readiness(resources(("p1", "guide", "published", 5)), NOW, projects=projects)
    assert summary[["project_id", "resources", "ready_label", "missing"]].values.tolist() == [
        ["p9", 0, "0 of 0 — none planned", "guide, faq, sop"], ["p1", 1, "1 of 1", "faq, sop"]]


def test_statuses_read_as_words():
    staleness = launch.resource_staleness(resources(("p1", "guide", "in_review", 5)), NOW)
    assert staleness[["status", "problem"]].values.tolist() == [["in review", "not published (in review)"]]


def test_an_announcement_is_blocked_by_guides_that_are_not_ready_or_missing():
    frame = resources(("p1", "guide", "in_review", 5), ("p1", "sop", "draft", 5), ("p2", "faq", "published", 5))
    assert launch.announcement_blockers(frame, "p1", NOW) == [
        "'Doc 0' (guide) is not published (in review): the announcement sends readers to it."]
    assert launch.announcement_blockers(frame, "p2", NOW) == [
        "This launch has no guide yet: readers would have nothing to read before they start."]


def test_the_guide_a_template_links_to_comes_from_the_resources_with_no_invented_read_time():
    frame = resources(("p1", "guide", "published", 5)).assign(url="https://guides.crowdpulse.io/p1")
    assert launch.project_guide(frame, "p1", NOW) == {"title": "Doc 0", "url": "https://guides.crowdpulse.io/p1",
                                                      "ready": True, "status": "published", "read_minutes": None}
    # 1,150 words at 200 words a minute: 6 minutes (rounded up).
    assert launch.project_guide(frame.assign(words=1150), "p1", NOW)["read_minutes"] == 6
