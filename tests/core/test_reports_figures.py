"""A headline figure's change reads the same everywhere: one minus sign, no arrow for a change that rounds to zero."""

import pandas as pd
import pytest

from core import reports
from core.overview import Figure


def figure(this_week, previous_week, fmt, key="first_response"):
    """A figure with only what the formatting reads."""
    return Figure(key, "First response", this_week, previous_week, fmt, False, "")


@pytest.mark.parametrize("this_week, previous_week, fmt, shown", [
    (1.72, 1.74, "{:.1f} h", "±0.0 h"),          # −0.02 h rounds to zero: no sign, no arrow
    (1.76, 1.74, "{:.1f} h", "±0.0 h"),
    (1.5, 1.74, "{:.1f} h", "−0.2 h"),           # a true minus, as the written summary prints it
    (2.0, 1.74, "{:.1f} h", "+0.3 h"),
    (0.901, 0.9014, "{:.1%}", "±0.0 pts"),
    (0.88, 0.9, "{:.1%}", "−2.0 pts"),
    (4.0, 4.4, "{:+.0f}", "±0"),
    (-3.0, 8.0, "{:+.0f}", "−11"),
    (1200.0, 1112.0, "{:,.0f}", "+88"),
    (float("nan"), 3.0, "{:,.0f}", "—"),
])
def test_a_change_is_shown_with_one_minus_sign_and_zero_as_plus_minus(this_week, previous_week, fmt, shown):
    assert figure(this_week, previous_week, fmt).format_delta() == shown


def report_with(figures):
    """A report of these figures only (no trend)."""
    start = pd.Timestamp("2026-11-09", tz="UTC")
    return reports.WeeklyReport("2026-W46", start, start + pd.Timedelta(days=7), figures, pd.DataFrame(
        columns=["week", "metric", "key", "value", "count"]))


def test_the_figures_table_prints_negative_values_and_changes_with_a_true_minus():
    report = report_with([Figure("net_sentiment", "Net sentiment", -3.0, 8.0, "{:+.0f}", True, ""),
                          figure(1.72, 1.74, "{:.1f} h")])
    assert report.figures_frame().to_dict("records") == [
        {"metric": "Net sentiment", "this_week": "−3", "previous_week": "+8", "change": "−11"},
        {"metric": "First response", "this_week": "1.7 h", "previous_week": "1.7 h", "change": "±0.0 h"}]
    assert "| Net sentiment | −3 | +8 | −11 |" in reports.to_markdown(report)


def test_the_sheet_rows_keep_the_change_a_number():
    rows = reports.sheet_rows(report_with([Figure("net_sentiment", "Net sentiment", -3.0, 8.0, "{:+.0f}", True, "")]),
                              scope=reports.ALL_SCOPE)
    assert rows[["this_week", "previous_week", "change"]].to_dict("records") == [
        {"this_week": -3.0, "previous_week": 8.0, "change": -11.0}]


def sla_trend(partial_last: bool) -> pd.DataFrame:
    """SLA met over four weeks with the items due behind each point (8 in the last: too few to call)."""
    return pd.DataFrame({"week": ["2026-W44", "2026-W45", "2026-W46", "2026-W47"], "metric": "SLA met", "key": "sla",
                         "value": [0.9, 0.8, 0.85, 0.5], "count": [120, 110, 130, 8],
                         "partial": [False, False, False, partial_last]})


def test_the_trend_chart_gives_each_point_its_n_and_marks_the_week_still_going():
    report = report_with([Figure("sla", "SLA met", 0.5, 0.85, "{:.1%}", True, "")])
    report.trend = sla_trend(partial_last=True)
    from core import charts
    spec = charts.line(report.trend, **reports.trend_chart_options(report, report.trend)).to_dict()
    tooltips = [t for layer in spec["layer"] for t in layer["encoding"].get("tooltip", [])]
    assert {"field": "count", "type": "quantitative", "title": "items due", "format": ",.0f"} in tooltips
    rows = [row for data in spec["datasets"].values() for row in data]
    last = next(row for row in rows if row["week"] == "2026-W47")
    assert (last["_partial"], last["_sparse"], last["_note"]) == (True, True, "so far; only 8 items due: read with care")
    assert not next(row for row in rows if row["week"] == "2026-W46")["_partial"]
    assert any(layer["mark"].get("strokeDash") == [4, 3] for layer in spec["layer"])  # the dashed partial segment
