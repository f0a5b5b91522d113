"""Queue metrics: SLA clocks and compliance, breach risk, response times, backlog, stuck and escalated items.

SLA clocks. An item has up to two targets from the policy of its queue and priority: first
response and resolution. A calendar policy's clock always runs; a business-hours policy's clock
runs only inside its weekly `schedule` ({"mon": [9, 17], ...}: local hours in the policy's
`timezone`) and never on its `holidays` (local days). Time spent in one of the policy's
`pause_statuses` (e.g. waiting_on_tasker) does not count; those spells come from the append-only
queue_event history (`load_pauses`), never from a counter kept on the item. An item's own due_at
wins over its policy: it is a fixed moment agreed with someone, so that clock is plain calendar
time. A resolution also counts as the first response when none was recorded.

Everything is vectorised. A business-hours policy becomes a running count of open minutes over
time (`BusinessClock`) and items are placed on it with `searchsorted`; when no policy uses
business hours or pauses no clock is built and no event is read (the calendar fast path).
"""

import math
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import Engine, Float, Integer, Numeric, String, func, select, type_coerce

from core.errors import CrowdPulseError, UnknownMetric
from core.frames import (
    Grouping,
    as_day,
    as_timestamp,
    driver_rows,
    group_columns,
    loader_columns,
    period_start,
    ratio,
    read_frame,
)
from core.models import Member, QueueEvent, QueueItem, Setting, SlaPolicy

ITEM_TIMESTAMPS = ("created_at", "first_response_at", "resolved_at", "due_at", "updated_at")
AT_RISK_SHARE = 0.75
WARN_LEVELS = (90, 75, 50)
SLA_STATES = ("breached", "at_risk", "paused", "open", "met", "no_target")
RESPONSE_KINDS = {"first_response": "first_response_at", "resolution": "resolved_at"}
# Column prefix of each SLA target in `sla_status` output.
TARGETS = {"resolution": "", "first_response": "response_"}
TARGET_LABELS = {"resolution": "resolution", "first_response": "first response"}
BACKLOG_BUCKETS = ("<4h", "4–24h", "1–3d", "3–7d", ">7d")
BACKLOG_BUCKET_HOURS = (0, 4, 24, 72, 168, np.inf)
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# What a business-hours policy with no schedule filled in runs on.
DEFAULT_SCHEDULE = {day: [9, 17] for day in WEEKDAYS[:5]}
STUCK_DEFAULTS = {"stuck_after_hours": 24.0, "stuck_max_retries": 3}
MINUTE_US = 60_000_000
# Clocks are float minutes: an item resolved exactly at its due moment has met its target.
EPSILON_MINUTES = 1e-6


class SlaPolicyInvalid(CrowdPulseError, ValueError):
    """An SLA policy whose time zone, schedule or holidays cannot be read."""


# --- loading -------------------------------------------------------------------------------------


def load_queue_items(engine: Engine, *, start=None, end=None, projects=None, regions=None, queue=None) -> pd.DataFrame:
    """Queue items created in [start, end) with their member's region and country (empty filters mean all)."""
    item, member = QueueItem.__table__, Member.__table__
    statement = (
        select(*loader_columns(item, without=["attributes"]), member.c.region, member.c.country)
        .select_from(item.outerjoin(member, item.c.member_id == member.c.member_id))
        .order_by(item.c.created_at, item.c.item_id)
    )
    statement = _scoped(statement, item, member, start=start, end=end, projects=projects, regions=regions)
    if queue is not None:
        statement = statement.where(item.c.queue == queue)
    return read_frame(engine, statement, timestamps=ITEM_TIMESTAMPS)


def load_policies(engine: Engine) -> pd.DataFrame:
    """All SLA policies, one row per queue and priority."""
    policy = SlaPolicy.__table__
    statement = select(*loader_columns(policy)).order_by(policy.c.queue, policy.c.priority)
    return read_frame(engine, statement, flags=("business_hours",))


def load_pauses(engine: Engine, policies: pd.DataFrame, *, start=None, end=None, projects=None,
                regions=None) -> pd.DataFrame:
    """Spells items spent in a pause status of any policy: item_id, status, paused_from, paused_until (NaT = still).

    Items are scoped like `load_queue_items`. A spell ends at the item's next status event; only
    items that ever entered a pause status are read, through the (status, item_id) index.
    """
    statuses = pause_statuses(policies)
    if not statuses:
        return _empty_pauses()
    event, item, member = QueueEvent.__table__, QueueItem.__table__, Member.__table__
    paused_items = select(event.c.item_id).where(event.c.status.in_(statuses)).distinct()
    following = func.lead(event.c.at).over(partition_by=event.c.item_id, order_by=(event.c.at, event.c.id))
    history = select(
        event.c.item_id,
        event.c.status,
        type_coerce(event.c.at, String).label("paused_from"),
        type_coerce(following, String).label("paused_until"),
    ).where(event.c.item_id.in_(paused_items)).subquery()
    # The few paused items are scoped afterwards by joining their rows, not by listing every item in scope.
    statement = (
        select(history.c.item_id, history.c.status, history.c.paused_from, history.c.paused_until)
        .select_from(history.join(item, item.c.item_id == history.c.item_id)
                     .outerjoin(member, item.c.member_id == member.c.member_id))
        .where(history.c.status.in_(statuses))
        .order_by(history.c.item_id, history.c.paused_from)
    )
    statement = _scoped(statement, item, member, start=start, end=end, projects=projects, regions=regions)
    return read_frame(engine, statement, timestamps=("paused_from", "paused_until"))


