"""The queue clock roll-up: the same numbers as the clocks computed from raw items, kept in step with writes."""

import pandas as pd
import pytest
from sqlalchemy import func, select

from core.errors import UnknownMetric
from core.ingest import importer as ingest
from core import models, overview, reports, rollups, timeline
from core.queues import actions as queue_actions
from core.queues import rollup, views
from core.queues.facts import QueueFacts
from tests.core.queues import oracle
from tests.core.factories import stored, utc


def _window(now: pd.Timestamp) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The Queues page's default range: the 28 days ending on the data's last day."""
    end = now.normalize() + pd.Timedelta(days=1)
    return end - pd.Timedelta(days=28), end


@pytest.fixture(scope="module")
def demo(seeded_engine):
    """The demo's raw SLA status (the reference) and the roll-up facts over the same scope."""
    now = timeline.data_as_of(seeded_engine)
    start, end = _window(now)
    scope = dict(start=start - pd.Timedelta(days=30), end=end)
    return dict(now=now, start=start, end=end, status=oracle.load_sla_status(seeded_engine, now, **scope),
                facts=QueueFacts(seeded_engine, now, **scope))


def _same(left, right):
    if isinstance(left, pd.DataFrame):
        pd.testing.assert_frame_equal(left.reset_index(drop=True), right.reset_index(drop=True), check_dtype=False)
    else:
        assert left == pytest.approx(right, nan_ok=True)


def test_the_queues_overview_from_the_roll_up_matches_the_raw_clocks(demo):
    raw = oracle.queue_overview(demo["status"], demo["now"], start=demo["start"], end=demo["end"])
    fast = views.queue_overview(demo["facts"], demo["now"], start=demo["start"], end=demo["end"])
    assert raw.open_items > 0 and raw.resolution["count"] > 0
    for name in raw.__dataclass_fields__:
        _same(getattr(raw, name), getattr(fast, name))


@pytest.mark.parametrize("by", ["queue", "priority", "project_id"])
def test_breakdowns_from_the_roll_up_match_the_raw_clocks(demo, by):
    _same(oracle.queue_breakdown(demo["status"], by, start=demo["start"], end=demo["end"]),
          views.queue_breakdown(demo["facts"], by, start=demo["start"], end=demo["end"]))


@pytest.mark.parametrize("target", ["resolution", "first_response"])
def test_compliance_trends_from_the_roll_up_match_the_raw_clocks(demo, target):
    status = demo["status"]
    due = status["due_effective" if target == "resolution" else "response_due"]
    in_range = status[due.between(demo["start"], demo["end"], inclusive="left")]
    _same(oracle.sla_compliance_trend(in_range, by="queue", target=target),
          demo["facts"].compliance_trend(target, due_from=demo["start"], due_to=demo["end"], by="queue"))
    weekly = status[status["due_effective"] >= demo["start"]]
    _same(oracle.sla_compliance_trend(weekly, freq="W"), demo["facts"].compliance_trend(freq="W", due_from=demo["start"]))


@pytest.mark.parametrize("by", ["country", "region", "status"])
def test_a_breakdown_by_a_member_or_item_column_from_the_roll_up_matches_the_raw_clocks(demo, by):
    status, facts, window = demo["status"], demo["facts"], dict(due_from=demo["start"], due_to=demo["end"])
    due = status[status["due_effective"].between(demo["start"], demo["end"], inclusive="left")]
    _same(oracle.sla_compliance(due, by), facts.compliance(**window, by=by))
    created = status[status["created_at"].between(demo["start"], demo["end"], inclusive="left")]
    _same(views.response_time_summary(oracle.with_durations(created), "resolution", by),
          views.response_time_summary(facts.durations(created_from=demo["start"], created_to=demo["end"], by=by),
                                      "resolution", by))
    assert facts.values(by) == sorted(status[by].dropna().unique())


def test_a_breakdown_by_a_column_no_item_has_is_a_clear_error(demo):
    with pytest.raises(UnknownMetric, match="Cannot group by colour"):
        demo["facts"].compliance(by="colour")


def test_picking_queues_and_priorities_narrows_the_roll_up_like_the_raw_clocks(demo):
    status = demo["status"]
    picked = status[(status["queue"] == "support") & (status["priority"] == "normal")]
    raw = oracle.queue_overview(picked, demo["now"], start=demo["start"], end=demo["end"])
    fast = views.queue_overview(demo["facts"].narrowed(["support"], ["normal"]), demo["now"],
                                      start=demo["start"], end=demo["end"])
    for name in ("open_items", "resolution", "first_response", "median_first_response_hours", "ages", "open_by_day"):
        _same(getattr(raw, name), getattr(fast, name))


