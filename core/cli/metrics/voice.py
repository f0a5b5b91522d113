"""Feedback message metrics of `python -m core metrics`: sentiment and themes."""

import datetime as dt

from core.cli.metrics import bounds
from core.feedback import voice
from core.feedback.messages import MessageScope


def _messages(engine, start, end):
    lo, hi = bounds(start, end)
    return MessageScope(engine, start=lo, end=hi)


def sentiment(engine, start: dt.date, end: dt.date, by):
    """Sentiment of the feedback messages in the window, with their languages."""
    return voice.sentiment_with_languages(_messages(engine, start, end), by)


def themes(engine, start: dt.date, end: dt.date, by):
    """Theme counts of the feedback messages in the window."""
    return voice.theme_summary(_messages(engine, start, end), by)
