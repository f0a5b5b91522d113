"""The workforce metric of `python -m core metrics`: volumes and rates per project, vendor, tasker or attribute."""

import datetime as dt

from core.cli.metrics import with_member_attribute
from core.models import Activity
from core.workforce import read as workforce_read
from core.workforce.quality import workforce_table


def workforce(engine, start: dt.date, end: dt.date, by):
    """Volumes and rates per project (default), vendor, tasker, any activity or member column or member attribute."""
    by = by or "project_id"
    if by in Activity.__table__.c or by in ("vendor", "country", "region"):
        return workforce_read.load_workforce_table(engine, start=start, end=end, by=by)
    rows = with_member_attribute(engine, workforce_read.load_activity(engine, start=start, end=end), by)
    return workforce_table(rows, by)