def load_sla_status(engine: Engine, now, *, start=None, end=None, projects=None, regions=None) -> pd.DataFrame:
    """Items created in [start, end) with both SLA clocks at `now`, pauses read from their status history."""
    scope = dict(start=start, end=end, projects=projects, regions=regions)
    items = load_queue_items(engine, **scope)
    policies = load_policies(engine)
    return sla_status(items, policies, now, pauses=load_pauses(engine, policies, **scope))


def load_handle_seconds(engine: Engine, queue: str, *, start=None, end=None) -> pd.Series:
    """Handling seconds recorded on items of one queue created in [start, end) (an imported `handle_seconds` column).

    Pickup-to-resolution time is not used instead: it includes waiting and would overstate the
    work an item takes several-fold.
    """
    item = QueueItem.__table__
    recorded = item.c.attributes["handle_seconds"].as_float()
    statement = select(recorded.label("handle_seconds")).where(item.c.queue == queue, recorded.is_not(None))
    statement = _scoped(statement, item, None, start=start, end=end, projects=None, regions=None)
    seconds = read_frame(engine, statement)["handle_seconds"].astype("float64")
    return seconds[seconds > 0].reset_index(drop=True)


def load_stuck_thresholds(engine: Engine) -> dict:
    """The stuck-item thresholds from settings (hours without progress, retries), with defaults."""
    setting = Setting.__table__
    with engine.connect() as connection:
        stored = dict(connection.execute(select(setting.c.key, setting.c.value)
                                         .where(setting.c.key.in_(list(STUCK_DEFAULTS)))).all())
    return {key: type(default)(stored.get(key) if stored.get(key) is not None else default)
            for key, default in STUCK_DEFAULTS.items()}


def _scoped(statement, item, member, *, start, end, projects, regions):
    if start is not None:
        statement = statement.where(item.c.created_at >= as_timestamp(start).to_pydatetime())
    if end is not None:
        statement = statement.where(item.c.created_at < as_timestamp(end).to_pydatetime())
    if projects:
        statement = statement.where(item.c.project_id.in_(list(projects)))
    if regions:
        statement = statement.where(member.c.region.in_(list(regions)))
    return statement


def _empty_pauses() -> pd.DataFrame:
    stamps = pd.Series(dtype="datetime64[us, UTC]")
    return pd.DataFrame({"item_id": pd.Series(dtype="str"), "status": pd.Series(dtype="str"),
                         "paused_from": stamps, "paused_until": stamps.copy()})


def pause_statuses(policies: pd.DataFrame) -> list[str]:
    """Every status that pauses some policy's clock, sorted."""
    if "pause_statuses" not in policies:
        return []
    return sorted({status for listed in policies["pause_statuses"] if isinstance(listed, list) for status in listed})


# --- business hours ------------------------------------------------------------------------------


class BusinessClock:
    """A weekly schedule in a time zone as a running count of open minutes over time.

    Moments are float minutes since the Unix epoch (UTC). `minutes(t)` is the open time from
    the clock's first day up to t; `moment(m)` is the first moment that count reaches m.
    """

    def __init__(self, schedule: Mapping | None, timezone: str, holidays=(), *, first, last, name: str = "policy"):
        self.name = name
        self.spans = _weekly_spans(schedule, name) or _weekly_spans(DEFAULT_SCHEDULE, name)
        try:
            self.zone = zoneinfo.ZoneInfo(timezone or "UTC")
        except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
            raise SlaPolicyInvalid(f"The SLA policy {name} has an unknown time zone {timezone!r}: "
                                   "use an IANA name such as Europe/Berlin.") from exc
        self.holidays = _holiday_days(holidays, name)
        self.weekly_minutes = sum((close - open_) * 60 for spans in self.spans.values() for open_, close in spans)
        self.first_day = self._local_day(first) - pd.Timedelta(days=1)
        self._build(self._local_day(last) + pd.Timedelta(days=8))

    def covering(self, moment: float, minutes_after: float) -> "BusinessClock":
        """This clock, extended until `minutes_after` open minutes past `moment` are inside it."""
        needed = self.minutes(np.array([moment]))[0] + minutes_after
        weeks = 1
        while self.cumulative_end[-1] < needed and weeks < 2 ** 12:
            weeks *= 2
            extra = needed - self.cumulative_end[-1]
            self._build(self.last_day + pd.Timedelta(weeks=weeks + math.ceil(extra / self.weekly_minutes)))
        return self

    def minutes(self, moments: np.ndarray) -> np.ndarray:
        """Open minutes from the clock's start to each moment (NaN stays NaN)."""
        index = np.searchsorted(self.starts, moments, side="right") - 1
        safe = np.clip(index, 0, None)
        inside = np.clip(moments - self.starts[safe], 0, self.lengths[safe])
        counted = np.where(index < 0, 0.0, self.cumulative[safe] + inside)
        return np.where(np.isnan(moments), np.nan, counted)

    def moment(self, minutes: np.ndarray) -> np.ndarray:
        """The first moment the open-minute count reaches each value (NaN beyond the clock's end)."""
        index = np.searchsorted(self.cumulative_end, minutes, side="left")
        safe = np.clip(index, 0, len(self.starts) - 1)
        found = self.starts[safe] + np.clip(minutes - self.cumulative[safe], 0, None)
        return np.where(np.isnan(minutes) | (index >= len(self.starts)), np.nan, found)

    def _local_day(self, moment: float) -> pd.Timestamp:
        return pd.Timestamp(moment * MINUTE_US, unit="us", tz="UTC").tz_convert(self.zone).tz_localize(None).normalize()

    def _build(self, last_day: pd.Timestamp) -> None:
        self.last_day = last_day
        days = pd.date_range(self.first_day, last_day, freq="D")
        days = days[~days.isin(self.holidays)]
        opens, closes = [], []
        for weekday, spans in self.spans.items():
            on_day = days[days.day_of_week == weekday]
            for open_hour, close_hour in spans:
                opens.append(on_day + pd.to_timedelta(open_hour, unit="h"))
                closes.append(on_day + pd.to_timedelta(close_hour, unit="h"))
        starts = np.sort(np.concatenate([self._utc_minutes(chunk) for chunk in opens]))
        ends = np.sort(np.concatenate([self._utc_minutes(chunk) for chunk in closes]))
        # Overlapping spans (or DST folds) must not count the same minute twice.
        previous_end = np.concatenate([[-np.inf], np.maximum.accumulate(ends)[:-1]])
        self.starts = np.maximum(starts, previous_end)
        self.lengths = np.clip(ends - self.starts, 0, None)
        self.cumulative = np.concatenate([[0.0], np.cumsum(self.lengths)[:-1]])
        self.cumulative_end = self.cumulative + self.lengths

    def _utc_minutes(self, local: pd.DatetimeIndex) -> np.ndarray:
        aware = local.tz_localize(self.zone, ambiguous=np.ones(len(local), dtype=bool), nonexistent="shift_forward")
        return aware.tz_convert("UTC").as_unit("us").asi8.astype("float64") / MINUTE_US


