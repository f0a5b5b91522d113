"""Survey metrics of `python -m core metrics`: NPS and CSAT (apart from the messages' metrics, whose reads a
survey metric need not import)."""

import datetime as dt

from core.cli.metrics import bounds, with_member_attribute
from core.feedback import surveys
from core.feedback.read import load_responses


def _responses(engine, start, end, by=None):
    """Survey responses submitted in the window: counted in SQL when grouped by a wave or a segment the roll-up has,
    else the rows (grouped by a respondent's imported attribute, they carry it)."""
    lo, hi = bounds(start, end)
    if by is None or by in surveys.ResponseScope.COUNTS_BY:
        return surveys.ResponseScope(engine, start=lo, end=hi)
    frame = load_responses(engine, with_comments=False)
    frame = frame[(frame["submitted_at"] >= lo) & (frame["submitted_at"] < hi)]
    return with_member_attribute(engine, frame, by)


def nps(engine, start: dt.date, end: dt.date, by):
    """Net promoter score of the survey responses submitted in the window."""
    return surveys.nps(_responses(engine, start, end, by), by)


def csat(engine, start: dt.date, end: dt.date, by):
    """Customer satisfaction of the survey responses submitted in the window."""
    return surveys.csat(_responses(engine, start, end, by), by)
