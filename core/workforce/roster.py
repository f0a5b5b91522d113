"""The roster against the requirement: heads rostered in each hour of a week, and where that is short or over.

A shift counts as one head for each hour it fully covers and as the covered fraction of an hour
it starts or ends inside. The gap of an hour is rostered − scheduled (the heads the Erlang C plan
asks to schedule): negative = under-staffed by that many heads.
"""

import numpy as np
import pandas as pd
from sqlalchemy import Engine, select

from core.frames import as_timestamp, read_frame, unparsed
from core.models import RosterShift
from core.workforce.capacity import HOURS_PER_WEEK, hour_of_week, staffing_by_hour_of_week

IN_HOUSE = "in-house"
# Within this many heads of the requirement an hour counts as staffed as planned.
TOLERANCE = 0.5


def shift_hours(shifts: pd.DataFrame, start) -> np.ndarray:
    """Each shift's coverage of each of the 168 hours from `start`: a shifts × 168 array of fractions 0…1."""
    begin = as_timestamp(start)
    hour = pd.Timedelta(hours=1)
    starts = ((shifts["starts_at"] - begin) / hour).to_numpy(dtype="float64")[:, None]
    ends = ((shifts["ends_at"] - begin) / hour).to_numpy(dtype="float64")[:, None]
    slots = np.arange(HOURS_PER_WEEK, dtype="float64")[None, :]
    return np.clip(np.minimum(ends, slots + 1) - np.maximum(starts, slots), 0.0, 1.0)


def coverage_by_hour(shifts: pd.DataFrame, start, *, by: str | None = None) -> pd.DataFrame:
    """Heads rostered in each hour of the week that starts at `start`, by hour_of_week (and `by`, e.g. vendor).

    Columns: hour_of_week, moment (the hour's UTC start), [by], rostered.
    """
    begin = as_timestamp(start).floor("h")
    moments = pd.Series(pd.date_range(begin, periods=HOURS_PER_WEEK, freq="h"))
    covered = shift_hours(shifts, begin) if len(shifts) else np.zeros((0, HOURS_PER_WEEK))
    groups = shifts[by].fillna(IN_HOUSE).to_numpy() if by else np.full(len(shifts), None, dtype=object)
    names = sorted(set(groups)) if by else [None]
    frames = []
    for name in names:
        heads = covered[groups == name].sum(axis=0) if len(shifts) else np.zeros(HOURS_PER_WEEK)
        frame = pd.DataFrame({"hour_of_week": hour_of_week(moments), "moment": moments, "rostered": heads})
        frames.append(frame.assign(**{by: name}) if by else frame)
    columns = ["hour_of_week", "moment"] + ([by] if by else []) + ["rostered"]
    return pd.concat(frames, ignore_index=True)[columns]


def roster_gap(plan: pd.DataFrame, coverage: pd.DataFrame) -> pd.DataFrame:
    """The plan (per hour_of_week, with `scheduled`) beside the rostered heads: gap = rostered − scheduled, status.

    Status: "under" (short by more than TOLERANCE heads), "over" (more than TOLERANCE spare) or "as planned".
    """
    totals = coverage.groupby("hour_of_week", as_index=False).agg(moment=("moment", "first"),
                                                                  rostered=("rostered", "sum"))
    gap = plan.merge(totals, on="hour_of_week", how="left").fillna({"rostered": 0.0})
    gap["gap"] = gap["rostered"] - gap["scheduled"]
    gap["status"] = np.select([gap["gap"] < -TOLERANCE, gap["gap"] > TOLERANCE], ["under", "over"], "as planned")
    return gap.sort_values("moment", kind="stable").reset_index(drop=True)