def _weekly_spans(schedule: Mapping | None, name: str) -> dict[int, list[tuple[float, float]]]:
    spans: dict[int, list[tuple[float, float]]] = {}
    for key, value in (schedule or {}).items():
        weekday = str(key).strip().lower()[:3]
        if weekday not in WEEKDAYS:
            raise SlaPolicyInvalid(f"The SLA policy {name} has a schedule day {key!r}: use mon, tue, … sun.")
        pairs = value if value and isinstance(value[0], (list, tuple)) else [value] if value else []
        for pair in pairs:
            try:
                open_hour, close_hour = (_hour(part) for part in pair)
            except (TypeError, ValueError) as exc:
                raise SlaPolicyInvalid(f"The SLA policy {name} has opening hours {pair!r} on {weekday}: "
                                       "write them as [9, 17] or ['09:00', '17:30'].") from exc
            if 0 <= open_hour < close_hour <= 24:
                spans.setdefault(WEEKDAYS.index(weekday), []).append((open_hour, close_hour))
    return spans


def _hour(value) -> float:
    if isinstance(value, str) and ":" in value:
        hours, minutes = value.split(":", 1)
        return int(hours) + int(minutes) / 60
    return float(value)


def _holiday_days(holidays, name: str) -> pd.DatetimeIndex:
    try:
        return pd.DatetimeIndex(pd.to_datetime(list(holidays or []), format="ISO8601")).normalize()
    except (TypeError, ValueError) as exc:
        raise SlaPolicyInvalid(f"The SLA policy {name} has a holiday that is not a day (YYYY-MM-DD).") from exc


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
    rules = _policy_rules(policies)
    rule = _rule_of(items, rules)
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


def _policy_rules(policies: pd.DataFrame) -> pd.DataFrame:
    defaults = {"first_response_minutes": np.nan, "resolution_minutes": np.nan, "business_hours": False,
                "timezone": "UTC", "schedule": None, "holidays": None, "pause_statuses": None}
    rules = policies.drop_duplicates(["queue", "priority"]).reset_index(drop=True)
    for name, default in defaults.items():
        if name not in rules:
            rules[name] = default
    for name in ("first_response_minutes", "resolution_minutes"):
        rules[name] = pd.to_numeric(rules[name], errors="coerce").astype("float64")
    rules["business_hours"] = rules["business_hours"].fillna(False).astype(bool)
    return rules


def _rule_of(items: pd.DataFrame, rules: pd.DataFrame) -> np.ndarray:
    """Each item's policy row number, or len(rules) (a row of NaN targets) where none matches."""
    keys = pd.MultiIndex.from_arrays([rules["queue"].astype("str"), rules["priority"].astype("str")])
    wanted = pd.MultiIndex.from_arrays([items["queue"].astype("str"), items["priority"].astype("str")])
    rule = keys.get_indexer(wanted) if len(keys) else np.full(len(items), -1)
    return np.where(rule < 0, len(rules), rule)


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
    placed = moments.astype("float64", copy=True)
    for number, clock in clocks.items():
        mine = rule == number
        placed[mine] = clock.minutes(moments[mine])
    return placed


def _off_axis(positions: np.ndarray, rule: np.ndarray, clocks: dict[int, BusinessClock]) -> np.ndarray:
    moments = positions.astype("float64", copy=True)
    for number, clock in clocks.items():
        mine = rule == number
        moments[mine] = clock.moment(positions[mine])
    return moments


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


# --- SLA summaries -------------------------------------------------------------------------------


def _target_prefix(target: str) -> str:
    if target not in TARGETS:
        raise UnknownMetric(f"Unknown SLA target {target!r}: use one of {', '.join(TARGETS)}.")
    return TARGETS[target]


def sla_compliance(status: pd.DataFrame, by: Grouping = None, *, target: str = "resolution") -> pd.DataFrame:
    """Compliance = met / items whose target came due, with met, breached, at-risk and due counts."""
    prefix = _target_prefix(target)
    keys = group_columns(status, by)
    state = status[f"{prefix}state"]
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
    prefix = _target_prefix(target)
    keys = group_columns(status, by)
    state = status[f"{prefix}state"]
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


def target_view(status: pd.DataFrame, target: str) -> pd.DataFrame:
    """The status with one target's clock under the resolution column names, and a `target` label column."""
    prefix = _target_prefix(target)
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
        view = target_view(status, target)
        parts.append(view[view["state"].isin(["open", "at_risk"]) & (view["warn_level"] >= 50)])
    at_risk = pd.concat(parts, ignore_index=len(parts) > 1) if len(parts) > 1 else parts[0]
    at_risk = at_risk.sort_values(["due_in_minutes", "time_left_minutes"], kind="stable")
    return at_risk if limit is None else at_risk.head(limit)