def test_todays_figures_and_the_weekend_finding_match_the_raw_clocks(demo):
    status, facts, now = demo["status"], demo["facts"], demo["now"]
    for moment in (now, now - pd.Timedelta(days=7)):
        assert facts.open_at(moment) == oracle.open_at(status, moment)
        week = (moment - pd.Timedelta(days=7), moment)
        # each figure comes with its n (Weekly shows both): the value is the raw clocks' value
        _same(overview._compliance(facts, *week)[0], oracle.compliance_after(status, *week))
        _same(overview._median_first_response_hours(facts, *week)[0], oracle.median_first_response_hours(status, *week))
    _same(oracle.weekend_counts(status, demo["start"], demo["end"]),
          facts.decided(due_from=demo["start"], due_to=demo["end"], by=["queue", "weekend"]))


def test_the_demo_stories_are_found_through_the_roll_up(demo):
    weekend = reports.weekend_breaches(demo["facts"], demo["start"] - pd.Timedelta(days=30), demo["end"])
    escalation = weekend.set_index("queue").loc["escalation"]
    assert escalation["weekend_compliance"] < 0.5 < escalation["weekday_compliance"]
    stuck = views.queue_overview(demo["facts"], demo["now"], start=demo["start"], end=demo["end"]).stuck
    assert len(stuck) >= 6 and set(stuck["project_id"]) == {"p05"}  # Ember


# --- kept in step with writes -----------------------------------------------------------------------


def _clock_rows(engine) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(rollup.clock)).scalar_one()


@pytest.fixture
def support_engine(engine):
    """A database with one support policy (4 h resolution) and two items, roll-ups built."""
    stored(engine, models.SlaPolicy(queue="support", priority="normal", first_response_minutes=60,
                                    resolution_minutes=240),
           models.QueueItem(item_id="s1", queue="support", priority="normal", created_at=utc("2026-11-02 08:00"),
                            resolved_at=utc("2026-11-02 10:00"), attributes={}),
           models.QueueItem(item_id="s2", queue="support", priority="normal", created_at=utc("2026-11-02 09:00"),
                            resolved_at=utc("2026-11-02 15:00"), attributes={}))
    with engine.begin() as connection:
        rollups.refresh_all(connection)
    return engine


def _met(engine) -> dict:
    facts = QueueFacts(engine, utc("2026-11-03 00:00"))
    return facts.compliance(due_from=utc("2026-11-01 00:00"), due_to=utc("2026-11-04 00:00")).iloc[0].to_dict()


def test_an_import_of_queue_items_refreshes_their_clocks(support_engine):
    assert _met(support_engine)["met"] == 1 and _met(support_engine)["breached"] == 1
    csv = ("item_id,queue,priority,created_at,resolved_at\n"
           "s2,support,normal,2026-11-02T09:00:00Z,2026-11-02T11:00:00Z\n"
           "s3,support,normal,2026-11-02T12:00:00Z,2026-11-02T13:00:00Z\n")
    result = ingest.import_file(support_engine, "queue_items", csv.encode(), filename="items.csv")
    assert result.committed
    counts = _met(support_engine)
    assert (counts["met"], counts["breached"], counts["count"]) == (3, 0, 3)
    assert _clock_rows(support_engine) == 3


def test_a_strict_import_with_a_rejected_row_leaves_the_clocks_as_they_were(support_engine):
    before = _met(support_engine)
    csv = ("item_id,queue,priority,created_at,resolved_at\n"
           "s2,support,normal,2026-11-02T09:00:00Z,2026-11-02T11:00:00Z\n"
           "s4,support,normal,not a time,\n")
    with pytest.raises(ingest.RowsRejected):
        ingest.import_file(support_engine, "queue_items", csv.encode(), filename="items.csv", strict=True)
    assert _met(support_engine) == before and _clock_rows(support_engine) == 2


def test_a_policy_changed_without_a_refresh_is_caught_before_reading(support_engine):
    from core.db import session_scope
    with session_scope(support_engine) as session:
        policy = session.get(models.SlaPolicy, 1)
        policy.resolution_minutes = 60
        session.add(policy)
    counts = _met(support_engine)
    assert (counts["met"], counts["breached"]) == (0, 2)


def test_a_retry_refreshes_the_item_and_keeps_it_open_and_stuck(engine):
    stored(engine, models.SlaPolicy(queue="staging", priority="normal", resolution_minutes=360),
           models.QueueItem(item_id="u1", queue="staging", priority="normal", project_id=None,
                            created_at=utc("2026-11-01 08:00"), updated_at=utc("2026-11-01 08:00"), retries=3,
                            attributes={}))
    with engine.begin() as connection:
        rollups.refresh_all(connection)
    queue_actions.request_retry(engine, item_id="u1", expected_version=1, actor="command line",
                                now=utc("2026-11-02 09:00"))
    facts = QueueFacts(engine, utc("2026-11-02 10:00"))
    stuck = views.stuck_items(facts.live, utc("2026-11-02 10:00"))
    assert stuck["item_id"].tolist() == ["u1"] and stuck["retries"].tolist() == [4]
    assert _clock_rows(engine) == 1


