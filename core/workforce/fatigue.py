"""Fatigue: taskers whose last 7 days drift from their own previous 28 (quality down, AHT up, long days, long streaks).

Recent = as_of − 6 … as_of; baseline = as_of − 34 … as_of − 7. Quality and AHT are compared like
for like: only on projects the tasker worked in both windows, with each project's baseline rate
weighted by its recent volume, so moving to a slower or stricter project is not fatigue. They
need ≥ `min_baseline_days` baseline days and ≥ `min_recent_tasks` recent tasks; hours and streaks
are absolute. The streak is the run of consecutive active days ending on as_of or the day before
(so it is capped by the days the window covers). Severity adds, for each triggered reason, how
far past its threshold it is (1.0 = exactly at it); highest first. A tasker is listed when at
least `min_signals` of the four fire: one alone is usually noise or a project problem (a
confusing guideline lowers everyone's quality), not fatigue.

`fatigue_alerts` aggregates the activity in SQL per member and project; the stored alerts of the
roll-up (`core.workforce.rollup`) and `core.workforce.read.load_fatigue_alerts` are its results.
"""

import datetime as dt

import numpy as np
import pandas as pd
from sqlalchemy import (BigInteger, String, and_, case, cast, func, literal, literal_column, not_, or_, select,
                        type_coerce)

from core.frames import as_date, as_day, frame_on, ratio
from core.models import Activity, Member
from core.workforce.alerts import DAY, TOLERANCE, join_reasons, percent, whole
from core.workforce.bitmaps import day_number, day_number_sql
from core.workforce.quality import DIRECT


FATIGUE_DEFAULTS = dict(min_baseline_days=10, min_recent_tasks=20, quality_drop=0.10, aht_rise=0.25,
                        max_daily_hours=9.0, max_streak_days=12, min_signals=2)
FATIGUE_COLUMNS = ["member_id", "region", "country", "vendor", "baseline_quality", "recent_quality", "baseline_aht",
                   "recent_aht", "recent_daily_hours", "streak_days", "recent_tasks", "reasons", "severity"]
FATIGUE_RATES = ("baseline_quality", "recent_quality", "baseline_aht", "recent_aht", "recent_daily_hours")
SEGMENTS = ["region", "country", "vendor"]
PAIR_MEASURES = {"tasks_approved": "approved", "tasks_rejected": "rejected", "tasks_submitted": "submitted",
                 "handle_seconds": "handle_seconds"}
# Days a member's activity bitmap covers back from as_of (bits 0..61 of a 64-bit integer).
MASK_DAYS = 62