def breached_open(status: pd.DataFrame, *, targets=("resolution",)) -> pd.DataFrame:
    """Open clocks already past due, most overdue first, with `overdue_minutes` (calendar time since due)."""
    parts = []
    for target in targets:
        view = target_view(status, target)
        still_running = view["resolved_at"].isna() if target == "resolution" else \
            view["first_response_at"].isna() & view["resolved_at"].isna()
        parts.append(view[still_running & (view["state"] == "breached")])
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


def queue_breakdown(status: pd.DataFrame, by: Grouping, *, start, end) -> pd.DataFrame:
    """Per group: open, breached and at-risk items now; SLA met (resolution, first response) for targets due
    in [start, end); median and p90 first-response and resolution hours for items created in [start, end)."""
    keys = group_columns(status, by)
    start, end = as_timestamp(start), as_timestamp(end)
    is_open = status["resolved_at"].isna()
    now_counts = pd.DataFrame({
        "open": is_open.astype("int64"),
        "breached_open": (is_open & (status["state"] == "breached")).astype("int64"),
        "at_risk": (status["state"] == "at_risk").astype("int64"),
    }, index=status.index).join(status[keys]).groupby(keys, dropna=False, sort=True).sum()
    due = status["due_effective"].between(start, end, inclusive="left")
    response_due = status["response_due"].between(start, end, inclusive="left")
    met = sla_compliance(status[due], keys)
    response_met = sla_compliance(status[response_due], keys, target="first_response")
    created = status[status["created_at"].between(start, end, inclusive="left")]
    return _breakdown_table(now_counts, met, response_met, created, keys)


def _breakdown_table(now_counts: pd.DataFrame, met: pd.DataFrame, response_met: pd.DataFrame, created: pd.DataFrame,
                     keys: list[str]) -> pd.DataFrame:
    """`queue_breakdown` from its parts: counts now (indexed by keys), compliance per target, items created."""
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


def queue_overview(status: pd.DataFrame, now, *, start, end, stuck_after_hours: float = 24,
                   max_retries: int = 3) -> QueueOverview:
    """The Queues page in one call: headline counts, what breaches next, backlog, stuck and escalated items.

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
        median_first_response_hours=float(response_time_summary(created, "first_response")["median_seconds"].iloc[0])
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


# --- response times, backlog ---------------------------------------------------------------------


def response_time_summary(items: pd.DataFrame, kind: str, by: Grouping = None) -> pd.DataFrame:
    """Median and p90 seconds of first response or resolution, over items that have the timestamp."""
    if kind not in RESPONSE_KINDS:
        raise UnknownMetric(f"Unknown response time {kind!r}: use one of {', '.join(RESPONSE_KINDS)}.")
    keys = group_columns(items, by)
    # Roll-up reads carry the durations already (`QueueFacts.durations`), computed the same way.
    seconds = items[f"{kind}_seconds"] if f"{kind}_seconds" in items else \
        (items[RESPONSE_KINDS[kind]] - items["created_at"]).dt.total_seconds()
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


# --- staging and escalation ----------------------------------------------------------------------


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
    return _escalation_shares(table, keys)


def _escalation_shares(table: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Per-reason counts with each reason's share, most frequent first."""
    table["share"] = ratio(table["count"], table["count"].sum()) if len(table) else pd.Series(dtype="float64")
    return table.sort_values(["count", "escalation_reason", *keys], ascending=[False, True, *[True] * len(keys)],
                             ignore_index=True)


def open_escalations(status: pd.DataFrame) -> pd.DataFrame:
    """Open escalation items with reason, owning team and SLA clock, soonest due first."""
    escalated = status[(status["queue"] == "escalation") & status["resolved_at"].isna()]
    escalated = escalated.assign(hours_left=escalated["due_in_minutes"] / 60)
    return escalated.sort_values(["due_in_minutes", "created_at"], kind="stable", na_position="last")


def _naive_utc(timestamps: pd.Series) -> np.ndarray:
    return timestamps.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy(dtype="datetime64[us]")


# --- from the clock roll-up ----------------------------------------------------------------------
# Resolved items' clocks are stored once per item (`core.queues.rollup`) and aggregated in SQL;
# only the items whose clocks still run at `now` are computed here, from their status history.
# Every function below gives what its counterpart above gives on `load_sla_status` output.

DAY_US = 86_400_000_000
DECIDED = ("met", "breached")
# The groupings `QueueFacts.decided` understands besides the clock table's own columns.
DUE_GROUPS = ("day", "week", "weekend")
# The item columns the clock roll-up can group by.
CLOCK_GROUPS = ("queue", "priority", "project_id")


def _clock_table():
    from core.queues import rollup
    return rollup.clock


def _micros_of(moment) -> int:
    return as_timestamp(moment).value // 1000  # Timestamp.value is nanoseconds whatever the unit


def _micros_series(timestamps: pd.Series) -> np.ndarray:
    """Aware timestamps as float microseconds since the epoch (NaN for NaT), exact below 2**53."""
    values = timestamps.dt.tz_convert("UTC").dt.as_unit("us")
    return np.where(values.isna(), np.nan, values.to_numpy(dtype="datetime64[us]").astype("int64").astype("float64"))


def _in_window(micros, low, high, closed: str):
    """The window [low, high) when closed='left', (low, high] when 'right' (None = unbounded): a boolean mask
    for an array of microseconds, or the list of SQL conditions for a column."""
    inside = np.ones(len(micros), dtype=bool) if isinstance(micros, np.ndarray) else None
    conditions = []
    if low is not None:
        conditions.append(micros >= low if closed == "left" else micros > low)
    if high is not None:
        conditions.append(micros < high if closed == "left" else micros <= high)
    if inside is None:
        return conditions
    for condition in conditions:
        inside &= condition
    return inside


