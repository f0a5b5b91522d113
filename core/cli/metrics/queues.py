"""Queue metrics of `python -m core metrics`: SLA compliance, first response, resolution and backlog."""

import datetime as dt

from sqlalchemy import select

from core import timeline
from core.cli.metrics import bounds
from core.frames import read_frame
from core.models import Member, QueueItem
from core.queues.facts import QueueFacts, group_column
from core.queues.views import backlog as backlog_table
from core.queues.views import response_time_summary


def _facts(engine, by=None) -> QueueFacts:
    """The SLA facts of every item at the present, as the Queues page reads them: "now" figures (backlog, at risk)
    describe the present whatever the window, and each history figure applies the window itself (clocks due in it,
    items created in it); grouped by an imported attribute, the open items carry it too."""
    facts = QueueFacts(engine, timeline.present_minute())
    if by is None or by in facts.live.columns:
        return facts
    item, member = QueueItem.__table__, Member.__table__
    values = read_frame(engine, select(item.c.item_id, group_column(by).label(by))
                        .select_from(item.outerjoin(member, member.c.member_id == item.c.member_id))
                        .where(item.c.item_id.in_(facts.live["item_id"].tolist())))
    live = facts.live.merge(values, on="item_id", how="left")
    return QueueFacts(engine, facts.now, **facts.scope, live=live)


def sla(engine, start: dt.date, end: dt.date, by):
    """SLA compliance of the clocks due in the window."""
    lo, hi = bounds(start, end)
    return _facts(engine, by).compliance(due_from=lo, due_to=hi, by=by)


def _response(engine, start, end, by, kind):
    lo, hi = bounds(start, end)
    items = _facts(engine, by).durations(created_from=lo, created_to=hi, by=by, kinds=(kind,))
    return response_time_summary(items, kind, by)


def first_response(engine, start: dt.date, end: dt.date, by):
    """First-response time (median, p90…) of the items created in the window."""
    return _response(engine, start, end, by, "first_response")


def resolution(engine, start: dt.date, end: dt.date, by):
    """Resolution time of the items created in the window."""
    return _response(engine, start, end, by, "resolution")


def backlog(engine, start: dt.date, end: dt.date, by):
    """The open items now, by queue (or `by`)."""
    facts = _facts(engine, by)
    return backlog_table(facts.live, facts.now, by=by or "queue", values=facts.values(by or "queue"))