def fatigue_alerts(connection, as_of, *, window_start, last_day=None, projects=None, regions=None,
                   **thresholds) -> pd.DataFrame:
    """The fatigue alerts at as_of of the non-staff activity of days window_start..last_day (default as_of)."""
    activity, member = Activity.__table__, Member.__table__
    day, first = as_date(as_of), as_date(window_start)
    recent = activity.c.day >= day - dt.timedelta(days=6)
    base = and_(activity.c.day >= day - dt.timedelta(days=34), activity.c.day <= day - dt.timedelta(days=7))
    kept = or_(activity.c.tasks_submitted > 0, activity.c.active_minutes > 0)
    back = literal(day_number(day)) - day_number_sql(connection, activity.c.day)
    bit = cast(literal_column("1"), BigInteger).op("<<")(back)
    in_mask = activity.c.day >= max(first, day - dt.timedelta(days=MASK_DAYS - 1))

    def total(name, when):
        return func.sum(case((when, activity.c[name]), else_=literal_column("0")))

    # SQLite: reading the window in key order (member, project, day) groups without sorting, about twice as
    # fast as the day index plus a sort; a day wrapped in an expression keeps the planner off the day index.
    scanned_day = func.coalesce(activity.c.day, activity.c.day) if connection.dialect.name == "sqlite" \
        else activity.c.day
    # Staff and bots are few: leaving them out costs less than listing every counted member.
    counted = activity.c.member_id.in_(select(member.c.member_id).where(
        member.c.region.in_(list(regions)), not_(member.c.is_staff), not_(member.c.is_bot))) if regions else \
        activity.c.member_id.not_in(select(member.c.member_id).where(or_(member.c.is_staff, member.c.is_bot)))
    sums = (
        select(activity.c.member_id, activity.c.project_id,
               func.sum(case((recent, 1), else_=0)).label("recent_rows"),
               func.sum(case((base, 1), else_=0)).label("base_rows"),
               *(total(name, recent).label(key) for name, key in PAIR_MEASURES.items()),
               total("active_minutes", recent).label("active_minutes"),
               *(total(name, base).label(f"{key}_base") for name, key in PAIR_MEASURES.items()),
               cast(func.sum(case((and_(kept, in_mask), bit), else_=literal_column("0"))), BigInteger).label("mask"))
        .where(scanned_day >= first, scanned_day <= min(day, as_date(last_day) if last_day else day),
               counted)
        .group_by(activity.c.member_id, activity.c.project_id)
    )
    if projects:
        sums = sums.where(activity.c.project_id.in_(list(projects)))
    measures = {key: "float64" if key == "handle_seconds" else "int64" for key in PAIR_MEASURES.values()}
    pairs = frame_on(connection, sums).astype({"recent_rows": "int64", "base_rows": "int64", "mask": "int64",
                                               **measures, **{f"{key}_base": kind for key, kind in measures.items()},
                                               "active_minutes": "float64"})
    return _fatigue_from_pairs(pairs, pd.Timestamp(day), first, connection=connection, projects=projects,
                               regions=regions, **thresholds)


def _fatigue_from_pairs(pairs: pd.DataFrame, as_of: pd.Timestamp, window_start: dt.date, *, connection, projects,
                        regions, **thresholds) -> pd.DataFrame:
    """The alerts from per (member, project) window sums and day bitmaps (bit k = as_of − k days)."""
    pairs = pairs.sort_values(["member_id", "project_id"], ignore_index=True)
    starts = np.flatnonzero(pairs["member_id"].ne(pairs["member_id"].shift()).to_numpy()) if len(pairs) else \
        np.array([], dtype="int64")
    members = pairs["member_id"].to_numpy()[starts]
    mask = np.bitwise_or.reduceat(pairs["mask"].to_numpy(), starts) if len(starts) else np.array([], dtype="int64")
    recent_bits, base_bits = (1 << 7) - 1, ((1 << 35) - 1) ^ ((1 << 7) - 1)
    per_member = pd.DataFrame({
        "days_recent": np.bitwise_count(mask & recent_bits).astype("int64"),
        "days_baseline": np.bitwise_count(mask & base_bits).astype("int64"),
        "mask": mask,
    }, index=pd.Index(members, name="member_id"))
    sums = pairs.groupby("member_id", sort=True)[["active_minutes", "submitted", "recent_rows"]].sum()
    per_member["active_minutes_recent"] = sums["active_minutes"]
    per_member["submitted_recent"] = sums["submitted"]
    active = per_member[per_member["days_recent"] > 0]
    # A member without baseline days has NaN there (as a left join of the windows would give), not 0.
    totals = pd.DataFrame({"days_recent": active["days_recent"],
                           "days_baseline": active["days_baseline"].where(active["days_baseline"] > 0),
                           "active_minutes_recent": active["active_minutes_recent"],
                           "submitted_recent": active["submitted_recent"]})
    both = pairs[(pairs["recent_rows"] > 0) & (pairs["base_rows"] > 0)].set_index(["member_id", "project_id"])
    matched = matched_rates(both[[*PAIR_MEASURES.values(), *(f"{key}_base" for key in PAIR_MEASURES.values())]])
    streaks = _streaks_from_masks(active["mask"], as_of, window_start, connection=connection, projects=projects,
                                  regions=regions)
    alerts = fatigue_verdicts(totals, matched, streaks, None, **{**FATIGUE_DEFAULTS, **thresholds})
    segments = _member_segments(connection, alerts["member_id"].tolist())
    alerts = alerts.astype({"member_id": "str"}).merge(segments, on="member_id", how="left")
    alerts["vendor"] = alerts["vendor"].fillna(DIRECT)
    return alerts[["member_id", *SEGMENTS, *alerts.columns.drop(["member_id", *SEGMENTS])]]


