"""Altair chart builders with one shared look; each takes an aggregate DataFrame.

Colours are the Okabe-Ito palette: distinguishable with the common colour-vision
deficiencies and legible on light and dark backgrounds.
"""

import re

import altair as alt
import pandas as pd

from core.exports import plain_label

PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#999999"]
GOOD, WARN, BAD, NEUTRAL = "#009E73", "#E69F00", "#D55E00", "#999999"
HEIGHT = 240


# A point resting on fewer items than this is drawn hollow and faded: its value can swing 0% ↔ 100%.
MIN_N = 10
PERIOD_DAYS = {"D": 1, "W": 7}


def evidence(frame: pd.DataFrame, x: str, *, n: str | None = None, as_of=None, period: str | None = None,
             min_n: int = MIN_N, n_title: str = "items", partial: str | None = None) -> pd.DataFrame:
    """A trend's rows as a chart may show them: none after `as_of`; `_partial`, `_sparse` and a `_note` per row.

    `period` ('D' or 'W') says each x is the start of a day or an ISO week: the one that has not ended by
    `as_of` is partial ("so far, 3 of 7 days"). `partial` names a boolean column that marks partial rows
    instead (for ordered labels such as "2026-W47"). A row whose `n` is below `min_n` is sparse.
    """
    shown = frame.reset_index(drop=True)
    if as_of is not None and len(shown):
        starts, moment = _utc_naive(shown[x]), _utc_naive(pd.Series([pd.Timestamp(as_of)])).iloc[0]
        shown = shown[(starts <= moment).to_numpy()].reset_index(drop=True)
    notes = pd.Series("", index=shown.index, dtype=object)
    if partial is not None:
        flagged = shown[partial].fillna(False).astype(bool)
        notes[flagged] = "so far"
    elif period is not None and as_of is not None and len(shown):
        starts = _utc_naive(shown[x])
        flagged = starts + pd.Timedelta(days=PERIOD_DAYS[period]) > moment
        notes[flagged] = [_so_far(period, start, moment) for start in starts[flagged]]
    else:
        flagged = pd.Series(False, index=shown.index)
    counts = shown[n].fillna(0).astype("int64") if n else pd.Series(min_n, index=shown.index)
    sparse = counts < min_n
    few = f"only {{:,}} {n_title}: read with care"
    notes[sparse] = [(note + "; " if note else "") + few.format(int(count))
                     for note, count in zip(notes[sparse], counts[sparse])]
    return shown.assign(_partial=flagged.to_numpy(), _sparse=sparse.to_numpy(), _note=notes.to_numpy())


def _utc_naive(values: pd.Series) -> pd.Series:
    stamps = pd.to_datetime(values)
    return stamps.dt.tz_convert("UTC").dt.tz_localize(None) if stamps.dt.tz is not None else stamps


def _so_far(period: str, start: pd.Timestamp, moment: pd.Timestamp) -> str:
    if period == "W":
        days = min(7, (moment.normalize() - start.normalize()).days + 1)
        return f"so far, {days} of 7 days"
    return f"so far, to {moment:%H:%M} UTC"


def precise_axis(value_format: str) -> alt.Axis:
    """An axis whose ticks are at least one shown digit apart (1.7, 1.8, not 1.7, 1.8, 1.8 for ticks 0.05 apart)."""
    precision = re.search(r"\.(\d+)([f%])", value_format)
    if not precision:
        return alt.Axis(format=value_format)
    digits = int(precision.group(1)) + (2 if precision.group(2) == "%" else 0)
    return alt.Axis(format=value_format, tickMinStep=10.0 ** -digits)


def line(frame: pd.DataFrame, x: str, y: str, *, color: str | None = None, y_title: str | None = None,
         y_format: str = ",.0f", x_title: str = "", x_type: str = "T", height: int = HEIGHT, n: str | None = None,
         n_title: str = "items", as_of=None, period: str | None = None, min_n: int = MIN_N,
         partial: str | None = None) -> alt.Chart:
    """A line per series over time (x_type 'T') or over ordered labels (x_type 'O'), with the evidence of each point.

    Nothing after `as_of` is drawn; the partial period (see `evidence`) hangs on a dashed segment with a hollow
    point; a point on fewer than `min_n` items (`n`) is hollow and faded; the tooltip gives n and a note.
    """
    shown = evidence(frame, x, n=n, as_of=as_of, period=period, min_n=min_n, n_title=n_title, partial=partial)
    if color:
        shown[color] = shown[color].map(plain_label)
    x_enc = alt.X(f"{x}:{x_type}", title=x_title, axis=alt.Axis(labelAngle=0) if x_type == "O" else alt.Axis())
    y_enc = alt.Y(f"{y}:Q", title=y_title or y, axis=precise_axis(y_format), scale=alt.Scale(zero=False))
    tooltip = [alt.Tooltip(f"{x}:{x_type}", title=x_title or x, **({"format": "%d %b %Y"} if x_type == "T" else {})),
               alt.Tooltip(f"{y}:Q", title=y_title or y, format=y_format)]
    tooltip += [alt.Tooltip(f"{color}:N", title="series")] if color else []
    tooltip += [alt.Tooltip(f"{n}:Q", title=n_title, format=",.0f")] if n else []
    tooltip += [alt.Tooltip("_note:N", title="note")]
    colour = (alt.Color(f"{color}:N", scale=alt.Scale(range=PALETTE), title=None) if color
              else alt.value(PALETTE[0]))
    return _finish(alt.layer(*_evidence_layers(shown, x_enc, y_enc, colour, tooltip, color)), height=height)


