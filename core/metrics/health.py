"""Community health: active users, activity status, onboarding funnel, retention cohorts and churn.

A member is active on a day with at least one submitted task (summed across projects); staff
and bot accounts never count. `member_days` frames hold distinct (member_id, day) pairs, as
`load_daily_active` returns them.
"""

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import Engine, func, not_, select

from core.metrics import as_date, as_day, loader_columns, ratio, read_frame, unparsed
from core.models import Activity, Member

MEMBER_TIMESTAMPS = ("signed_up_at", "onboarded_at", "activated_at")
ACTIVITY_STATUSES = ("new", "returning", "dormant", "never_active")
FUNNEL_STAGES = ("signed_up", "onboarded", "activated_7d", "retained_30d")
ACTIVATION_DAYS = 7
RETENTION_WINDOW = (30, 36)  # days after onboarding, both included
MONTH_DAYS = 28
DAY = pd.Timedelta(days=1)


def load_members(engine: Engine, *, regions=None) -> pd.DataFrame:
    """Every member (staff and bots flagged, not removed) without the free-form attributes."""
    member = Member.__table__
    statement = select(*loader_columns(member, without=["attributes"])).order_by(member.c.member_id)
    if regions:
        statement = statement.where(member.c.region.in_(list(regions)))
    return read_frame(engine, statement, timestamps=MEMBER_TIMESTAMPS, flags=("is_staff", "is_bot"))


