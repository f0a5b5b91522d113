"""Launch readiness: published and recently reviewed resources are ready; the rest say why not."""

import pandas as pd

from core.comms import launch

NOW = pd.Timestamp("2026-11-20 12:00", tz="UTC")


def _resources(**overrides) -> pd.DataFrame:
    row = dict(resource_id="p1-guide", title="Guide", kind="guide", project_id="p1", project="Atlas",
               project_status="live", launch_at=NOW + pd.Timedelta(days=5), owner="ana", status="published",
               last_reviewed_at=NOW - pd.Timedelta(days=10), review_every_days=30)
    row.update(overrides)
    frame = pd.DataFrame([row])
    for column in ("launch_at", "last_reviewed_at"):
        frame[column] = pd.to_datetime(frame[column], utc=True)
    return frame


def test_published_resource_reviewed_within_cadence_is_ready():
    row = launch.resource_staleness(_resources(), NOW).iloc[0]
    assert bool(row["ready"]) and row["days_overdue"] == 0 and row["problem"] == ""


def test_resource_past_its_review_cadence_is_overdue_by_the_extra_days():
    row = launch.resource_staleness(_resources(last_reviewed_at=NOW - pd.Timedelta(days=45)), NOW).iloc[0]
    assert not row["ready"] and row["days_overdue"] == 15 and row["problem"] == "review overdue"


def test_draft_resource_is_not_ready_and_says_its_status():
    row = launch.resource_staleness(_resources(status="draft", last_reviewed_at=pd.NaT), NOW).iloc[0]
    assert not row["ready"] and row["problem"] == "not published (draft)"


def test_launch_readiness_counts_ready_resources_per_launch_in_the_horizon():
    frame = pd.concat([_resources(), _resources(resource_id="p1-faq", status="draft"),
                       _resources(resource_id="p2-guide", project_id="p2", project="Old",
                                  launch_at=NOW - pd.Timedelta(days=200))], ignore_index=True)
    summary = launch.launch_readiness(frame, NOW)
    assert summary[["project_id", "resources", "ready", "not_ready", "days_to_launch"]].to_dict("records") == [
        {"project_id": "p1", "resources": 2, "ready": 1, "not_ready": 1, "days_to_launch": 5.0}]


def test_no_resources_give_an_empty_readiness_not_an_error():
    empty = _resources().iloc[0:0]
    assert launch.resource_staleness(empty, NOW).empty
    assert launch.launch_readiness(empty, NOW).empty
