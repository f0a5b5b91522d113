"""Health: active-user tiles, funnel, cohorts and the split by segment."""

import datetime as dt

import pandas as pd

from core.health.active import load_active_days, load_community
from core.health.crowd import Crowd


def signed(fmt: str, value) -> str:
    """A delta as a tile shows it: formatted, with a plus sign when it grew."""
    text = fmt.format(value)
    return "+" + text if value > 0 and not text.startswith("+") else text


def test_health_tiles_show_the_active_taskers_and_rates_core_computes(app, seeded_engine):
    at = app("health")
    f = at.session_state["filters"]
    # The page's window: cohorts and funnel look 120 days back, and MAU 27 days more.
    first_day = min(f.start, f.end - dt.timedelta(days=120)) - dt.timedelta(days=27)
    days = load_active_days(seeded_engine, start=first_day, end=f.end, projects=f.projects)
    active = Crowd(load_community(seeded_engine, regions=f.regions), days).overview(f.start, f.end)["active"]
    latest = active.iloc[-1]
    previous = active[active["date"] <= pd.Timestamp(f.end) - pd.Timedelta(days=7)].iloc[-1]
    tiles = {m.label: (m.value, m.delta) for m in at.metric}
    assert tiles == {
        "Daily active": (f"{latest['dau']:,.0f}", signed("{:,.0f}", latest["dau"] - previous["dau"])),
        "Weekly active": (f"{latest['wau']:,.0f}", signed("{:,.0f}", latest["wau"] - previous["wau"])),
        "Monthly active": (f"{latest['mau']:,.0f}", signed("{:,.0f}", latest["mau"] - previous["mau"])),
        "Active rate": (f"{latest['active_rate']:.1%}",
                        signed("{:+.1%}", latest["active_rate"] - previous["active_rate"])),
        "Stickiness": (f"{latest['stickiness']:.1%}", ""),
    }
    assert latest["mau"] >= latest["wau"] >= latest["dau"] > 0


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
