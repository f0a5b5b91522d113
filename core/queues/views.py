"""What the Queues page, the CLI, Today and the Weekly report show, from `QueueFacts` and the live open items.

The overview and breakdowns count settled clocks through `QueueFacts` (SQL over the roll-up) and
the items whose clocks still run (`QueueFacts.live`): breach risk, breached, paused, backlog by
age, stuck staging items and open escalations are read off those live items.
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.errors import UnknownMetric
from core.frames import Grouping, as_timestamp, group_columns
from core.queues.clock import RESPONSE_KINDS, TARGET_LABELS, target_prefix
from core.queues.facts import QueueFacts

BACKLOG_BUCKETS = ("<4h", "4–24h", "1–3d", "3–7d", ">7d")
BACKLOG_BUCKET_HOURS = (0, 4, 24, 72, 168, np.inf)


# --- the live clocks ---------------------------------------------------------------------------------


def target_view(status: pd.DataFrame, target: str) -> pd.DataFrame:
    """The status with one target's clock under the resolution column names, and a `target` label column."""
    prefix = target_prefix(target)
    view = status
    if prefix:
        names = ["target_minutes", "clock_minutes", "used_share", "time_left_minutes", "due_in_minutes", "state",
                 "warn_level"]
        view = status.assign(**{name: status[f"{prefix}{name}"] for name in names},
                             due_effective=status[f"{prefix}due"])
    return view.assign(target=TARGET_LABELS[target], hours_left=view["due_in_minutes"] / 60)


def breach_risk(status: pd.DataFrame, limit: int | None = None, *, targets=("resolution",)) -> pd.DataFrame:
    """Open clocks not yet breached that used at least half their target, soonest due first.

    With several `targets` an item can appear once per target (its `target` column says which).
    Paused clocks are left out: nothing breaches while the clock is stopped.
    """
    parts = []
    for target in targets:
        prefix = target_prefix(target)
        # Rows first, then the view: the live frame is wide and only a few of its rows are at risk.
        chosen = (status[f"{prefix}state"].isin(["open", "at_risk"]) & (status[f"{prefix}warn_level"] >= 50)).to_numpy()
        parts.append(target_view(status[chosen], target))
    at_risk = pd.concat(parts, ignore_index=len(parts) > 1) if len(parts) > 1 else parts[0]
    at_risk = at_risk.sort_values(["due_in_minutes", "time_left_minutes"], kind="stable")
    return at_risk if limit is None else at_risk.head(limit)


def breached_open(status: pd.DataFrame, *, targets=("resolution",)) -> pd.DataFrame:
    """Open clocks already past due, most overdue first, with `overdue_minutes` (calendar time since due).

    The one rule for "breached and still open": the Queues tiles, lists and breakdowns and Today's
    entries all count these rows (with both targets: an item counts once, by `item_id`).
    """
    parts = []
    for target in targets:
        prefix = target_prefix(target)
        still_running = status["resolved_at"].isna() if target == "resolution" else \
            status["first_response_at"].isna() & status["resolved_at"].isna()
        chosen = (still_running & (status[f"{prefix}state"] == "breached")).to_numpy()
        parts.append(target_view(status[chosen], target))
    breached = pd.concat(parts, ignore_index=len(parts) > 1) if len(parts) > 1 else parts[0]
    breached = breached.assign(overdue_minutes=-breached["due_in_minutes"], hours_overdue=-breached["hours_left"])
    return breached.sort_values("overdue_minutes", ascending=False, kind="stable")


def warning_counts(status: pd.DataFrame, by: Grouping, *, targets=("first_response", "resolution")) -> pd.DataFrame:
    """Open clocks per group at each warning: ≥50%, ≥75%, ≥90% of target used (not yet breached) and breached."""
    keys = group_columns(status, by)
    risk = breach_risk(status, targets=targets)
    late = breached_open(status, targets=targets)
    level = pd.concat([risk["warn_level"].map({50: "≥50%", 75: "≥75%", 90: "≥90%"}),
                       pd.Series("breached", index=late.index)], ignore_index=True)
    frame = pd.concat([risk[keys], late[keys]], ignore_index=True).assign(level=level)
    columns = ["≥50%", "≥75%", "≥90%", "breached"]
    if frame.empty:
        return pd.DataFrame(columns=[*keys, *columns, "total"])
    table = frame.groupby([*keys, "level"], dropna=False).size().unstack("level", fill_value=0)
    table = table.reindex(columns=columns, fill_value=0).astype("int64")
    table["total"] = table.sum(axis=1)
    table.columns.name = None
    return table.reset_index().sort_values(["breached", "≥90%", "total"], ascending=False, ignore_index=True)


