"""The weekly summary's reading of a figure: its 4-week trend and its sample size, never one step alone.

A figure is a win or a risk only when its 4-week change clears the figure's threshold (a one-week bounce
after a long fall is still a fall); a change that rests on fewer items, messages or responses than the
figure's minimum is "too few to call"; each statement cites the four weeks and the n behind them.
"""

import math
from dataclasses import dataclass, replace

import pandas as pd

from core.feedback.surveys import ResponseScope, csat, nps

# NPS and CSAT of the last this many days against the same number before (the Weekly report's survey readings).
SURVEY_DAYS = 28

WIN, RISK, NO_CALL = "win", "risk", "no call"


@dataclass(frozen=True)
class Rule:
    """How big a change must be to count, whether it is relative, and the smallest sample to call it on."""

    threshold: float
    relative: bool = False
    min_count: int = 0
    unit: str = ""


# Per figure key; counts are items that came due (SLA), items with a first response, or scored messages.
RULES = {
    "wau": Rule(0.02, relative=True),
    "active_rate": Rule(0.005),
    "sla": Rule(0.01, min_count=20, unit="items due"),
    "first_response": Rule(0.1, relative=True, min_count=20, unit="items answered"),
    "backlog": Rule(0.05, relative=True),
    "net_sentiment": Rule(3.0, min_count=30, unit="messages"),
}
SURVEY_MIN_RESPONSES = 30


@dataclass(frozen=True)
class Reading:
    """A verdict (win, risk or no call) and the sentence that says why, with its figures."""

    verdict: str
    text: str


def _changed(change: float, base: float, rule: Rule) -> bool:
    if rule.relative:
        return bool(base) and abs(change) / abs(base) >= rule.threshold
    return abs(change) >= rule.threshold


def _series_text(weeks: list[str], values: list[float], fmt: str, counts: list | None, unit: str) -> str:
    points = " → ".join(f"{week.split('-')[-1]} {_value(fmt, value)}" for week, value in zip(weeks, values))
    if counts is None or not unit:
        return points
    return f"{points} (n {' / '.join(f'{int(c):,}' for c in counts)} {unit})"


def _value(fmt: str, value) -> str:
    return "—" if value is None or pd.isna(value) else fmt.format(value).replace("-", "−")


def _change(fmt: str, change: float) -> str:
    """A change in the figure's own unit, signed ('+6', '−1.2 pts', '+0.3 h')."""
    if "%" in fmt:
        text = f"{change * 100:+.1f} pts"
    elif "+" in fmt:
        text = fmt.format(change)
    else:
        text = fmt.replace("{:", "{:+").format(change)
    return text.replace("-", "−")


def read_trend(label: str, weeks: list[str], values: list[float], *, fmt: str, higher_is_better: bool, rule: Rule,
               counts: list | None = None, step_name: str = "last week") -> Reading | None:
    """What a figure's last 4 weeks say: a win or risk only when the 4-week change agrees; None when unremarkable."""
    known = [(week, value, None if counts is None else counts[i])
             for i, (week, value) in enumerate(zip(weeks, values)) if not pd.isna(value)]
    if len(known) < 2 or known[-1][0] != weeks[-1] or known[-2][0] != weeks[-2]:
        return None
    weeks, values = [k[0] for k in known], [float(k[1]) for k in known]
    counts = None if counts is None else [k[2] for k in known]
    series = _series_text(weeks, values, fmt, counts, rule.unit)
    last, previous, first = values[-1], values[-2], values[0]
    step, drift = last - previous, last - first
    if counts is not None and min(counts[-2:]) < rule.min_count:
        if not _changed(step, previous, rule):
            return None
        return Reading(NO_CALL, f"{label}: {series} — too few to call the {_change(fmt, step)} vs {step_name}.")
    sign = 1 if higher_is_better else -1
    if len(values) > 2 and _changed(drift, first, rule):
        verdict = WIN if drift * sign > 0 else RISK
        direction = "up" if drift > 0 else "down"
        text = f"{label}: {series} — {direction} {_change(fmt, drift).lstrip('+−')} over {len(values)} weeks"
        if _changed(step, previous, rule) and step * drift < 0:
            text += f", despite {_change(fmt, step)} vs {step_name}"
        return Reading(verdict, text + ".")
    if not _changed(step, previous, rule):
        return None
    if len(values) == 2:
        verdict = WIN if step * sign > 0 else RISK
        return Reading(verdict, f"{label}: {series} — {_change(fmt, step)} vs {step_name} (no earlier weeks to weigh).")
    return Reading(NO_CALL, f"{label}: {series} — {_change(fmt, step)} vs {step_name}, but no change over "
                            f"{len(values)} weeks: no trend yet.")


def survey_readings(responses: "pd.DataFrame | ResponseScope", end: pd.Timestamp, *,
                    days: int = SURVEY_DAYS) -> list[Reading]:
    """NPS and CSAT of the responses in the `days` up to `end` against the `days` before, read with their margins.

    `responses` are response rows (submitted_at, score, csat) or a `ResponseScope`, counted in SQL."""
    recent_start, earlier_start = end - pd.Timedelta(days=days), end - pd.Timedelta(days=2 * days)
    recent, earlier = _survey_windows(responses, (recent_start, end), (earlier_start, recent_start))
    span = f"{days} days to {end:%a %d %b}"
    readings = []
    for name, measure, value_fmt, higher in (("NPS", nps, "{:+.0f}", "nps"), ("CSAT", csat, "{:.0%}", "csat")):
        now, before = measure(recent).iloc[0], measure(earlier).iloc[0]
        readings.append(_survey_reading(name, now, before, higher, value_fmt, span))
    return readings


def _survey_windows(responses, *windows: tuple) -> list:
    """The responses submitted in each (after, through] window."""
    if isinstance(responses, ResponseScope):
        # A scope counts [start, end); moments are stored to the microsecond, so (a, b] is [a + 1 µs, b + 1 µs).
        step = pd.Timedelta(microseconds=1)
        return [replace(responses, start=after + step, end=through + step) for after, through in windows]
    submitted = responses["submitted_at"]
    return [responses[(submitted > after) & (submitted <= through)] for after, through in windows]


def _survey_reading(name: str, now: pd.Series, before: pd.Series, column: str, fmt: str, span: str) -> Reading:
    scale = 1 if column == "nps" else 100
    def told(row):
        if not row["responses"]:
            return "no responses"
        margin = f" ± {row['margin_of_error'] * scale:.0f}{'' if column == 'nps' else ' pts'}"
        return f"{_value(fmt, row[column])}{margin} (n {int(row['responses']):,})"
    text = f"{name}: {told(now)} in the {span}, {told(before)} in the {span.split(' to ')[0]} before"
    if min(now["responses"], before["responses"]) < SURVEY_MIN_RESPONSES:
        return Reading(NO_CALL, f"{text} — too few responses to call.")
    change = float(now[column] - before[column])
    margin = math.hypot(now["margin_of_error"], before["margin_of_error"])
    if abs(change) <= margin:
        return Reading(NO_CALL, f"{text} — the change is within the margin of error.")
    shown = f"{change:+.0f}" if column == "nps" else f"{change * 100:+.1f} pts"
    return Reading(WIN if change > 0 else RISK, f"{text}: {shown.replace('-', '−')}, beyond the margin of error.")
