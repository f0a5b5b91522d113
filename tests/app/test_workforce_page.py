"""Workforce: fatigue and confusion alerts with their evidence and audience, the table, the capacity planner."""

import datetime as dt
import json

import pandas as pd
from streamlit.testing.v1 import AppTest

from core import timeline
from core.queues.read import load_arrivals
from core.workforce import capacity, roster
from core.workforce.forecast import forecast_arrivals
from core.workforce.handling import load_handled_items, measured_aht
from core.workforce.roster import load_roster
from core.workforce.vendors import load_vendor_members, onboarding_by_vendor
from core.workforce.read import load_fatigue_alerts, load_workforce_table

# AppTest does not expose a dataframe's key: each table is recognised by columns only it shows.
TABLES = {
    "workforce_fatigue": {"recent_daily_hours", "streak_days"},
    "workforce_confusion": {"change_kind", "baseline_source"},
    "workforce_confusion_regions": {"region", "affected"},
    "workforce_table": {"aht_seconds", "too_fast_rate"},
    "capacity_levels": {"keeps_up", "meets_target"},
    "capacity_roster_gap": {"rostered", "gap", "status"},
    "vendor_lens": {"never_started_rate", "sla_share"},
    "vendor_lens_taskers": {"handle", "onboarded_at"},
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
    assert [t.label for t in at.tabs] == ["Fatigue", "Confusion", "Taskers, projects, vendors", "Vendors",
                                        "Capacity planner"]
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


def planner_expectations(engine, queue: str, aht_seconds: float, **what_if) -> tuple:
    """The queue's next-week plan against the roster and its peak hour's staffing levels, as core computes them
    with the planner's defaults (90% within 4 h, 30% shrinkage, 85% occupancy cap, forecast from 4 weeks)."""
    now = timeline.data_as_of(engine)
    created = load_arrivals(engine, queue, start=now - pd.Timedelta(weeks=5), end=now)["created_at"]
    forecast = forecast_arrivals(created, now, weeks=4)
    shifts = load_roster(engine, start=forecast.starts, end=forecast.starts + pd.Timedelta(weeks=1), queue=queue)
    gap = roster.what_if_week(forecast.frame, shifts, forecast.starts, aht_seconds=aht_seconds, target=0.9,
                              within_seconds=4 * 3600, shrinkage=0.3, max_occupancy=0.85, **what_if)
    peak = gap.loc[gap["scheduled"].idxmax()]
    return forecast, gap, capacity.staffing_levels(peak["arrivals_per_hour"], aht_seconds, 0.9, 4 * 3600,
                                                   agents=max(int(peak["agents"]), 1), shrinkage=0.3,
                                                   max_occupancy=0.85)


def test_capacity_planner_staffs_next_week_from_the_measured_aht_and_shows_the_roster_gap(app, seeded_engine):
    at = app("workforce", state={"workforce_tab": "Capacity planner"})
    assert not at.exception
    now = timeline.data_as_of(seeded_engine)
    measured, count = measured_aht(load_handled_items(seeded_engine, "review", start=now - pd.Timedelta(weeks=4),
                                                      end=now))
    assert count >= 20 and at.number_input(key="capacity_aht_review").value == round(measured / 60, 1)
    assert any(f"mean of {count:,} finished review items" in c.value for c in at.caption)
    aht_seconds = at.number_input(key="capacity_aht_review").value * 60
    forecast, gap, expected_levels = planner_expectations(seeded_engine, "review", aht_seconds)
    assert any(forecast.method in c.value and "Mean absolute error" in c.value for c in at.caption)
    tiles = {m.label: m.value for m in at.metric}
    summary = roster.gap_summary(gap)
    assert tiles["Peak reviewers to schedule"] == f"{int(gap['scheduled'].max()):,}"
    assert tiles["Hours under-staffed"] == f"{summary['under_hours']:,}"
    assert summary["under_hours"] > 0  # the demo's roster leaves next week's busy hours short
    shown_gap = frame(at, "capacity_roster_gap")
    assert shown_gap["gap"].tolist() == roster.off_plan_hours(gap)["gap"].tolist()
    levels = frame(at, "capacity_levels")
    expected_levels = expected_levels.assign(**{c: expected_levels[c] * 100 for c in ("service_level", "occupancy")
                                                if c in expected_levels})  # shares shown as percentages
    pd.testing.assert_frame_equal(levels.reset_index(drop=True), expected_levels, check_dtype=False)
    assert levels["meets_target"].any()


def test_what_if_a_vendor_team_is_away_more_hours_are_short(app, seeded_engine):
    at = app("workforce", state={"workforce_tab": "Capacity planner"})
    before = int(next(m.value for m in at.metric if m.label == "Hours under-staffed"))
    at.selectbox(key="capacity_away").set_value("Lumen Agency").run()
    at.slider(key="capacity_more_arrivals").set_value(0.2).run()
    assert not at.exception
    aht_seconds = at.number_input(key="capacity_aht_review").value * 60
    _, gap, _ = planner_expectations(seeded_engine, "review", aht_seconds, more_arrivals=0.2, away="Lumen Agency")
    after = int(next(m.value for m in at.metric if m.label == "Hours under-staffed"))
    assert after == roster.gap_summary(gap)["under_hours"] and after > before


def test_the_vendor_lens_tells_the_brightpath_story_with_the_taskers_behind_it(app, seeded_engine):
    at = app("workforce", state={"workforce_tab": "Vendors"})
    assert not at.exception
    warnings = [w.value for w in at.warning]
    assert any(w.startswith("Brightpath BPO:") and "never started" in w for w in warnings)
    lens = frame(at, "vendor_lens").set_index("vendor")
    members = load_vendor_members(seeded_engine)
    expected = onboarding_by_vendor(members, timeline.data_as_of(seeded_engine)).set_index("vendor")
    assert lens.loc["Brightpath BPO", "never_started"] == expected.loc["Brightpath BPO", "never_started"]
    assert lens["never_started_rate"].idxmax() == "Brightpath BPO"
    at.selectbox(key="vendor_lens_vendor").set_value("Brightpath BPO").run()
    taskers = frame(at, "vendor_lens_taskers")
    assert len(taskers) == expected.loc["Brightpath BPO", "never_started"]


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


def test_a_confusion_rate_has_one_precision_in_the_table_and_in_the_text(app):
    at = app("workforce", state={"workforce_tab": "Confusion"})
    element = next(e for e in at.dataframe if TABLES["workforce_confusion"] <= set(e.value.columns))
    cedar = element.value.iloc[0]
    config = json.loads(element.proto.columns)
    assert config["baseline_rejection_pct"]["type_config"]["format"] == "%.1f%%"
    assert config["recent_rejection_pct"]["type_config"]["format"] == "%.1f%%"
    before, after = f"{cedar['baseline_rejection_pct']:.1f}%", f"{cedar['recent_rejection_pct']:.1f}%"
    assert cedar["reasons"].startswith(f"rejections {before} → {after}")  # the words Today shows, same precision
    evidence = next(m.value for m in at.markdown if m.value.startswith("**Evidence for"))
    assert f"rejections {before} → {after}" in evidence


def test_the_daily_evidence_charts_give_n_and_stop_at_the_data(app):
    for tab, titles in (("Fatigue", ["tasks reviewed"]), ("Confusion", ["tasks reviewed", "tasks"])):
        at = app("workforce", state={"workforce_tab": tab})
        specs = [json.loads(chart.proto.spec) for chart in at.get("vega_lite_chart")]
        tooltips = [{tip.get("title") for layer in spec.get("layer", []) for tip in layer["encoding"].get("tooltip", [])}
                    for spec in specs]
        for title in titles:
            assert any({title, "note"} <= tips for tips in tooltips), (tab, title)
