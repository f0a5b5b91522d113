"""The SLA clock: for each item, both targets' minutes used, due moment, state and warn level at a moment "now".

An item has up to two targets from the policy of its queue and priority: first response and
resolution. A business-hours policy's clock runs on its calendar (`core.queues.calendar`). Time
spent in one of the policy's `pause_statuses` (e.g. waiting_on_tasker) does not count; those spells
come from the append-only queue_event history (`pause_spells_query`), never from a counter kept on
the item. An item's own due_at wins over its policy: it is a fixed moment agreed with someone, so
that clock is plain calendar time. A resolution also counts as the first response when none was
recorded.

Everything is vectorised; when no policy uses business hours or pauses no calendar is built and no
event is read (the calendar fast path). The live view (`core.queues.read`) and the roll-up
(`core.queues.rollup`) both compute clocks here.
"""

import numpy as np
import pandas as pd
from sqlalchemy import String, func, select, type_coerce

from core.errors import UnknownMetric
from core.frames import as_timestamp
from core.models import Member, QueueEvent, QueueItem
from core.queues.calendar import MINUTE_US, BusinessClock, policy_rules, rule_of

ITEM_TIMESTAMPS = ("created_at", "first_response_at", "resolved_at", "due_at", "updated_at")
AT_RISK_SHARE = 0.75
WARN_LEVELS = (90, 75, 50)
SLA_STATES = ("breached", "at_risk", "paused", "open", "met", "no_target")
# Column prefix of each SLA target in `sla_status` output.
TARGETS = {"resolution": "", "first_response": "response_"}
TARGET_LABELS = {"resolution": "resolution", "first_response": "first response"}
# The timestamp that stops each response-time clock.
RESPONSE_KINDS = {"first_response": "first_response_at", "resolution": "resolved_at"}
# Clocks are float minutes: an item resolved exactly at its due moment has met its target.
EPSILON_MINUTES = 1e-6


def target_prefix(target: str) -> str:
    """The column prefix of one SLA target's clock (a clear error for an unknown target)."""
    if target not in TARGETS:
        raise UnknownMetric(f"Unknown SLA target {target!r}: use one of {', '.join(TARGETS)}.")
    return TARGETS[target]


def target_name(prefix: str) -> str:
    """The target whose `sla_status` columns carry this prefix."""
    return next(name for name, known in TARGETS.items() if known == prefix)


# --- pauses --------------------------------------------------------------------------------------


def pause_spells_query(statuses: list[str], conditions=(), *, with_member: bool = False, among=None):
    """The select of pause spells (item_id, status, paused_from, paused_until; NULL = still paused) of the items
    matching `conditions` (on queue_item, and on member when `with_member`), and among `among` (a select of item
    ids) when given.

    A spell ends at the item's next status event; only items that ever entered a pause status are
    read, through the (status, item_id) index, and scoped afterwards by joining their rows.
    """
    event, item, member = QueueEvent.__table__, QueueItem.__table__, Member.__table__
    paused_items = select(event.c.item_id).where(event.c.status.in_(statuses)).distinct()
    if among is not None:  # e.g. the few items whose clocks still run: their history only, not every item's
        paused_items = paused_items.where(event.c.item_id.in_(among))
    following = func.lead(event.c.at).over(partition_by=event.c.item_id, order_by=(event.c.at, event.c.id))
    history = select(
        event.c.item_id,
        event.c.status,
        type_coerce(event.c.at, String).label("paused_from"),
        type_coerce(following, String).label("paused_until"),
    ).where(event.c.item_id.in_(paused_items)).subquery()
    joined = history.join(item, item.c.item_id == history.c.item_id)
    if with_member:
        joined = joined.outerjoin(member, item.c.member_id == member.c.member_id)
    return (
        select(history.c.item_id, history.c.status, history.c.paused_from, history.c.paused_until)
        .select_from(joined)
        .where(history.c.status.in_(statuses), *conditions)
        .order_by(history.c.item_id, history.c.paused_from)
    )


def empty_pauses() -> pd.DataFrame:
    """No pause spells, typed like `pause_spells_query` rows read with UTC timestamps."""
    stamps = pd.Series(dtype="datetime64[us, UTC]")
    return pd.DataFrame({"item_id": pd.Series(dtype="str"), "status": pd.Series(dtype="str"),
                         "paused_from": stamps, "paused_until": stamps.copy()})


# --- SLA clocks ----------------------------------------------------------------------------------


