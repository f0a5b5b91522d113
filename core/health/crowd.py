"""Community health from members and their active days: active users, statuses, funnel, retention, churn.

`Crowd` holds the community members (not staff, not bots) matched to their `ActiveDays` once;
every health number is one of its methods, used alike by the Health page, the CLI, Today and
the Weekly report.
"""

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.frames import as_day, ratio
from core.health.active import DAY, active_days

ACTIVITY_STATUSES = ("new", "returning", "dormant", "never_active")
# How each status reads on a page or in an export (never the stored code).
STATUS_LABELS = {"new": "New", "returning": "Returning", "dormant": "Dormant", "never_active": "Never active"}
FUNNEL_STAGES = ("signed_up", "onboarded", "activated_7d", "retained_30d")
ACTIVATION_DAYS = 7
RETENTION_WINDOW = (30, 36)  # days after onboarding, both included
MONTH_DAYS = 28


class Crowd:
    """Community members (not staff, not bots) with their active days: what every health metric reads.

    Finding each member's row in the days is the costly step at scale, so a crowd does it once
    and its subsets (`where`) keep the rows.
    """

    def __init__(self, members: pd.DataFrame, member_days, *, _rows: np.ndarray | None = None):
        """Members (staff and bots are dropped) with their days: `ActiveDays` or (member_id, day) pairs."""
        self.members = community_members(members) if _rows is None else members
        self.days = active_days(member_days)
        self.rows = self.days.rows_of(self.members["member_id"]) if _rows is None else _rows

    def where(self, keep) -> "Crowd":
        """The crowd of the members where `keep` (a boolean Series or array aligned with `members`) holds."""
        keep = np.asarray(keep, dtype=bool)
        return Crowd(self.members[keep], self.days, _rows=self.rows[keep])

    def column(self, day) -> int:
        """The column number of a day in the active days."""
        return int((as_day(day) - self.days.first_day) // DAY)

    def onboarded_day(self) -> pd.Series:
        """Per member: the UTC day of onboarding (NaT for none)."""
        return _naive(self.members["onboarded_at"]).dt.normalize()

    def signed_up_by(self, as_of: pd.Timestamp) -> "Crowd":
        """Members who had signed up (or, without a sign-up time, onboarded) by the end of as_of."""
        joined = _naive(self.members["signed_up_at"]).fillna(_naive(self.members["onboarded_at"]))
        return self.where(joined.isna() | (joined < as_of + DAY))

    def active_within(self, as_of, window_days: int) -> np.ndarray:
        """Per member: active in the `window_days` ending as_of."""
        last = self.column(as_of)
        return self.days.active_between(self.rows, last - window_days + 1, last)

    def first_active_days(self) -> pd.Series:
        """Per member (indexed like `members`): the first active day in the data, NaT for none."""
        return pd.Series(self.days.day_of(self.days.first_active_column(self.rows)), index=self.members.index)

    def active_users(self, start, end) -> pd.DataFrame:
        """Per day start..end: DAU, WAU (7 days), MAU (28 days), stickiness and active rate of onboarded members.

        `stickiness` is the mean of daily DAU/MAU over the whole period, repeated on every row;
        the days must reach back to start − 27 days for the first MAU to be complete.
        """
        dates = pd.date_range(as_day(start), as_day(end), freq="D")
        last = np.arange(len(dates)) + self.column(dates[0])

        def distinct_active(window: int) -> np.ndarray:
            return self.days.count_active_between(self.rows, last - window + 1, last)

        dau, wau, mau = distinct_active(1), distinct_active(7), distinct_active(MONTH_DAYS)
        onboarded = _naive(self.members["onboarded_at"]).to_numpy(dtype="datetime64[us]")
        # members onboarded by the end of each date: a count per day since the first date, summed up
        day_number = (onboarded[~np.isnat(onboarded)] - dates[0].to_datetime64()) // np.timedelta64(1, "D")
        per_day = np.bincount(np.clip(day_number, -1, len(dates)) + 1, minlength=len(dates) + 2)
        onboarded_by_date = np.cumsum(per_day)[1:len(dates) + 1]
        daily_stickiness = ratio(dau, mau)
        stickiness = float(np.nanmean(daily_stickiness)) if np.isfinite(daily_stickiness).any() else np.nan
        return pd.DataFrame(
            {
                "date": dates.as_unit("us"),
                "dau": dau.astype("int64"),
                "wau": wau.astype("int64"),
                "mau": mau.astype("int64"),
                "stickiness": stickiness,
                "active_rate": ratio(mau, onboarded_by_date),
            }
        )

    def activity_status(self, as_of) -> pd.DataFrame:
        """Each signed-up member as new, returning, dormant or never_active over the 28 days ending as_of.

        new = onboarded in those 28 days and active in them; returning = active in them, onboarded
        earlier (or never); dormant = active before but not in them; never_active = no task yet.
        """
        crowd, last_active_day, codes = self._status_codes(as_of)
        frame = crowd.members.copy()
        frame["last_active_day"] = last_active_day
        frame["status"] = pd.Categorical.from_codes(codes, categories=list(ACTIVITY_STATUSES), ordered=True)
        return frame.reset_index(drop=True)

    def _status_codes(self, as_of) -> tuple["Crowd", np.ndarray, np.ndarray]:
        # The signed-up crowd, each member's last active day and the position of their status in ACTIVITY_STATUSES.
        as_of = as_day(as_of)
        window_start = (as_of - (MONTH_DAYS - 1) * DAY).to_datetime64()
        crowd = self.signed_up_by(as_of)
        last_active_day = crowd.days.day_of(crowd.days.last_active_column(crowd.rows, upto=crowd.column(as_of)))
        onboarded_day = crowd.onboarded_day().to_numpy(dtype="datetime64[us]")
        active_recently = last_active_day >= window_start
        onboarded_recently = (onboarded_day >= window_start) & (onboarded_day <= as_of.to_datetime64())
        codes = np.select([active_recently & onboarded_recently, active_recently, ~np.isnat(last_active_day)],
                          [0, 1, 2], default=3)
        return crowd, last_active_day, codes

    def status_counts(self, as_of) -> pd.DataFrame:
        """Members per activity status (new, returning, dormant, never_active) with their share."""
        counts = np.bincount(self._status_codes(as_of)[2], minlength=len(ACTIVITY_STATUSES)).astype("int64")
        table = pd.DataFrame({"status": list(ACTIVITY_STATUSES), "members": counts})
        table["share"] = ratio(table["members"], table["members"].sum())
        return table

    def onboarding_funnel(self, as_of) -> pd.DataFrame:
        """Signed up → onboarded → activated (first task ≤ 7 days after onboarding) → retained (active on days 30–36).

        Each stage's `share_of_previous` divides by `eligible`: members of the previous stage whose
        window for this stage has closed by as_of or who already reached it, so members onboarded
        yesterday do not count as failures to activate. `share_of_signed_up` divides by all signups.
        """
        as_of = as_day(as_of)
        crowd = self.signed_up_by(as_of)
        onboarded_day = crowd.onboarded_day()
        onboarded = onboarded_day.notna() & (onboarded_day <= as_of)

        days, until = crowd.days, crowd.column(as_of)
        first_column = days.first_active_column(crowd.rows)
        first_day = pd.Series(days.day_of(np.where(first_column <= until, first_column, np.nan)), index=onboarded_day.index)
        activated = onboarded & ((first_day - onboarded_day) <= ACTIVATION_DAYS * DAY)
        activation_closed = onboarded_day + ACTIVATION_DAYS * DAY <= as_of

        onboarded_column = days.column_of(onboarded_day)
        in_window = days.active_between(crowd.rows, onboarded_column + RETENTION_WINDOW[0],
                                        np.minimum(onboarded_column + RETENTION_WINDOW[1], until))
        retained = activated & in_window
        retention_closed = onboarded_day + RETENTION_WINDOW[1] * DAY <= as_of

        signed_up = len(crowd.members)
        reached = [signed_up, int(onboarded.sum()), int(activated.sum()), int(retained.sum())]
        eligible = [
            signed_up,
            signed_up,
            int((onboarded & (activated | activation_closed)).sum()),
            int((activated & (retained | retention_closed)).sum()),
        ]
        funnel = pd.DataFrame({"stage": list(FUNNEL_STAGES), "members": reached, "eligible": eligible})
        funnel["share_of_previous"] = ratio(funnel["members"], funnel["eligible"])
        funnel["share_of_signed_up"] = ratio(funnel["members"], signed_up)
        return funnel

    def time_to_activate(self) -> float:
        """Median whole days from onboarding to first active day, over onboarded members who have one."""
        waits = ((self.first_active_days() - self.onboarded_day()) // DAY).dropna().clip(lower=0)
        return float(waits.median()) if len(waits) else float("nan")

    def retention_cohorts(self, weeks: int = 8, *, as_of=None) -> pd.DataFrame:
        """Long-form cohort table: onboarding ISO week, week number 0..weeks, cohort size, active members, share.

        Week N is the Nth calendar week (Monday–Sunday) after the cohort's week; only weeks that have
        ended by as_of (default: the last active day in the data) appear, so recent cells are not understated.
        """
        onboarded_day = self.onboarded_day()
        if as_of is None:
            as_of = self.days.last_active_day() if not self.days.empty else onboarded_day.max()
        as_of = as_day(as_of) if pd.notna(as_of) else pd.Timestamp.min
        cohort_week = _week_start(onboarded_day)
        kept = (cohort_week.notna() & (onboarded_day <= as_of)).to_numpy()
        cohort_week = cohort_week[kept]

        active_in = self.days.active_in_weeks(self.rows[kept], self.days.column_of(cohort_week), weeks + 1)

        size = cohort_week.groupby(cohort_week).size()
        codes = size.index.get_indexer(cohort_week)
        active = np.column_stack([np.bincount(codes, weights=active_in[:, week], minlength=len(size))
                                  for week in range(weeks + 1)]).astype("int64")
        grid = pd.MultiIndex.from_product([size.index, range(weeks + 1)], names=["cohort_week", "week_number"])
        table = grid.to_frame(index=False)
        table["cohort_size"] = table["cohort_week"].map(size).astype("int64")
        table["active"] = active.reshape(-1)
        table["share"] = ratio(table["active"], table["cohort_size"])
        week_ends = table["cohort_week"] + table["week_number"] * pd.Timedelta(weeks=1) + 6 * DAY
        table = table[week_ends <= as_of].reset_index(drop=True)
        table["cohort_week"] = table["cohort_week"].astype("datetime64[us]")
        table["week_number"] = table["week_number"].astype("int64")
        return table

    def cohort_members(self, cohort_week, week_number: int) -> pd.DataFrame:
        """The members behind one retention cell: onboarded in the ISO week starting `cohort_week`, active in week N."""
        onboarded_day = self.onboarded_day()
        cohort_week = as_day(cohort_week)
        in_cohort = (_week_start(onboarded_day) == cohort_week).to_numpy()
        starts = self.days.column_of(pd.Series(cohort_week, index=np.flatnonzero(in_cohort)))
        active = self.days.active_in_weeks(self.rows[in_cohort], starts, week_number + 1)[:, week_number]
        return self.members[in_cohort][active].reset_index(drop=True)

    def window_members(self, as_of, window_days: int = MONTH_DAYS) -> tuple[np.ndarray, np.ndarray]:
        """Per member: active in the window before the latest `window_days` ending as_of, and in the latest."""
        as_of = as_day(as_of)
        return self.active_within(as_of - window_days * DAY, window_days), self.active_within(as_of, window_days)

    def churned_members(self, as_of, window_days: int = MONTH_DAYS) -> pd.DataFrame:
        """The members behind `Churn`: active in the previous window, silent in the latest one."""
        previous, latest = self.window_members(as_of, window_days)
        return self.members[previous & ~latest].reset_index(drop=True)

    def recent_signups(self) -> "Crowd":
        """The members who signed up since the first active day in the data (whom the funnel follows)."""
        return self.where(self.members["signed_up_at"] >= pd.Timestamp(self.days.first_active_day(), tz="UTC"))

    def overview(self, start, end, *, working: "Crowd | None" = None) -> dict:
        """Everything the Health page shows from activity: active users, funnel of recent sign-ups, statuses, churn, cohorts.

        The funnel and time to activate cover members who signed up since the first active day in
        the data, so long-tenured members (whose first task predates the data) do not look slow to activate.
        Active users count `working`'s days when given (the same members' activity on the chosen projects).
        """
        signups = self.recent_signups()
        as_of = as_day(end)
        return {
            "active": (self if working is None else working).active_users(start, end),
            "since": self.days.first_active_day(),
            "funnel": signups.onboarding_funnel(as_of),
            "days_to_activate": signups.time_to_activate(),
            "status_counts": self.status_counts(as_of),
            "churn": Churn.of(self, as_of),
            "cohorts": self.retention_cohorts(weeks=8, as_of=as_of),
        }


@dataclass(frozen=True)
class Churn:
    """Churn: members active in the window before the latest `window_days` ending as_of, and how many of them
    were not active in the latest."""

    previous_active: int
    retained: int
    churned: int
    rate: float

    @classmethod
    def of(cls, crowd: Crowd, as_of, window_days: int = MONTH_DAYS) -> "Churn":
        """The churn of a crowd over the two windows ending as_of."""
        previous, latest = crowd.window_members(as_of, window_days)
        churned, previous_active = int((previous & ~latest).sum()), int(previous.sum())
        return cls(previous_active=previous_active, retained=int((previous & latest).sum()), churned=churned,
                   rate=ratio(churned, previous_active))



def week_over_week(this_week: Mapping[str, float], previous_week: Mapping[str, float]) -> pd.DataFrame:
    """Per metric: this week, previous week, the change and the relative change (NaN from zero)."""
    this = pd.Series(dict(this_week), dtype="float64")
    previous = pd.Series(dict(previous_week), dtype="float64").reindex(this.index)
    return pd.DataFrame(
        {
            "metric": this.index,
            "this_week": this.to_numpy(),
            "previous_week": previous.to_numpy(),
            "delta": (this - previous).to_numpy(),
            "relative_change": ratio(this - previous, previous.abs()).to_numpy(),
        }
    )


def community_members(members: pd.DataFrame) -> pd.DataFrame:
    """Members who count in community metrics: not staff, not bots."""
    keep = pd.Series(True, index=members.index)
    for flag in ("is_staff", "is_bot"):
        if flag in members:
            keep &= ~members[flag].fillna(False).astype(bool)
    return members[keep]


def _naive(timestamps: pd.Series) -> pd.Series:
    if isinstance(timestamps.dtype, pd.DatetimeTZDtype):
        return timestamps.dt.tz_convert("UTC").dt.tz_localize(None)
    return pd.to_datetime(timestamps)


def _week_start(days: pd.Series) -> pd.Series:
    return days - pd.to_timedelta(days.dt.day_of_week, unit="D")

