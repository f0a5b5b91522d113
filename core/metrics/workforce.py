"""Workforce metrics: quality, AHT, productivity and occupancy; fatigue and confusion alerts.

Quality = approved / (approved + rejected); AHT = handle seconds / tasks submitted; productivity =
tasks per active hour; occupancy = handle time / active time; skip rate = skipped / (submitted +
skipped). Activity frames come from `load_activity`: one row per member × project × UTC day.
"""

import numpy as np
import pandas as pd
from sqlalchemy import Engine, String, func, not_, select, type_coerce

from core.metrics import Grouping, as_date, as_day, as_timestamp, group_columns, loader_columns, ratio, read_frame
from core.metrics.feedback import NEGATIVE_AT, effective_sentiment
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
    table["quality"] = ratio(table["approved"], table["approved"] + table["rejected"])
    table["aht_seconds"] = ratio(table["handle_seconds"], table["submitted"])
    table["productivity"] = ratio(table["submitted"], table["active_minutes"] / 60)
    table["occupancy"] = ratio(table["handle_seconds"], table["active_minutes"] * 60)
    table["skip_rate"] = ratio(table["skipped"], table["submitted"] + table["skipped"])
    table["too_fast_rate"] = ratio(table["too_fast"], table["submitted"])
    if "member_id" in keys:
        table = table.drop(columns="members")
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
    table = recent.join(baseline, suffixes=("_recent", "_baseline"), how="left")
    enough_baseline = table["days_baseline"].fillna(0) >= min_baseline_days

    matched = _like_for_like(frame, as_of).reindex(table.index)
    table["baseline_quality"] = matched["baseline_quality"].where(enough_baseline)
    table["recent_quality"] = matched["recent_quality"].where(matched["reviewed"] >= min_recent_tasks)
    table["baseline_aht"] = matched["baseline_aht"].where(enough_baseline)
    table["recent_aht"] = matched["recent_aht"].where(matched["submitted"] >= min_recent_tasks)
    table["recent_daily_hours"] = table["active_minutes_recent"] / 60 / table["days_recent"]
    table["streak_days"] = _current_streaks(daily, as_of).reindex(table.index, fill_value=0).astype("int64")
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
    alerts = alerts.reset_index()
    segment = [name for name in ("region", "country", "vendor") if name in activity.columns]
    if segment:
        alerts = alerts.merge(activity.drop_duplicates("member_id", keep="last")[["member_id", *segment]],
                              on="member_id", how="left")
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
    feedback shares are reported alongside.
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
        negative = _negative_shares(feedback, table["change_day"], as_of_day, window_days, baseline_days)
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
    min_questions: int = 10,
) -> pd.DataFrame:
    """One project's rejection and question rates after a change against before, per region (or `by`), worst first.

    `affected` marks the regions whose rejections or questions rose past the same ratios (and
    question count) the project alert uses.
    """
    change_day = as_day(change_at)
    as_of_day = as_day(as_of) if as_of is not None else change_day + (window_days - 1) * DAY
    frame = activity[activity["project_id"] == project_id].rename(columns=COUNTS)
    frame = frame.assign(**{by: frame[by].fillna("Unknown")})
    change_days = pd.Series([change_day], index=pd.Index([project_id], name="project_id"))
    sums = _window_sums(frame, change_days, ["project_id", by], as_of_day, window_days, baseline_days)
    table = sums.join(_confusion_rates(sums)).reset_index()
    recent = frame[((frame["day"] - change_day) // DAY).between(0, window_days - 1) & (frame["day"] <= as_of_day)]
    members = recent.groupby(by)["member_id"].nunique()
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
    pairs = recent.join(base, suffixes=("", "_base"), how="inner")
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