def _evidence_layers(shown: pd.DataFrame, x_enc, y_enc, colour, tooltip, color: str | None) -> list:
    """Solid line over whole periods, dashed into the partial one; filled points, hollow (faded) ones on thin evidence."""
    whole = shown[~shown["_partial"]]
    keys = [color] if color else []
    # The dashed tail starts at each series' last whole point so that it joins the solid line.
    last_whole = whole.groupby(keys, sort=False).tail(1) if keys else whole.tail(1)
    tail = pd.concat([last_whole, shown[shown["_partial"]]]) if shown["_partial"].any() else shown.iloc[0:0]
    flagged = shown["_partial"] | shown["_sparse"]
    detail = [alt.Detail(f"{color}:N")] if color else []
    layers = [alt.Chart(whole).mark_line().encode(*detail, x=x_enc, y=y_enc, color=colour)]
    if len(tail):
        layers.append(alt.Chart(tail).mark_line(strokeDash=[4, 3]).encode(*detail, x=x_enc, y=y_enc, color=colour))
    layers.append(alt.Chart(shown[~flagged]).mark_point(filled=True, size=30).encode(
        x=x_enc, y=y_enc, color=colour, tooltip=tooltip))
    if flagged.any():
        layers.append(alt.Chart(shown[flagged]).mark_point(filled=False, size=50, strokeWidth=1.5).encode(
            x=x_enc, y=y_enc, color=colour, tooltip=tooltip,
            opacity=alt.condition("datum._sparse", alt.value(0.45), alt.value(1.0))))
    return layers


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
              x_sort: list | None = None, height: int = HEIGHT, n: str | None = None,
              n_title: str = "responses") -> alt.Chart:
    """Estimates per ordered label (e.g. NPS per survey wave) joined by a line, each with a ± margin error bar
    and (with `n`) the number of responses it rests on in the tooltip."""
    shown = frame.assign(_low=frame[y] - frame[margin], _high=frame[y] + frame[margin])
    if color:
        shown[color] = shown[color].map(plain_label)
    x_enc = alt.X(f"{x}:O", title=x_title, sort=x_sort, axis=alt.Axis(labelAngle=0, labelLimit=160))
    tooltip = [alt.Tooltip(f"{x}:O"), alt.Tooltip(f"{y}:Q", format=y_format),
               alt.Tooltip(f"{margin}:Q", title="± (95%)", format=margin_format)] + ([alt.Tooltip(f"{color}:N")] if color else [])
    tooltip += [alt.Tooltip(f"{n}:Q", title=n_title, format=",.0f")] if n else []
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
                   y_format: str = ",.0f", x_title: str = "", height: int = 180, color: str = PALETTE[0],
                   n: str | None = None, n_title: str = "items", as_of=None, min_n: int = MIN_N) -> alt.Chart:
    """One daily series with a dashed horizontal line at a threshold (e.g. 9 hours a day), with the evidence of each
    point as `line` draws it: nothing after `as_of`, the day still going dashed, a point on fewer than `min_n` hollow."""
    shown = evidence(frame, x, n=n, as_of=as_of, period="D" if as_of is not None else None, min_n=min_n,
                     n_title=n_title)
    x_enc = alt.X(f"{x}:T", title=x_title)
    y_enc = alt.Y(f"{y}:Q", title=y_title or y, axis=precise_axis(y_format))
    tooltip = [alt.Tooltip(f"{x}:T", title=x_title or x, format="%d %b %Y"),
               alt.Tooltip(f"{y}:Q", title=y_title or y, format=y_format)]
    tooltip += [alt.Tooltip(f"{n}:Q", title=n_title, format=",.0f")] if n else []
    tooltip += [alt.Tooltip("_note:N", title="note")]
    marker = alt.Chart(pd.DataFrame({"rule": [rule], "label": [rule_label]})).mark_rule(
        strokeDash=[4, 4], color=BAD).encode(y="rule:Q", tooltip=[alt.Tooltip("label:N", title="threshold")])
    series = _evidence_layers(shown, x_enc, y_enc, alt.value(color), tooltip, None)
    return _finish(alt.layer(*series, marker), height=height)


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
