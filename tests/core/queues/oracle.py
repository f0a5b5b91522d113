"""The reference for the queue roll-up: each queue number computed in pandas over every item's raw SLA clock.

Production counts settled clocks in SQL (`core.queues.facts.QueueFacts`) and only the live items
in pandas; these functions read every item in scope, compute every clock (`core.queues.clock`)
and count them directly. The tests compare the two and check these against hand-computed values.
"""

import numpy as np
import pandas as pd

from core.frames import Grouping, as_day, as_timestamp, group_columns, period_start, ratio
from core.queues.clock import RESPONSE_KINDS, sla_status, target_prefix
from core.queues.facts import escalation_shares
from core.queues.read import load_pauses, load_policies, load_queue_items
from core.queues.views import (
    OVERVIEW_COLUMNS,
    QueueOverview,
    breakdown_table,
    backlog,
    breach_risk,
    breached_open,
    open_escalations,
    response_time_summary,
    stuck_items,
)


def load_sla_status(engine, now, *, start=None, end=None, projects=None, regions=None) -> pd.DataFrame:
    """Items created in [start, end) with both SLA clocks at `now`, pauses read from their status history."""
    scope = dict(start=start, end=end, projects=projects, regions=regions)
    items = load_queue_items(engine, **scope)
    policies = load_policies(engine)
    status = sla_status(items, policies, now, pauses=load_pauses(engine, policies, **scope))
    # A clock counts towards compliance once its due moment has come: one met early but due later is not decided yet.
    moment = as_timestamp(now)
    return status.assign(came_due=status["due_effective"] <= moment, response_came_due=status["response_due"] <= moment)


def decided_state(status: pd.DataFrame, prefix: str = "") -> pd.Series:
    """A clock's state for compliance: met or breached once its due moment has come, else as it stands (a status
    built without `load_sla_status` has every clock as it stands)."""
    state = status[f"{prefix}state"]
    if f"{prefix}came_due" not in status:
        return state
    return state.where(status[f"{prefix}came_due"] | ~state.isin(["met", "breached"]), "not due yet")


def with_durations(items: pd.DataFrame) -> pd.DataFrame:
    """Raw items with `first_response_seconds` and `resolution_seconds`, as `QueueFacts.durations` reads them."""
    return items.assign(**{f"{kind}_seconds": (items[stop] - items["created_at"]).dt.total_seconds()
                           for kind, stop in RESPONSE_KINDS.items()})


def sla_compliance(status: pd.DataFrame, by: Grouping = None, *, target: str = "resolution") -> pd.DataFrame:
    """Compliance = met / items whose target came due, with met, breached, at-risk and due counts."""
    prefix = target_prefix(target)
    keys = group_columns(status, by)
    state = decided_state(status, prefix)
    flags = pd.DataFrame(
        {name: (state == name).astype("int64") for name in ("met", "breached", "at_risk")},
        index=status.index,
    )
    if keys:
        counts = flags.join(status[keys]).groupby(keys, dropna=False, sort=True).sum().reset_index()
    else:
        counts = flags.sum().to_frame().T.astype("int64")
    counts["count"] = counts["met"] + counts["breached"]
    counts["compliance"] = ratio(counts["met"], counts["count"])
    return counts[[*keys, "compliance", "met", "breached", "at_risk", "count"]]


def sla_compliance_trend(status: pd.DataFrame, freq: str = "D", by: Grouping = None, *,
                         target: str = "resolution") -> pd.DataFrame:
    """Compliance per period of the due time, over items whose target came due (met or breached)."""
    prefix = target_prefix(target)
    keys = group_columns(status, by)
    state = decided_state(status, prefix)
    decided = status[state.isin(["met", "breached"])]
    due = decided["due_effective" if prefix == "" else f"{prefix}due"]
    frame = pd.DataFrame(
        {
            "date": period_start(due, freq),
            "met": (state[decided.index] == "met").astype("int64"),
            "breached": (state[decided.index] == "breached").astype("int64"),
        }
    ).join(decided[keys])
    trend = frame.groupby(["date", *keys], dropna=False, sort=True)[["met", "breached"]].sum().reset_index()
    trend["count"] = trend["met"] + trend["breached"]
    trend["compliance"] = ratio(trend["met"], trend["count"])
    return trend[["date", *keys, "compliance", "met", "breached", "count"]]


def queue_breakdown(status: pd.DataFrame, by: Grouping, *, start, end) -> pd.DataFrame:
    """`views.queue_breakdown` over raw clocks per group: open, breached and at-risk items now; SLA met (resolution, first response) for targets due
    in [start, end); median and p90 first-response and resolution hours for items created in [start, end)."""
    keys = group_columns(status, by)
    start, end = as_timestamp(start), as_timestamp(end)
    is_open = status["resolved_at"].isna()
    now_counts = pd.DataFrame({
        "open": is_open.astype("int64"),
        "breached_open": status["item_id"].isin(
            breached_open(status, targets=("first_response", "resolution"))["item_id"]).astype("int64"),
        "at_risk": (status["state"] == "at_risk").astype("int64"),
    }, index=status.index).join(status[keys]).groupby(keys, dropna=False, sort=True).sum()
    due = status["due_effective"].between(start, end, inclusive="left")
    response_due = status["response_due"].between(start, end, inclusive="left")
    met = sla_compliance(status[due], keys)
    response_met = sla_compliance(status[response_due], keys, target="first_response")
    created = with_durations(status[status["created_at"].between(start, end, inclusive="left")])
    return breakdown_table(now_counts, met, response_met, created, keys)


