"""The people behind a number: member lists a specialist can download, message or save as a segment."""

import re

import pandas as pd

from core.errors import CrowdPulseError
from core.frames import as_day
from core.health import breakdowns
from core.health.crowd import Crowd
from core.health.scope import DAY_WINDOWS, HealthScope

MEMBER_LISTS = {
    "dau": "Active on the day (daily active)",
    "wau": "Active in the 7 days ending on the day (weekly active)",
    "mau": "Active in the 28 days ending on the day (monthly active)",
    "never_active": "Signed up, no task yet",
    "stalled_onboarders": "Onboarded but no task within 7 days",
    "churned": "Active in the previous 28 days, not in the last 28",
    "dormant": "Active before, not in the last 28 days",
    "new": "Onboarded and active in the last 28 days",
}
SHOWN_COLUMNS = ["member_id", "handle", "country", "region", "timezone", "language", "vendor", "onboarded_at"]
# Who of a split table's row: all its members, or its weekly or monthly active ones (the row's columns).
SEGMENT_GROUPS = {"members": "All members", "wau": "Weekly active", "mau": "Monthly active"}


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


def members_behind(kind: str, crowd: "Crowd | HealthScope", as_of) -> pd.DataFrame:
    """The members of a crowd (or a Health scope) behind one of MEMBER_LISTS, with the columns a specialist needs."""
    scope = crowd if isinstance(crowd, HealthScope) else HealthScope(crowd, crowd)
    crowd = scope.community
    if kind in DAY_WINDOWS:
        chosen = scope.active_members(kind, as_of)
    elif kind == "stalled_onboarders":
        chosen = stalled_onboarders(crowd, as_of)
    elif kind == "churned":
        chosen = crowd.churned_members(as_of)
    elif kind in ("dormant", "new", "never_active"):
        status = crowd.activity_status(as_of)
        chosen = status[status["status"] == kind]
    else:
        raise CrowdPulseError(f"Unknown member list '{kind}': choose one of {', '.join(MEMBER_LISTS)}.")
    return shown(chosen)


def cohort_members(scope: HealthScope, cohort_week, week_number: int) -> pd.DataFrame:
    """The members behind a retention cell (onboarding week × week N), with the columns a specialist needs."""
    return shown(scope.community.cohort_members(cohort_week, week_number))


def segment_row_members(scope: HealthScope, members: pd.DataFrame, as_of, column: str, value, group: str = "members"
                        ) -> pd.DataFrame:
    """The members behind one row of `breakdowns.active_by` (its value of `column`): all, or its WAU or MAU."""
    working = scope.working
    community = working.members
    if column not in community:
        community = members.set_index("member_id")[column].reindex(community["member_id"])
        community = working.members.assign(**{column: community.to_numpy()})
    keep = (breakdowns.segment_values(community, column, as_of) == value).to_numpy(dtype=bool, copy=True)
    if group in ("wau", "mau"):
        keep = keep & working.active_within(as_of, DAY_WINDOWS[group])
    elif group != "members":
        raise CrowdPulseError(f"Unknown group '{group}': choose one of {', '.join(SEGMENT_GROUPS)}.")
    return shown(working.members[keep])


def shown(chosen: pd.DataFrame) -> pd.DataFrame:
    """A member list with the columns a specialist needs, ordered by member id (a blank vendor reads 'direct')."""
    listed = chosen.reindex(columns=SHOWN_COLUMNS).sort_values("member_id", ignore_index=True)
    if "vendor" in chosen.columns:
        listed["vendor"] = listed["vendor"].fillna(breakdowns.BLANK_LABELS["vendor"])
    return listed


def file_scope(day, regions=(), project_names=()) -> str:
    """The scope in a file name: '2026-11-20-latin-america-cedar' (the day or 'start-to-end', regions, projects).

    A project is named by the first word of its name (Cedar GenAI Chat Rating → cedar).
    """
    words = [_slug(str(day))] + [_slug(region) for region in regions] + \
        [_slug(str(name).split()[0]) for name in project_names if str(name).strip()]
    return "-".join(word for word in words if word)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