def _member_segments(connection, members: list[str]) -> pd.DataFrame:
    """Region, country and vendor of the given members (looked up after aggregating: alerts name few)."""
    member = Member.__table__
    statement = select(member.c.member_id, *(member.c[name] for name in SEGMENTS))
    frames = [frame_on(connection, statement.where(member.c.member_id.in_(members[start:start + 5_000])))
              for start in range(0, len(members), 5_000)]
    segments = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["member_id", *SEGMENTS])
    return segments.astype({name: "str" for name in ["member_id", *SEGMENTS]})


def _streaks_from_masks(masks: pd.Series, as_of: pd.Timestamp, window_start: dt.date, *, connection, projects,
                        regions) -> pd.Series:
    """The current run of active days (ending on as_of or the day before) from each member's day bitmap."""
    values = masks.to_numpy(dtype="int64")
    skip = np.where(values & 1, 0, np.where(values & 2, 1, -1))
    shifted = np.where(skip >= 0, values >> np.maximum(skip, 0), 0)
    runs = np.bitwise_count(shifted ^ (shifted + 1)).astype("int64") - 1
    streaks = pd.Series(np.where(skip >= 0, runs, 0), index=masks.index, dtype="int64")
    # A run reaching the bitmap's first day may go on before it when the window is longer.
    covered = (as_of.date() - window_start).days + 1
    longer = streaks.index[(skip >= 0) & (runs + skip >= MASK_DAYS)] if covered > MASK_DAYS else []
    if len(longer):
        streaks.loc[longer] = _streaks_from_rows(connection, list(longer), as_of, window_start, projects, regions)
    return streaks


def _streaks_from_rows(connection, members: list[str], as_of, window_start, projects, regions) -> pd.Series:
    """The current runs of the members' active days, read from their activity rows (runs longer than a bitmap)."""
    activity = Activity.__table__
    statement = (select(activity.c.member_id, type_coerce(activity.c.day, String).label("day"))
                 .where(activity.c.member_id.in_(members), activity.c.day >= window_start,
                        activity.c.day <= as_date(as_of),
                        or_(activity.c.tasks_submitted > 0, activity.c.active_minutes > 0)).distinct())
    if projects:
        statement = statement.where(activity.c.project_id.in_(list(projects)))
    rows = frame_on(connection, statement, days=("day",))
    return current_streaks(rows.drop_duplicates(), as_day(as_of)).reindex(members, fill_value=0)