def load_daily_active(engine: Engine, *, start, end, projects=None) -> pd.DataFrame:
    """Distinct non-staff (member_id, day) pairs with ≥ 1 submitted task, days start..end included.

    For `active_users` from day S, load from S − 27 days so the first MAU window is complete;
    the funnel and cohorts need days back to the earliest onboarding they show.
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


def active_users(member_days: pd.DataFrame, members: pd.DataFrame, start, end) -> pd.DataFrame:
    """Per day start..end: DAU, WAU (7 days), MAU (28 days), stickiness and active rate of onboarded members.

    `stickiness` is the mean of daily DAU/MAU over the whole period, repeated on every row;
    `member_days` must reach back to start − 27 days for the first MAU to be complete.
    """
    dates = pd.date_range(as_day(start), as_day(end), freq="D")
    community = community_members(members)
    origin = dates[0] - (MONTH_DAYS - 1) * DAY
    days = _community_days(member_days, community)
    days = days[(days["day"] >= origin) & (days["day"] <= dates[-1])]

    positions = ((days["day"] - origin) // DAY).to_numpy(dtype="int64")
    codes = pd.factorize(days["member_id"])[0]
    order = np.lexsort((positions, codes))
    positions, codes = positions[order], codes[order]
    span = len(dates) + MONTH_DAYS
    next_positions = np.full(len(positions), span, dtype="int64")
    same_member = codes[1:] == codes[:-1]
    next_positions[:-1][same_member] = positions[1:][same_member]

    def distinct_active(window: int) -> np.ndarray:
        # Each active day counts for the windows in which it is the member's latest active day.
        stops = np.minimum(positions + window, next_positions)
        changes = np.bincount(positions, minlength=span + 1) - np.bincount(stops, minlength=span + 1)
        return np.cumsum(changes)[MONTH_DAYS - 1 : MONTH_DAYS - 1 + len(dates)]

    dau, wau, mau = distinct_active(1), distinct_active(7), distinct_active(MONTH_DAYS)
    onboarded = np.sort(_naive(community["onboarded_at"]).dropna().to_numpy(dtype="datetime64[us]"))
    onboarded_by_date = np.searchsorted(onboarded, (dates + DAY).to_numpy(dtype="datetime64[us]"), side="left")
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


def activity_status(member_days: pd.DataFrame, members: pd.DataFrame, as_of) -> pd.DataFrame:
    """Each signed-up member as new, returning, dormant or never_active over the 28 days ending as_of.

    new = onboarded in those 28 days and active in them; returning = active in them, onboarded
    earlier (or never); dormant = active before but not in them; never_active = no task yet.
    """
    as_of = as_day(as_of)
    window_start = as_of - (MONTH_DAYS - 1) * DAY
    community = _signed_up_by(community_members(members), as_of)
    days = _community_days(member_days, community)
    last_active = days[days["day"] <= as_of].groupby("member_id")["day"].max()

    frame = community.copy()
    frame["last_active_day"] = last_active.reindex(frame["member_id"]).to_numpy()
    frame["last_active_day"] = frame["last_active_day"].astype("datetime64[us]")
    onboarded_day = _naive(frame["onboarded_at"]).dt.normalize()
    active_recently = frame["last_active_day"] >= window_start
    onboarded_recently = (onboarded_day >= window_start) & (onboarded_day <= as_of)
    status = np.select(
        [active_recently & onboarded_recently, active_recently, frame["last_active_day"].notna()],
        ["new", "returning", "dormant"],
        default="never_active",
    )
    frame["status"] = pd.Categorical(status, categories=ACTIVITY_STATUSES, ordered=True)
    return frame.reset_index(drop=True)


def status_counts(member_days: pd.DataFrame, members: pd.DataFrame, as_of) -> pd.DataFrame:
    """Members per activity status (new, returning, dormant, never_active) with their share."""
    statuses = activity_status(member_days, members, as_of)["status"]
    counts = statuses.value_counts().reindex(list(ACTIVITY_STATUSES), fill_value=0).astype("int64")
    table = pd.DataFrame({"status": list(ACTIVITY_STATUSES), "members": counts.to_numpy()})
    table["share"] = ratio(table["members"], table["members"].sum())
    return table


def onboarding_funnel(members: pd.DataFrame, member_days: pd.DataFrame, as_of) -> pd.DataFrame:
    """Signed up → onboarded → activated (first task ≤ 7 days after onboarding) → retained (active on days 30–36).

    Each stage's `share_of_previous` divides by `eligible`: members of the previous stage whose
    window for this stage has closed by as_of or who already reached it, so members onboarded
    yesterday do not count as failures to activate. `share_of_signed_up` divides by all signups.
    """
    as_of = as_day(as_of)
    community = _signed_up_by(community_members(members), as_of)
    onboarded_day = _naive(community["onboarded_at"]).dt.normalize()
    onboarded = onboarded_day.notna() & (onboarded_day <= as_of)

    days = _community_days(member_days, community)
    days = days[days["day"] <= as_of]
    first_day = _first_active_day(community, days)
    activated = onboarded & ((first_day - onboarded_day) <= ACTIVATION_DAYS * DAY)
    activation_closed = onboarded_day + ACTIVATION_DAYS * DAY <= as_of

    offsets = days.merge(
        pd.DataFrame({"member_id": community["member_id"], "onboarded_day": onboarded_day}), on="member_id"
    )
    offset_days = (offsets["day"] - offsets["onboarded_day"]) // DAY
    in_window = offset_days.between(*RETENTION_WINDOW)
    retained_ids = set(offsets.loc[in_window, "member_id"])
    retained = activated & community["member_id"].isin(retained_ids)
    retention_closed = onboarded_day + RETENTION_WINDOW[1] * DAY <= as_of

    signed_up = len(community)
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


def time_to_activate(members: pd.DataFrame, member_days: pd.DataFrame) -> float:
    """Median whole days from onboarding to first active day, over onboarded members who have one."""
    community = community_members(members)
    onboarded_day = _naive(community["onboarded_at"]).dt.normalize()
    days = _community_days(member_days, community)
    first_day = _first_active_day(community, days)
    waits = ((first_day - onboarded_day) // DAY).dropna().clip(lower=0)
    return float(waits.median()) if len(waits) else float("nan")


def retention_cohorts(members: pd.DataFrame, member_days: pd.DataFrame, weeks: int = 8, *, as_of=None) -> pd.DataFrame:
    """Long-form cohort table: onboarding ISO week, week number 0..weeks, cohort size, active members, share.

    Week N is the Nth calendar week (Monday–Sunday) after the cohort's week; only weeks that have
    ended by as_of (default: the last day in member_days) appear, so recent cells are not understated.
    """
    community = community_members(members)
    onboarded_day = _naive(community["onboarded_at"]).dt.normalize()
    if as_of is None:
        as_of = member_days["day"].max() if len(member_days) else onboarded_day.max()
    as_of = as_day(as_of) if pd.notna(as_of) else pd.Timestamp.min
    cohorts = pd.DataFrame({"member_id": community["member_id"], "cohort_week": _week_start(onboarded_day)})
    cohorts = cohorts[cohorts["cohort_week"].notna() & (onboarded_day <= as_of)]

    days = _community_days(member_days, community).merge(cohorts, on="member_id")
    days["week_number"] = (_week_start(days["day"]) - days["cohort_week"]) // pd.Timedelta(weeks=1)
    days = days[days["week_number"].between(0, weeks)].drop_duplicates(["member_id", "week_number"])
    active = days.groupby(["cohort_week", "week_number"]).size()

    size = cohorts.groupby("cohort_week").size()
    grid = pd.MultiIndex.from_product([size.index, range(weeks + 1)], names=["cohort_week", "week_number"])
    table = grid.to_frame(index=False)
    table["cohort_size"] = table["cohort_week"].map(size).astype("int64")
    table["active"] = active.reindex(grid, fill_value=0).to_numpy().astype("int64")
    table["share"] = ratio(table["active"], table["cohort_size"])
    week_ends = table["cohort_week"] + table["week_number"] * pd.Timedelta(weeks=1) + 6 * DAY
    table = table[week_ends <= as_of].reset_index(drop=True)
    table["cohort_week"] = table["cohort_week"].astype("datetime64[us]")
    table["week_number"] = table["week_number"].astype("int64")
    return table


@dataclass(frozen=True)
class Churn:
    """Members active in the previous window and how many of them were not active in the latest."""

    previous_active: int
    retained: int
    churned: int
    rate: float


def churn(member_days: pd.DataFrame, members: pd.DataFrame, as_of, window_days: int = MONTH_DAYS) -> Churn:
    """Churn: members active in the window before the latest `window_days` ending as_of but not in it."""
    previous, latest = _window_members(member_days, members, as_of, window_days)
    churned = len(previous - latest)
    return Churn(
        previous_active=len(previous),
        retained=len(previous & latest),
        churned=churned,
        rate=ratio(churned, len(previous)),
    )


def churned_members(member_days: pd.DataFrame, members: pd.DataFrame, as_of, window_days: int = MONTH_DAYS) -> pd.DataFrame:
    """The members behind `churn`: active in the previous window, silent in the latest one."""
    previous, latest = _window_members(member_days, members, as_of, window_days)
    gone = community_members(members)
    return gone[gone["member_id"].isin(previous - latest)].reset_index(drop=True)


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


def _signed_up_by(community: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    joined = _naive(community["signed_up_at"]).fillna(_naive(community["onboarded_at"]))
    return community[joined.isna() | (joined < as_of + DAY)]


def _community_days(member_days: pd.DataFrame, community: pd.DataFrame) -> pd.DataFrame:
    days = member_days[["member_id", "day"]]
    return days[days["member_id"].isin(community["member_id"])].drop_duplicates()


def _window_members(member_days, members, as_of, window_days) -> tuple[set, set]:
    as_of = as_day(as_of)
    latest_start = as_of - (window_days - 1) * DAY
    previous_start = latest_start - window_days * DAY
    days = _community_days(member_days, community_members(members))
    latest = set(days.loc[(days["day"] >= latest_start) & (days["day"] <= as_of), "member_id"])
    previous = set(days.loc[(days["day"] >= previous_start) & (days["day"] < latest_start), "member_id"])
    return previous, latest


def _first_active_day(community: pd.DataFrame, days: pd.DataFrame) -> pd.Series:
    first = days.groupby("member_id")["day"].min()
    return pd.Series(first.reindex(community["member_id"]).to_numpy(), index=community.index).astype("datetime64[us]")


def _naive(timestamps: pd.Series) -> pd.Series:
    if isinstance(timestamps.dtype, pd.DatetimeTZDtype):
        return timestamps.dt.tz_convert("UTC").dt.tz_localize(None)
    return pd.to_datetime(timestamps)


def _week_start(days: pd.Series) -> pd.Series:
    return days - pd.to_timedelta(days.dt.day_of_week, unit="D")


def health_overview(members: pd.DataFrame, member_days: pd.DataFrame, start, end) -> dict:
    """Everything the Health page shows from activity: active users, funnel of recent sign-ups, statuses, churn, cohorts.

    The funnel and time to activate cover members who signed up since the first loaded day, so
    long-tenured members (whose first task predates the data) do not look slow to activate.
    """
    since = member_days["day"].min()
    signups = members[members["signed_up_at"] >= pd.Timestamp(since, tz="UTC")]
    as_of = as_day(end)
    return {
        "active": active_users(member_days, members, start, end),
        "since": since,
        "funnel": onboarding_funnel(signups, member_days, as_of),
        "days_to_activate": time_to_activate(signups, member_days),
        "status_counts": status_counts(member_days, members, as_of),
        "churn": churn(member_days, members, as_of),
        "cohorts": retention_cohorts(members, member_days, weeks=8, as_of=as_of),
    }