def _days(numbers) -> pd.Series:
    """UTC day numbers (days since 1970-01-01) as tz-naive midnight timestamps."""
    values = np.asarray(numbers, dtype="int64") * DAY_US
    return pd.Series(values.astype("datetime64[us]"))


def load_live_status(engine: Engine, now, *, start=None, end=None, projects=None, regions=None) -> pd.DataFrame:
    """`load_sla_status` for only the items whose clocks still run at `now`: open ones, and resolved ones
    whose clock was paused and that `now` precedes. Found through the clock roll-up's index."""
    from sqlalchemy import and_, or_

    clock = _clock_table()
    item, member = QueueItem.__table__, Member.__table__
    now_us = _micros_of(now)
    live = or_(clock.c.resolved_us.is_(None), and_(clock.c.pausable, clock.c.resolved_us > now_us))
    ids = select(clock.c.item_id).where(live, *_clock_scope(clock, start=start, end=end, projects=projects))
    statement = (
        select(*loader_columns(item, without=["attributes"]), member.c.region, member.c.country)
        .select_from(item.outerjoin(member, item.c.member_id == member.c.member_id))
        .where(item.c.item_id.in_(ids))
        .order_by(item.c.created_at, item.c.item_id)
    )
    if regions:
        statement = statement.where(member.c.region.in_(list(regions)))
    items = read_frame(engine, statement, timestamps=ITEM_TIMESTAMPS)
    policies = load_policies(engine)
    pauses = load_pauses(engine, policies, start=start, end=end, projects=projects, regions=regions)
    return sla_status(items, policies, now, pauses=pauses)


def _clock_scope(clock, *, start=None, end=None, projects=None, regions=None, queues=None, priorities=None,
                 created_index: bool = True) -> list:
    # `created_us + 0` is the same bound that no index can serve: SQLite, which keeps no statistics here,
    # then takes the narrower index the query offers instead of the creation range.
    created = clock.c.created_us if created_index else clock.c.created_us + 0
    conditions = []
    if start is not None:
        conditions.append(created >= _micros_of(start))
    if end is not None:
        conditions.append(created < _micros_of(end))
    for column, values in (("project_id", projects), ("queue", queues), ("priority", priorities)):
        if values:
            conditions.append(clock.c[column].in_(list(values)))
    if regions:
        member = Member.__table__
        conditions.append(clock.c.member_id.in_(select(member.c.member_id).where(member.c.region.in_(list(regions)))))
    return conditions


