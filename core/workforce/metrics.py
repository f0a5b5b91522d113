"""Workforce metrics: quality, AHT, productivity and occupancy; fatigue and confusion alerts.

Quality = approved / (approved + rejected); AHT = handle seconds / tasks submitted; productivity =
tasks per active hour; occupancy = handle time / active time; skip rate = skipped / (submitted +
skipped). Activity frames come from `load_activity`: one row per member × project × UTC day.
"""

import datetime as dt

import numpy as np
import pandas as pd
from sqlalchemy import (BigInteger, Engine, String, and_, case, cast, exc, false, func, literal, literal_column, not_,
                        or_, select, type_coerce)

from core.frames import (
    Grouping,
    as_date,
    as_day,
    as_days,
    as_timestamp,
    group_columns,
    loader_columns,
    ratio,
    read_frame,
)
from core.feedback.sentiment import NEGATIVE_THRESHOLD as NEGATIVE_AT, effective_sentiment
from core.models import Activity, Member, Project

COUNTS = {
    "tasks_submitted": "submitted",
    "tasks_approved": "approved",
    "tasks_rejected": "rejected",
    "tasks_skipped": "skipped",
    "tasks_too_fast": "too_fast",
    "handle_seconds": "handle_seconds",
    "active_minutes": "active_minutes",
    "questions": "questions",
}
DAY = pd.Timedelta(days=1)
# Shares computed as differences of floats land a hair under round thresholds (0.9 - 0.8 < 0.1).
TOLERANCE = 1e-9
SEVERITY_RATIO_CAP = 10.0
DIRECT = "direct"


def load_activity(engine: Engine, *, start, end, projects=None, regions=None) -> pd.DataFrame:
    """Non-staff activity rows for days start..end (both included) with member country, region and vendor."""
    activity, member = Activity.__table__, Member.__table__
    statement = (
        select(*loader_columns(activity), member.c.country, member.c.region, member.c.vendor)
        .select_from(activity.join(member, activity.c.member_id == member.c.member_id))
        .where(
            activity.c.day >= as_date(start),
            activity.c.day <= as_date(end),
            not_(member.c.is_staff),
            not_(member.c.is_bot),
        )
        .order_by(activity.c.day, activity.c.member_id, activity.c.project_id)
    )
    if projects:
        statement = statement.where(activity.c.project_id.in_(list(projects)))
    if regions:
        statement = statement.where(member.c.region.in_(list(regions)))
    return read_frame(engine, statement, days=("day",))


def load_project_days(engine: Engine, *, start, end, projects=None, regions=None) -> pd.DataFrame:
    """Non-staff activity summed per project and day for days start..end: enough for `confusion_alerts`."""
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
    frame = read_frame(engine, statement, days=("day",))
    return frame.astype({name: "float64" if name in ("handle_seconds", "active_minutes") else "int64"
                         for name in COUNTS})


def load_projects(engine: Engine) -> pd.DataFrame:
    """Every project with its launch and latest guideline change (UTC), for `confusion_alerts`."""
    project = Project.__table__
    statement = select(*loader_columns(project, without=["attributes"])).order_by(project.c.project_id)
    return read_frame(engine, statement, timestamps=("launch_at", "guideline_updated_at"))


def workforce_table(activity: pd.DataFrame, by: Grouping = "member_id") -> pd.DataFrame:
    """Per member, project, vendor (or any column): volumes, quality, AHT, productivity, occupancy, skip and too-fast rates."""
    keys = group_columns(activity, by)
    frame = activity.rename(columns=COUNTS)
    if "vendor" in keys:  # a blank vendor means the tasker works for us directly
        frame["vendor"] = frame["vendor"].fillna(DIRECT)
    frame["worked"] = frame["submitted"] > 0
    totals = _grouped(frame, keys).agg(
        **{name: (name, "sum") for name in COUNTS.values()},
        members=("member_id", "nunique"),
    )
    worked = frame[frame["worked"]]
    active_days = _grouped(worked, keys)["day"].nunique() if keys else pd.Series([worked["day"].nunique()])
    totals["active_days"] = active_days.reindex(totals.index, fill_value=0).astype("int64")
    table = totals.reset_index() if keys else totals.reset_index(drop=True)
    return _with_rates(table, keys)


