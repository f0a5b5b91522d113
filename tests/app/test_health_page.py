"""Health: active-user tiles, funnel, cohorts and the split by segment."""

import datetime as dt

import pandas as pd

import pytest

from core.health.active import load_active_days, load_community
from core.health.crowd import Crowd
from core.health.scope import load_scope
from tests.app.conftest import open_app


def chart_data(chart) -> pd.DataFrame:
    """The rows a chart drew (its datasets, as sent to the browser, stacked)."""
    import pyarrow as pa

    frames = [pa.ipc.open_stream(d.data.data).read_pandas() for d in chart.proto.datasets]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


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


def expected_tiles(engine, f) -> dict:
    """The tiles as the page should show them: the values core computes for the filters, with their deltas."""
    first_day = min(f.start, f.end - dt.timedelta(days=120)) - dt.timedelta(days=27)
    scope = load_scope(engine, start=first_day, end=f.end, regions=f.regions, projects=f.projects)
    active = scope.overview(f.start, f.end)["active"]
    latest = active.iloc[-1]
    previous = active[active["date"] <= pd.Timestamp(f.end) - pd.Timedelta(days=7)].iloc[-1]
    return {
        "Daily active": (f"{latest['dau']:,.0f}", signed("{:,.0f}", latest["dau"] - previous["dau"])),
        "Weekly active": (f"{latest['wau']:,.0f}", signed("{:,.0f}", latest["wau"] - previous["wau"])),
        "Monthly active": (f"{latest['mau']:,.0f}", signed("{:,.0f}", latest["mau"] - previous["mau"])),
        "Active rate": (f"{latest['active_rate']:.1%}",
                        signed("{:+.1%}", latest["active_rate"] - previous["active_rate"])),
        "Stickiness": (f"{latest['stickiness']:.1%}", ""),
    }


@pytest.mark.parametrize("state", [
    {"filter_range": (dt.date(2026, 10, 1), dt.date(2026, 10, 31))},
    {"filter_projects": ["p03"], "filter_regions": ["Latin America"]},
], ids=["october", "cedar-latin-america"])
def test_health_tiles_show_core_values_for_a_past_range_and_a_project_base(seeded_engine, state):
    at = open_app("health", state=state)
    f = at.session_state["filters"]
    assert f.projects == tuple(state.get("filter_projects", ())) and (f.end == dt.date(2026, 10, 31)) == (
        "filter_range" in state)
    tiles = {m.label: (m.value, m.delta) for m in at.metric}
    assert tiles == expected_tiles(seeded_engine, f)
    assert all(m.proto.help for m in at.metric), "every tile explains its definition"


def test_under_a_project_filter_the_active_rate_divides_by_the_projects_members(seeded_engine):
    at = open_app("health", state={"filter_projects": ["p03"]})
    f = at.session_state["filters"]
    first_day = min(f.start, f.end - dt.timedelta(days=120)) - dt.timedelta(days=27)
    scope = load_scope(seeded_engine, start=first_day, end=f.end, projects=f.projects)
    whole = load_scope(seeded_engine, start=first_day, end=f.end)
    assert scope.by_project and 0 < len(scope.community.members) < len(whole.community.members)
    onboarded = scope.community.members["onboarded_at"].lt(pd.Timestamp(f.end, tz="UTC") + pd.Timedelta(days=1)).sum()
    mau = scope.overview(f.end, f.end)["active"]["mau"].iloc[-1]
    assert next(m.value for m in at.metric if m.label == "Active rate") == f"{mau / onboarded:.1%}"


@pytest.mark.parametrize("kind", ["dau", "wau", "mau"])
def test_the_members_behind_a_tile_are_as_many_as_it_shows(app, kind):
    at = app("health")
    at.selectbox(key="health_members").set_value(kind).run()
    shown = next(m.value for m in at.metric if m.label.lower().startswith({"dau": "daily", "wau": "weekly",
                                                                           "mau": "monthly"}[kind]))
    caption = next(c.value for c in at.caption if "taskers ·" in c.value)
    assert caption.startswith(f"**{shown}** taskers")
    assert any(b.proto.id.endswith("health_member_list_csv") for b in at.get("download_button"))
    assert any(b.label.startswith(f"Draft a message to these {shown} ") for b in at.button)


def test_the_members_behind_a_retention_cell_and_a_segment_row_match_their_figures(app, seeded_engine):
    at = app("health")
    at.segmented_control(key="health_behind").set_value("A segment row").run()
    split = next(frame.value for frame in at.dataframe if "region" in frame.value.columns)
    value = at.selectbox(key="health_row_value").value
    at.selectbox(key="health_row_group").set_value("mau").run()
    caption = next(c.value for c in at.caption if "taskers ·" in c.value)
    assert caption.startswith(f"**{split.set_index('region').loc[value, 'mau']:,}** taskers")
    at.segmented_control(key="health_behind").set_value("A retention cell").run()
    f = at.session_state["filters"]
    first_day = min(f.start, f.end - dt.timedelta(days=120)) - dt.timedelta(days=27)
    cohorts = load_scope(seeded_engine, start=first_day, end=f.end).community.retention_cohorts(weeks=8, as_of=f.end)
    week, number = at.selectbox(key="health_cell_week").value, at.selectbox(key="health_cell_number").value
    cell = cohorts[(cohorts["cohort_week"] == pd.Timestamp(week)) & (cohorts["week_number"] == number)].iloc[0]
    caption = next(c.value for c in at.caption if "taskers ·" in c.value)
    assert caption.startswith(f"**{cell['active']:,}** taskers")


def test_where_taskers_stand_names_each_status_in_words(app, seeded_engine):
    at = app("health")
    frames = [chart_data(chart) for chart in at.get("vega_lite_chart")]
    statuses = next(frame for frame in frames if "status" in frame.columns)
    assert statuses["status"].tolist() == ["New", "Returning", "Dormant", "Never active"]


def test_a_member_list_names_a_direct_tasker_s_vendor_direct_not_none(app):
    at = app("health")
    at.selectbox(key="health_members").set_value("mau").run()
    listed = next(frame.value for frame in at.dataframe if "vendor" in frame.value.columns)
    assert listed["vendor"].notna().all()
    assert "direct" in set(listed["vendor"]) and "None" not in set(listed["vendor"].astype(str))
