"""Queue metrics: SLA clocks and compliance, breach risk, response times, backlog, stuck and escalated items.

SLA clocks run on calendar time in this version: business-hours policies and paused statuses
(`SlaPolicy.business_hours`, `schedule`, `pause_statuses`) are not applied yet.
"""

import numpy as np
import pandas as pd
from sqlalchemy import Engine, select

from core.errors import UnknownMetric
from core.metrics import (
    Grouping,
    as_day,
    as_timestamp,
    group_columns,
    loader_columns,
    period_start,
    ratio,
    read_frame,
)
from core.models import Member, QueueItem, SlaPolicy

ITEM_TIMESTAMPS = ("created_at", "first_response_at", "resolved_at", "due_at", "updated_at")
AT_RISK_SHARE = 0.75
WARN_LEVELS = (90, 75, 50)
SLA_STATES = ("breached", "at_risk", "open", "met", "no_target")
RESPONSE_KINDS = {"first_response": "first_response_at", "resolution": "resolved_at"}
BACKLOG_BUCKETS = ("<4h", "4–24h", "1–3d", "3–7d", ">7d")
BACKLOG_BUCKET_HOURS = (0, 4, 24, 72, 168, np.inf)


def load_queue_items(engine: Engine, *, start=None, end=None, projects=None, regions=None) -> pd.DataFrame:
    """Queue items created in [start, end) with their member's region and country (empty filters mean all)."""
    item, member = QueueItem.__table__, Member.__table__
    statement = (
        select(*loader_columns(item, without=["attributes"]), member.c.region, member.c.country)
        .select_from(item.outerjoin(member, item.c.member_id == member.c.member_id))
        .order_by(item.c.created_at, item.c.item_id)
    )
    if start is not None:
        statement = statement.where(item.c.created_at >= as_timestamp(start).to_pydatetime())
    if end is not None:
        statement = statement.where(item.c.created_at < as_timestamp(end).to_pydatetime())
    if projects:
        statement = statement.where(item.c.project_id.in_(list(projects)))
    if regions:
        statement = statement.where(member.c.region.in_(list(regions)))
    return read_frame(engine, statement, timestamps=ITEM_TIMESTAMPS)


def load_policies(engine: Engine) -> pd.DataFrame:
    """All SLA policies, one row per queue and priority."""
    policy = SlaPolicy.__table__
    statement = select(*loader_columns(policy)).order_by(policy.c.queue, policy.c.priority)
    return read_frame(engine, statement, flags=("business_hours",))


def sla_status(items: pd.DataFrame, policies: pd.DataFrame, now) -> pd.DataFrame:
    """Items with their SLA target, due time, clock, share of target used, time left, state and warn level."""
    now = as_timestamp(now)
    targets = policies.reindex(columns=["queue", "priority", "resolution_minutes"]).drop_duplicates(["queue", "priority"])
    targets = targets.astype({"queue": items["queue"].dtype, "priority": items["priority"].dtype})
    status = items.merge(targets, on=["queue", "priority"], how="left")
    status.index = items.index

    created, own_due = status["created_at"], status["due_at"]
    policy_minutes = pd.to_numeric(status.pop("resolution_minutes"), errors="coerce").astype("float64")
    has_own_due = own_due.notna()
    status["target_minutes"] = ((own_due - created).dt.total_seconds() / 60).where(has_own_due, policy_minutes)
    status["due_effective"] = own_due.where(has_own_due, created + pd.to_timedelta(policy_minutes, unit="min"))

    is_open = status["resolved_at"].isna()
    clock_end = status["resolved_at"].where(~is_open, now)
    status["clock_minutes"] = (clock_end - created).dt.total_seconds() / 60
    with np.errstate(divide="ignore", invalid="ignore"):
        status["used_share"] = status["clock_minutes"] / status["target_minutes"]
    status["time_left_minutes"] = status["target_minutes"] - status["clock_minutes"]

    has_target = status["target_minutes"].notna()
    late = clock_end > status["due_effective"]
    used = status["used_share"]
    status["state"] = np.select(
        [~has_target, ~is_open & ~late, late, used >= AT_RISK_SHARE],
        ["no_target", "met", "breached", "at_risk"],
        default="open",
    )
    warn = [is_open & has_target & (used >= level / 100) for level in WARN_LEVELS]
    status["warn_level"] = np.select(warn, WARN_LEVELS, default=0).astype("int64")
    return status


def sla_compliance(status: pd.DataFrame, by: Grouping = None) -> pd.DataFrame:
    """Compliance = met / items whose target came due, with met, breached, at-risk and due counts."""
    keys = group_columns(status, by)
    flags = pd.DataFrame(
        {state: (status["state"] == state).astype("int64") for state in ("met", "breached", "at_risk")},
        index=status.index,
    )
    if keys:
        counts = flags.join(status[keys]).groupby(keys, dropna=False, sort=True).sum().reset_index()
    else:
        counts = flags.sum().to_frame().T.astype("int64")
    counts["count"] = counts["met"] + counts["breached"]
    counts["compliance"] = ratio(counts["met"], counts["count"])
    return counts[[*keys, "compliance", "met", "breached", "at_risk", "count"]]