def _with_rates(table: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Per-group sums with the rates added, sorted by volume (see `workforce_table`)."""
    table["quality"] = ratio(table["approved"], table["approved"] + table["rejected"])
    table["aht_seconds"] = ratio(table["handle_seconds"], table["submitted"])
    table["productivity"] = ratio(table["submitted"], table["active_minutes"] / 60)
    table["occupancy"] = ratio(table["handle_seconds"], table["active_minutes"] * 60)
    table["skip_rate"] = ratio(table["skipped"], table["submitted"] + table["skipped"])
    table["too_fast_rate"] = ratio(table["too_fast"], table["submitted"])
    if "member_id" in keys:
        table = table.drop(columns="members", errors="ignore")
    return table.sort_values(["submitted", *keys], ascending=[False, *[True] * len(keys)], ignore_index=True)


def matching_rows(table: pd.DataFrame, text: str = "", *, min_submitted: int = 0) -> pd.DataFrame:
    """Rows of a workforce table with at least `min_submitted` tasks whose text columns contain `text` (any case)."""
    keep = table["submitted"] >= min_submitted
    if text:
        words = table.select_dtypes(exclude="number").astype("str").agg(" ".join, axis=1)
        keep &= words.str.contains(text, case=False, regex=False)
    return table[keep]


def fatigue_alerts(
    activity: pd.DataFrame,
    as_of,
    *,
    min_baseline_days: int = 10,
    min_recent_tasks: int = 20,
    quality_drop: float = 0.10,
    aht_rise: float = 0.25,
    max_daily_hours: float = 9.0,
    max_streak_days: int = 12,
    min_signals: int = 2,
) -> pd.DataFrame:
    """Taskers whose last 7 days drift from their own previous 28: quality down, AHT up, long days, long streaks.

    Recent = as_of − 6 … as_of; baseline = as_of − 34 … as_of − 7. Quality and AHT are compared
    like for like: only on projects the tasker worked in both windows, with each project's baseline
    rate weighted by its recent volume, so moving to a slower or stricter project is not fatigue.
    They need ≥ `min_baseline_days` baseline days and ≥ `min_recent_tasks` recent tasks; hours
    and streaks are absolute. The streak is the run of consecutive active days ending on as_of
    or the day before (so it is capped by the days `activity` covers). Severity adds, for each
    triggered reason, how far past its threshold it is (1.0 = exactly at it); highest first.
    A tasker is listed when at least `min_signals` of the four fire: one alone is usually
    noise or a project problem (a confusing guideline lowers everyone's quality), not fatigue.
    """
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
    return _fatigue_verdicts(totals, _like_for_like(frame, as_of), _current_streaks(daily, as_of), segments,
                             min_baseline_days=min_baseline_days, min_recent_tasks=min_recent_tasks,
                             quality_drop=quality_drop, aht_rise=aht_rise, max_daily_hours=max_daily_hours,
                             max_streak_days=max_streak_days, min_signals=min_signals)


def _fatigue_verdicts(totals: pd.DataFrame, matched: pd.DataFrame, streaks: pd.Series, segments: pd.DataFrame | None,
                      *, min_baseline_days, min_recent_tasks, quality_drop, aht_rise, max_daily_hours,
                      max_streak_days, min_signals) -> pd.DataFrame:
    """The alerts from per-member window totals (indexed by the members active in the last 7 days), the
    like-for-like rates (`_matched`), current streaks and the members' segments."""
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
    alerts["reasons"] = _join_reasons(
        [
            (flags["quality"], "quality " + _percent(alerts["baseline_quality"]) + " → " + _percent(alerts["recent_quality"])),
            (flags["aht"], "AHT +" + _percent(rise[alerts.index]) + " (" + _whole(alerts["baseline_aht"]) + " s → "
             + _whole(alerts["recent_aht"]) + " s)"),
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


def confusion_alerts(
    activity: pd.DataFrame,
    projects: pd.DataFrame,
    as_of,
    *,
    feedback: pd.DataFrame | None = None,
    window_days: int = 14,
    baseline_days: int = 28,
    lookback_days: int = 60,
    rejection_ratio: float = 1.5,
    questions_ratio: float = 2.0,
    min_tasks: int = 50,
    min_baseline_days: int = 7,
    min_questions: int = 10,
    include_unflagged: bool = False,
) -> pd.DataFrame:
    """Projects launched or given new guidelines in the last `lookback_days` whose rejections or questions jumped.

    Compares the `window_days` from the change (up to as_of) with the `baseline_days` before it;
    a change with fewer than `min_tasks` earlier tasks or `min_baseline_days` earlier days of its own
    (a launch, or a guideline fix soon after one) is compared with a typical other project over
    the same days (`baseline_source` 'crowd': the median project of the same kind, else of all) —
    unless the project launched before the baseline, when its own history was simply not passed
    in ('too little history', not flagged). Flags rejection rate
    ≥ 1.5× or questions per 100 tasks ≥ 2× with at least `min_tasks` recent tasks; the questions
    signal also needs `min_questions` recent questions, since a handful more is noise. Negative
    feedback shares are reported alongside (`feedback`: messages, or `load_negative_feedback`'s daily counts).
    `activity` may be raw rows or `load_project_days`' per project-day sums: the result is the same.
    """
    as_of_day = as_day(as_of)
    changes = _recent_changes(projects, as_of_day, lookback_days)
    frame = activity.rename(columns=COUNTS)
    sums = _window_sums(frame, changes["change_day"], ["project_id"], as_of_day, window_days, baseline_days)
    table = changes.join(sums, how="left").fillna({column: 0 for column in sums.columns})

    # A few days of work before the change (a launch followed by a quick guideline fix) is too thin to
    # compare with: zero questions in it would make any question an infinite rise.
    own = ((table["reviewed_baseline"] > 0) & (table["submitted_baseline"] >= min_tasks)
           & (table["days_baseline"] >= min_baseline_days))
    # Only a project with no history of its own (launched inside the baseline) borrows the crowd's: an
    # older project without baseline rows here was simply not loaded that far back.
    launch_at = projects.set_index("project_id")["launch_at"].dt.tz_convert("UTC").dt.tz_localize(None)
    launched = _lookup(table.index.to_series(), launch_at)
    established = launched.notna() & (launched < table["change_day"] - baseline_days * DAY)
    table["baseline_source"] = np.select([own, established], ["own", "too little history"], default="crowd")
    measures = ["approved", "rejected", "submitted", "questions", "reviewed"]
    table = table.astype({f"{name}_baseline": "float64" for name in measures})
    kinds = projects.set_index("project_id")["kind"] if "kind" in projects else pd.Series(dtype="str")
    for project_id in table.index[table["baseline_source"] != "own"]:
        crowd = {name: np.nan for name in measures}
        if table.at[project_id, "baseline_source"] == "crowd":
            peers = kinds.index[(kinds == kinds.get(project_id)) & (kinds.index != project_id)].tolist()
            crowd = _crowd_baseline(frame, project_id, table.at[project_id, "change_day"], baseline_days, min_tasks,
                                    peers=peers)
        for name, value in crowd.items():
            table.at[project_id, f"{name}_baseline"] = value
    table = table.join(_confusion_rates(table))

    table["baseline_negative_share"] = np.nan
    table["recent_negative_share"] = np.nan
    if feedback is not None and len(feedback):
        shares = _negative_shares if "created_at" in feedback else _negative_shares_from_counts
        negative = shares(feedback, table["change_day"], as_of_day, window_days, baseline_days)
        table["baseline_negative_share"] = negative["baseline"].reindex(table.index)
        table["recent_negative_share"] = negative["recent"].reindex(table.index)

    enough = (table["submitted_recent"] >= min_tasks) & (table["baseline_source"] != "too little history")
    rejections_up = enough & (table["rejection_ratio"] >= rejection_ratio - TOLERANCE)
    questions_up = (enough & (table["questions_ratio"] >= questions_ratio - TOLERANCE)
                    & (table["questions_recent"] >= min_questions))
    table["flagged"] = rejections_up | questions_up
    table["severity"] = (
        (table["rejection_ratio"].clip(upper=SEVERITY_RATIO_CAP) / rejection_ratio).where(rejections_up, 0.0)
        + (table["questions_ratio"].clip(upper=SEVERITY_RATIO_CAP) / questions_ratio).where(questions_up, 0.0)
    )
    table["reasons"] = _join_reasons(
        [
            (rejections_up, "rejections " + _percent(table["baseline_rejection_rate"]) + " → "
             + _percent(table["recent_rejection_rate"])),
            (questions_up, "questions " + table["baseline_questions_per_100"].round(1).astype("str") + " → "
             + table["recent_questions_per_100"].round(1).astype("str") + " per 100 tasks"),
        ]
    )
    table["recent_tasks"] = table["submitted_recent"].astype("int64")
    if not include_unflagged:
        table = table[table["flagged"]]
    columns = ["project_id", "name", "change_kind", "change_at", "baseline_source", *CONFUSION_RATES,
               "baseline_negative_share", "recent_negative_share", "recent_tasks", "flagged", "reasons", "severity"]
    table = table.reset_index()
    return table[columns].sort_values(["severity", "project_id"], ascending=[False, True], ignore_index=True)


def confusion_by_region(
    activity: pd.DataFrame, project_id: str, change_at, *, by: str = "region", as_of=None,
    window_days: int = 14, baseline_days: int = 28, rejection_ratio: float = 1.5, questions_ratio: float = 2.0,
    min_questions: int = 10, recent_members: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One project's rejection and question rates after a change against before, per region (or `by`), worst first.

    `affected` marks the regions whose rejections or questions rose past the same ratios (and
    question count) the project alert uses. `activity` may be raw rows or per-day sums with a
    `by` column (`load_project_day_totals(by_region=True)`); then the taskers of the recent
    window come counted per `by` value as `recent_members` (`load_recent_members`).
    """
    change_day = as_day(change_at)
    as_of_day = as_day(as_of) if as_of is not None else change_day + (window_days - 1) * DAY
    frame = activity[activity["project_id"] == project_id].rename(columns=COUNTS)
    frame = frame.assign(**{by: frame[by].fillna("Unknown")})
    change_days = pd.Series([change_day], index=pd.Index([project_id], name="project_id"))
    sums = _window_sums(frame, change_days, ["project_id", by], as_of_day, window_days, baseline_days)
    table = sums.join(_confusion_rates(sums)).reset_index()
    if recent_members is not None:
        members = recent_members
    elif "member_id" in frame:
        recent = frame[((frame["day"] - change_day) // DAY).between(0, window_days - 1) & (frame["day"] <= as_of_day)]
        members = recent.groupby(by)["member_id"].nunique()
    else:
        members = pd.Series(dtype="int64")
    table["recent_tasks"] = table["submitted_recent"].astype("int64")
    table["recent_members"] = table[by].map(members).fillna(0).astype("int64")
    questions_up = (table["questions_ratio"] >= questions_ratio - TOLERANCE) & (table["questions_recent"] >= min_questions)
    table["affected"] = ((table["rejection_ratio"] >= rejection_ratio - TOLERANCE) | questions_up) \
        & (table["recent_tasks"] > 0)
    columns = [by, *CONFUSION_RATES, "recent_tasks", "recent_members", "affected"]
    return table[columns].sort_values(
        ["recent_rejection_rate", "recent_tasks"], ascending=[False, False], na_position="last", ignore_index=True
    )


def affected_members(activity: pd.DataFrame, project_id: str, since, *, by: str = "region", values=None) -> list[str]:
    """Taskers who worked on a project on or after `since`, in the given regions (or values of `by`), sorted."""
    rows = activity[(activity["project_id"] == project_id) & (activity["day"] >= as_day(since))
                    & (activity["tasks_submitted"] > 0)]
    if values is not None:
        rows = rows[rows[by].fillna("Unknown").isin(list(values))]
    return sorted(rows["member_id"].unique().tolist())


def daily_project_trend(activity: pd.DataFrame, project_id: str) -> pd.DataFrame:
    """One project's tasks, rejection rate and questions per 100 tasks per day."""
    frame = activity[activity["project_id"] == project_id].rename(columns=COUNTS)
    daily = frame.groupby("day", sort=True)[["submitted", "approved", "rejected", "questions"]].sum().reset_index()
    return pd.DataFrame(
        {
            "date": daily["day"],
            "submitted": daily["submitted"].astype("int64"),
            "rejection_rate": ratio(daily["rejected"], daily["approved"] + daily["rejected"]),
            "questions_per_100": ratio(100 * daily["questions"], daily["submitted"]),
        }
    )


CONFUSION_RATES = (
    "baseline_rejection_rate", "recent_rejection_rate", "rejection_ratio",
    "baseline_questions_per_100", "recent_questions_per_100", "questions_ratio",
)


def _grouped(frame: pd.DataFrame, keys: list[str]):
    if keys:
        return frame.groupby(keys, dropna=False, sort=True)
    return frame.groupby(np.zeros(len(frame), dtype="int64"))


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
    return _matched(recent.join(base, suffixes=("", "_base"), how="inner"))


def _matched(pairs: pd.DataFrame) -> pd.DataFrame:
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


def _current_streaks(daily: pd.DataFrame, as_of: pd.Timestamp) -> pd.Series:
    days = daily[["member_id", "day"]].sort_values(["member_id", "day"])
    new_member = days["member_id"].ne(days["member_id"].shift())
    new_run = new_member | days["day"].diff().ne(DAY)
    runs = days.assign(run=new_run.cumsum())
    runs["length"] = runs.groupby("run")["day"].transform("size")
    last = runs.groupby("member_id").tail(1).set_index("member_id")
    return last["length"].where(last["day"] >= as_of - DAY, 0)


def _recent_changes(projects: pd.DataFrame, as_of_day: pd.Timestamp, lookback_days: int) -> pd.DataFrame:
    end = as_timestamp(as_of_day + DAY)
    start = as_timestamp(as_of_day - lookback_days * DAY)

    def within(column: str) -> pd.Series:
        moments = projects[column]
        return moments.where((moments >= start) & (moments < end))

    launch, guideline = within("launch_at"), within("guideline_updated_at")
    use_guideline = guideline.notna() & (launch.isna() | (guideline >= launch))
    change_at = guideline.where(use_guideline, launch)
    kind = np.where(use_guideline, "guideline update", "launch")
    if "guideline_version" in projects:
        version = projects["guideline_version"].fillna("").astype("str")
        kind = np.where(use_guideline & (version != ""), "guideline update " + version, kind)
    table = pd.DataFrame(
        {
            "project_id": projects["project_id"],
            "name": projects["name"] if "name" in projects else projects["project_id"],
            "change_kind": kind,
            "change_at": change_at,
        }
    )
    table = table[table["change_at"].notna()].set_index("project_id")
    table["change_day"] = table["change_at"].dt.tz_convert("UTC").dt.tz_localize(None).dt.normalize()
    return table


def _window_sums(frame, change_days: pd.Series, keys, as_of_day, window_days, baseline_days) -> pd.DataFrame:
    frame = frame[frame["project_id"].isin(change_days.index)]
    change = _lookup(frame["project_id"], change_days)
    offset = (frame["day"] - change) // DAY
    recent = (offset >= 0) & (offset < window_days) & (frame["day"] <= as_of_day)
    baseline = (offset < 0) & (offset >= -baseline_days)
    period = np.select([recent, baseline], ["recent", "baseline"], default="")
    windowed = frame.assign(period=period)[period != ""]
    measures = ["approved", "rejected", "submitted", "questions"]
    sums = windowed.groupby([*keys, "period"], dropna=False)[measures].sum().unstack("period", fill_value=0)
    sums = sums.reindex(columns=pd.MultiIndex.from_product([measures, ["baseline", "recent"]]), fill_value=0)
    sums.columns = [f"{measure}_{period}" for measure, period in sums.columns]
    for period in ("baseline", "recent"):
        sums[f"reviewed_{period}"] = sums[f"approved_{period}"] + sums[f"rejected_{period}"]
    worked = windowed[windowed["submitted"] > 0]
    days = worked.groupby([*keys, "period"], dropna=False)["day"].nunique().unstack("period", fill_value=0)
    days = days.reindex(index=sums.index, columns=["baseline", "recent"], fill_value=0)
    sums["days_baseline"], sums["days_recent"] = days["baseline"].to_numpy(), days["recent"].to_numpy()
    return sums


def _crowd_baseline(frame, project_id, change_day, baseline_days, min_tasks, peers=()) -> dict:
    """Counts with the rates of a typical other project: the median project of the same kind (else of all).

    Pooling every task would let the biggest, fastest project set the bar (per-task rates differ
    by project speed and difficulty), so a slow or hard new project would always look confused.
    """
    others = frame[(frame["project_id"] != project_id) & (frame["day"] < change_day)
                   & (frame["day"] >= change_day - baseline_days * DAY)]
    per_project = others.groupby("project_id")[["approved", "rejected", "submitted", "questions"]].sum()
    per_project = per_project[per_project["submitted"] >= min_tasks]
    if per_project.index.isin(list(peers)).any():
        per_project = per_project[per_project.index.isin(list(peers))]
    if per_project.empty:
        return {"approved": 0, "rejected": 0, "submitted": 0, "questions": 0, "reviewed": 0}
    rejection = ratio(per_project["rejected"], per_project["approved"] + per_project["rejected"]).median()
    questions = ratio(per_project["questions"], per_project["submitted"]).median()
    # Counts of a notional 10,000 tasks at those rates, so the rates come out of `_confusion_rates` unchanged.
    scale = 10_000
    return {"approved": scale * (1 - rejection), "rejected": scale * rejection, "submitted": scale,
            "questions": scale * questions, "reviewed": scale}


def _confusion_rates(sums: pd.DataFrame) -> pd.DataFrame:
    rates = pd.DataFrame(index=sums.index)
    for period in ("baseline", "recent"):
        rates[f"{period}_rejection_rate"] = ratio(sums[f"rejected_{period}"], sums[f"reviewed_{period}"])
        rates[f"{period}_questions_per_100"] = ratio(100 * sums[f"questions_{period}"], sums[f"submitted_{period}"])
    for measure, column in (("rejection_rate", "rejection_ratio"), ("questions_per_100", "questions_ratio")):
        before, after = rates[f"baseline_{measure}"], rates[f"recent_{measure}"]
        # From a zero baseline any rise is unbounded; no change at all stays NaN.
        with np.errstate(divide="ignore", invalid="ignore"):
            rates[column] = np.where(np.isnan(before), np.nan,
                                     np.where(before > 0, after / before, np.where(after > 0, np.inf, np.nan)))
    return rates[list(CONFUSION_RATES)]


def _negative_shares(feedback, change_days, as_of_day, window_days, baseline_days) -> pd.DataFrame:
    frame = feedback[feedback["project_id"].isin(change_days.index)]
    days = frame["created_at"].dt.tz_convert("UTC").dt.tz_localize(None).dt.normalize()
    offset = (days - _lookup(frame["project_id"], change_days)) // DAY
    period = np.select(
        [(offset >= 0) & (offset < window_days) & (days <= as_of_day), (offset < 0) & (offset >= -baseline_days)],
        ["recent", "baseline"],
        default="",
    )
    sentiment = effective_sentiment(frame)
    scored = pd.DataFrame({"project_id": frame["project_id"], "period": period,
                           "negative": (sentiment <= NEGATIVE_AT).astype("float64"), "scored": sentiment.notna()})
    scored = scored[(scored["period"] != "") & scored["scored"]]
    shares = scored.groupby(["project_id", "period"])["negative"].mean().unstack("period")
    return shares.reindex(columns=["baseline", "recent"])


def _negative_shares_from_counts(counts, change_days, as_of_day, window_days, baseline_days) -> pd.DataFrame:
    """`_negative_shares` from scored and negative messages per project and day."""
    frame = counts[counts["project_id"].isin(change_days.index)]
    offset = (frame["day"] - _lookup(frame["project_id"], change_days)) // DAY
    recent = (offset >= 0) & (offset < window_days) & (frame["day"] <= as_of_day)
    period = np.select([recent, (offset < 0) & (offset >= -baseline_days)], ["recent", "baseline"], default="")
    windowed = frame.assign(period=period)[period != ""]
    sums = windowed.groupby(["project_id", "period"])[["negative", "scored"]].sum()
    sums = sums[sums["scored"] > 0]
    shares = (sums["negative"] / sums["scored"]).unstack("period")
    return shares.reindex(columns=["baseline", "recent"])


def _lookup(keys: pd.Series, values: pd.Series) -> pd.Series:
    # Series.map with an empty datetime mapping fails in pandas 3.1; reindex keeps the dtype.
    return pd.Series(values.reindex(keys).to_numpy(), index=keys.index)


def _join_reasons(parts: list[tuple[pd.Series, pd.Series]]) -> pd.Series:
    index = parts[0][0].index
    joined = pd.Series("", index=index, dtype="str")
    for hit, text in parts:
        piece = text.where(hit, "").fillna("")
        joined = joined.where(~(hit & (joined != "")), joined + "; ") + piece
    return joined


def _percent(shares: pd.Series) -> pd.Series:
    return (shares * 100).round().astype("Float64").astype("str").str.replace(r"\.0$", "", regex=True) + "%"


def _whole(values: pd.Series) -> pd.Series:
    return values.round().astype("Float64").astype("str").str.replace(r"\.0$", "", regex=True)


# --- read from the roll-ups (core.workforce.rollup) -------------------------------------------------
# The functions above take raw activity rows; these give them (or their results) from the roll-up
# tables and SQL aggregates, so pages never read the millions of activity rows at `large`.


def _tables():
    from core.workforce import rollup
    return rollup


def _region_filter(column, regions):
    return [column.in_(list(regions))] if regions else []


def load_project_day_totals(engine: Engine, *, start, end, projects=None, regions=None,
                            by_region: bool = False) -> pd.DataFrame:
    """`load_project_days` from the roll-up (per region too with `by_region`: enough for `confusion_by_region`)."""
    table = _tables().project_day
    keys = [table.c.project_id, table.c.day] + ([table.c.region] if by_region else [])
    statement = (
        select(table.c.project_id, type_coerce(table.c.day, String).label("day"),
               *([table.c.region] if by_region else []),
               *(func.sum(table.c[name]).label(name) for name in COUNTS))
        .where(table.c.day >= as_date(start), table.c.day <= as_date(end),
               *_region_filter(table.c.region, regions))
        .group_by(*keys)
        .order_by(table.c.day, table.c.project_id, *([table.c.region] if by_region else []))
    )
    if projects:
        statement = statement.where(table.c.project_id.in_(list(projects)))
    frame = read_frame(engine, statement, days=("day",))
    return frame.astype({name: "float64" if name in ("handle_seconds", "active_minutes") else "int64"
                         for name in COUNTS})


def load_negative_feedback(engine: Engine, *, start, end, projects=None, regions=None) -> pd.DataFrame:
    """Scored and negative community messages per project and UTC day start..end, for `confusion_alerts`' feedback."""
    from core.feedback import rollup as feedback_rollup
    message = feedback_rollup.messages
    day = _utc_day(engine, message.c.created_at)
    statement = (
        select(message.c.project_id, day.label("day"), func.count(message.c.score).label("scored"),
               func.sum(case((message.c.score <= NEGATIVE_AT, 1), else_=0)).label("negative"))
        .where(message.c.created_at >= as_timestamp(as_day(start)).to_pydatetime(),
               message.c.created_at < as_timestamp(as_day(end) + DAY).to_pydatetime(),
               message.c.project_id.is_not(None), *_region_filter(message.c.region, regions))
        .group_by(message.c.project_id, day)
    )
    if projects:
        statement = statement.where(message.c.project_id.in_(list(projects)))
    frame = read_frame(engine, statement, days=("day",))
    return frame.astype({"scored": "int64", "negative": "int64"})


def _utc_day(engine: Engine, moment):
    if engine.dialect.name == "sqlite":  # stored as ISO text in UTC
        return func.substr(moment, 1, 10)
    return type_coerce(func.date(func.timezone("UTC", moment)), String)


def load_workforce_table(engine: Engine, *, start, end, by: Grouping = "project_id", projects=None,
                         regions=None, members: bool = True) -> pd.DataFrame:
    """`workforce_table` over days start..end, from the roll-ups (per project, vendor, tasker or in total).

    `members=False` leaves out the distinct taskers per project or vendor (the costliest part).
    """
    keys = [] if by is None else [by] if isinstance(by, str) else list(by)
    if keys == ["member_id"]:
        return _member_table(engine, start, end, projects, regions)
    if keys not in ([], ["project_id"], ["vendor"]):
        return workforce_table(load_activity(engine, start=start, end=end, projects=projects, regions=regions), by)
    rollup = _tables()
    table = rollup.project_day
    group = [] if not keys else [table.c.project_id] if keys == ["project_id"] else [
        func.coalesce(table.c.vendor, DIRECT)]
    conditions = [table.c.day >= as_date(start), table.c.day <= as_date(end), *_region_filter(table.c.region, regions)]
    if projects:
        conditions.append(table.c.project_id.in_(list(projects)))
    per_day = (select(*(column.label(key) for column, key in zip(group, keys)), table.c.day,
                      *(func.sum(table.c[name]).label(name) for name in COUNTS))
               .where(*conditions).group_by(*group, table.c.day).subquery())
    day_keys = [per_day.c[key] for key in keys]
    statement = (select(*day_keys, *(func.sum(per_day.c[name]).label(name) for name in COUNTS),
                        func.count(case((per_day.c.tasks_submitted > 0, 1))).label("active_days"))
                 .group_by(*day_keys))
    sums = read_frame(engine, statement)
    if not members:
        return _table_from_sums(sums.rename(columns=COUNTS), keys).drop(columns="members")
    taskers = _distinct_members(engine, start, end, keys, projects, regions)
    if keys:
        sums = sums.merge(taskers, on=keys, how="left")
    else:
        sums["members"] = taskers["members"].iloc[0] if len(taskers) else 0
    return _table_from_sums(sums.rename(columns=COUNTS), keys)


def _distinct_members(engine: Engine, start, end, keys: list[str], projects, regions) -> pd.DataFrame:
    """Distinct taskers with any activity row in start..end per project or vendor (or in all), from the bitmaps."""
    table = _tables().presence
    in_range = _presence_in_range(table.c.seen, start, end)
    group = {"project_id": table.c.project_id, "vendor": func.coalesce(table.c.vendor, DIRECT)}
    columns = [group[key].label(key) for key in keys]
    statement = (select(*columns, func.count(func.distinct(table.c.member_id)).label("members"))
                 .where(*(in_range if in_range is not None else [false()]), *_region_filter(table.c.region, regions)))
    if projects:
        statement = statement.where(table.c.project_id.in_(list(projects)))
    if keys:
        statement = statement.group_by(*(group[key] for key in keys))
    return read_frame(engine, statement)


def _member_table(engine: Engine, start, end, projects, regions) -> pd.DataFrame:
    """Per tasker: one SQL GROUP BY over the range's activity (joined to members only to drop staff)."""
    activity, member = Activity.__table__, Member.__table__
    statement = (
        select(activity.c.member_id, *(func.sum(activity.c[name]).label(name) for name in COUNTS),
               func.count(func.distinct(case((activity.c.tasks_submitted > 0, activity.c.day)))).label("active_days"))
        .select_from(activity.join(member, activity.c.member_id == member.c.member_id))
        .where(activity.c.day >= as_date(start), activity.c.day <= as_date(end), not_(member.c.is_staff),
               not_(member.c.is_bot), *_region_filter(member.c.region, regions))
        .group_by(activity.c.member_id)
    )
    if projects:
        statement = statement.where(activity.c.project_id.in_(list(projects)))
    return _table_from_sums(read_frame(engine, statement).rename(columns=COUNTS), ["member_id"])


def _table_from_sums(sums: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """A `workforce_table` from per-group sums, `members` and `active_days` (same columns, types and order)."""
    types = {name: "float64" if name in ("handle_seconds", "active_minutes") else "int64" for name in COUNTS.values()}
    if not len(sums) and not keys:
        sums = pd.DataFrame([{name: 0 for name in [*COUNTS.values(), "members", "active_days"]}])
    table = sums.astype({**types, "active_days": "int64",
                         **({"members": "int64"} if "members" in sums else {})})
    if "members" not in table and "member_id" not in keys:
        table["members"] = 0
    columns = [*keys, *COUNTS.values(), *(["members"] if "member_id" not in keys else []), "active_days"]
    return _with_rates(table[columns], keys)


def load_fatigue_alerts(engine: Engine, as_of, *, window_start, last_day=None, projects=None,
                        regions=None) -> pd.DataFrame:
    """`fatigue_alerts` at as_of over activity of days window_start..last_day (default as_of).

    Without a project filter the alerts of all regions are kept in `core.workforce.rollup`'s
    fatigue table (the default view from a rebuild, any other from its first use) and filtered
    by region on reading; with one, they are aggregated in SQL each time.
    """
    rollup = _tables()
    day, first = as_date(as_of), as_date(window_start)
    if projects or (last_day is not None and as_date(last_day) < day):
        with engine.connect() as connection:
            return fatigue_alerts_from_sql(connection, day, window_start=first, last_day=last_day, projects=projects,
                                           regions=regions)
    run, table = rollup.fatigue_run, rollup.fatigue
    with engine.connect() as connection:
        generation = rollup.current_generation(connection)
        stored = connection.execute(select(run.c.as_of).where(run.c.as_of == day, run.c.window_start == first,
                                                              run.c.generation == generation)).first()
        if stored is None:
            alerts = fatigue_alerts_from_sql(connection, day, window_start=first)
    if stored is None:
        if generation is not None:
            try:
                with engine.begin() as connection:
                    rollup.store_fatigue(connection, day, first, generation, alerts)
            except exc.DBAPIError:  # another session stored it first, or the database is read-only
                pass
        return alerts[alerts["region"].isin(list(regions))].reset_index(drop=True) if regions else alerts
    statement = (select(*(table.c[name] for name in FATIGUE_COLUMNS))
                 .where(table.c.as_of == day, table.c.window_start == first, *_region_filter(table.c.region, regions)))
    alerts = read_frame(engine, statement)
    alerts = alerts.astype({"streak_days": "int64", "recent_tasks": "int64", "severity": "float64",
                            **{name: "float64" for name in FATIGUE_RATES},
                            **{name: "str" for name in ("member_id", *SEGMENTS, "reasons")}})
    alerts["vendor"] = alerts["vendor"].fillna(DIRECT)
    return alerts.sort_values(["severity", "member_id"], ascending=[False, True], ignore_index=True)


FATIGUE_COLUMNS = ["member_id", "region", "country", "vendor", "baseline_quality", "recent_quality", "baseline_aht",
                   "recent_aht", "recent_daily_hours", "streak_days", "recent_tasks", "reasons", "severity"]
FATIGUE_RATES = ("baseline_quality", "recent_quality", "baseline_aht", "recent_aht", "recent_daily_hours")
# Days a member's activity bitmap covers back from as_of (bits 0..61 of a 64-bit integer).
MASK_DAYS = 62


def fatigue_alerts_from_sql(connection, as_of, *, window_start, last_day=None, projects=None, regions=None,
                            **thresholds) -> pd.DataFrame:
    """`fatigue_alerts` of the non-staff activity of days window_start..last_day (default as_of), aggregated in SQL
    per member and project."""
    activity, member = Activity.__table__, Member.__table__
    from core.workforce.rollup import day_number, day_number_sql
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
    result = connection.execute(sums)
    keys = list(result.keys())
    rows = result.fetchall()
    pairs = pd.DataFrame({key: list(values) for key, values in zip(keys, zip(*rows))} if rows else
                         {key: [] for key in keys})
    pairs = pairs.astype({"recent_rows": "int64", "base_rows": "int64", "mask": "int64",
                          **{key: "float64" if key == "handle_seconds" else "int64" for key in PAIR_MEASURES.values()},
                          **{f"{key}_base": "float64" if key == "handle_seconds" else "int64"
                             for key in PAIR_MEASURES.values()}, "active_minutes": "float64"})
    return _fatigue_from_pairs(pairs, pd.Timestamp(day), first, connection=connection, projects=projects,
                               regions=regions, **thresholds)


PAIR_MEASURES = {"tasks_approved": "approved", "tasks_rejected": "rejected", "tasks_submitted": "submitted",
                 "handle_seconds": "handle_seconds"}
FATIGUE_DEFAULTS = dict(min_baseline_days=10, min_recent_tasks=20, quality_drop=0.10, aht_rise=0.25,
                        max_daily_hours=9.0, max_streak_days=12, min_signals=2)


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
    # Like `fatigue_alerts`: a member without baseline days has NaN there (a left join), not 0.
    totals = pd.DataFrame({"days_recent": active["days_recent"],
                           "days_baseline": active["days_baseline"].where(active["days_baseline"] > 0),
                           "active_minutes_recent": active["active_minutes_recent"],
                           "submitted_recent": active["submitted_recent"]})
    both = pairs[(pairs["recent_rows"] > 0) & (pairs["base_rows"] > 0)].set_index(["member_id", "project_id"])
    matched = _matched(both[[*PAIR_MEASURES.values(), *(f"{key}_base" for key in PAIR_MEASURES.values())]])
    streaks = _streaks_from_masks(active["mask"], as_of, window_start, connection=connection, projects=projects,
                                  regions=regions)
    alerts = _fatigue_verdicts(totals, matched, streaks, None, **{**FATIGUE_DEFAULTS, **thresholds})
    segments = _member_segments(connection, alerts["member_id"].tolist())
    alerts = alerts.astype({"member_id": "str"}).merge(segments, on="member_id", how="left")
    alerts["vendor"] = alerts["vendor"].fillna(DIRECT)
    return alerts[["member_id", *SEGMENTS, *alerts.columns.drop(["member_id", *SEGMENTS])]]


SEGMENTS = ["region", "country", "vendor"]


def _member_segments(connection, members: list[str]) -> pd.DataFrame:
    """Region, country and vendor of the given members (looked up after aggregating: alerts name few)."""
    member = Member.__table__
    rows = []
    for start in range(0, len(members), 5_000):
        rows += connection.execute(select(member.c.member_id, *(member.c[name] for name in SEGMENTS))
                                   .where(member.c.member_id.in_(members[start:start + 5_000]))).fetchall()
    columns = list(zip(*rows)) if rows else [[] for _ in range(len(SEGMENTS) + 1)]
    return pd.DataFrame({name: pd.Series(list(values), dtype="str")
                         for name, values in zip(["member_id", *SEGMENTS], columns)})


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
    activity = Activity.__table__
    statement = (select(activity.c.member_id, type_coerce(activity.c.day, String).label("day"))
                 .where(activity.c.member_id.in_(members), activity.c.day >= window_start,
                        activity.c.day <= as_date(as_of),
                        or_(activity.c.tasks_submitted > 0, activity.c.active_minutes > 0)).distinct())
    if projects:
        statement = statement.where(activity.c.project_id.in_(list(projects)))
    rows = pd.DataFrame(connection.execute(statement).fetchall(), columns=["member_id", "day"])
    rows["day"] = as_days(rows["day"])
    return _current_streaks(rows.drop_duplicates(), as_day(as_of)).reindex(members, fill_value=0)


def load_member_daily(engine: Engine, member_id: str, *, start, end, projects=None) -> pd.DataFrame:
    """One tasker's activity rows for days start..end (for `core.workforce.drilldown.member_daily`)."""
    activity = Activity.__table__
    statement = (select(*loader_columns(activity)).where(activity.c.member_id == member_id,
                                                         activity.c.day >= as_date(start),
                                                         activity.c.day <= as_date(end))
                 .order_by(activity.c.day, activity.c.project_id))
    if projects:
        statement = statement.where(activity.c.project_id.in_(list(projects)))
    return read_frame(engine, statement, days=("day",))


def load_recent_members(engine: Engine, project_id: str, *, start, end, regions=None) -> pd.Series:
    """How many distinct taskers had a row on a project in days start..end, per region ('Unknown': none)."""
    table = _tables().presence
    region = func.coalesce(table.c.region, "Unknown")
    in_range = _presence_in_range(table.c.seen, start, end)
    if in_range is None:
        return pd.Series(dtype="int64", name="member_id").rename_axis("region")
    statement = (select(region.label("region"), func.count(func.distinct(table.c.member_id)).label("members"))
                 .where(table.c.project_id == project_id, *in_range, *_region_filter(table.c.region, regions))
                 .group_by(region))
    counts = read_frame(engine, statement)
    return pd.Series(counts["members"].astype("int64").to_numpy(), index=pd.Index(counts["region"], name="region"),
                     name="member_id")


def _presence_in_range(bits, start, end) -> list | None:
    """Conditions keeping presence rows with a bit set in days start..end (None: an empty range)."""
    rollup = _tables()
    masks = rollup.range_masks(as_date(start), as_date(end))
    if not masks:
        return None
    block = rollup.presence.c.block
    return [block.between(min(masks), max(masks)),
            or_(*((block == number) & (bits.op("&")(mask) != 0) for number, mask in masks.items()))]


def load_affected_members(engine: Engine, project_id: str, since, *, end, regions=None, values=None,
                          by: str = "region") -> list[str]:
    """`affected_members` from the bitmaps: taskers who submitted on the project in since..end, in those regions."""
    table = _tables().presence
    in_range = _presence_in_range(table.c.worked, since, end)
    if in_range is None:
        return []
    conditions = [table.c.project_id == project_id, *in_range, *_region_filter(table.c.region, regions)]
    if values is not None:
        named = [value for value in values if value != "Unknown"]
        conditions.append(or_(table.c[by].in_(named), *([table.c[by].is_(None)] if "Unknown" in values else [])))
    statement = select(table.c.member_id).where(*conditions).distinct().order_by(table.c.member_id)
    with engine.connect() as connection:
        return [member_id for (member_id,) in connection.execute(statement)]
