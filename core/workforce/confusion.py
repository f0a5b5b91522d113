"""Confusion: projects launched or given new guidelines whose rejections or questions jumped, and where.

`activity` here is per project-day (and region) sums from the workforce roll-up
(`core.workforce.read.load_project_day_totals`) or raw activity rows: the sums come out the same.
"""

import numpy as np
import pandas as pd

from core.frames import as_day, as_timestamp, ratio
from core.exports import figure
from core.workforce.alerts import DAY, TOLERANCE, join_reasons
from core.workforce.quality import COUNTS


SEVERITY_RATIO_CAP = 10.0
WINDOW_DAYS, BASELINE_DAYS, LOOKBACK_DAYS = 14, 28, 60
# The days of activity before as_of that `confusion_alerts` compares: a change up to LOOKBACK_DAYS ago and the
# BASELINE_DAYS before it. Every caller (Today, Workforce) loads this much, so the baseline is one number everywhere.
HISTORY_DAYS = LOOKBACK_DAYS + BASELINE_DAYS
CONFUSION_RATES = (
    "baseline_rejection_rate", "recent_rejection_rate", "rejection_ratio",
    "baseline_questions_per_100", "recent_questions_per_100", "questions_ratio",
)


def confusion_alerts(
    activity: pd.DataFrame,
    projects: pd.DataFrame,
    as_of,
    *,
    feedback: pd.DataFrame | None = None,
    window_days: int = WINDOW_DAYS,
    baseline_days: int = BASELINE_DAYS,
    lookback_days: int = LOOKBACK_DAYS,
    rejection_ratio: float = 1.5,
    questions_ratio: float = 2.0,
    min_tasks: int = 50,
    min_baseline_days: int = 7,
    min_questions: int = 10,
    include_unflagged: bool = False,
) -> pd.DataFrame:
    """Projects launched or given new guidelines in the last `lookback_days` whose rejections or questions jumped.

    `activity` must reach `HISTORY_DAYS` before as_of: a shorter history cuts the baseline short.

    Compares the `window_days` from the change (up to as_of) with the `baseline_days` before it;
    a change with fewer than `min_tasks` earlier tasks or `min_baseline_days` earlier days of its own
    (a launch, or a guideline fix soon after one) is compared with a typical other project over
    the same days (`baseline_source` 'crowd': the median project of the same kind, else of all) —
    unless the project launched before the baseline, when its own history was simply not passed
    in ('too little history', not flagged). Flags rejection rate
    ≥ 1.5× or questions per 100 tasks ≥ 2× with at least `min_tasks` recent tasks; the questions
    signal also needs `min_questions` recent questions, since a handful more is noise. Negative
    feedback shares are reported alongside (`feedback`: scored and negative messages per project
    and day, as `core.workforce.read.load_negative_feedback` gives them).
    """
    as_of_day = as_day(as_of)
    changes = _recent_changes(projects, as_of_day, lookback_days)
    frame = activity.rename(columns=COUNTS)
    sums = _window_sums(frame, changes["change_day"], ["project_id"], as_of_day, window_days, baseline_days)
    table = changes.join(sums, how="left").fillna({column: 0 for column in sums.columns})
    table = _with_baselines(table, projects, frame, baseline_days=baseline_days, min_tasks=min_tasks,
                            min_baseline_days=min_baseline_days)
    table = table.join(_confusion_rates(table))

    table["baseline_negative_share"] = np.nan
    table["recent_negative_share"] = np.nan
    if feedback is not None and len(feedback):
        negative = _negative_shares(feedback, table["change_day"], as_of_day, window_days, baseline_days)
        table["baseline_negative_share"] = negative["baseline"].reindex(table.index)
        table["recent_negative_share"] = negative["recent"].reindex(table.index)

    table = _judged(table, min_tasks=min_tasks, rejection_ratio=rejection_ratio, questions_ratio=questions_ratio,
                    min_questions=min_questions)
    if not include_unflagged:
        table = table[table["flagged"]]
    columns = ["project_id", "name", "change_kind", "change_at", "baseline_source", *CONFUSION_RATES,
               "baseline_negative_share", "recent_negative_share", "recent_tasks", "flagged", "reasons", "severity"]
    table = table.reset_index()
    return table[columns].sort_values(["severity", "project_id"], ascending=[False, True], ignore_index=True)


def one_decimal(shares: pd.Series) -> pd.Series:
    """Shares as percentages with one decimal ('8.5%'), the precision of every rate on Today and Workforce."""
    return shares.map(lambda share: figure(share, "percent")).astype("object")  # text even when empty


# Shares a confusion table carries (0–1); `in_percent` shows them as percentages with one decimal.
SHARE_COLUMNS = ("baseline_rejection_rate", "recent_rejection_rate", "baseline_negative_share", "recent_negative_share")


def in_percent(table: pd.DataFrame) -> pd.DataFrame:
    """A confusion table with its shares in percent (`*_pct`, 8.47 for 0.0847), for a table column at '%.1f%%'."""
    shares = [column for column in SHARE_COLUMNS if column in table]
    return table.assign(**{column: table[column] * 100 for column in shares}).rename(
        columns={column: column.rsplit("_", 1)[0] + "_pct" for column in shares})


