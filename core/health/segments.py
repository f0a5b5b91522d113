"""The people behind a number: member lists a specialist can download, message or save as a segment."""

import pandas as pd

from core.errors import CrowdPulseError
from core.frames import as_day
from core.health.crowd import Crowd

MEMBER_LISTS = {
    "stalled_onboarders": "Onboarded but no task within 7 days",
    "churned": "Active in the previous 28 days, not in the last 28",
    "dormant": "Active before, not in the last 28 days",
    "new": "Onboarded and active in the last 28 days",
}
SHOWN_COLUMNS = ["member_id", "handle", "country", "region", "timezone", "language", "vendor", "onboarded_at"]


def stalled_onboarders(crowd: Crowd, as_of, *, within_days: int = 7) -> pd.DataFrame:
    """Onboarded members of a crowd whose first `within_days` have passed without any task yet."""
    as_of = as_day(as_of)
    community, days = crowd.members, crowd.days
    onboarded = pd.to_datetime(community["onboarded_at"], utc=True).dt.tz_localize(None).dt.normalize()
    first_day = crowd.first_active_days()
    window_closed = onboarded + pd.Timedelta(days=within_days) <= as_of
    # only people onboarded while activity was recorded, or a long-tenured member would look stalled
    recorded = onboarded >= days.first_active_day() if not days.empty else onboarded.notna()
    return community[onboarded.notna() & window_closed & first_day.isna() & recorded]


def members_behind(kind: str, crowd: Crowd, as_of) -> pd.DataFrame:
    """The members of a crowd behind one of MEMBER_LISTS, with the columns a specialist needs."""
    if kind == "stalled_onboarders":
        chosen = stalled_onboarders(crowd, as_of)
    elif kind == "churned":
        chosen = crowd.churned_members(as_of)
    elif kind in ("dormant", "new"):
        status = crowd.activity_status(as_of)
        chosen = status[status["status"] == kind]
    else:
        raise CrowdPulseError(f"Unknown member list '{kind}': choose one of {', '.join(MEMBER_LISTS)}.")
    return chosen.reindex(columns=SHOWN_COLUMNS).sort_values("member_id", ignore_index=True)
