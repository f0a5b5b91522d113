"""Trend charts show their evidence: no point after the data, the partial period marked, n in the tooltip."""

import pandas as pd
import pytest

from core import charts

WEDNESDAY = pd.Timestamp("2026-11-18T14:00", tz="UTC")


def weekly(counts=(40, 30, 25, 12)) -> pd.DataFrame:
    """Four ISO weeks (Mondays) of SLA compliance, the last one the week of WEDNESDAY, plus one after it."""
    weeks = pd.to_datetime(["2026-10-26", "2026-11-02", "2026-11-09", "2026-11-16", "2026-11-23"])
    return pd.DataFrame({"date": weeks, "compliance": [0.9, 0.8, 0.7, 0.6, 0.0], "count": [*counts, 0]})


def layers_of(chart) -> list[dict]:
    spec = chart.to_dict(validate=False)
    return [{"mark": layer["mark"], "rows": spec["datasets"][layer["data"]["name"]], "encoding": layer["encoding"]}
            for layer in spec["layer"]]


def test_no_row_after_the_data_s_last_moment():
    shown = charts.evidence(weekly(), "date", n="count", as_of=WEDNESDAY, period="W")
    assert shown["date"].dt.strftime("%Y-%m-%d").tolist() == ["2026-10-26", "2026-11-02", "2026-11-09", "2026-11-16"]


@pytest.mark.parametrize("period, as_of, note", [
    ("W", WEDNESDAY, "so far, 3 of 7 days"),
    ("W", pd.Timestamp("2026-11-16T07:00", tz="UTC"), "so far, 1 of 7 days"),
    ("D", pd.Timestamp("2026-11-16T07:00", tz="UTC"), "so far, to 07:00 UTC"),
])
def test_the_period_that_has_not_ended_says_so_far(period, as_of, note):
    frame = weekly() if period == "W" else pd.DataFrame({"date": pd.to_datetime(["2026-11-15", "2026-11-16"]),
                                                         "compliance": [0.5, 0.6], "count": [20, 20]})
    shown = charts.evidence(frame, "date", n="count", as_of=as_of, period=period)
    assert shown["_partial"].tolist()[-1] is True and not shown["_partial"].iloc[:-1].any()
    assert shown["_note"].iloc[-1] == note


def test_a_week_that_ended_is_whole():
    sunday_night = pd.Timestamp("2026-11-23T00:00", tz="UTC")
    shown = charts.evidence(weekly(), "date", n="count", as_of=sunday_night, period="W")
    assert shown["_partial"].tolist() == [False, False, False, False, True]  # 23 Nov has begun, 16 Nov is whole


def test_a_point_on_few_items_is_marked_sparse_with_its_count():
    shown = charts.evidence(weekly(counts=(40, 9, 10, 12)), "date", n="count", as_of=WEDNESDAY, period="W")
    assert shown["_sparse"].tolist() == [False, True, False, False]
    assert shown["_note"].iloc[1] == "only 9 items: read with care"


def test_the_line_draws_whole_weeks_solid_the_partial_dashed_and_thin_points_hollow():
    chart = charts.line(weekly(counts=(40, 4, 25, 12)), "date", "compliance", n="count", as_of=WEDNESDAY,
                        period="W", y_format=".0%")
    solid, dashed, filled, hollow = layers_of(chart)
    assert [row["count"] for row in solid["rows"]] == [40, 4, 25]
    assert dashed["mark"]["strokeDash"] and [row["count"] for row in dashed["rows"]] == [25, 12]
    assert filled["mark"]["filled"] is True and [row["count"] for row in filled["rows"]] == [40, 25]
    assert hollow["mark"]["filled"] is False and [row["count"] for row in hollow["rows"]] == [4, 12]
    tips = {tip.get("title"): tip["field"] for tip in filled["encoding"]["tooltip"]}
    assert tips["items"] == "count" and tips["note"] == "_note"


