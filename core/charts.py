"""Altair chart builders with one shared look; each takes an aggregate DataFrame.

Colours are the Okabe-Ito palette: distinguishable with the common colour-vision
deficiencies and legible on light and dark backgrounds.
"""

import altair as alt
import pandas as pd

PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#999999"]
GOOD, WARN, BAD, NEUTRAL = "#009E73", "#E69F00", "#D55E00", "#999999"
HEIGHT = 240


def line(frame: pd.DataFrame, x: str, y: str, *, color: str | None = None, y_title: str | None = None,
         y_format: str = ",.0f", x_title: str = "", x_type: str = "T", height: int = HEIGHT) -> alt.Chart:
    """A line per series over time (x_type 'T') or over ordered labels (x_type 'O'), with points to hover."""
    encoding = dict(
        x=alt.X(f"{x}:{x_type}", title=x_title, axis=alt.Axis(labelAngle=0) if x_type == "O" else alt.Axis()),
        y=alt.Y(f"{y}:Q", title=y_title or y, axis=alt.Axis(format=y_format), scale=alt.Scale(zero=False)),
        tooltip=[alt.Tooltip(f"{x}:{x_type}"), alt.Tooltip(f"{y}:Q", format=y_format)]
        + ([alt.Tooltip(f"{color}:N")] if color else []),
    )
    if color:
        encoding["color"] = alt.Color(f"{color}:N", scale=alt.Scale(range=PALETTE), title=None)
    chart = alt.Chart(frame).mark_line(point=alt.OverlayMarkDef(size=18)).encode(**encoding)
    return _finish(chart, height=height)


def bars(frame: pd.DataFrame, category: str, value: str, *, color: str | None = None, horizontal: bool = True,
         value_title: str | None = None, value_format: str = ",.0f", select: bool = False, sort: str = "-x",
         stack: bool = True, color_order: list | None = None, color_range: list | None = None,
         row_height: int | None = None) -> alt.Chart:
    """Bars per category (optionally coloured by a second field); `select` lets a click filter a table.

    `color_range` gives the colours of `color_order` (e.g. BAD, NEUTRAL, GOOD for sentiment);
    `row_height` makes the chart at least that many pixels tall per category.
    """
    value_axis = alt.X if horizontal else alt.Y
    cat_axis = alt.Y if horizontal else alt.X
    encoding = dict(
        tooltip=[alt.Tooltip(f"{category}:N"), alt.Tooltip(f"{value}:Q", format=value_format)]
        + ([alt.Tooltip(f"{color}:N")] if color else []),
    )
    value_enc = value_axis(f"{value}:Q", title=value_title or value, axis=alt.Axis(format=value_format),
                           stack=True if stack else None)
    cat_enc = cat_axis(f"{category}:N", title=None, sort=sort if horizontal else None,
                       axis=alt.Axis(labelLimit=220) if horizontal else alt.Axis(labelLimit=220, labelAngle=0))
    encoding["x" if horizontal else "y"] = value_enc
    encoding["y" if horizontal else "x"] = cat_enc
    if color:
        scale = alt.Scale(range=color_range or PALETTE, domain=color_order) if color_order else alt.Scale(range=PALETTE)
        encoding["color"] = alt.Color(f"{color}:N", scale=scale, title=None, sort=color_order)
        if color_order:
            encoding["order"] = alt.Order(f"{color}_order:Q")
            frame = frame.assign(**{f"{color}_order": frame[color].astype(str).map({v: i for i, v in enumerate(color_order)})})
    else:
        encoding["color"] = alt.value(PALETTE[0])
    chart = alt.Chart(frame).mark_bar()
    if select:
        pick = alt.selection_point(name="pick", fields=[category])
        chart = chart.add_params(pick)
        encoding["opacity"] = alt.condition(pick, alt.value(1.0), alt.value(0.35))
    height = max(HEIGHT, row_height * frame[category].nunique()) if row_height else HEIGHT
    return _finish(chart.encode(**encoding), height=height)


def heatmap(frame: pd.DataFrame, x: str, y: str, value: str, *, value_format: str = ".0%",
            x_title: str = "", y_title: str = "") -> alt.Chart:
    """A grid of cells coloured by value (e.g. retention by cohort and week)."""
    base = alt.Chart(frame).encode(x=alt.X(f"{x}:O", title=x_title, axis=alt.Axis(labelAngle=0)),
                                   y=alt.Y(f"{y}:O", title=y_title, axis=alt.Axis(labelLimit=220)))
    cells = base.mark_rect().encode(
        color=alt.Color(f"{value}:Q", scale=alt.Scale(scheme="blues"), legend=None),
        tooltip=[alt.Tooltip(f"{y}:O"), alt.Tooltip(f"{x}:O"), alt.Tooltip(f"{value}:Q", format=value_format)])
    labels = base.mark_text(fontSize=10).encode(
        text=alt.Text(f"{value}:Q", format=value_format),
        color=alt.condition(f"datum.{value} > 0.5", alt.value("white"), alt.value("#333")))
    return _finish(cells + labels, height=max(HEIGHT, 28 * frame[y].nunique()))