class QueueFacts:
    """The SLA facts of the queue items in a scope at `now`, read from the clock roll-up.

    The scope is like `load_sla_status`'s (created in [start, end), projects, regions) and may be
    narrowed to some queues and priorities. Resolved items count from SQL aggregates; `live` is
    `load_live_status` output (the open items, with both clocks) and is added in where it counts.
    Reads are memoised, so one object answers repeated questions (a weekly trend) cheaply.
    """

    def __init__(self, engine: Engine, now, *, start=None, end=None, projects=None, regions=None, queues=None,
                 priorities=None, live: pd.DataFrame | None = None):
        from core.queues import rollup

        rollup.ensure_current(engine)
        self.engine, self.now = engine, as_timestamp(now)
        self.now_us = _micros_of(self.now)
        self.scope = dict(start=None if start is None else as_timestamp(start),
                          end=None if end is None else as_timestamp(end),
                          projects=tuple(projects or ()), regions=tuple(regions or ()))
        self.queues, self.priorities = tuple(queues or ()), tuple(priorities or ())
        self._live = live
        self._memo: dict = {}

    @property
    def live(self) -> pd.DataFrame:
        """`load_live_status` of the scope: the items whose clocks still run at `now` (read on first use)."""
        if "live" not in self._memo:
            live = self._live if self._live is not None else load_live_status(self.engine, self.now, **self.scope)
            if self.queues:
                live = live[live["queue"].isin(list(self.queues))]
            if self.priorities:
                live = live[live["priority"].isin(list(self.priorities))]
            self._memo["live"] = live
        return self._memo["live"]

    def narrowed(self, queues=(), priorities=()) -> "QueueFacts":
        """The same facts for only some queues and priorities (the live items are not read again)."""
        if not queues and not priorities:
            return self
        return QueueFacts(self.engine, self.now, **self.scope, queues=queues, priorities=priorities, live=self.live)

    # -- SQL ------------------------------------------------------------------------------------------

    def _where(self, clock, *, created_index: bool = True) -> list:
        return _clock_scope(clock, **self.scope, queues=self.queues, priorities=self.priorities,
                            created_index=created_index)

    def _settled(self, clock):
        """Resolved items whose clocks `now` cannot change (the rest are in `live`)."""
        from sqlalchemy import and_, or_
        return and_(clock.c.resolved_us.is_not(None), or_(~clock.c.pausable, clock.c.resolved_us <= self.now_us))

    def _read(self, key, statement) -> pd.DataFrame:
        if key not in self._memo:
            self._memo[key] = _fetch(self.engine, statement)
        return self._memo[key]

    # -- what the pages ask -----------------------------------------------------------------------------

    def _day_scope(self) -> tuple | None:
        """The scope as creation days [first, stop) when the per-day tables can answer for it (whole days, no
        region filter: regions belong to members, which those tables do not split by); else None."""
        if self.scope["regions"]:
            return None
        bounds = []
        for moment in (self.scope["start"], self.scope["end"]):
            micros = None if moment is None else _micros_of(moment)
            if micros is not None and micros % DAY_US:
                return None
            bounds.append(None if micros is None else micros // DAY_US)
        return tuple(bounds)

    def _day_where(self, table, days: tuple) -> list:
        conditions = [] if days[0] is None else [table.c.created_day >= days[0]]
        conditions += [] if days[1] is None else [table.c.created_day < days[1]]
        for column, values in (("project_id", self.scope["projects"]), ("queue", self.queues),
                               ("priority", self.priorities)):
            if values:
                conditions.append(table.c[column].in_(list(values)))
        return conditions

    def _flow(self) -> pd.DataFrame:
        """Items in scope per queue, priority, project_id, creation day and resolution day (NaN while open)."""
        from sqlalchemy import func

        from core.queues import rollup
        days = self._day_scope()
        if days is not None:
            table = rollup.flow
            columns = [*[table.c[key] for key in CLOCK_GROUPS], table.c.created_day, table.c.resolved_day, table.c["items"]]
            return self._read("flow", select(*columns).where(*self._day_where(table, days)))
        clock = _clock_table()
        groups = [*[clock.c[key] for key in CLOCK_GROUPS], clock.c.created_day, clock.c.resolved_day]
        return self._read("flow", select(*groups, func.count().label("items"))
                          .where(*self._where(clock)).group_by(*groups))

    def values(self, column: str) -> list:
        """The distinct values of queue, priority or project_id among the items in scope, sorted."""
        return sorted(self._flow()[column].dropna().unique())

    def counts(self) -> pd.DataFrame:
        """Items in scope per queue and priority."""
        flow = self._flow()
        return flow.groupby(["queue", "priority"], sort=True)["items"].sum().astype("int64").reset_index()

    def decided(self, target: str = "resolution", *, due_from=None, due_to=None, closed: str = "left",
                by: Grouping = None) -> pd.DataFrame:
        """Met and breached clocks of one target due in the window, per `by` (queue, priority, project_id,
        or the due moment's UTC `day`, ISO `week` or `weekend`): [by…], met, breached."""
        prefix = _target_prefix(target)
        keys = [by] if isinstance(by, str) else list(by or [])
        unknown = [key for key in keys if key not in (*CLOCK_GROUPS, *DUE_GROUPS)]
        if unknown:
            raise UnknownMetric(f"Cannot group SLA clocks by {', '.join(unknown)}: use queue, priority, project_id, "
                                "day, week or weekend.")
        low = None if due_from is None else _micros_of(due_from)
        high = None if due_to is None else _micros_of(due_to)
        # One read per window at the finest grain (queue, priority, project, due day); coarser ones are sums.
        fine = self._decided_by_day(prefix, low, high, closed)
        fine = fine.assign(week=_day_group("week", fine["day"].to_numpy()),
                           weekend=_day_group("weekend", fine["day"].to_numpy()))
        if keys:
            both = fine.groupby(keys, dropna=False, sort=True)[["met", "breached"]].sum().reset_index()
        else:
            both = fine[["met", "breached"]].sum().to_frame().T
        both[["met", "breached"]] = both[["met", "breached"]].astype("int64")
        for key in keys:
            if key in ("day", "week"):
                both[key] = _days(both[key].to_numpy())
            elif key == "weekend":
                both[key] = both[key].astype(bool)
        return both

    def _decided_by_day(self, prefix: str, low, high, closed: str) -> pd.DataFrame:
        """Met and breached clocks due in the window per queue, priority, project_id and due day (settled + live)."""
        from sqlalchemy import case, func

        from core.queues import rollup

        clock = _clock_table()
        due, day, state = clock.c[f"{prefix}due_us"], clock.c[f"{prefix}due_day"], clock.c[f"{prefix}state"]
        groups = [clock.c.queue, clock.c.priority, clock.c.project_id, day.label("day")]

        def item_by_item(start, stop, *extra):
            """Settled clocks due in [start, stop), read per item (None: unbounded)."""
            # Without statistics SQLite would walk the whole creation range; a due window or the few paused
            # clocks are far narrower, so the creation bounds are kept away from the planner's index choice.
            narrow = start is not None or stop is not None or bool(extra)
            statement = (
                select(*groups, func.sum(case((state == "met", 1), else_=0)).label("met"),
                       func.sum(case((state == "breached", 1), else_=0)).label("breached"))
                .where(*self._where(clock, created_index=not narrow), self._settled(clock), state.in_(DECIDED),
                       *extra, *_in_window(due, start, stop, "left"))
                .group_by(*groups)
            )
            return self._read(("decided items", prefix, start, stop, len(extra)), statement)

        # As a half-open window [first, stop) of microseconds.
        first = low if closed == "left" or low is None else low + 1
        stop = high if closed == "left" or high is None else high + 1
        days = self._day_scope()
        whole_first = None if first is None else -(-first // DAY_US) * DAY_US
        whole_stop = None if stop is None else stop // DAY_US * DAY_US
        if days is None or (whole_first is not None and whole_stop is not None and whole_first >= whole_stop):
            settled = item_by_item(first, stop)
        else:
            # Whole due days from the per-day table (paused clocks item by item), the partial days at the ends item by item.
            table = rollup.sla_day
            keys = [table.c.queue, table.c.priority, table.c.project_id, table.c.due_day.label("day")]
            window = [] if whole_first is None else [table.c.due_day >= whole_first // DAY_US]
            window += [] if whole_stop is None else [table.c.due_day < whole_stop // DAY_US]
            counted = (select(*keys, func.sum(table.c.met).label("met"), func.sum(table.c.breached).label("breached"))
                       .where(table.c.target == target_name(prefix), *window, *self._day_where(table, days))
                       .group_by(*keys))
            parts = [self._read(("decided days", prefix, whole_first, whole_stop), counted),
                     item_by_item(whole_first, whole_stop, clock.c.pausable)]
            if first is not None and first < whole_first:
                parts.append(item_by_item(first, whole_first))
            if stop is not None and whole_stop < stop:
                parts.append(item_by_item(whole_stop, stop))
            settled = pd.concat(parts, ignore_index=True)
        live = self.live
        due_micros = _micros_series(live["due_effective" if prefix == "" else f"{prefix}due"])
        live_state = live[f"{prefix}state"].to_numpy()
        chosen = _in_window(due_micros, low, high, closed) & np.isin(live_state, DECIDED)
        running = pd.DataFrame({key: live.loc[chosen, key].to_numpy() for key in CLOCK_GROUPS})
        running["day"] = np.floor(due_micros[chosen] / DAY_US)
        running["met"] = (live_state[chosen] == "met").astype("int64")
        running["breached"] = (live_state[chosen] == "breached").astype("int64")
        settled = settled.fillna({"met": 0, "breached": 0}).astype({"met": "int64", "breached": "int64"})
        both = pd.concat([settled, running], ignore_index=True) if len(running) else settled.copy()
        both["day"] = both["day"].astype("float64").astype("int64") if len(both) else both["day"].astype("int64")
        return both

    def compliance(self, target: str = "resolution", *, due_from=None, due_to=None, closed: str = "left",
                   by: Grouping = None) -> pd.DataFrame:
        """`sla_compliance` of the clocks due in the window: [by…], compliance, met, breached, at_risk, count."""
        prefix = _target_prefix(target)
        keys = [by] if isinstance(by, str) else list(by or [])
        decided = self.decided(target, due_from=due_from, due_to=due_to, closed=closed, by=keys)
        live = self.live
        due_micros = _micros_series(live["due_effective" if prefix == "" else f"{prefix}due"])
        window = live[_in_window(due_micros, None if due_from is None else _micros_of(due_from),
                                 None if due_to is None else _micros_of(due_to), closed)]
        # Groups with a clock due but not decided yet (open, at risk, paused) show, as `sla_compliance` shows them.
        at_risk = sla_compliance(window, keys or None, target=target)[[*keys, "at_risk"]]
        if keys:
            counts = decided.merge(at_risk, on=keys, how="outer").sort_values(keys, ignore_index=True)
        else:
            counts = decided.assign(at_risk=at_risk["at_risk"].to_numpy())
        counts = counts.fillna({"met": 0, "breached": 0, "at_risk": 0})
        counts[["met", "breached", "at_risk"]] = counts[["met", "breached", "at_risk"]].astype("int64")
        counts["count"] = counts["met"] + counts["breached"]
        counts["compliance"] = ratio(counts["met"], counts["count"])
        return counts[[*keys, "compliance", "met", "breached", "at_risk", "count"]]

    def compliance_trend(self, target: str = "resolution", *, freq: str = "D", due_from=None, due_to=None,
                         by: Grouping = None) -> pd.DataFrame:
        """`sla_compliance_trend` of the clocks due in [due_from, due_to): date, [by…], compliance, met, breached, count."""
        keys = [by] if isinstance(by, str) else list(by or [])
        period = {"D": "day", "W": "week"}.get(freq)
        if period is None:
            raise UnknownMetric(f"Unknown trend frequency {freq!r}: use D or W.")
        trend = self.decided(target, due_from=due_from, due_to=due_to, by=[period, *keys]).rename(columns={period: "date"})
        trend = trend.sort_values(["date", *keys], ignore_index=True)
        trend["count"] = trend["met"] + trend["breached"]
        trend["compliance"] = ratio(trend["met"], trend["count"])
        return trend[["date", *keys, "compliance", "met", "breached", "count"]]

    def durations(self, *, created_from=None, created_to=None, closed: str = "left", by: Grouping = None,
                  kinds=tuple(RESPONSE_KINDS)) -> pd.DataFrame:
        """Items created in the window: [by…], then `{kind}_seconds` for each of `kinds` (first_response,
        resolution), as `response_time_summary` reads them. Only the columns asked for are read: at a quarter
        of a million items each one costs."""
        keys = [by] if isinstance(by, str) else list(by or [])
        clock = _clock_table()
        low = None if created_from is None else _micros_of(created_from)
        high = None if created_to is None else _micros_of(created_to)
        seconds = {"first_response": clock.c.response_seconds, "resolution": clock.c.resolution_seconds}
        statement = (select(*[clock.c[key] for key in keys], *[seconds[kind].label(f"{kind}_seconds") for kind in kinds])
                     .where(*self._where(clock), *_in_window(clock.c.created_us, low, high, closed)))
        frame = self._read(("durations", low, high, closed, tuple(keys), tuple(kinds)), statement)
        return frame.astype({f"{kind}_seconds": "float64" for kind in kinds})

    def open_at(self, moment) -> int:
        """Items in scope created by `moment` and not resolved by then."""
        from sqlalchemy import func
        clock = _clock_table()
        at = _micros_of(moment)
        total = 0
        # Two index reads (still open; resolved after the moment) instead of one scan of everything created.
        for unresolved in (clock.c.resolved_us.is_(None), clock.c.resolved_us > at):
            statement = select(func.count().label("n")).where(*self._where(clock, created_index=False), unresolved,
                                                              clock.c.created_us + 0 <= at)
            total += int(self._read(("open_at", at, str(unresolved)), statement).iloc[0, 0])
        return total

    def open_by_day(self, start, end) -> pd.DataFrame:
        """`backlog_trend`: open items per queue at the end of each UTC day from start to end (both included)."""
        flow = self._flow()
        resolved = flow[flow["resolved_day"].notna()]
        moves = pd.concat([flow[["queue", "created_day", "items"]].rename(columns={"created_day": "day"}).assign(added=1),
                           resolved[["queue", "resolved_day", "items"]].rename(columns={"resolved_day": "day"})
                           .assign(added=-1)], ignore_index=True)
        moves["day"] = moves["day"].astype("int64")
        days = pd.date_range(as_day(start), as_day(end), freq="D")
        numbers = (days.to_numpy(dtype="datetime64[us]").astype("int64") // DAY_US)
        frames = []
        for queue, group in moves.groupby("queue", sort=True):
            change = (group["added"].astype("int64") * group["items"].astype("int64")).groupby(group["day"]).sum()
            change = change.sort_index()
            running = np.cumsum(change.to_numpy())
            # Open at the end of day d = items created up to d − items resolved up to d.
            position = np.searchsorted(change.index.to_numpy(dtype="int64"), numbers, side="right") - 1
            open_count = np.where(position >= 0, running[np.clip(position, 0, None)], 0)
            frames.append(pd.DataFrame({"date": days, "queue": queue, "open_count": open_count.astype("int64")}))
        if not frames:
            return pd.DataFrame({"date": pd.Series(dtype="datetime64[us]"), "queue": pd.Series(dtype="str"),
                                 "open_count": pd.Series(dtype="int64")})
        trend = pd.concat(frames, ignore_index=True).sort_values(["date", "queue"], ignore_index=True)
        trend["date"] = trend["date"].astype("datetime64[us]")
        return trend

    def escalation_reasons(self, *, created_from=None, created_to=None, by: Grouping = None) -> pd.DataFrame:
        """`escalation_reasons` of the escalation items created in [created_from, created_to)."""
        from sqlalchemy import case, func
        keys = [by] if isinstance(by, str) else list(by or [])
        clock = _clock_table()
        low = None if created_from is None else _micros_of(created_from)
        high = None if created_to is None else _micros_of(created_to)
        reason = func.coalesce(clock.c.escalation_reason, "unspecified").label("escalation_reason")
        groups = [reason, *[func.coalesce(clock.c[key], "unassigned").label(key) for key in keys]]
        statement = (select(*groups, func.count().label("count"),
                            func.sum(case((clock.c.resolved_us.is_(None), 1), else_=0)).label("open"))
                     .where(*self._where(clock), clock.c.queue == "escalation",
                            *_in_window(clock.c.created_us, low, high, "left"))
                     .group_by(*groups))
        table = self._read(("escalations", low, high, tuple(keys)), statement).copy()
        table = table.sort_values(["escalation_reason", *keys], ignore_index=True)
        table[["count", "open"]] = table[["count", "open"]].astype("int64")
        return _escalation_shares(table, keys)


def _fetch(engine: Engine, statement) -> pd.DataFrame:
    """Run a select through the driver's own cursor: a quarter of a million rows in a fraction of the time
    SQLAlchemy's row objects take. Numeric columns come back as float64 (NaN for NULL), others as objects."""
    names = [column.key for column in statement.selected_columns]
    numeric = [isinstance(column.type, (Integer, Float, Numeric)) for column in statement.selected_columns]
    rows = driver_rows(engine, statement)
    if not rows:
        return pd.DataFrame({name: pd.Series(dtype="object") for name in names})
    table = np.array(rows, dtype=object)
    frame = {}
    for number, name in enumerate(names):
        frame[name] = table[:, number].astype("float64") if numeric[number] else table[:, number]
    return pd.DataFrame(frame)


def target_name(prefix: str) -> str:
    """The target whose `sla_status` columns carry this prefix."""
    return next(name for name, known in TARGETS.items() if known == prefix)


def _day_group(key: str, days: np.ndarray) -> np.ndarray:
    """A UTC day number's ISO week (its Monday's day number) or whether it is a weekend (0/1)."""
    numbers = days.astype("int64")
    if key == "week":
        return numbers - (numbers + 3) % 7  # 1970-01-01 was a Thursday: Monday = 0
    return ((numbers + 3) % 7 >= 5).astype("int64")


def queue_overview_from(facts: QueueFacts, now, *, start, end, stuck_after_hours: float = 24,
                        max_retries: int = 3) -> QueueOverview:
    """`queue_overview` from the clock roll-up (`facts` scoped like the status it would take)."""
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


def queue_breakdown_from(facts: QueueFacts, by: str, *, start, end) -> pd.DataFrame:
    """`queue_breakdown` from the clock roll-up: per queue, priority or project_id."""
    keys = [by]
    start, end = as_timestamp(start), as_timestamp(end)
    live = facts.live
    is_open = live["resolved_at"].isna()
    now_counts = pd.DataFrame({
        "open": is_open.astype("int64"),
        "breached_open": (is_open & (live["state"] == "breached")).astype("int64"),
        "at_risk": (live["state"] == "at_risk").astype("int64"),
    }, index=live.index).join(live[keys]).groupby(keys, dropna=False, sort=True).sum()
    every = pd.Index(facts.values(by), name=by)
    now_counts = now_counts.reindex(every, fill_value=0).astype("int64")
    met = facts.compliance(due_from=start, due_to=end, by=keys)
    response_met = facts.compliance("first_response", due_from=start, due_to=end, by=keys)
    created = facts.durations(created_from=start, created_to=end, by=keys)
    return _breakdown_table(now_counts, met, response_met, created, keys)


def load_arrivals(engine: Engine, queue: str, *, start=None, end=None) -> pd.DataFrame:
    """When each item of one queue created in [start, end) arrived (`created_at`), read from the clock roll-up."""
    clock = _clock_table()
    statement = select(clock.c.created_us).where(clock.c.queue == queue,
                                                 *_clock_scope(clock, start=start, end=end))
    micros = _fetch(engine, statement)["created_us"].to_numpy(dtype="float64").astype("int64")
    return pd.DataFrame({"created_at": pd.Series(micros.astype("datetime64[us]")).dt.tz_localize("UTC")})