def stuck_items(
    items: pd.DataFrame, now, *, stuck_after_hours: float = 24, max_retries: int = 3, queue: str = "staging"
) -> pd.DataFrame:
    """Open staging items idle longer than the threshold or retried too often, longest stuck first."""
    now = as_timestamp(now)
    staging = items[(items["queue"] == queue) & items["resolved_at"].isna()]
    last_touch = staging["updated_at"].fillna(staging["created_at"])
    hours = (now - last_touch).dt.total_seconds() / 3600
    idle = hours > stuck_after_hours
    retried = staging["retries"] >= max_retries
    stuck = staging.assign(hours_stuck=hours.clip(lower=0))[idle | retried]
    idle, retried = idle[idle | retried], retried[idle | retried]
    reason = np.where(idle & retried, "idle and retried", np.where(idle, "idle", "retried"))
    stuck = stuck.assign(stuck_reason=reason)
    return stuck.sort_values("hours_stuck", ascending=False, kind="stable")


def open_escalations(status: pd.DataFrame) -> pd.DataFrame:
    """Open escalation items with reason, owning team and SLA clock, soonest due first."""
    escalated = status[(status["queue"] == "escalation") & status["resolved_at"].isna()]
    escalated = escalated.assign(hours_left=escalated["due_in_minutes"] / 60)
    return escalated.sort_values(["due_in_minutes", "created_at"], kind="stable", na_position="last")


def response_time_summary(items: pd.DataFrame, kind: str, by: Grouping = None) -> pd.DataFrame:
    """Median and p90 seconds of first response or resolution, over items that have them (`QueueFacts.durations`)."""
    if kind not in RESPONSE_KINDS:
        raise UnknownMetric(f"Unknown response time {kind!r}: use one of {', '.join(RESPONSE_KINDS)}.")
    keys = group_columns(items, by)
    if not keys:
        values = items[f"{kind}_seconds"].dropna()
        return pd.DataFrame(
            {"median_seconds": [values.median()], "p90_seconds": [values.quantile(0.9)], "count": [len(values)]}
        )
    # Median and quantile skip missing values and count() counts the others; groups with none are left out.
    grouped = items.groupby(keys, dropna=False, sort=True, observed=True)[f"{kind}_seconds"]
    summary = pd.DataFrame(
        {"median_seconds": grouped.median(), "p90_seconds": grouped.quantile(0.9), "count": grouped.count()}
    )
    summary = summary[summary["count"] > 0].reset_index()
    for key in keys:  # keys read as categories (packed durations) come back as their plain values
        if isinstance(summary[key].dtype, pd.CategoricalDtype):
            summary[key] = summary[key].astype(summary[key].cat.categories.dtype)
    return summary


def response_times(items: pd.DataFrame, by: Grouping = None) -> pd.DataFrame:
    """First-response and resolution medians and p90s in long form from `QueueFacts.durations`: [by], metric,
    median, p90, count."""
    keys = group_columns(items, by)
    parts = [
        response_time_summary(items, kind, keys or None).assign(metric=kind)
        for kind in RESPONSE_KINDS
    ]
    combined = pd.concat(parts, ignore_index=True)
    return combined[[*keys, "metric", "median_seconds", "p90_seconds", "count"]]


def backlog(items: pd.DataFrame, now, by: str = "queue", *, values=None) -> pd.DataFrame:
    """Open items per queue (or `by`, e.g. priority) and age bucket (<4h, 4–24h, 1–3d, 3–7d, >7d), zero-filled.

    The rows are every value of `by` among `items`, or `values` when given (e.g. every queue in
    scope while `items` holds only the open ones).
    """
    now = as_timestamp(now)
    (by,) = group_columns(items, by)
    open_items = items[items["resolved_at"].isna() & (items["created_at"] <= now)]
    age_hours = ((now - open_items["created_at"]).dt.total_seconds() / 3600).clip(lower=0)
    buckets = pd.Categorical(
        pd.cut(age_hours, bins=BACKLOG_BUCKET_HOURS, right=False, labels=BACKLOG_BUCKETS),
        categories=BACKLOG_BUCKETS,
        ordered=True,
    )
    counts = (
        pd.DataFrame({by: open_items[by].to_numpy(), "bucket": buckets})
        .groupby([by, "bucket"], observed=True)
        .size()
    )
    grid = pd.MultiIndex.from_product(
        [sorted(items[by].dropna().unique()) if values is None else sorted(values),
         pd.CategoricalIndex(BACKLOG_BUCKETS, categories=BACKLOG_BUCKETS, ordered=True)],
        names=[by, "bucket"],
    )
    table = counts.reindex(grid, fill_value=0).rename("count").reset_index()
    table["count"] = table["count"].astype("int64")
    return table


# --- the page in one call ----------------------------------------------------------------------------


def breakdown_table(now_counts: pd.DataFrame, met: pd.DataFrame, response_met: pd.DataFrame, created: pd.DataFrame,
                    keys: list[str]) -> pd.DataFrame:
    """The breakdown from its parts: counts now (indexed by keys), compliance per target, durations of items created."""
    met, response_met = met.set_index(keys), response_met.set_index(keys)
    times = [(response_time_summary(created, kind, keys).set_index(keys)[["median_seconds", "p90_seconds"]] / 3600)
             .rename(columns=lambda name: f"{kind}_{name.replace('_seconds', '_hours')}") for kind in RESPONSE_KINDS]
    table = now_counts.join([met[["compliance", "count"]].rename(columns={"count": "due"}),
                             response_met[["compliance"]].rename(columns={"compliance": "response_compliance"}),
                             *times], how="left")
    table["due"] = table["due"].fillna(0).astype("int64")
    return table.reset_index().sort_values(["open", *keys], ascending=[False, *[True] * len(keys)], ignore_index=True)


