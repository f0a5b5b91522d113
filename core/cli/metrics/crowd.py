"""Community metrics of `python -m core metrics`: active taskers, the onboarding funnel, retention and churn."""

import datetime as dt

import pandas as pd

from core.cli.metrics import with_member_attribute
from core.errors import UnknownMetric
from core.health import active as health
from core.health.breakdowns import per_group
from core.health.crowd import Churn, Crowd
from core.models import Activity, Member


def _member_frames(engine, start, end, by=None, *, onboarding_only=False):
    """Community members (with the tasker column or imported attribute `by`) and their active days; with
    `onboarding_only` and no `by`, only ids and onboarding times (all active users read)."""
    if by is not None and by in Activity.__table__.c and by not in Member.__table__.c:
        raise UnknownMetric(f"Community metrics group taskers by one of their columns or imported attributes "
                            f"(country, vendor, language, tenure…), not by {by}: try `metrics workforce --by {by}`.")
    tasker_column = by is not None and by in Member.__table__.c and by != "attributes"
    if onboarding_only and by is None:
        members = health.load_onboarded(engine)
    else:
        members = health.load_community(engine, columns=[by] if tasker_column else [])
    if by not in (None, "tenure") and not tasker_column:
        members = with_member_attribute(engine, members, by)
    days = health.load_active_days(engine, start=start - dt.timedelta(days=150), end=end)
    return members, days


def _by_group(crowd: Crowd, by, end, measure) -> pd.DataFrame:
    """The measure of the whole crowd, or one block of rows per group of taskers (the group column first)."""
    return measure(crowd) if by is None else per_group(crowd, by, end, measure)


def active(engine, start: dt.date, end: dt.date, by):
    """Daily, weekly and monthly active taskers over the window."""
    members, days = _member_frames(engine, start, end, by, onboarding_only=True)
    return _by_group(Crowd(members, days), by, end, lambda crowd: crowd.active_users(start, end))


def funnel(engine, start: dt.date, end: dt.date, by):
    """The onboarding funnel of the taskers who signed up since `start`."""
    members, days = _member_frames(engine, start, end, by)
    signups = members[members["signed_up_at"] >= pd.Timestamp(start, tz="UTC")]
    return _by_group(Crowd(signups, days), by, end, lambda crowd: crowd.onboarding_funnel(end))


def retention(engine, start: dt.date, end: dt.date, by):
    """Weekly retention cohorts from `start`."""
    members, days = _member_frames(engine, start, end, by)
    cohorts = _by_group(Crowd(members, days), by, end, lambda crowd: crowd.retention_cohorts(as_of=end))
    return cohorts[cohorts["cohort_week"] >= pd.Timestamp(start)].reset_index(drop=True)


def churn(engine, start: dt.date, end: dt.date, by):
    """Churn at `end`: the previous period's active taskers, retained and churned."""
    members, days = _member_frames(engine, start, end)
    result = Churn.of(Crowd(members, days), end)
    return pd.DataFrame([{"previous_active": result.previous_active, "retained": result.retained,
                          "churned": result.churned, "rate": result.rate}])