def sla_compliance_trend(status: pd.DataFrame, freq: str = "D", by: Grouping = None) -> pd.DataFrame:
    """Compliance per period of the due time, over items whose target came due (met or breached)."""
    keys = group_columns(status, by)
    decided = status[status["state"].isin(["met", "breached"])]
    frame = pd.DataFrame(
        {
            "date": period_start(decided["due_effective"], freq),
            "met": (decided["state"] == "met").astype("int64"),
            "breached": (decided["state"] == "breached").astype("int64"),
        }
    ).join(decided[keys])
    trend = frame.groupby(["date", *keys], dropna=False, sort=True)[["met", "breached"]].sum().reset_index()
    trend["count"] = trend["met"] + trend["breached"]
    trend["compliance"] = ratio(trend["met"], trend["count"])
    return trend[["date", *keys, "compliance", "met", "breached", "count"]]


def breach_risk(status: pd.DataFrame, limit: int | None = None) -> pd.DataFrame:
    """Open items not yet breached that used at least half their target, least time left first."""
    at_risk = status[
        status["resolved_at"].isna() & status["state"].isin(["open", "at_risk"]) & (status["warn_level"] >= 50)
    ].sort_values("time_left_minutes", kind="stable")
    return at_risk if limit is None else at_risk.head(limit)


def breached_open(status: pd.DataFrame) -> pd.DataFrame:
    """Open items already past due, most overdue first, with `overdue_minutes`."""
    breached = status[status["resolved_at"].isna() & (status["state"] == "breached")]
    breached = breached.assign(overdue_minutes=-breached["time_left_minutes"])
    return breached.sort_values("overdue_minutes", ascending=False, kind="stable")


def response_time_summary(items: pd.DataFrame, kind: str, by: Grouping = None) -> pd.DataFrame:
    """Median and p90 seconds of first response or resolution, over items that have the timestamp."""
    if kind not in RESPONSE_KINDS:
        raise UnknownMetric(f"Unknown response time {kind!r}: use one of {', '.join(RESPONSE_KINDS)}.")
    keys = group_columns(items, by)
    seconds = (items[RESPONSE_KINDS[kind]] - items["created_at"]).dt.total_seconds()
    frame = items[keys].assign(seconds=seconds)
    frame = frame[frame["seconds"].notna()]
    if not keys:
        values = frame["seconds"]
        return pd.DataFrame(
            {"median_seconds": [values.median()], "p90_seconds": [values.quantile(0.9)], "count": [len(values)]}
        )
    grouped = frame.groupby(keys, dropna=False, sort=True)["seconds"]
    summary = pd.DataFrame(
        {"median_seconds": grouped.median(), "p90_seconds": grouped.quantile(0.9), "count": grouped.size()}
    )
    return summary.reset_index()


def response_times(items: pd.DataFrame, by: Grouping = None) -> pd.DataFrame:
    """First-response and resolution medians and p90s in long form: [by], metric, median, p90, count."""
    keys = group_columns(items, by)
    parts = [
        response_time_summary(items, kind, keys or None).assign(metric=kind)
        for kind in RESPONSE_KINDS
    ]
    combined = pd.concat(parts, ignore_index=True)
    return combined[[*keys, "metric", "median_seconds", "p90_seconds", "count"]]


def backlog(items: pd.DataFrame, now) -> pd.DataFrame:
    """Open items per queue and age bucket (<4h, 4–24h, 1–3d, 3–7d, >7d), zero-filled."""
    now = as_timestamp(now)
    open_items = items[items["resolved_at"].isna()]
    age_hours = ((now - open_items["created_at"]).dt.total_seconds() / 3600).clip(lower=0)
    buckets = pd.Categorical(
        pd.cut(age_hours, bins=BACKLOG_BUCKET_HOURS, right=False, labels=BACKLOG_BUCKETS),
        categories=BACKLOG_BUCKETS,
        ordered=True,
    )
    counts = (
        pd.DataFrame({"queue": open_items["queue"].to_numpy(), "bucket": buckets})
        .groupby(["queue", "bucket"], observed=True)
        .size()
    )
    grid = pd.MultiIndex.from_product(
        [sorted(items["queue"].dropna().unique()), pd.CategoricalIndex(BACKLOG_BUCKETS, categories=BACKLOG_BUCKETS, ordered=True)],
        names=["queue", "bucket"],
    )
    table = counts.reindex(grid, fill_value=0).rename("count").reset_index()
    table["count"] = table["count"].astype("int64")
    return table


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
    stuck = staging.assign(hours_stuck=hours)[idle | retried]
    idle, retried = idle[idle | retried], retried[idle | retried]
    reason = np.where(idle & retried, "idle and retried", np.where(idle, "idle", "retried"))
    stuck = stuck.assign(stuck_reason=reason)
    return stuck.sort_values("hours_stuck", ascending=False, kind="stable")


def escalation_reasons(items: pd.DataFrame) -> pd.DataFrame:
    """Escalation-queue items per reason: count, still open, share; most frequent first."""
    escalated = items[items["queue"] == "escalation"]
    frame = pd.DataFrame(
        {
            "escalation_reason": escalated["escalation_reason"].fillna("unspecified"),
            "open": escalated["resolved_at"].isna().astype("int64"),
        }
    )
    table = frame.groupby("escalation_reason").agg(count=("open", "size"), open=("open", "sum")).reset_index()
    table["share"] = ratio(table["count"], table["count"].sum()) if len(table) else pd.Series(dtype="float64")
    return table.sort_values(["count", "escalation_reason"], ascending=[False, True], ignore_index=True)


def _naive_utc(timestamps: pd.Series) -> np.ndarray:
    return timestamps.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy(dtype="datetime64[us]")