def estimates(frame: pd.DataFrame, x: str, y: str, margin: str, *, color: str | None = None,
              y_title: str | None = None, y_format: str = "+.0f", margin_format: str = ".1f", x_title: str = "",
              x_sort: list | None = None, height: int = HEIGHT) -> alt.Chart:
    """Estimates per ordered label (e.g. NPS per survey wave) joined by a line, each with a ± margin error bar."""
    shown = frame.assign(_low=frame[y] - frame[margin], _high=frame[y] + frame[margin])
    x_enc = alt.X(f"{x}:O", title=x_title, sort=x_sort, axis=alt.Axis(labelAngle=0, labelLimit=160))
    tooltip = [alt.Tooltip(f"{x}:O"), alt.Tooltip(f"{y}:Q", format=y_format),
               alt.Tooltip(f"{margin}:Q", title="± (95%)", format=margin_format)] + ([alt.Tooltip(f"{color}:N")] if color else [])
    colour = (alt.Color(f"{color}:N", scale=alt.Scale(range=PALETTE), title=None) if color
              else alt.value(PALETTE[0]))
    base = alt.Chart(shown).encode(x=x_enc, color=colour, tooltip=tooltip)
    # Groups share each x position: thin, translucent bars keep overlapping margins readable.
    bars = base.mark_rule(strokeWidth=2, opacity=0.6).encode(
        y=alt.Y("_low:Q", title=y_title or y, axis=alt.Axis(format=y_format), scale=alt.Scale(zero=False)),
        y2=alt.Y2("_high"))
    points = base.mark_line(point=alt.OverlayMarkDef(size=60, filled=True)).encode(y=alt.Y(f"{y}:Q"))
    return _finish(alt.layer(bars, points), height=height)


def line_with_rule(frame: pd.DataFrame, x: str, y: str, *, rule: float, rule_label: str, y_title: str | None = None,
                   y_format: str = ",.0f", x_title: str = "", height: int = 180, color: str = PALETTE[0]) -> alt.Chart:
    """One series over time with a dashed horizontal line at a threshold (e.g. 9 hours a day)."""
    base = alt.Chart(frame)
    series = base.mark_line(point=alt.OverlayMarkDef(size=18), color=color).encode(
        x=alt.X(f"{x}:T", title=x_title),
        y=alt.Y(f"{y}:Q", title=y_title or y, axis=alt.Axis(format=y_format)),
        tooltip=[alt.Tooltip(f"{x}:T"), alt.Tooltip(f"{y}:Q", format=y_format)])
    marker = alt.Chart(pd.DataFrame({"rule": [rule], "label": [rule_label]})).mark_rule(
        strokeDash=[4, 4], color=BAD).encode(y="rule:Q", tooltip=[alt.Tooltip("label:N", title="threshold")])
    return _finish(alt.layer(series, marker), height=height)


def week_hours(frame: pd.DataFrame, y: str, *, color: str | None = None, y_title: str | None = None,
               y_format: str = ",.1f", step: bool = False, select: bool = False, height: int = HEIGHT) -> alt.Chart:
    """A value for each of the 168 hours of the week (`hour_of_week`, `label`): bars, or step lines per `color`."""
    days = "['Mon','Tue','Wed','Thu','Fri','Sat','Sun'][floor(datum.value / 24)]"
    x_axis = alt.Axis(values=list(range(0, 168, 24)), labelExpr=days, title=None, grid=True)
    tooltip = [alt.Tooltip("label:N", title="hour (UTC)"), alt.Tooltip(f"{y}:Q", format=y_format)]
    shown = frame.assign(_end=frame["hour_of_week"] + 1)
    x = alt.X("hour_of_week:Q", axis=x_axis, scale=alt.Scale(domain=[0, 168], nice=False))
    y_enc = alt.Y(f"{y}:Q", title=y_title or y, axis=alt.Axis(format=y_format))
    if step:
        encoding = dict(x=x, y=y_enc, tooltip=tooltip + ([alt.Tooltip(f"{color}:N")] if color else []))
        if color:
            encoding["color"] = alt.Color(f"{color}:N", scale=alt.Scale(range=PALETTE), title=None)
        chart = alt.Chart(shown).mark_line(interpolate="step-after").encode(**encoding)
        return _finish(chart, height=height)
    chart = alt.Chart(shown).mark_bar(color=PALETTE[0], stroke=None)
    encoding = dict(x=x, x2="_end:Q", y=y_enc, y2=alt.datum(0), tooltip=tooltip)
    if select:
        pick = alt.selection_point(name="pick", fields=["hour_of_week"])
        chart = chart.add_params(pick)
        encoding["opacity"] = alt.condition(pick, alt.value(1.0), alt.value(0.35))
    return _finish(chart.encode(**encoding), height=height)


def _finish(chart, height: int = HEIGHT):
    return chart.properties(height=height).configure_axis(
        labelColor="#888", titleColor="#888", gridColor="#8883").configure_legend(
        labelColor="#888", orient="bottom").configure_view(strokeWidth=0)
