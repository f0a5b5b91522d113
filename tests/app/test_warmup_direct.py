"""ui.warmup_direct: with sign-in required, the pages' opening accessors are warmed directly, with the keys a page uses."""

import datetime as dt

from tests.app.conftest import open_app
from ui import data, filters, warmup_direct
from ui import health as health_data


def test_the_default_filters_are_the_last_28_days_of_data_everywhere(seeded_engine):
    as_of = data.as_of().date()
    assert warmup_direct.default_filters() == filters.Filters(
        start=as_of - dt.timedelta(days=27), end=as_of, projects=(), regions=())


def test_every_step_runs_outside_a_script_run(seeded_engine):
    took = warmup_direct.warm()
    assert sorted(took) == ["feedback", "filter bar", "health", "queues", "today", "workforce"]


def test_a_page_then_finds_its_figures_cached_under_its_own_keys(seeded_engine, monkeypatch):
    # Emptied first, so only the warm-up can have filled them; then computing again fails: the page must hit.
    data._today.clear()
    health_data.health.clear()
    health_data._scope.clear()
    health_data.health_split.clear()
    warmup_direct.warm()
    monkeypatch.setattr(data.attention, "today_figures_and_entries", lambda *a, **k: 1 / 0)
    monkeypatch.setattr(health_data.health_scope, "load_scope", lambda *a, **k: 1 / 0)
    open_app()  # Today, the default page: fails on an exception
    open_app("health")