def queue_overview(status: pd.DataFrame, now, *, start, end, stuck_after_hours: float = 24,
                   max_retries: int = 3) -> QueueOverview:
    """`views.queue_overview` over raw clocks: headline counts, what breaches next, backlog, stuck and escalated items.

    Compliance counts targets due in [start, end); response times and escalation reasons count
    items created in [start, end); everything else is the state at `now`.
    """
    start, end = as_timestamp(start), as_timestamp(end)
    both = ("first_response", "resolution")
    created = status[status["created_at"].between(start, end, inclusive="left")]
    due = status[status["due_effective"].between(start, end, inclusive="left")]
    response_due = status[status["response_due"].between(start, end, inclusive="left")]
    breached = breached_open(status, targets=both)
    last_day = (end - pd.Timedelta(microseconds=1)).tz_convert("UTC").tz_localize(None)
    return QueueOverview(
        open_items=int(status["resolved_at"].isna().sum()),
        breached_items=int(breached["item_id"].nunique()),
        at_risk_items=int((status["state"] == "at_risk").sum()),
        resolution=sla_compliance(due).iloc[0].to_dict(),
        first_response=sla_compliance(response_due, target="first_response").iloc[0].to_dict(),
        median_first_response_hours=float(response_time_summary(with_durations(created), "first_response")["median_seconds"].iloc[0])
        / 3600,
        risk=breach_risk(status, targets=both)[OVERVIEW_COLUMNS["risk"]],
        breached=breached[OVERVIEW_COLUMNS["breached"]],
        paused=status.loc[status["paused"], OVERVIEW_COLUMNS["paused"]],
        ages=backlog(status, now),
        open_by_day=backlog_trend(status, start.tz_convert("UTC").tz_localize(None), last_day),
        stuck=stuck_items(status, now, stuck_after_hours=stuck_after_hours,
                          max_retries=max_retries)[OVERVIEW_COLUMNS["stuck"]],
        escalation_reasons=escalation_reasons(created, by="owner_team"),
        open_escalations=open_escalations(status)[OVERVIEW_COLUMNS["open_escalations"]],
    )


def backlog_trend(items: pd.DataFrame, start, end) -> pd.DataFrame:
    """Open items per queue at the end of each UTC day from start to end (both included).

    Pass every item created before `end`, not only those created in the range, or older
    items still open are missed.
    """
    days = pd.date_range(as_day(start), as_day(end), freq="D")
    cutoffs = (days + pd.Timedelta(days=1)).to_numpy(dtype="datetime64[us]")
    frames = []
    for queue, group in items.groupby("queue", sort=True):
        created = np.sort(_naive_utc(group["created_at"]))
        resolved = np.sort(_naive_utc(group["resolved_at"].dropna()))
        open_count = np.searchsorted(created, cutoffs, side="left") - np.searchsorted(resolved, cutoffs, side="left")
        frames.append(pd.DataFrame({"date": days, "queue": queue, "open_count": open_count.astype("int64")}))
    if not frames:
        return pd.DataFrame({"date": pd.Series(dtype="datetime64[us]"), "queue": pd.Series(dtype="str"),
                             "open_count": pd.Series(dtype="int64")})
    return pd.concat(frames, ignore_index=True).sort_values(["date", "queue"], ignore_index=True)


def escalation_reasons(items: pd.DataFrame, by: Grouping = None) -> pd.DataFrame:
    """Escalation-queue items per reason (and `by`, e.g. owner_team): count, still open, share; most frequent first."""
    escalated = items[items["queue"] == "escalation"]
    keys = group_columns(escalated, by)
    frame = pd.DataFrame(
        {
            "escalation_reason": escalated["escalation_reason"].fillna("unspecified"),
            **{key: escalated[key].fillna("unassigned") for key in keys},
            "open": escalated["resolved_at"].isna().astype("int64"),
        }
    )
    table = frame.groupby(["escalation_reason", *keys]).agg(count=("open", "size"), open=("open", "sum")).reset_index()
    return escalation_shares(table, keys)


def _naive_utc(timestamps: pd.Series) -> np.ndarray:
    return timestamps.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy(dtype="datetime64[us]")


def open_at(status: pd.DataFrame, moment) -> int:
    """`QueueFacts.open_at` over raw clocks: items created by `moment` and not resolved by then."""
    created = status["created_at"] <= moment
    still_open = status["resolved_at"].isna() | (status["resolved_at"] > moment)
    return int((created & still_open).sum())


def compliance_after(status: pd.DataFrame, start, end) -> float:
    """Resolution SLA met over clocks due in (start, end], as Today's tile counts it."""
    state = decided_state(status)
    due = status[(status["due_effective"] > start) & (status["due_effective"] <= end) & state.isin(["met", "breached"])]
    return float((state[due.index] == "met").mean()) if len(due) else float("nan")


def median_first_response_hours(status: pd.DataFrame, start, end) -> float:
    """Median first response of the items created in (start, end], in hours."""
    week = with_durations(status[(status["created_at"] > start) & (status["created_at"] <= end)])
    return float(response_time_summary(week, "first_response")["median_seconds"].iloc[0]) / 3600


def weekend_counts(status: pd.DataFrame, start, end) -> pd.DataFrame:
    """`QueueFacts.decided(by=["queue", "weekend"])` over raw clocks due in [start, end)."""
    state = decided_state(status)
    due = status[(status["due_effective"] >= start) & (status["due_effective"] < end) & state.isin(["met", "breached"])]
    return due.assign(weekend=due["due_effective"].dt.day_of_week >= 5, met=(state[due.index] == "met").astype(int),
                      breached=(state[due.index] == "breached").astype(int)) \
        .groupby(["queue", "weekend"])[["met", "breached"]].sum().reset_index()
