"""Reference implementations over raw activity rows: what the SQL and roll-up paths of `core.workforce` must equal.

Production has one implementation of each workforce number (`core.workforce.read` and the
modules it calls); the tests check it against these straightforward pandas versions, which
read every activity row and are too slow for the pages at scale. The workforce table's own
reference is `core.workforce.quality.workforce_table`, which serves the rarer groupings.
"""

import pandas as pd
from sqlalchemy import Engine, String, func, not_, select, type_coerce

from core.feedback.sentiment import NEGATIVE_THRESHOLD as NEGATIVE_AT, effective_sentiment
from core.frames import as_date, as_day, ratio, read_frame
from core.models import Activity, Member
from core.workforce.alerts import DAY
from core.workforce.fatigue import FATIGUE_DEFAULTS, current_streaks, fatigue_verdicts, matched_rates
from core.workforce.quality import COUNTS, count_types


def load_project_days(engine: Engine, *, start, end, projects=None, regions=None) -> pd.DataFrame:
    """`load_project_day_totals` from the activity rows: non-staff activity summed per project and day."""
    activity, member = Activity.__table__, Member.__table__
    sums = [func.sum(activity.c[name]).label(name) for name in COUNTS]
    statement = (
        select(activity.c.project_id, type_coerce(activity.c.day, String).label("day"), *sums)
        .select_from(activity.join(member, activity.c.member_id == member.c.member_id))
        .where(activity.c.day >= as_date(start), activity.c.day <= as_date(end), not_(member.c.is_staff),
               not_(member.c.is_bot))
        .group_by(activity.c.project_id, activity.c.day)
        .order_by(activity.c.day, activity.c.project_id)
    )
    if projects:
        statement = statement.where(activity.c.project_id.in_(list(projects)))
    if regions:
        statement = statement.where(member.c.region.in_(list(regions)))
    return read_frame(engine, statement, days=("day",)).astype(count_types(COUNTS))


def fatigue_alerts(activity: pd.DataFrame, as_of, **thresholds) -> pd.DataFrame:
    """`core.workforce.fatigue.fatigue_alerts` from activity rows (see there for the rules)."""
    as_of = as_day(as_of)
    frame = activity[activity["day"] <= as_of].rename(columns=COUNTS)
    daily = frame.groupby(["member_id", "day"], sort=True)[list(COUNTS.values())].sum().reset_index()
    daily = daily[(daily["submitted"] > 0) | (daily["active_minutes"] > 0)]

    recent = _member_totals(daily[daily["day"] >= as_of - 6 * DAY])
    baseline = _member_totals(daily[(daily["day"] >= as_of - 34 * DAY) & (daily["day"] <= as_of - 7 * DAY)])
    totals = pd.DataFrame({"days_recent": recent["days"], "days_baseline": baseline["days"].reindex(recent.index),
                           "active_minutes_recent": recent["active_minutes"],
                           "submitted_recent": recent["submitted"]})
    segment = [name for name in ("region", "country", "vendor") if name in activity.columns]
    segments = activity.drop_duplicates("member_id", keep="last")[["member_id", *segment]] if segment else None
    return fatigue_verdicts(totals, _like_for_like(frame, as_of), current_streaks(daily, as_of), segments,
                            **{**FATIGUE_DEFAULTS, **thresholds})


def negative_feedback(messages: pd.DataFrame) -> pd.DataFrame:
    """`load_negative_feedback` from message rows: scored and negative messages per project and UTC day."""
    sentiment = effective_sentiment(messages)
    frame = pd.DataFrame({"project_id": messages["project_id"],
                          "day": messages["created_at"].dt.tz_convert("UTC").dt.tz_localize(None).dt.normalize(),
                          "scored": sentiment.notna().astype("int64"),
                          "negative": (sentiment <= NEGATIVE_AT).astype("int64")})
    frame = frame[frame["project_id"].notna()]
    return frame.groupby(["project_id", "day"], as_index=False)[["scored", "negative"]].sum()


def recent_members(activity: pd.DataFrame, project_id: str, change_at, *, by: str = "region", as_of=None,
                   window_days: int = 14) -> pd.Series:
    """`load_recent_members` from activity rows: distinct taskers in the window from the change, per `by` value."""
    change_day = as_day(change_at)
    as_of_day = as_day(as_of) if as_of is not None else change_day + (window_days - 1) * DAY
    frame = activity[activity["project_id"] == project_id]
    frame = frame.assign(**{by: frame[by].fillna("Unknown")})
    recent = frame[((frame["day"] - change_day) // DAY).between(0, window_days - 1) & (frame["day"] <= as_of_day)]
    return recent.groupby(by)["member_id"].nunique()


def affected_members(activity: pd.DataFrame, project_id: str, since, *, by: str = "region", values=None) -> list[str]:
    """`load_affected_members` from activity rows: taskers who submitted on the project since `since`, sorted."""
    rows = activity[(activity["project_id"] == project_id) & (activity["day"] >= as_day(since))
                    & (activity["tasks_submitted"] > 0)]
    if values is not None:
        rows = rows[rows[by].fillna("Unknown").isin(list(values))]
    return sorted(rows["member_id"].unique().tolist())


def _member_totals(daily: pd.DataFrame) -> pd.DataFrame:
    totals = daily.groupby("member_id").agg(
        approved=("approved", "sum"),
        rejected=("rejected", "sum"),
        submitted=("submitted", "sum"),
        handle_seconds=("handle_seconds", "sum"),
        active_minutes=("active_minutes", "sum"),
        days=("day", "nunique"),
    )
    totals["reviewed"] = totals["approved"] + totals["rejected"]
    totals["quality"] = ratio(totals["approved"], totals["reviewed"])
    totals["aht"] = ratio(totals["handle_seconds"], totals["submitted"])
    return totals


def _like_for_like(frame: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """Per member, recent quality and AHT against the same projects' baseline rates at recent volumes."""
    measures = ["approved", "rejected", "submitted", "handle_seconds"]
    recent = frame[frame["day"] >= as_of - 6 * DAY].groupby(["member_id", "project_id"])[measures].sum()
    base_rows = frame[(frame["day"] >= as_of - 34 * DAY) & (frame["day"] <= as_of - 7 * DAY)]
    base = base_rows.groupby(["member_id", "project_id"])[measures].sum()
    return matched_rates(recent.join(base, suffixes=("", "_base"), how="inner"))