def fatigue_verdicts(totals: pd.DataFrame, matched: pd.DataFrame, streaks: pd.Series, segments: pd.DataFrame | None,
                     *, min_baseline_days, min_recent_tasks, quality_drop, aht_rise, max_daily_hours,
                     max_streak_days, min_signals) -> pd.DataFrame:
    """The alerts from per-member window totals (indexed by the members active in the last 7 days), the
    like-for-like rates (`matched_rates`), current streaks and the members' segments."""
    table = totals
    enough_baseline = table["days_baseline"].fillna(0) >= min_baseline_days

    matched = matched.reindex(table.index)
    table["baseline_quality"] = matched["baseline_quality"].where(enough_baseline)
    table["recent_quality"] = matched["recent_quality"].where(matched["reviewed"] >= min_recent_tasks)
    table["baseline_aht"] = matched["baseline_aht"].where(enough_baseline)
    table["recent_aht"] = matched["recent_aht"].where(matched["submitted"] >= min_recent_tasks)
    table["recent_daily_hours"] = table["active_minutes_recent"] / 60 / table["days_recent"]
    table["streak_days"] = streaks.reindex(table.index, fill_value=0).astype("int64")
    table["recent_tasks"] = table["submitted_recent"].astype("int64")

    drop = table["baseline_quality"] - table["recent_quality"]
    rise = ratio(table["recent_aht"], table["baseline_aht"]) - 1
    checks = {
        "quality": (drop, quality_drop),
        "aht": (rise, aht_rise),
        "hours": (table["recent_daily_hours"], max_daily_hours),
        "streak": (table["streak_days"].astype("float64"), float(max_streak_days)),
    }
    severity = pd.Series(0.0, index=table.index)
    triggered = {}
    for name, (value, threshold) in checks.items():
        triggered[name] = value >= threshold - TOLERANCE
        severity += (value / threshold).where(triggered[name], 0.0)
    table["severity"] = severity
    signals = sum(hit.astype("int64") for hit in triggered.values())
    alerts = table[(severity > 0) & (signals >= min_signals)].copy()
    flags = {name: hit[alerts.index] for name, hit in triggered.items()}
    alerts["reasons"] = join_reasons(
        [
            (flags["quality"], "quality " + percent(alerts["baseline_quality"]) + " → " + percent(alerts["recent_quality"])),
            (flags["aht"], "AHT +" + percent(rise[alerts.index]) + " (" + whole(alerts["baseline_aht"]) + " s → "
             + whole(alerts["recent_aht"]) + " s)"),
            (flags["hours"], alerts["recent_daily_hours"].round(1).astype("str") + " h/day"),
            (flags["streak"], alerts["streak_days"].astype("str") + " days in a row"),
        ]
    )
    alerts = alerts.rename_axis("member_id").reset_index()
    segment = [] if segments is None else [name for name in segments.columns if name != "member_id"]
    if segment:
        alerts = alerts.merge(segments, on="member_id", how="left")
        if "vendor" in segment:
            alerts["vendor"] = alerts["vendor"].fillna(DIRECT)
    columns = ["member_id", *segment, "baseline_quality", "recent_quality", "baseline_aht", "recent_aht",
               "recent_daily_hours", "streak_days", "recent_tasks", "reasons", "severity"]
    return alerts[columns].sort_values(["severity", "member_id"], ascending=[False, True], ignore_index=True)


def matched_rates(pairs: pd.DataFrame) -> pd.DataFrame:
    """Per member, from (member, project) pairs worked in both windows: recent sums and `_base` sums."""
    reviewed = pairs["approved"] + pairs["rejected"]
    base_quality = ratio(pairs["approved_base"], pairs["approved_base"] + pairs["rejected_base"])
    base_aht = ratio(pairs["handle_seconds_base"], pairs["submitted_base"])
    pairs = pairs.assign(reviewed=reviewed,
                         expected_approved=(reviewed * base_quality).where(base_quality.notna()),
                         expected_handle=(pairs["submitted"] * base_aht).where(base_aht.notna()))
    per_member = pairs.groupby("member_id")[["approved", "reviewed", "submitted", "handle_seconds",
                                             "expected_approved", "expected_handle"]].sum(min_count=1)
    return pd.DataFrame({
        "reviewed": per_member["reviewed"], "submitted": per_member["submitted"],
        "recent_quality": ratio(per_member["approved"], per_member["reviewed"]),
        "baseline_quality": ratio(per_member["expected_approved"], per_member["reviewed"]),
        "recent_aht": ratio(per_member["handle_seconds"], per_member["submitted"]),
        "baseline_aht": ratio(per_member["expected_handle"], per_member["submitted"]),
    })


def current_streaks(daily: pd.DataFrame, as_of: pd.Timestamp) -> pd.Series:
    """Per member, the run of consecutive active days (rows of `daily`) ending on as_of or the day before, else 0."""
    days = daily[["member_id", "day"]].sort_values(["member_id", "day"])
    new_member = days["member_id"].ne(days["member_id"].shift())
    new_run = new_member | days["day"].diff().ne(DAY)
    runs = days.assign(run=new_run.cumsum())
    runs["length"] = runs.groupby("run")["day"].transform("size")
    last = runs.groupby("member_id").tail(1).set_index("member_id")
    return last["length"].where(last["day"] >= as_of - DAY, 0)