def sla_status(items: pd.DataFrame, policies: pd.DataFrame, now, pauses: pd.DataFrame | None = None) -> pd.DataFrame:
    """Items with both SLA clocks: target, due moment, minutes counted, share used, time left, state and warn level.

    Resolution columns: target_minutes, due_effective, clock_minutes, used_share,
    time_left_minutes (clock minutes), due_in_minutes (calendar minutes to the due moment), state,
    warn_level, plus `paused` (clock stopped by a pause status now) and `clock` (calendar,
    business hours or own due date). First response: the same with a `response_` prefix
    (response_due for the due moment). `pauses` is `load_pauses` output; without it no clock pauses.
    """
    now_minutes = _minutes_of(as_timestamp(now))
    rules = policy_rules(policies)
    rule = rule_of(items, rules)
    clocks = _business_clocks(rules, rule, items, now_minutes)
    created = _minutes(items["created_at"])
    resolved = _minutes(items["resolved_at"])
    responded = np.fmin(_minutes(items["first_response_at"]), resolved)
    spells = _pause_spells(pauses, items, rules, rule, now_minutes)
    own_due = _minutes(items["due_at"])

    columns: dict[str, object] = {}
    for target, prefix in TARGETS.items():
        minutes_column = "resolution_minutes" if target == "resolution" else "first_response_minutes"
        policy_target = np.append(rules[minutes_column].to_numpy(dtype="float64"), np.nan)[rule]
        stop = resolved if target == "resolution" else responded
        clock = _clock(created, stop, policy_target, rule, clocks, spells, now_minutes)
        if target == "resolution":
            clock = _with_own_due(clock, created, stop, own_due, now_minutes)
        columns.update(_target_columns(clock, prefix, now_minutes))
    has_own_due = ~np.isnan(own_due)
    business = np.append(rules["business_hours"].to_numpy(dtype=bool), False)[rule]
    columns["clock"] = np.where(has_own_due, "own due date", np.where(business, "business hours", "calendar"))
    return items.assign(**{name: pd.Series(values, index=items.index) for name, values in columns.items()})


def _business_clocks(rules, rule, items, now_minutes) -> dict[int, BusinessClock]:
    clocks = {}
    for number in np.flatnonzero(rules["business_hours"].to_numpy(dtype=bool)):
        mine = rule == number
        if not mine.any():
            continue
        policy = rules.iloc[number]
        created = _minutes(items["created_at"])[mine]
        last = np.nanmax([now_minutes, *(np.nanmax(_minutes(items[c])[mine], initial=-np.inf)
                                         for c in ("created_at", "first_response_at", "resolved_at"))])
        longest = np.nanmax([policy["resolution_minutes"], policy["first_response_minutes"], 0.0])
        clock = BusinessClock(policy["schedule"], policy["timezone"], policy["holidays"],
                              first=np.nanmin(created), last=last, name=f"{policy['queue']}/{policy['priority']}")
        clocks[int(number)] = clock.covering(last, longest)
    return clocks


def _on_axis(moments: np.ndarray, rule: np.ndarray, clocks: dict[int, BusinessClock]) -> np.ndarray:
    """Moments as positions on each item's clock: calendar minutes, or open minutes for business hours."""
    return _per_clock(moments, rule, clocks, BusinessClock.minutes)


def _off_axis(positions: np.ndarray, rule: np.ndarray, clocks: dict[int, BusinessClock]) -> np.ndarray:
    """Positions on each item's clock back as calendar minutes (the inverse of _on_axis)."""
    return _per_clock(positions, rule, clocks, BusinessClock.moment)


def _per_clock(values: np.ndarray, rule: np.ndarray, clocks: dict[int, BusinessClock], convert) -> np.ndarray:
    """values with each business-hours item's entries mapped through convert(clock, ...); calendar items unchanged."""
    mapped = values.astype("float64", copy=True)
    for number, clock in clocks.items():
        mine = rule == number
        mapped[mine] = convert(clock, values[mine])
    return mapped


def _pause_spells(pauses, items, rules, rule, now_minutes) -> pd.DataFrame | None:
    """Pause spells that apply to each item's own policy, as item positions and moments (open spells end now)."""
    if pauses is None or pauses.empty:
        return None
    allowed = rules[["pause_statuses"]].assign(number=np.arange(len(rules))).explode("pause_statuses").dropna()
    allowed = set(zip(allowed["number"].astype("int64"), allowed["pause_statuses"].astype("str")))
    if not allowed:
        return None
    position = pd.Series(np.arange(len(items)), index=items["item_id"].to_numpy())
    position = position[~position.index.duplicated()]
    where = position.reindex(pauses["item_id"].to_numpy()).to_numpy()
    spells = pd.DataFrame({"position": where, "status": pauses["status"].astype("str").to_numpy(),
                           "start": _minutes(pauses["paused_from"]), "end": _minutes(pauses["paused_until"])})
    spells = spells[~np.isnan(spells["position"])]
    spells["position"] = spells["position"].astype("int64")
    spells["rule"] = rule[spells["position"].to_numpy()]
    keep = np.array([(r, s) in allowed for r, s in zip(spells["rule"], spells["status"])], dtype=bool)
    spells = spells[keep]  # a boolean array: an empty list would select no columns instead of no rows
    spells["still"] = np.isnan(spells["end"].to_numpy())
    spells["end"] = np.fmin(spells["end"].fillna(now_minutes), now_minutes)
    return spells.sort_values(["position", "start"], kind="stable", ignore_index=True)


