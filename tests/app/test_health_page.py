"""Health: active-user tiles, funnel, cohorts and the split by segment."""

import datetime as dt

from core import timeline
from core.health.active import load_active_days, load_community
from core.health.crowd import Crowd


def test_health_tiles_show_active_taskers_and_rates(app, seeded_engine):
    at = app("health")
    tiles = {m.label: m.value for m in at.metric}
    assert set(tiles) == {"Daily active", "Weekly active", "Monthly active", "Active rate", "Stickiness"}
    assert int(tiles["Monthly active"].replace(",", "")) >= int(tiles["Weekly active"].replace(",", ""))
    assert tiles["Active rate"].endswith("%")
    # The values core computes for the default range (the 28 days ending on the data's last day).
    end = timeline.data_as_of(seeded_engine).date()
    start = end - dt.timedelta(days=27)
    days = load_active_days(seeded_engine, start=start - dt.timedelta(days=27), end=end)
    latest = Crowd(load_community(seeded_engine), days).active_users(start, end).iloc[-1]
    assert tiles == {"Daily active": f"{latest['dau']:,}", "Weekly active": f"{latest['wau']:,}",
                     "Monthly active": f"{latest['mau']:,}", "Active rate": f"{latest['active_rate']:.1%}",
                     "Stickiness": f"{latest['stickiness']:.1%}"}


def test_health_draws_the_active_trend_funnel_and_cohort_heatmap(app):
    at = app("health")
    specs = [chart.proto.spec for chart in at.get("vega_lite_chart")]
    assert len(specs) >= 4
    assert any('"rect"' in spec for spec in specs), "no retention heatmap"


def test_split_by_country_lists_each_country_once(app):
    at = app("health")
    at.segmented_control(key="health_split").set_value("country").run()
    table = next(frame.value for frame in at.dataframe if "country" in frame.value.columns)
    assert list(table.columns[:1]) == ["country"]
    assert table["country"].is_unique and len(table) == 12
