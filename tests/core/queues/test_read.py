"""The loaders of the read API: items with their member, policies, pause spells, settings, handle times."""

import datetime as dt

import pandas as pd
import pytest

from core import models
from core.queues.clock import sla_status
from core.queues.read import load_pauses, load_policies, load_queue_items, load_stuck_thresholds
from tests.core.factories import stored, utc
from tests.core.queues.oracle import load_sla_status

UTC = dt.UTC


def test_loaders_return_filtered_items_with_member_region_and_utc_timestamps(engine):
    stored(
        engine,
        models.Member(member_id="m1", country="BR", region="LATAM"),
        models.Member(member_id="m2", country="DE", region="EMEA"),
        models.Project(project_id="p1", name="One"),
        models.Project(project_id="p2", name="Two"),
        models.SlaPolicy(queue="review", priority="normal", resolution_minutes=480),
        models.QueueItem(item_id="q1", queue="review", project_id="p1", member_id="m1",
                         created_at=dt.datetime(2026, 11, 1, 12, 0, tzinfo=UTC),
                         resolved_at=dt.datetime(2026, 11, 1, 14, 30, tzinfo=UTC)),
        models.QueueItem(item_id="q2", queue="review", project_id="p2", member_id="m2",
                         created_at=dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=2)))),
        models.QueueItem(item_id="q3", queue="support", created_at=dt.datetime(2026, 11, 3, tzinfo=UTC)),
    )
    items = load_queue_items(engine)
    assert items["item_id"].tolist() == ["q1", "q2", "q3"]
    assert str(items["created_at"].dtype) == "datetime64[us, UTC]"
    assert str(items["due_at"].dtype) == "datetime64[us, UTC]"
    assert items["created_at"].tolist()[1] == utc("2026-11-02 07:00")
    assert items["resolved_at"].tolist()[0] == utc("2026-11-01 14:30")
    assert items["region"].tolist()[:2] == ["LATAM", "EMEA"] and pd.isna(items["region"].tolist()[2])

    window = load_queue_items(engine, start=utc("2026-11-01 12:00"), end=utc("2026-11-03 00:00"))
    assert window["item_id"].tolist() == ["q1", "q2"]
    assert load_queue_items(engine, projects=["p2"])["item_id"].tolist() == ["q2"]
    assert load_queue_items(engine, regions=["LATAM"])["item_id"].tolist() == ["q1"]

    policy = load_policies(engine)
    assert policy[["queue", "priority", "resolution_minutes", "business_hours"]].values.tolist() == [
        ["review", "normal", 480, False]
    ]
    assert sla_status(items, policy, utc("2026-11-02 12:00"))["state"].tolist() == ["met", "open", "no_target"]


def test_load_pauses_reads_spells_from_the_status_history(engine):
    at = lambda text: dt.datetime.fromisoformat(text).replace(tzinfo=UTC)  # noqa: E731
    stored(
        engine,
        models.SlaPolicy(queue="support", priority="normal", resolution_minutes=480,
                         pause_statuses=["waiting_on_tasker"]),
        models.QueueItem(item_id="P", queue="support", created_at=at("2026-11-02 08:00"),
                         resolved_at=at("2026-11-02 15:00")),
        models.QueueItem(item_id="Q", queue="support", created_at=at("2026-11-02 08:00")),
        models.QueueItem(item_id="N", queue="support", created_at=at("2026-11-02 08:00")),
        *(models.QueueEvent(item_id=item, at=at(moment), status=state) for item, moment, state in [
            ("P", "2026-11-02 08:00", "open"), ("P", "2026-11-02 10:00", "waiting_on_tasker"),
            ("P", "2026-11-02 13:00", "in_progress"), ("P", "2026-11-02 15:00", "resolved"),
            ("Q", "2026-11-02 08:00", "open"), ("Q", "2026-11-02 09:00", "waiting_on_tasker"),
            ("N", "2026-11-02 08:00", "open"),
        ]),
    )
    spells = load_pauses(engine, load_policies(engine))
    assert spells["item_id"].tolist() == ["P", "Q"]
    assert spells["paused_from"].tolist() == [utc("2026-11-02 10:00"), utc("2026-11-02 09:00")]
    assert spells["paused_until"].tolist()[0] == utc("2026-11-02 13:00") and pd.isna(spells["paused_until"].tolist()[1])
    assert load_pauses(engine, load_policies(engine), start=utc("2026-11-03 00:00")).empty

    status = load_sla_status(engine, utc("2026-11-02 16:00")).set_index("item_id")
    assert status["state"].to_dict() == {"P": "met", "Q": "paused", "N": "at_risk"}
    assert status.loc["P", "clock_minutes"] == pytest.approx(240.0)


def test_stuck_thresholds_come_from_settings_with_defaults(engine):
    assert load_stuck_thresholds(engine) == {"stuck_after_hours": 24.0, "stuck_max_retries": 3}
    stored(engine, models.Setting(key="stuck_after_hours", value=12))
    assert load_stuck_thresholds(engine) == {"stuck_after_hours": 12.0, "stuck_max_retries": 3}
