"""Whom a Health view counts: the community of the chosen regions or, under a project filter, that project's members.

A member belongs to a project when they submitted at least one task on it in the days the view reads
(its lookback, up to the range end). Under a project filter that is the base of every rate: onboarded
members (active rate), activation, statuses, churn and cohorts. Whether those members are active,
activated, retained or churned reads their activity on any project (someone who moved to another project
has not left the community); DAU, WAU and MAU count their activity on the chosen projects.
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from core.frames import as_date
from core.health.active import ActiveDays, active_days, load_active_days, load_community
from core.health.crowd import MONTH_DAYS, Crowd

DAY_WINDOWS = {"dau": 1, "wau": 7, "mau": MONTH_DAYS}


@dataclass(frozen=True, eq=False)
class HealthScope:
    """The members a Health view counts with their activity anywhere (`community`) and on the chosen projects (`working`).

    Without a project filter both are the same crowd.
    """

    community: Crowd
    working: Crowd

    @property
    def by_project(self) -> bool:
        """True under a project filter (the base is the project's members)."""
        return self.working is not self.community

    def overview(self, start, end) -> dict:
        """`Crowd.overview` of the scope: active users on the chosen projects, the rest on any project."""
        return self.community.overview(start, end, working=self.working)

    def active_members(self, measure: str, as_of) -> pd.DataFrame:
        """The members behind DAU, WAU or MAU on as_of (active on the chosen projects in the 1, 7 or 28 days ending then)."""
        working = self.working
        return working.members[working.active_within(as_of, DAY_WINDOWS[measure])].reset_index(drop=True)


def project_members(project_days: "ActiveDays | pd.DataFrame") -> np.ndarray:
    """The ids of the members with at least one active day in `project_days` (their activity on the chosen projects)."""
    days = active_days(project_days)
    return days.member_ids[days.active.any(axis=1)] if days.active.size else days.member_ids[:0]


def scope_of(members: pd.DataFrame, member_days, project_days=None) -> HealthScope:
    """The scope of community `members` with their days on any project and, under a project filter, on its projects."""
    if project_days is None:
        crowd = Crowd(members, member_days)
        return HealthScope(crowd, crowd)
    base = members[members["member_id"].isin(project_members(project_days))]
    return HealthScope(Crowd(base, member_days), Crowd(base, project_days))


# Under a project filter, a member belongs to the project when they worked on it in this many days up to the end of
# the view: the Health page's lookback (120 days) and the 27 before its first MAU day.
BASE_DAYS = 147


def project_base(engine: Engine, members: pd.DataFrame, *, end, projects=None, days: int = BASE_DAYS) -> pd.DataFrame:
    """The community members a figure counts: all of `members`, or under a project filter the project's members
    (a submitted task on the projects in the `days` ending on `end`), as the Health page counts them."""
    if not projects:
        return members
    last = as_date(end)
    project_days = load_active_days(engine, start=last - pd.Timedelta(days=days - 1).to_pytimedelta(), end=last,
                                    projects=projects)
    return _members_in(members, project_days)


def _members_in(members: pd.DataFrame, project_days: ActiveDays) -> pd.DataFrame:
    """The rows of `members` with a submitted task in `project_days` (the project base's one rule)."""
    return members[members["member_id"].isin(project_members(project_days))].reset_index(drop=True)


def project_base_and_days(engine: Engine, members: pd.DataFrame, *, start, end, projects) -> tuple[pd.DataFrame,
                                                                                                      ActiveDays]:
    """`project_base` of `members` and the project's days start..end, from one read of the project's days."""
    last = as_date(end)
    base_start = last - pd.Timedelta(days=BASE_DAYS - 1).to_pytimedelta()
    project_days = load_active_days(engine, start=min(as_date(start), base_start), end=last, projects=projects)
    return _members_in(members, project_days.between(base_start, last)), project_days.between(as_date(start), last)


def load_scope(engine: Engine, *, start, end, regions=None, projects=None, members=None) -> HealthScope:
    """The scope of a Health view whose days run start..end (the lookback included), read from the roll-up.

    `members` (community members of the regions, as `load_community` gives) saves reading them again.
    """
    members = load_community(engine, regions=regions) if members is None else members
    days = load_active_days(engine, start=start, end=end)
    project_days = load_active_days(engine, start=start, end=end, projects=projects) if projects else None
    return scope_of(members, days, project_days)


def active_member_ids(engine: Engine, as_of, *, window_days: int = MONTH_DAYS) -> list[str]:
    """Members active by the Health definition: ≥ 1 submitted task in the `window_days` ending on as_of, non-staff, non-bot."""
    last = as_date(as_of)
    days = load_active_days(engine, start=last - pd.Timedelta(days=window_days - 1).to_pytimedelta(), end=last)
    crowd = Crowd(pd.DataFrame({"member_id": days.member_ids}), days)
    return sorted(crowd.members["member_id"][crowd.active_within(last, window_days)])
