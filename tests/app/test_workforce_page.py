"""Workforce: fatigue and confusion alerts with their evidence and audience, the table, the capacity planner."""

import datetime as dt
import json

import pandas as pd
from streamlit.testing.v1 import AppTest

from core import timeline
from core.queues.read import load_arrivals
from core.workforce import capacity
from core.workforce.read import load_fatigue_alerts, load_workforce_table

# AppTest does not expose a dataframe's key: each table is recognised by columns only it shows.
TABLES = {
    "workforce_fatigue": {"recent_daily_hours", "streak_days"},
    "workforce_confusion": {"change_kind", "baseline_source"},
    "workforce_confusion_regions": {"region", "affected"},
    "workforce_table": {"aht_seconds", "too_fast_rate"},
    "capacity_levels": {"keeps_up", "meets_target"},
}


def frame(at: AppTest, key: str):
    """The DataFrame of the table with this key."""
    return next(element.value for element in at.dataframe if TABLES[key] <= set(element.value.columns))


def test_workforce_shows_tiles_and_the_fatigued_moderators(app, seeded_engine):
    at = app("workforce")
    assert [m.label for m in at.metric][:4] == ["Quality", "AHT", "Taskers showing fatigue",
                                               "Projects showing confusion"]
    fatigue = frame(at, "workforce_fatigue")
    assert len(fatigue) >= 4 and int(at.metric[2].value) == len(fatigue)
    # The values core computes for the default range (the 28 days ending on the data's last day).
    end = timeline.data_as_of(seeded_engine).date()
    totals = load_workforce_table(seeded_engine, start=end - dt.timedelta(days=27), end=end, by=None).iloc[0]
    alerts = load_fatigue_alerts(seeded_engine, end, window_start=end - dt.timedelta(days=35))
    assert [m.value for m in at.metric][:3] == [f"{totals['quality']:.1%}", f"{totals['aht_seconds']:.0f} s",
                                                f"{len(alerts):,}"]
    assert fatigue["member_id"].tolist() == alerts["member_id"].tolist()
    assert fatigue["reasons"].str.contains("days in a row").all()
    assert [t.label for t in at.tabs] == ["Fatigue", "Confusion", "Taskers, projects, vendors", "Capacity planner"]
    assert [m.label for m in at.metric][4:] == []  # only the open tab runs: no capacity tiles yet


def y_fields(spec: dict) -> set[str]:
    """The quantitative fields a chart (or any of its layers) puts on its y axis."""
    fields = {spec.get("encoding", {}).get("y", {}).get("field")} - {None}
    return fields.union(*(y_fields(layer) for layer in spec.get("layer", [])))


def test_fatigue_evidence_is_two_charts_hours_and_quality_on_their_own_axes(app):
    at = app("workforce")
    charts = [y_fields(json.loads(chart.proto.spec)) for chart in at.get("vega_lite_chart")]
    # hours with the 9-hour threshold rule in one chart, the 0–1 quality share alone in another
    assert {"hours", "rule"} in charts and {"quality"} in charts
    assert any(m.value.startswith("**Evidence for m") for m in at.markdown)


def test_fatigue_message_hands_exactly_the_fatigued_taskers_to_the_comms_studio(app):
    at = app("workforce")
    fatigue = frame(at, "workforce_fatigue")
    at.button(key="workforce_fatigue_message").click().run()
    handoff = at.session_state["comms_handoff"]
    assert handoff["member_ids"] == fatigue["member_id"].tolist()
    assert handoff["template"] == "wellbeing_check"


def test_confusion_names_cedar_and_presets_the_audience_to_latin_america(app):
    at = app("workforce", state={"workforce_tab": "Confusion"})
    confusion = frame(at, "workforce_confusion")
    assert confusion["project_id"].tolist() == ["p03"]
    regions = frame(at, "workforce_confusion_regions")
    assert regions.loc[regions["affected"], "region"].tolist() == ["Latin America"]
    audience = next(m for m in at.multiselect if m.key.startswith("workforce_confusion_regions_"))
    assert audience.value == ["Latin America"]
    button = at.button(key="workforce_confusion_message")
    assert "Cedar GenAI Chat Rating taskers in Latin America" in button.label
    audience.set_value(["Latin America", "Europe"]).run()
    assert "in Latin America, Europe" in at.button(key="workforce_confusion_message").label


def test_the_table_per_vendor_calls_blank_vendors_direct_and_filters_by_text(app):
    at = app("workforce", state={"workforce_tab": "Taskers, projects, vendors"})
    at.segmented_control(key="workforce_dimension").set_value("vendor").run()
    assert "direct" in frame(at, "workforce_table")["vendor"].tolist()
    at.text_input(key="workforce_search").set_value("bright").run()
    assert frame(at, "workforce_table")["vendor"].tolist() == ["Brightpath BPO"]