# What the overview keeps of each list: enough to act on an item, small enough to cache and export.
_LISTED = ["item_id", "queue", "priority", "project_id", "member_id", "status", "assignee", "created_at"]
OVERVIEW_COLUMNS = {
    "risk": ["target", "warn_level", "used_share", "hours_left", "due_effective", "clock", *_LISTED],
    "breached": ["target", "hours_overdue", "overdue_minutes", "due_effective", "clock", *_LISTED],
    "paused": ["clock_minutes", "time_left_minutes", "due_effective", "clock", *_LISTED],
    "stuck": ["hours_stuck", "retries", "last_error", "stuck_reason", "version", *_LISTED],
    "open_escalations": ["escalation_reason", "owner_team", "state", "hours_left", "due_effective", *_LISTED],
}


@dataclass(frozen=True)
class QueueOverview:
    """Everything the Queues page shows for one filtered set of items, computed once per data version."""

    open_items: int
    breached_items: int
    at_risk_items: int
    resolution: dict
    first_response: dict
    median_first_response_hours: float
    risk: pd.DataFrame
    breached: pd.DataFrame
    paused: pd.DataFrame
    ages: pd.DataFrame
    open_by_day: pd.DataFrame
    stuck: pd.DataFrame
    escalation_reasons: pd.DataFrame
    open_escalations: pd.DataFrame


def queue_overview(facts: QueueFacts, now, *, start, end, stuck_after_hours: float = 24,
                   max_retries: int = 3) -> QueueOverview:
    """The Queues page in one call: headline counts, what breaches next, backlog, stuck and escalated items.

    Compliance counts targets due in [start, end); response times and escalation reasons count
    items created in [start, end); everything else is the state at `now`.
    """
    start, end = as_timestamp(start), as_timestamp(end)
    both = ("first_response", "resolution")
    live = facts.live
    breached = breached_open(live, targets=both)
    created = facts.durations(created_from=start, created_to=end, kinds=("first_response",))
    last_day = (end - pd.Timedelta(microseconds=1)).tz_convert("UTC").tz_localize(None)
    return QueueOverview(
        open_items=int(live["resolved_at"].isna().sum()),
        breached_items=int(breached["item_id"].nunique()),
        at_risk_items=int((live["state"] == "at_risk").sum()),
        resolution=facts.compliance(due_from=start, due_to=end).iloc[0].to_dict(),
        first_response=facts.compliance("first_response", due_from=start, due_to=end).iloc[0].to_dict(),
        median_first_response_hours=float(response_time_summary(created, "first_response")["median_seconds"].iloc[0])
        / 3600,
        risk=breach_risk(live, targets=both)[OVERVIEW_COLUMNS["risk"]],
        breached=breached[OVERVIEW_COLUMNS["breached"]],
        paused=live.loc[live["paused"], OVERVIEW_COLUMNS["paused"]],
        ages=backlog(live, now, values=facts.values("queue")),
        open_by_day=facts.open_by_day(start.tz_convert("UTC").tz_localize(None), last_day),
        stuck=stuck_items(live, now, stuck_after_hours=stuck_after_hours,
                          max_retries=max_retries)[OVERVIEW_COLUMNS["stuck"]],
        escalation_reasons=facts.escalation_reasons(created_from=start, created_to=end, by="owner_team"),
        open_escalations=open_escalations(live)[OVERVIEW_COLUMNS["open_escalations"]],
    )


def queue_breakdown(facts: QueueFacts, by: str, *, start, end) -> pd.DataFrame:
    """Per queue, priority or project_id: open, breached and at-risk items now; SLA met (resolution, first
    response) for targets due in [start, end); median and p90 first-response and resolution hours for items
    created in [start, end)."""
    keys = [by]
    start, end = as_timestamp(start), as_timestamp(end)
    live = facts.live
    is_open = live["resolved_at"].isna()
    late = live["item_id"].isin(breached_open(live, targets=("first_response", "resolution"))["item_id"])
    now_counts = pd.DataFrame({
        "open": is_open.astype("int64"),
        "breached_open": late.astype("int64"),
        "at_risk": (live["state"] == "at_risk").astype("int64"),
    }, index=live.index).join(live[keys]).groupby(keys, dropna=False, sort=True).sum()
    every = pd.Index(facts.values(by), name=by)
    now_counts = now_counts.reindex(every, fill_value=0).astype("int64")
    met = facts.compliance(due_from=start, due_to=end, by=keys)
    response_met = facts.compliance("first_response", due_from=start, due_to=end, by=keys)
    created = facts.durations(created_from=start, created_to=end, by=keys)
    return breakdown_table(now_counts, met, response_met, created, keys)
