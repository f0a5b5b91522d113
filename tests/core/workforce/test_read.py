"""The workforce read API's loaders: activity rows with member segments, projects with their changes."""

import datetime as dt

import pandas as pd

from core import models
from core.workforce.confusion import confusion_alerts
from core.workforce.read import load_activity, load_projects
from tests.core.factories import day, stored


def test_load_activity_joins_member_segments_and_leaves_out_staff(engine):
    def act(member_id, project_id, on, submitted):
        return models.Activity(member_id=member_id, project_id=project_id, day=dt.date.fromisoformat(on),
                               tasks_submitted=submitted, handle_seconds=30.0 * submitted)

    stored(
        engine,
        models.Member(member_id="m1", region="EMEA", country="DE", vendor="Acme"),
        models.Member(member_id="m2", region="APAC", country="PH"),
        models.Member(member_id="s", is_staff=True),
        models.Project(project_id="p1", name="One"),
        models.Project(project_id="p2", name="Two", guideline_version="v2",
                       guideline_updated_at=dt.datetime(2026, 11, 2, 10, tzinfo=dt.timezone(dt.timedelta(hours=1)))),
        act("m1", "p1", "2026-10-31", 1), act("m1", "p1", "2026-11-01", 2), act("m2", "p2", "2026-11-02", 3),
        act("s", "p1", "2026-11-01", 4), act("m1", "p2", "2026-11-03", 5),
    )
    rows = load_activity(engine, start="2026-11-01", end="2026-11-02")
    assert rows[["member_id", "project_id", "tasks_submitted", "region", "country"]].values.tolist() == [
        ["m1", "p1", 2, "EMEA", "DE"],
        ["m2", "p2", 3, "APAC", "PH"],
    ]
    assert rows["vendor"].tolist()[0] == "Acme" and pd.isna(rows["vendor"].tolist()[1])
    assert str(rows["day"].dtype) == "datetime64[us]" and rows["day"].tolist()[0] == day("2026-11-01")
    assert rows["handle_seconds"].dtype == "float64"
    assert load_activity(engine, start="2026-10-01", end="2026-12-01", projects=["p2"], regions=["EMEA"]
                         )["tasks_submitted"].tolist() == [5]

    catalogue = load_projects(engine)
    assert catalogue["project_id"].tolist() == ["p1", "p2"]
    assert str(catalogue["launch_at"].dtype) == "datetime64[us, UTC]"
    assert catalogue["guideline_updated_at"].tolist()[1] == pd.Timestamp("2026-11-02 09:00", tz="UTC")
    assert confusion_alerts(rows, catalogue, "2026-11-03", min_tasks=1, include_unflagged=True
                            )["change_kind"].tolist() == ["guideline update v2"]
