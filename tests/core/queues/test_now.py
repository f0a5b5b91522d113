"""Issue 15: open clocks run on the wall clock, and "now" counts every open item whatever the date range."""

import datetime as dt

import pandas as pd
import pytest

from core import models, timeline
from core.queues import views
from core.queues.facts import QueueFacts
from core.settings import get_settings
from tests.core.factories import stored, utc

UTC = dt.UTC
# The latest stored moment: the last item was created then.
AS_OF = dt.datetime(2026, 11, 18, 4, 59, tzinfo=UTC)


@pytest.fixture
def queue(engine):
    """A review queue with a 4 h target: one item 0.1 h from due at AS_OF, one open for 70 days, one resolved."""
    stored(
        engine,
        models.SlaPolicy(queue="review", priority="normal", resolution_minutes=240),
        # Created 3 h 54 min before AS_OF: due at 05:05, 6 minutes (0.1 h) after the data's last moment.
        models.QueueItem(item_id="soon", queue="review", created_at=AS_OF - dt.timedelta(hours=3, minutes=54)),
        models.QueueItem(item_id="old", queue="review", created_at=AS_OF - dt.timedelta(days=70)),
        models.QueueItem(item_id="done", queue="review", created_at=AS_OF - dt.timedelta(days=2),
                         resolved_at=AS_OF - dt.timedelta(days=2, hours=-1)),
        models.QueueItem(item_id="last", queue="review", created_at=AS_OF, resolved_at=AS_OF),
    )
    return engine


def test_an_item_due_just_after_the_data_is_breached_two_hours_later_on_the_wall_clock(queue, monkeypatch):
    assert timeline.data_as_of(queue, utc("2026-11-18 07:00")) == AS_OF
    monkeypatch.setenv(timeline.NOW_ENV, "2026-11-18T07:00:40Z")
    now = timeline.present_minute()
    assert now == utc("2026-11-18 07:00")  # floored: one cache entry a minute
    live = QueueFacts(queue, now).live.set_index("item_id")
    assert live.at["soon", "state"] == "breached"
    assert live.at["soon", "time_left_minutes"] == pytest.approx(-115)  # due 05:05, now 07:00
    # Measured at the data's last moment it would have read "0.1 h left".
    at_data = QueueFacts(queue, AS_OF).live.set_index("item_id")
    assert (at_data.at["soon", "state"], at_data.at["soon", "time_left_minutes"]) == ("at_risk", pytest.approx(6))


def test_open_items_count_now_whatever_their_age(queue):
    facts = QueueFacts(queue, utc("2026-11-18 07:00"))
    view = views.queue_overview(facts, facts.now, start=utc("2026-10-01"), end=utc("2026-11-01"))
    assert (view.open_items, view.breached_items) == (2, 2)  # "old" (70 days open) and "soon"
    assert facts.open_at(facts.now) == 2
    # October's history: nothing came due in it, nothing was created in it.
    assert int(view.resolution["count"]) == 0


def test_a_source_without_a_recent_successful_sync_is_stale(queue):
    stored(
        queue,
        models.SyncSource(name="surveys", spreadsheet_key="k", worksheet="w", entity="survey_responses"),
        models.SyncSource(name="members", spreadsheet_key="k", worksheet="m", entity="members"),
        models.SyncSource(name="paused", spreadsheet_key="k", worksheet="p", entity="members", enabled=False),
        models.SyncSource(name="new", spreadsheet_key="k", worksheet="n", entity="members"),  # never synced
        models.SyncSource(name="failing", spreadsheet_key="k", worksheet="f", entity="members"),
        models.SyncRun(source="sheet:failing", entity="members", started_at=AS_OF - dt.timedelta(hours=3), ok=False),
        models.SyncRun(source="sheet:paused", entity="members", started_at=AS_OF - dt.timedelta(days=9)),
        models.SyncRun(source="sheet:surveys", entity="survey_responses", started_at=AS_OF - dt.timedelta(hours=30)),
        models.SyncRun(source="sheet:surveys", entity="survey_responses", started_at=AS_OF, ok=False, error="429"),
        models.SyncRun(source="sheet:members", entity="members", started_at=AS_OF - dt.timedelta(hours=1)),
    )
    fresh = timeline.freshness(queue, stale_after_hours=24, now=AS_OF + dt.timedelta(hours=2))
    # Its last success was 32 h ago (the failed run since does not count); "failing" has tried for 5 h only, "new"
    # never ran (the Data page reports both), "paused" is switched off.
    assert fresh.stale_sources == ("surveys",)
    assert fresh.describe() == "Data as of Wed 18 Nov, 04:59 UTC, 2 h ago"
    assert not fresh.data_stale
    assert fresh.warnings() == ["No successful sync for more than 24 h: surveys (see Data)."]


@pytest.mark.parametrize(("hours", "stale"), [(23.9, False), (24.1, True)])
def test_data_older_than_the_setting_is_flagged(queue, hours, stale):
    fresh = timeline.freshness(queue, stale_after_hours=24, now=AS_OF + dt.timedelta(hours=hours))
    assert fresh.data_stale is stale
    assert bool(fresh.warnings()) is stale


@pytest.mark.parametrize(("minutes", "words"), [(0.5, "just now"), (25, "25 min ago"), (150, "2 h ago"),
                                                 (47 * 60, "47 h ago"), (72 * 60, "3 days ago")])
def test_ages_read_as_a_person_says_them(minutes, words):
    assert timeline.age_words(pd.Timedelta(minutes=minutes)) == words


def test_the_stale_setting_comes_from_the_environment(monkeypatch):
    assert get_settings().stale_after_hours == 24
    monkeypatch.setenv("CROWDPULSE_STALE_AFTER_HOURS", "6")
    assert get_settings().stale_after_hours == 6
