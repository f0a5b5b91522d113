"""Reference reads over raw activity rows: what `core.health.active.load_active_days` (the roll-up) must equal."""

import pandas as pd
from sqlalchemy import Engine, func, not_, select

from core.frames import as_date, read_frame, unparsed
from core.models import Activity, Member


def load_daily_active(engine: Engine, *, start, end, projects=None) -> pd.DataFrame:
    """Distinct non-staff (member_id, day) pairs with ≥ 1 submitted task, days start..end included.

    Reads the raw activity rows; `load_active_days` gives the same days from the roll-up, fast.
    """
    activity, member = Activity.__table__, Member.__table__
    statement = (
        select(activity.c.member_id, unparsed(activity.c.day))
        .select_from(activity.join(member, activity.c.member_id == member.c.member_id))
        .where(
            activity.c.day >= as_date(start),
            activity.c.day <= as_date(end),
            not_(member.c.is_staff),
            not_(member.c.is_bot),
        )
        .group_by(activity.c.member_id, activity.c.day)
        .having(func.sum(activity.c.tasks_submitted) >= 1)
        .order_by(activity.c.day, activity.c.member_id)
    )
    if projects:
        statement = statement.where(activity.c.project_id.in_(list(projects)))
    return read_frame(engine, statement, days=("day",))