def _judged(table: pd.DataFrame, *, min_tasks: int, rejection_ratio: float, questions_ratio: float,
            min_questions: int) -> pd.DataFrame:
    """The changes with their rates, flagged where rejections or questions rose past the ratios, with reasons."""
    enough = (table["submitted_recent"] >= min_tasks) & (table["baseline_source"] != "too little history")
    rejections_up = enough & (table["rejection_ratio"] >= rejection_ratio - TOLERANCE)
    questions_up = (enough & (table["questions_ratio"] >= questions_ratio - TOLERANCE)
                    & (table["questions_recent"] >= min_questions))
    table["flagged"] = rejections_up | questions_up
    table["severity"] = (
        (table["rejection_ratio"].clip(upper=SEVERITY_RATIO_CAP) / rejection_ratio).where(rejections_up, 0.0)
        + (table["questions_ratio"].clip(upper=SEVERITY_RATIO_CAP) / questions_ratio).where(questions_up, 0.0)
    )
    table["reasons"] = join_reasons(
        [
            (rejections_up, "rejections " + one_decimal(table["baseline_rejection_rate"]) + " → "
             + one_decimal(table["recent_rejection_rate"])),
            (questions_up, "questions " + table["baseline_questions_per_100"].round(1).astype("str") + " → "
             + table["recent_questions_per_100"].round(1).astype("str") + " per 100 tasks"),
        ]
    )
    table["recent_tasks"] = table["submitted_recent"].astype("int64")
    return table


def _with_baselines(table: pd.DataFrame, projects: pd.DataFrame, frame: pd.DataFrame, *, baseline_days: int,
                    min_tasks: int, min_baseline_days: int) -> pd.DataFrame:
    """The changes' window sums with `baseline_source` set, and a crowd's baseline where their own is too thin."""
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
    return table


def confusion_by_region(
    activity: pd.DataFrame, project_id: str, change_at, *, by: str = "region", as_of=None,
    window_days: int = 14, baseline_days: int = 28, rejection_ratio: float = 1.5, questions_ratio: float = 2.0,
    min_questions: int = 10, recent_members: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One project's rejection and question rates after a change against before, per region (or `by`), worst first.

    `affected` marks the regions whose rejections or questions rose past the same ratios (and
    question count) the project alert uses. `activity` holds per-day sums with a `by` column
    (`load_project_day_totals(by_region=True)`); the taskers of the recent window come counted per
    `by` value as `recent_members` (`load_recent_members`; none given: 0 everywhere).
    """
    change_day = as_day(change_at)
    as_of_day = as_day(as_of) if as_of is not None else change_day + (window_days - 1) * DAY
    frame = activity[activity["project_id"] == project_id].rename(columns=COUNTS)
    frame = frame.assign(**{by: frame[by].fillna("Unknown")})
    change_days = pd.Series([change_day], index=pd.Index([project_id], name="project_id"))
    sums = _window_sums(frame, change_days, ["project_id", by], as_of_day, window_days, baseline_days)
    table = sums.join(_confusion_rates(sums)).reset_index()
    members = recent_members if recent_members is not None else pd.Series(dtype="int64")
    table["recent_tasks"] = table["submitted_recent"].astype("int64")
    table["recent_members"] = table[by].map(members).fillna(0).astype("int64")
    questions_up = (table["questions_ratio"] >= questions_ratio - TOLERANCE) & (table["questions_recent"] >= min_questions)
    table["affected"] = ((table["rejection_ratio"] >= rejection_ratio - TOLERANCE) | questions_up) \
        & (table["recent_tasks"] > 0)
    columns = [by, *CONFUSION_RATES, "recent_tasks", "recent_members", "affected"]
    return table[columns].sort_values(
        ["recent_rejection_rate", "recent_tasks"], ascending=[False, False], na_position="last", ignore_index=True
    )


def audience_note(project: str, regions: list[str], audience: int, evidence: pd.DataFrame, change_at, *,
                  by: str = "region", window_days: int = WINDOW_DAYS) -> str:
    """Says who a message about a confused project reaches and how that differs from the evidence table's taskers."""
    where = f" in {', '.join(regions)}" if regions else ""
    shown = evidence[evidence[by].isin(regions)] if regions else evidence.iloc[0:0]
    in_window = int(shown["recent_members"].sum())
    since = f"{as_timestamp(change_at):%d %b %Y}"
    return (f"The message goes to the {audience:,} taskers who submitted work on {project}{where} since its change on "
            f"{since}; the table's “Taskers after” counts the {in_window:,} with work there in the {window_days} "
            f"days after the change, where the rates are measured.")


def daily_project_trend(activity: pd.DataFrame, project_id: str) -> pd.DataFrame:
    """One project's tasks (submitted, reviewed), rejection rate and questions per 100 tasks per day."""
    frame = activity[activity["project_id"] == project_id].rename(columns=COUNTS)
    daily = frame.groupby("day", sort=True)[["submitted", "approved", "rejected", "questions"]].sum().reset_index()
    return pd.DataFrame(
        {
            "date": daily["day"],
            "submitted": daily["submitted"].astype("int64"),
            "reviewed": (daily["approved"] + daily["rejected"]).astype("int64"),
            "rejection_rate": ratio(daily["rejected"], daily["approved"] + daily["rejected"]),
            "questions_per_100": ratio(100 * daily["questions"], daily["submitted"]),
        }
    )


def change_days(projects: pd.DataFrame, as_of, *, lookback_days: int = LOOKBACK_DAYS) -> pd.Series:
    """Per project launched or given new guidelines in the `lookback_days` ending as_of: the (naive UTC) day of that
    change, the projects `confusion_alerts` judges (their feedback is all it reads of `feedback`)."""
    return _recent_changes(projects, as_day(as_of), lookback_days)["change_day"]


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


def _negative_shares(counts, change_days, as_of_day, window_days, baseline_days) -> pd.DataFrame:
    """Per changed project, the share of scored messages that were negative before and after the change."""
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

