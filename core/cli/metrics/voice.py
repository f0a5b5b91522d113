"""Feedback metrics of `python -m core metrics`: sentiment, NPS, CSAT and themes."""

import datetime as dt

from core.cli.metrics import bounds, with_member_attribute
from core.feedback import surveys, voice
from core.feedback.messages import MessageScope
from core.feedback.read import load_responses


def _messages(engine, start, end):
    lo, hi = bounds(start, end)
    return MessageScope(engine, start=lo, end=hi)


def _responses(engine, start, end, by=None):
    """Survey responses submitted in the window: counted in SQL when grouped by a wave or a segment the roll-up has,
    else the rows (grouped by a respondent's imported attribute, they carry it)."""
    lo, hi = bounds(start, end)
    if by is None or by in surveys.ResponseScope.COUNTS_BY:
        return surveys.ResponseScope(engine, start=lo, end=hi)
    frame = load_responses(engine, with_comments=False)
    frame = frame[(frame["submitted_at"] >= lo) & (frame["submitted_at"] < hi)]
    return with_member_attribute(engine, frame, by)


def sentiment(engine, start: dt.date, end: dt.date, by):
    """Sentiment of the feedback messages in the window, with their languages."""
    return voice.sentiment_with_languages(_messages(engine, start, end), by)


def nps(engine, start: dt.date, end: dt.date, by):
    """Net promoter score of the survey responses submitted in the window."""
    return surveys.nps(_responses(engine, start, end, by), by)


def csat(engine, start: dt.date, end: dt.date, by):
    """Customer satisfaction of the survey responses submitted in the window."""
    return surveys.csat(_responses(engine, start, end, by), by)


def themes(engine, start: dt.date, end: dt.date, by):
    """Theme counts of the feedback messages in the window."""
    return voice.theme_summary(_messages(engine, start, end), by)