def gap_summary(gap: pd.DataFrame) -> dict:
    """Hours under and over staffed, the heads missing over the week, and the worst hour (its label and gap)."""
    under = gap[gap["status"] == "under"]
    worst = gap.loc[gap["gap"].idxmin()] if len(gap) else None
    return {"under_hours": int(len(under)), "over_hours": int((gap["status"] == "over").sum()),
            "missing_head_hours": float(-under["gap"].sum()),
            "worst_label": None if worst is None else worst["label"],
            "worst_gap": None if worst is None else float(worst["gap"])}


def what_if_week(arrivals: pd.DataFrame, shifts: pd.DataFrame, start, *, aht_seconds: float, target: float,
                 within_seconds: float, shrinkage: float = 0.0, max_occupancy: float = 1.0, more_arrivals: float = 0.0,
                 longer_handling: float = 0.0, away: str | None = None) -> pd.DataFrame:
    """The week from `start` planned with Erlang C on arrivals × (1 + more_arrivals) and AHT × (1 + longer_handling),
    against the roster without the team `away`: the `roster_gap` frame (arrivals_per_hour, agents, scheduled, …)."""
    changed = arrivals.assign(arrivals_per_hour=arrivals["arrivals_per_hour"] * (1 + more_arrivals))
    plan = staffing_by_hour_of_week(changed, aht_seconds * (1 + longer_handling), target, within_seconds,
                                    shrinkage=shrinkage, max_occupancy=max_occupancy)
    return roster_gap(plan, coverage_by_hour(without_vendor(shifts, away), start))


def scheduled_and_rostered(gap: pd.DataFrame) -> pd.DataFrame:
    """A gap frame in long form for a chart: hour_of_week, label, who ("to schedule" or "rostered"), reviewers."""
    long = gap.melt(id_vars=["hour_of_week", "label"], value_vars=["scheduled", "rostered"], var_name="who",
                    value_name="reviewers")
    return long.assign(who=long["who"].map({"scheduled": "to schedule", "rostered": "rostered"}))


def off_plan_hours(gap: pd.DataFrame) -> pd.DataFrame:
    """The hours under or over staffed, shortest first."""
    return gap[gap["status"] != "as planned"].sort_values(["gap", "moment"], kind="stable").reset_index(drop=True)


def team_coverage(shifts: pd.DataFrame, start) -> pd.DataFrame:
    """Heads each team rosters in each hour of the week from `start`: one row per hour, one column per team."""
    teams = coverage_by_hour(shifts, start, by="vendor")
    if teams.empty:
        return pd.DataFrame(columns=["moment"])
    wide = teams.pivot_table(index="moment", columns="vendor", values="rostered", aggfunc="sum")
    return wide.reset_index().rename_axis(columns=None)


def teams(shifts: pd.DataFrame) -> list[str]:
    """The teams on a roster: each vendor, and `IN_HOUSE` for shifts without one, sorted."""
    return sorted(shifts["vendor"].fillna(IN_HOUSE).unique()) if len(shifts) else []


def without_vendor(shifts: pd.DataFrame, vendor: str | None) -> pd.DataFrame:
    """The roster with one vendor's team away (`IN_HOUSE` removes the in-house staff); None keeps everyone."""
    if not vendor:
        return shifts
    names = shifts["vendor"].fillna(IN_HOUSE)
    return shifts[names != vendor]


def load_roster(engine: Engine, *, start, end, queue: str | None = None) -> pd.DataFrame:
    """Shifts overlapping [start, end) (for one queue, or shifts that name no queue)."""
    shift = RosterShift.__table__
    scope = [shift.c.starts_at < as_timestamp(end).to_pydatetime(),
             shift.c.ends_at > as_timestamp(start).to_pydatetime()]
    if queue:
        scope.append((shift.c.queue == queue) | shift.c.queue.is_(None))
    statement = select(shift.c.shift_id, shift.c.person, shift.c.team, shift.c.vendor, shift.c.queue,
                       unparsed(shift.c.starts_at), unparsed(shift.c.ends_at)).where(*scope).order_by(shift.c.starts_at)
    return read_frame(engine, statement, timestamps=("starts_at", "ends_at"))
