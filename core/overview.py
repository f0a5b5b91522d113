"""Headline figures for a week against the week before (Today's tiles and the Weekly report)."""

import re
from dataclasses import dataclass

import pandas as pd

from core.feedback.voice import coverage_sentence, language_coverage, sentiment_summary
from core.health.crowd import Crowd
from core.queues.facts import QueueFacts
from core.queues.views import response_time_summary

WEEK = pd.Timedelta(days=7)


@dataclass(frozen=True)
class Figure:
    """One headline number this week and last, with how to read it."""

    key: str
    label: str
    this_week: float
    previous_week: float
    fmt: str
    higher_is_better: bool
    help: str
    # What each week's value rests on (items due, items answered, messages); None where a figure has no n.
    counts: tuple = (None, None)

    @property
    def delta(self) -> float:
        return self.this_week - self.previous_week

    @property
    def delta_fmt(self) -> str:
        """How to print the change: percentages change by points, the rest with a sign."""
        if "%" in self.fmt:
            return "{:+.1f} pts"
        return self.fmt if "+" in self.fmt else self.fmt.replace("{:", "{:+")

    def format_delta(self) -> str:
        """The change as shown ('+1.2 pts', '+88', '−0.1 h' with a true minus; '±0.0 h' when it rounds to zero);
        '—' when unknown."""
        if pd.isna(self.delta):
            return "—"
        text = self.delta_fmt.format(self.delta * 100 if "%" in self.fmt else self.delta)
        if not re.search(r"[1-9]", text):
            return "±" + text.lstrip("+-")
        return text.replace("-", "−")


def _compliance(status: QueueFacts, start: pd.Timestamp, end: pd.Timestamp) -> tuple[float, int]:
    counts = status.decided(due_from=start, due_to=end, closed="right").iloc[0]
    decided = int(counts["met"]) + int(counts["breached"])
    return (int(counts["met"]) / decided if decided else float("nan")), decided


def _median_first_response_hours(status: QueueFacts, start: pd.Timestamp, end: pd.Timestamp) -> tuple[float, int]:
    week = status.durations(created_from=start, created_to=end, closed="right", kinds=("first_response",))
    value = response_time_summary(week, "first_response")["median_seconds"].iloc[0]
    return float(value) / 3600, int(week["first_response_seconds"].notna().sum())


def _net_sentiment(messages, start: pd.Timestamp, end: pd.Timestamp, counted: bool) -> tuple[float, int | None]:
    # `messages` is a `feedback.messages.MessageScope` (aggregated in SQL).
    # One aggregate row whatever the messages: without scored ones its net is NaN (no second query counting them).
    window = messages.window(start, end)
    return float(sentiment_summary(window)["net"].iloc[0]), window.count() if counted else None


def _both(measure, this_week: tuple, previous_week: tuple) -> tuple[tuple, tuple]:
    """A (value, count) measure of this week's window and the week before's, as (values, counts)."""
    (value, count), (previous_value, previous_count) = measure(this_week), measure(previous_week)
    return (value, previous_value), (count, previous_count)


def week_figures(*, status: QueueFacts, member_days: pd.DataFrame, members: pd.DataFrame,
                 messages: pd.DataFrame, week_end, span: pd.Timedelta = WEEK, now=None,
                 coverage: pd.DataFrame | None = None, counted: bool = False) -> list[Figure]:
    """Headline figures for the `span` ending at `week_end` (7 days, or a partial week's days so far) and the same span
    a week before.

    `status` is the queues' `QueueFacts`; `member_days` must reach 34 days before week_end. With `now` (Today)
    the open backlog is the one at that moment against a week before it, as the Queues page counts it.
    `coverage` is the week's `language_coverage` when the caller has it already; `counted` also counts the messages
    behind net sentiment (each figure's `counts`; the queue figures' come with their values).
    """
    end = pd.Timestamp(week_end)
    if end.tzinfo is None:
        end = end.tz_localize("UTC")
    backlog_at = end if now is None else pd.Timestamp(now)
    previous_end = end - WEEK
    windows = ((end - span, end), (previous_end - span, previous_end))
    day = (end.tz_convert("UTC").tz_localize(None) if end.tzinfo else end).normalize()
    previous_day = day - WEEK
    active = Crowd(members, member_days).active_users(previous_day, day).set_index("date")
    sla, sla_n = _both(lambda window: _compliance(status, *window), *windows)
    response, response_n = _both(lambda window: _median_first_response_hours(status, *window), *windows)
    net, net_n = _both(lambda window: _net_sentiment(messages, *window, counted), *windows)
    if coverage is None:
        coverage = language_coverage(messages.window(*windows[0]))
    return [
        Figure("wau", "Weekly active", active.loc[day, "wau"], active.loc[previous_day, "wau"], "{:,.0f}", True,
               "Taskers with a submitted task in the 7 days."),
        Figure("active_rate", "Active rate", active.loc[day, "active_rate"], active.loc[previous_day, "active_rate"],
               "{:.1%}", True, "Monthly active taskers / onboarded taskers."),
        Figure("sla", "SLA met", *sla, "{:.1%}", True,
               "Items that met their target / items whose target came due in the week.", counts=sla_n),
        Figure("first_response", "First response", *response, "{:.1f} h", False,
               "Median time from creation to first response, items created in the week.", counts=response_n),
        Figure("backlog", "Open backlog", status.open_at(backlog_at), status.open_at(backlog_at - WEEK), "{:,.0f}",
               False, "Open queue items at the end of the week." if now is None
               else "Open queue items now, against a week ago (whatever the date range)."),
        Figure("net_sentiment", "Net sentiment", *net, "{:+.0f}", True,
               "% positive − % negative channel messages in the week, each scored in its own language. "
               + coverage_sentence(coverage), counts=net_n),
    ]