def support_plan_and_peak_levels(engine, aht_seconds: float) -> tuple:
    """The support queue's week plan and its peak hour's staffing levels, as core computes them with the
    planner's defaults (90% within 4 h, 30% shrinkage, 85% occupancy cap, the last 4 weeks of arrivals)."""
    now = timeline.data_as_of(engine)
    items = load_arrivals(engine, "support", start=now - pd.Timedelta(weeks=4), end=now)
    plan = capacity.staffing_by_hour_of_week(capacity.arrivals_by_hour_of_week(items, now, weeks=4), aht_seconds,
                                             0.9, 4 * 3600, shrinkage=0.3, max_occupancy=0.85)
    peak = plan.loc[plan["scheduled"].idxmax()]
    return plan, capacity.staffing_levels(peak["arrivals_per_hour"], aht_seconds, 0.9, 4 * 3600,
                                          agents=max(int(peak["agents"]), 1), shrinkage=0.3, max_occupancy=0.85)


def test_capacity_planner_shows_staffing_levels_around_the_plan(app, seeded_engine):
    at = app("workforce", state={"workforce_tab": "Capacity planner"})
    at.selectbox(key="capacity_queue").set_value("support").run()
    assert not at.exception
    labels = [m.label for m in at.metric]
    assert labels[4:] == ["Arrivals per week", "Peak reviewers to schedule", "Reviewer-hours per week",
                          "Hours needing nobody"]
    levels = frame(at, "capacity_levels")
    expected_plan, expected_levels = support_plan_and_peak_levels(seeded_engine, at.number_input(
        key="capacity_aht_support").value * 60)
    pd.testing.assert_frame_equal(levels.reset_index(drop=True), expected_levels, check_dtype=False)
    tiles = {m.label: m.value for m in at.metric}
    assert tiles["Peak reviewers to schedule"] == f"{int(expected_plan['scheduled'].max()):,}"
    assert tiles["Hours needing nobody"] == f"{int((expected_plan['agents'] == 0).sum()):,}"
    assert len(levels) >= 4 and levels["agents"].is_monotonic_increasing
    assert levels["meets_target"].any()
    assert any("default 10 minutes" in c.value for c in at.caption)
    at.number_input(key="capacity_aht_support").set_value(60.0).run()
    assert int(at.metric[5].value) > 0


def test_a_past_range_shows_the_figures_core_computes_for_it(seeded_engine):
    from core.workforce.confusion import HISTORY_DAYS, confusion_alerts
    from core.workforce.read import load_negative_feedback, load_project_day_totals, load_projects
    from tests.app.conftest import open_app

    start, end = dt.date(2026, 10, 1), dt.date(2026, 10, 28)
    at = open_app("workforce", query={"from": start.isoformat(), "to": end.isoformat()})
    totals = load_workforce_table(seeded_engine, start=start, end=end, by=None).iloc[0]
    fatigue = load_fatigue_alerts(seeded_engine, end, window_start=end - dt.timedelta(days=35), last_day=end)
    history = end - dt.timedelta(days=HISTORY_DAYS)
    confused = confusion_alerts(load_project_day_totals(seeded_engine, start=history, end=end),
                                load_projects(seeded_engine), pd.Timestamp(end),
                                feedback=load_negative_feedback(seeded_engine, start=history, end=end))
    assert [m.value for m in at.metric][:4] == [f"{totals['quality']:.1%}", f"{totals['aht_seconds']:.0f} s",
                                                f"{len(fatigue):,}", f"{len(confused):,}"]


def test_the_confusion_message_says_who_it_reaches_against_the_evidence_table(app):
    at = app("workforce", state={"workforce_tab": "Confusion"})
    regions = frame(at, "workforce_confusion_regions")
    button = at.button(key="workforce_confusion_message")
    audience = int(button.label.split("these ")[1].split(" ")[0].replace(",", ""))
    in_window = int(regions.loc[regions["region"] == "Latin America", "recent_members"].sum())
    note = next(c.value for c in at.caption if c.value.startswith("The message goes to"))
    assert f"the {audience:,} taskers who submitted work on Cedar GenAI Chat Rating in Latin America" in note
    assert f"counts the {in_window:,} with work there in the 14 days after the change" in note


def test_a_direct_taskers_vendor_reads_direct_in_the_vendor_table(app):
    at = app("workforce", state={"workforce_tab": "Taskers, projects, vendors", "workforce_dimension": "vendor"})
    vendors = frame(at, "workforce_table")["vendor"].tolist()
    assert "direct" in vendors and not any(v is None or v != v or v == "None" for v in vendors)