def test_a_region_filter_reads_item_by_item_and_still_matches_the_raw_clocks(seeded_engine, demo):
    region = demo["status"]["region"].dropna().mode().iloc[0]
    scope = dict(start=demo["start"] - pd.Timedelta(days=30), end=demo["end"], projects=["p01", "p05"],
                 regions=[region])
    raw = oracle.queue_overview(oracle.load_sla_status(seeded_engine, demo["now"], **scope), demo["now"],
                                start=demo["start"], end=demo["end"])
    fast = views.queue_overview(QueueFacts(seeded_engine, demo["now"], **scope), demo["now"],
                                      start=demo["start"], end=demo["end"])
    assert raw.resolution["count"] > 0
    for name in raw.__dataclass_fields__:
        _same(getattr(raw, name), getattr(fast, name))


@pytest.mark.parametrize("now", ["2026-11-02 11:30", "2026-11-03 00:00"])
def test_a_resolved_clock_that_was_paused_counts_as_the_raw_clock_does_before_and_after_its_resolution(engine, now):
    stored(engine, models.SlaPolicy(queue="support", priority="normal", first_response_minutes=60,
                                    resolution_minutes=120, pause_statuses=["waiting_on_tasker"]),
           models.QueueItem(item_id="w1", queue="support", priority="normal", created_at=utc("2026-11-02 08:00"),
                            resolved_at=utc("2026-11-02 12:00"), attributes={}),
           models.QueueItem(item_id="w2", queue="support", priority="normal", created_at=utc("2026-11-02 08:00"),
                            resolved_at=utc("2026-11-02 09:00"), attributes={}),
           models.QueueEvent(item_id="w1", at=utc("2026-11-02 08:00"), status="open"),
           models.QueueEvent(item_id="w1", at=utc("2026-11-02 09:00"), status="waiting_on_tasker"),
           models.QueueEvent(item_id="w1", at=utc("2026-11-02 11:00"), status="in_progress"))
    with engine.begin() as connection:
        rollups.refresh_all(connection)
    window = dict(due_from=utc("2026-11-02 00:00"), due_to=utc("2026-11-03 00:00"))
    raw = oracle.load_sla_status(engine, utc(now))
    expected = oracle.sla_compliance(raw[raw["due_effective"].between(window["due_from"], window["due_to"],
                                                                      inclusive="left")])
    _same(expected, QueueFacts(engine, utc(now)).compliance(**window))
    assert QueueFacts(engine, utc("2026-11-03 00:00")).compliance(**window)["met"].iloc[0] == 2


def _day_durations(engine, kind: str) -> pd.DataFrame:
    facts = QueueFacts(engine, utc("2026-11-03 00:00"))
    return facts.durations(created_from=utc("2026-11-02 00:00"), created_to=utc("2026-11-03 00:00"), by="queue",
                           kinds=(kind,))


def test_whole_days_read_the_packed_seconds_and_an_import_repacks_them(support_engine):
    with support_engine.connect() as connection:
        packed = connection.execute(select(rollup.seconds.c["items"])).scalars().all()
    assert packed == [2]  # one group: support/normal on 2 November
    resolution = _day_durations(support_engine, "resolution")
    assert sorted(resolution["resolution_seconds"]) == [7200.0, 21600.0]
    csv = ("item_id,queue,priority,created_at,resolved_at,first_response_at\n"
           "s2,support,normal,2026-11-02T09:00:00Z,2026-11-02T11:00:00Z,2026-11-02T09:30:00Z\n"
           "s3,support,normal,2026-11-02T12:00:00Z,,\n")
    assert ingest.import_file(support_engine, "queue_items", csv.encode(), filename="items.csv").committed
    resolution = _day_durations(support_engine, "resolution")["resolution_seconds"]
    assert sorted(resolution.dropna()) == [7200.0, 7200.0] and resolution.isna().sum() == 1  # s3 still open
    response = _day_durations(support_engine, "first_response")
    assert response["queue"].tolist() == ["support"] * 3
    assert response["first_response_seconds"].dropna().tolist() == [1800.0]
    summary = views.response_time_summary(response, "first_response", "queue")
    assert summary[["median_seconds", "count"]].values.tolist() == [[1800.0, 1]]