def _clock(created, stop, target, rule, clocks, spells, now_minutes) -> dict[str, np.ndarray]:
    """One target's clock: minutes used, due moment and whether a pause stops it now."""
    end = np.where(np.isnan(stop), now_minutes, stop)
    start_pos, end_pos = _on_axis(created, rule, clocks), _on_axis(end, rule, clocks)
    paused_total = np.zeros(len(created))
    paused_before_due = np.zeros(len(created))
    paused_now = np.zeros(len(created), dtype=bool)
    if spells is not None and len(spells):
        item = spells["position"].to_numpy()
        spell_rule = spells["rule"].to_numpy()
        # Only the part of a spell inside the running clock counts: after creation, before the stop.
        begin = np.fmax(spells["start"].to_numpy(), created[item])
        finish = np.fmin(spells["end"].to_numpy(), end[item])
        begin_pos = _on_axis(begin, spell_rule, clocks)
        length = np.where(finish > begin, _on_axis(finish, spell_rule, clocks) - begin_pos, 0.0)
        length = np.clip(np.nan_to_num(length), 0, None)
        # Minutes the clock had run when each spell began: spells in order, earlier ones subtracted.
        earlier = pd.Series(length).groupby(item).cumsum().to_numpy() - length
        ran_before = begin_pos - start_pos[item] - earlier
        before_due = ran_before < target[item]
        paused_total = np.bincount(item, weights=length, minlength=len(created))
        paused_before_due = np.bincount(item, weights=np.where(before_due, length, 0.0), minlength=len(created))
        running = np.isnan(stop)
        paused_now[item[spells["still"].to_numpy() & running[item]]] = True
    used = end_pos - start_pos - paused_total
    due = _off_axis(start_pos + target + paused_before_due, rule, clocks)
    return {"target": target, "used": used, "due": due, "stopped": ~np.isnan(stop), "paused": paused_now}


def _with_own_due(clock: dict, created, stop, own_due, now_minutes) -> dict:
    has = ~np.isnan(own_due)
    end = np.where(np.isnan(stop), now_minutes, stop)
    return {
        "target": np.where(has, own_due - created, clock["target"]),
        "used": np.where(has, end - created, clock["used"]),
        "due": np.where(has, own_due, clock["due"]),
        "stopped": clock["stopped"],
        "paused": clock["paused"] & ~has,
    }


def _target_columns(clock: dict, prefix: str, now_minutes: float) -> dict[str, object]:
    target, used, stopped = clock["target"], clock["used"], clock["stopped"]
    has_target = ~np.isnan(target)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = used / target
    late = used > target + EPSILON_MINUTES
    paused = clock["paused"] & ~late
    state = np.select(
        [~has_target, stopped & ~late, late, paused, share >= AT_RISK_SHARE],
        ["no_target", "met", "breached", "paused", "at_risk"],
        default="open",
    )
    warned = ~stopped & has_target & ~paused
    warn = np.select([warned & (share >= level / 100) for level in WARN_LEVELS], WARN_LEVELS, default=0)
    due = "due_effective" if prefix == "" else f"{prefix}due"
    columns = {
        f"{prefix}target_minutes": target,
        due: _moments(clock["due"]),
        f"{prefix}clock_minutes": used,
        f"{prefix}used_share": share,
        f"{prefix}time_left_minutes": target - used,
        f"{prefix}due_in_minutes": clock["due"] - now_minutes,
        f"{prefix}state": state,
        f"{prefix}warn_level": warn.astype("int64"),
    }
    if prefix == "":
        columns["paused"] = paused & ~stopped
    return columns


def _minutes(timestamps: pd.Series) -> np.ndarray:
    values = timestamps.dt.tz_convert("UTC").dt.as_unit("us")
    return np.where(values.isna(), np.nan, values.to_numpy(dtype="datetime64[us]").astype("int64") / MINUTE_US)


def _minutes_of(moment: pd.Timestamp) -> float:
    return moment.value / (MINUTE_US * 1000)  # Timestamp.value is nanoseconds whatever the unit


def _moments(minutes: np.ndarray) -> pd.DatetimeIndex:
    micros = np.where(np.isnan(minutes), np.iinfo("int64").min, np.round(np.nan_to_num(minutes) * MINUTE_US))
    return pd.DatetimeIndex(micros.astype("int64").view("datetime64[us]")).tz_localize("UTC")