def test_each_series_dashes_from_its_own_last_whole_point_and_legends_read_as_words():
    frame = pd.concat([weekly().assign(queue="first_response"), weekly().assign(queue="review")])
    solid, dashed, *_ = layers_of(charts.line(frame, "date", "compliance", color="queue", n="count",
                                              as_of=WEDNESDAY, period="W"))
    assert [(row["queue"], row["count"]) for row in dashed["rows"]] == [
        ("first response", 25), ("review", 25), ("first response", 12), ("review", 12)]
    assert {row["queue"] for row in solid["rows"]} == {"first response", "review"}


def test_a_line_without_evidence_arguments_draws_every_row_filled():
    frame = pd.DataFrame({"week": ["2026-W45", "2026-W46"], "value": [1.0, 2.0]})
    layers = layers_of(charts.line(frame, "week", "value", x_type="O"))
    assert [layer["mark"]["type"] for layer in layers] == ["line", "point"]
    assert len(layers[1]["rows"]) == 2


def test_estimates_give_the_responses_behind_each_wave():
    waves = pd.DataFrame({"survey_id": ["w1", "w2"], "nps": [10.0, 20.0], "nps_margin": [5.0, 4.0],
                          "nps_responses": [120, 1300]})
    spec = charts.estimates(waves, "survey_id", "nps", "nps_margin", n="nps_responses").to_dict(validate=False)
    tips = spec["layer"][0]["encoding"]["tooltip"]
    assert {"field": "nps_responses", "type": "quantitative", "title": "responses", "format": ",.0f"} in tips


def test_a_daily_line_with_a_threshold_stops_at_the_data_marks_today_and_gives_n():
    # Rejection rate per day; the data ends Wednesday 14:00, so Thursday is not drawn and Wednesday is "so far".
    days = pd.DataFrame({"date": pd.to_datetime(["2026-11-16", "2026-11-17", "2026-11-18", "2026-11-19"]),
                         "rejection_rate": [0.1, 0.5, 0.2, 0.0], "reviewed": [40, 3, 25, 0]})
    chart = charts.line_with_rule(days, "date", "rejection_rate", rule=0.08, rule_label="before the change",
                                  y_format=".0%", n="reviewed", n_title="tasks reviewed", as_of=WEDNESDAY)
    solid, dashed, filled, hollow, rule = layers_of(chart)
    assert [row["reviewed"] for row in solid["rows"]] == [40, 3]
    assert dashed["mark"]["strokeDash"] and [row["reviewed"] for row in dashed["rows"]] == [3, 25]
    assert [row["reviewed"] for row in filled["rows"]] == [40]
    assert [(row["reviewed"], row["_note"]) for row in hollow["rows"]] == [
        (3, "only 3 tasks reviewed: read with care"), (25, "so far, to 14:00 UTC")]
    tips = {tip.get("title"): tip["field"] for tip in filled["encoding"]["tooltip"]}
    assert tips["tasks reviewed"] == "reviewed" and tips["note"] == "_note"
    assert rule["mark"]["type"] == "rule" and rule["rows"] == [{"rule": 0.08, "label": "before the change"}]


def test_axis_ticks_are_at_least_one_shown_digit_apart():
    # Hours shown as 1.7 … 1.9 with ticks every 0.05 read "1.7, 1.8, 1.8, 1.9, 1.9" on Weekly's trend
    assert charts.precise_axis(".1f").to_dict() == {"format": ".1f", "tickMinStep": 0.1}
    assert charts.precise_axis(".1%").to_dict() == {"format": ".1%", "tickMinStep": 0.001}
    assert charts.precise_axis(",.0f").to_dict() == {"format": ",.0f", "tickMinStep": 1.0}
    assert charts.precise_axis("+d").to_dict() == {"format": "+d"}
    frame = pd.DataFrame({"week": ["W43", "W44"], "hours": [1.72, 1.86]})
    chart = charts.line(frame, "week", "hours", x_type="O", y_format=".1f").to_dict()
    assert chart["layer"][0]["encoding"]["y"]["axis"]["tickMinStep"] == 0.1
