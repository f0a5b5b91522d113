"""The read API of the queues area: `QueueFacts`, the SLA facts of the items in a scope at a moment "now".

Every queue number the pages, the CLI, Today, the Weekly report and the exports show is counted
here: resolved items from SQL aggregates of the clock roll-up (`core.queues.rollup`), the items
whose clocks still run from their live clocks (`core.queues.read.load_live_status`).
"""

import numpy as np
import pandas as pd
from sqlalchemy import Engine, Integer, and_, case, func, or_, select

from core.errors import UnknownMetric
from core.frames import Grouping, as_day, as_timestamp, driver_frame, group_columns, ratio
from core.queues import rollup
from core.models import Member, QueueItem
from core.queues.packing import unpack
from core.queues.clock import ITEM_TIMESTAMPS, RESPONSE_KINDS, target_name, target_prefix
from core.queues.read import (
    DAY_US,
    clock_scope,
    in_window,
    LiveInputs,
    live_status,
    load_live_status,
    micros_of,
    micros_series,
    utc_days,
)

DECIDED = ("met", "breached")
# The groupings `QueueFacts.decided` understands besides the clock table's own columns.
DUE_GROUPS = ("day", "week", "weekend")
# The item columns the clock roll-up holds and its per-day tables split by.
CLOCK_GROUPS = ("queue", "priority", "project_id")
# The member's columns a breakdown may use; they and the item's other columns are read item by item through a join.
MEMBER_GROUPS = ("region", "country", "vendor")
DIRECT = "direct"  # the vendor of a tasker who works for us directly (a blank vendor), as on Workforce


def group_column(key: str):
    """The SQL column a breakdown by `key` reads: the clock roll-up's own, the member's or the item's."""
    item, member = QueueItem.__table__, Member.__table__
    if key in CLOCK_GROUPS:
        return rollup.clock.c[key]
    if key in MEMBER_GROUPS:
        if key == "vendor":  # an item without a tasker has no vendor
            return case((member.c.member_id.is_(None), None), else_=func.coalesce(member.c.vendor, DIRECT))
        return member.c[key]
    if key in item.c and key != "attributes" and key not in ITEM_TIMESTAMPS:
        return item.c[key]
    if key in item.c:
        raise UnknownMetric(f"Cannot group by {key}: no such column here.")
    # An import's extra column (DESIGN §5): the item's own attribute, else its member's.
    return func.coalesce(_attribute(item, key), _attribute(member, key))


def _attribute(table, key: str):
    """One JSON attribute as text, its path written into the SQL (`driver_rows` sends bound values unprocessed)."""
    value = table.c.attributes[key].as_string()
    value.right.literal_execute = True
    return value


def _clocks_with(keys) -> object:
    """The clock roll-up joined to the member and the item where a breakdown by `keys` needs their columns."""
    clock, item, member = rollup.clock, QueueItem.__table__, Member.__table__
    source = clock
    if any(key in MEMBER_GROUPS or key not in item.c for key in keys if key not in CLOCK_GROUPS):
        source = source.outerjoin(member, member.c.member_id == clock.c.member_id)
    if any(key not in CLOCK_GROUPS and key not in MEMBER_GROUPS for key in keys):
        source = source.outerjoin(item, item.c.item_id == clock.c.item_id)
    return source


class QueueFacts:
    """The SLA facts of the queue items in a scope at `now`, read from the clock roll-up.

    The scope is items created in [start, end), in some projects and member regions, and may be
    narrowed to some queues and priorities. Resolved items count from SQL aggregates; `live` is
    `load_live_status` output (the open items, with both clocks) and is added in where it counts.
    Reads are memoised, so one object answers repeated questions (a weekly trend) cheaply.
    """

    def __init__(self, engine: Engine, now, *, start=None, end=None, projects=None, regions=None, queues=None,
                 priorities=None, live: pd.DataFrame | None = None, inputs: LiveInputs | None = None):
        rollup.ensure_current(engine)
        self.engine, self.now = engine, as_timestamp(now)
        self.now_us = micros_of(self.now)
        self.scope = dict(start=None if start is None else as_timestamp(start),
                          end=None if end is None else as_timestamp(end),
                          projects=tuple(projects or ()), regions=tuple(regions or ()))
        self.queues, self.priorities = tuple(queues or ()), tuple(priorities or ())
        self._live, self._inputs = live, inputs
        self._memo: dict = {}

    @property
    def live(self) -> pd.DataFrame:
        """`load_live_status` of the scope: the items whose clocks still run at `now` (read on first use, or placed at
        `now` from the `inputs` given, read earlier for the same scope)."""
        if "live" not in self._memo:
            if self._live is not None:
                live = self._live
            elif self._inputs is not None:
                live = live_status(self._inputs, self.now)
            else:
                live = load_live_status(self.engine, self.now, **self.scope)
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
        return clock_scope(**self.scope, queues=self.queues, priorities=self.priorities,
                           created_index=created_index)

    def _settled(self, clock):
        """Resolved items whose clocks `now` cannot change (the rest are in `live`)."""
        return and_(clock.c.resolved_us.is_not(None), or_(~clock.c.pausable, clock.c.resolved_us <= self.now_us))

    def _read(self, key, statement) -> pd.DataFrame:
        if key not in self._memo:
            self._memo[key] = driver_frame(self.engine, statement)
        return self._memo[key]

    # -- what the pages ask -----------------------------------------------------------------------------

    def _day_scope(self) -> tuple | None:
        """The scope as creation days [first, stop) when the per-day tables can answer for it (whole days, no
        region filter: regions belong to members, which those tables do not split by); else None."""
        if self.scope["regions"]:
            return None
        bounds = []
        for moment in (self.scope["start"], self.scope["end"]):
            micros = None if moment is None else micros_of(moment)
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
        days = self._day_scope()
        if days is not None:
            table = rollup.flow
            columns = [*[table.c[key] for key in CLOCK_GROUPS], table.c.created_day, table.c.resolved_day, table.c["items"]]
            return self._read("flow", select(*columns).where(*self._day_where(table, days)))
        clock = rollup.clock
        groups = [*[clock.c[key] for key in CLOCK_GROUPS], clock.c.created_day, clock.c.resolved_day]
        return self._read("flow", select(*groups, func.count().label("items"))
                          .where(*self._where(clock)).group_by(*groups))

    def values(self, column: str) -> list:
        """The distinct values of a column (queue, priority, project_id, a member's country…) among the items in
        scope, sorted."""
        if column in CLOCK_GROUPS:
            return sorted(self._flow()[column].dropna().unique())
        statement = (select(group_column(column).label(column)).distinct().select_from(_clocks_with([column]))
                     .where(*self._where(rollup.clock)))
        return sorted(self._read(("values", column), statement)[column].dropna().unique())

    def counts(self) -> pd.DataFrame:
        """Items in scope per queue and priority."""
        flow = self._flow()
        return flow.groupby(["queue", "priority"], sort=True)["items"].sum().astype("int64").reset_index()

    def decided(self, target: str = "resolution", *, due_from=None, due_to=None, closed: str = "left",
                by: Grouping = None) -> pd.DataFrame:
        """Met and breached clocks of one target due in the window, per `by` (queue, priority, project_id, a
        member or item column, or the due moment's UTC `day`, ISO `week` or `weekend`): [by…], met, breached."""
        prefix = target_prefix(target)
        keys = [by] if isinstance(by, str) else list(by or [])
        joined = tuple(key for key in keys if key not in (*CLOCK_GROUPS, *DUE_GROUPS))
        for key in joined:
            group_column(key)  # a clear error for a column neither the roll-up, the member nor the item has
            if key not in self.live.columns:  # an imported attribute counts where the open items carry it too
                raise UnknownMetric(f"Cannot group by {key}: no such column here.")
        low = None if due_from is None else micros_of(due_from)
        # Only clocks that have come due count (an item resolved early but due after `now` is not yet decided).
        high = self.now_us if due_to is None else min(micros_of(due_to), self.now_us)
        # One read per window at the finest grain (queue, priority, project, due day); coarser ones are sums.
        fine = self._decided_by_day(prefix, low, high, closed, joined)
        fine = fine.assign(week=_day_group("week", fine["day"].to_numpy()),
                           weekend=_day_group("weekend", fine["day"].to_numpy()))
        if keys:
            both = fine.groupby(keys, dropna=False, sort=True)[["met", "breached"]].sum().reset_index()
        else:
            both = fine[["met", "breached"]].sum().to_frame().T
        both[["met", "breached"]] = both[["met", "breached"]].astype("int64")
        for key in keys:
            if key in ("day", "week"):
                both[key] = utc_days(both[key].to_numpy())
            elif key == "weekend":
                both[key] = both[key].astype(bool)
        return _whole_numbers(both, joined)

    def _decided_by_day(self, prefix: str, low, high, closed: str, joined: tuple = ()) -> pd.DataFrame:
        """Met and breached clocks due in the window per queue, priority, project_id, due day and the `joined`
        columns (settled + live)."""
        # As a half-open window [first, stop) of microseconds.
        first = low if closed == "left" or low is None else low + 1
        stop = high if closed == "left" or high is None else high + 1
        days = None if joined else self._day_scope()
        whole_first = None if first is None else -(-first // DAY_US) * DAY_US
        whole_stop = None if stop is None else stop // DAY_US * DAY_US
        if days is None or (whole_first is not None and whole_stop is not None and whole_first >= whole_stop):
            settled = self._decided_items(prefix, first, stop, joined=joined)
        else:
            # Whole due days from the per-day table (paused clocks item by item), the partial days at the ends item by item.
            parts = [self._decided_days(prefix, days, whole_first, whole_stop),
                     self._decided_items(prefix, whole_first, whole_stop, paused_only=True)]
            if first is not None and first < whole_first:
                parts.append(self._decided_items(prefix, first, whole_first))
            if stop is not None and whole_stop < stop:
                parts.append(self._decided_items(prefix, whole_stop, stop))
            settled = pd.concat(parts, ignore_index=True)
        running = self._decided_live(prefix, low, high, closed, joined)
        settled = settled.fillna({"met": 0, "breached": 0}).astype({"met": "int64", "breached": "int64"})
        both = pd.concat([settled, running], ignore_index=True) if len(running) else settled.copy()
        both["day"] = both["day"].astype("float64").astype("int64") if len(both) else both["day"].astype("int64")
        return both

    def _decided_items(self, prefix: str, start, stop, *, paused_only: bool = False, joined: tuple = ()):
        """Settled clocks due in [start, stop) counted item by item (None: unbounded), only the ever-paused ones
        when `paused_only`."""
        clock = rollup.clock
        due, day, state = clock.c[f"{prefix}due_us"], clock.c[f"{prefix}due_day"], clock.c[f"{prefix}state"]
        groups = [clock.c.queue, clock.c.priority, clock.c.project_id, day.label("day"),
                  *[group_column(key).label(key) for key in joined]]
        extra = [clock.c.pausable] if paused_only else []
        # Without statistics SQLite would walk the whole creation range; a due window or the few paused
        # clocks are far narrower, so the creation bounds are kept away from the planner's index choice.
        narrow = start is not None or stop is not None or paused_only
        statement = (
            select(*groups, func.sum(case((state == "met", 1), else_=0)).label("met"),
                   func.sum(case((state == "breached", 1), else_=0)).label("breached"))
            .select_from(_clocks_with(joined))
            .where(*self._where(clock, created_index=not narrow), self._settled(clock), state.in_(DECIDED),
                   *extra, *in_window(due, start, stop, "left"))
            .group_by(*groups)
        )
        return self._read(("decided items", prefix, start, stop, len(extra), joined), statement)

    def _decided_days(self, prefix: str, days: tuple, whole_first, whole_stop) -> pd.DataFrame:
        """Settled clocks never paused, due on whole days in [whole_first, whole_stop), from the per-day table."""
        table = rollup.sla_day
        keys = [table.c.queue, table.c.priority, table.c.project_id, table.c.due_day.label("day")]
        window = [] if whole_first is None else [table.c.due_day >= whole_first // DAY_US]
        window += [] if whole_stop is None else [table.c.due_day < whole_stop // DAY_US]
        counted = (select(*keys, func.sum(table.c.met).label("met"), func.sum(table.c.breached).label("breached"))
                   .where(table.c.target == target_name(prefix), *window, *self._day_where(table, days))
                   .group_by(*keys))
        return self._read(("decided days", prefix, whole_first, whole_stop), counted)

    def _decided_live(self, prefix: str, low, high, closed: str, joined: tuple) -> pd.DataFrame:
        """The live items' clocks decided (met or breached) and due in the window, one row each."""
        live = self.live
        due_micros = micros_series(live["due_effective" if prefix == "" else f"{prefix}due"])
        live_state = live[f"{prefix}state"].to_numpy()
        chosen = in_window(due_micros, low, high, closed) & np.isin(live_state, DECIDED)
        running = pd.DataFrame({key: live.loc[chosen, key].to_numpy() for key in (*CLOCK_GROUPS, *joined)})
        running["day"] = np.floor(due_micros[chosen] / DAY_US)
        running["met"] = (live_state[chosen] == "met").astype("int64")
        running["breached"] = (live_state[chosen] == "breached").astype("int64")
        return running

    def compliance(self, target: str = "resolution", *, due_from=None, due_to=None, closed: str = "left",
                   by: Grouping = None) -> pd.DataFrame:
        """SLA met / clocks that came due in the window: [by…], compliance, met, breached, at_risk, count."""
        prefix = target_prefix(target)
        keys = [by] if isinstance(by, str) else list(by or [])
        decided = self.decided(target, due_from=due_from, due_to=due_to, closed=closed, by=keys)
        live = self.live
        due_micros = micros_series(live["due_effective" if prefix == "" else f"{prefix}due"])
        window = live[in_window(due_micros, None if due_from is None else micros_of(due_from),
                                None if due_to is None else micros_of(due_to), closed)]
        # Groups with a clock due but not decided yet (open, at risk, paused) show too, with no clock decided.
        at_risk = _at_risk(window, keys, prefix)
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
        """SLA met per period of the due moment for clocks due in [due_from, due_to): date, [by…], compliance, met,
        breached, count."""
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
        clock = rollup.clock
        low = None if created_from is None else micros_of(created_from)
        high = None if created_to is None else micros_of(created_to)
        packed = self._packed_durations(keys, kinds, low, high, closed)
        if packed is not None:
            return packed
        seconds = {"first_response": clock.c.response_seconds, "resolution": clock.c.resolution_seconds}
        statement = (select(*[group_column(key).label(key) for key in keys],
                            *[seconds[kind].label(f"{kind}_seconds") for kind in kinds])
                     .select_from(_clocks_with(keys))
                     .where(*self._where(clock), *in_window(clock.c.created_us, low, high, closed)))
        frame = self._read(("durations", low, high, closed, tuple(keys), tuple(kinds)), statement)
        return _whole_numbers(frame.astype({f"{kind}_seconds": "float64" for kind in kinds}), keys)

    def _packed_durations(self, keys: list, kinds, low, high, closed: str) -> pd.DataFrame | None:
        """`durations` of one kind from the packed seconds of whole creation days (`core.queues.packing`): per
        group the same values, one row per item, the items without one as NaN; None when the scope, the window or
        the grouping needs the items themselves."""
        days = self._day_scope()
        bounds = [low, high]
        if (days is None or len(kinds) != 1 or closed != "left" or any(key not in CLOCK_GROUPS for key in keys)
                or any(bound is not None and bound % DAY_US for bound in bounds)):
            return None
        first = max((d for d in (days[0], None if low is None else low // DAY_US) if d is not None), default=None)
        stop = min((d for d in (days[1], None if high is None else high // DAY_US) if d is not None), default=None)
        table = rollup.seconds
        (kind,) = kinds
        column = table.c["response" if kind == "first_response" else "resolution"]
        statement = (select(*[table.c[key] for key in keys], table.c["items"], column.label("packed"))
                     .where(*self._day_where(table, (first, stop))))
        rows = self._read(("packed", first, stop, tuple(keys), kind), statement)
        items = rows["items"].to_numpy(dtype="int64")
        # The keys as categories: repeating a few thousand group codes, not a quarter million strings.
        frame = pd.DataFrame({key: _repeated(rows[key], items) for key in keys})
        frame[f"{kind}_seconds"] = unpack(rows["packed"].to_numpy(dtype=object), items)
        return frame

    def open_at(self, moment) -> int:
        """Items in scope created by `moment` and not resolved by then."""
        clock = rollup.clock
        at = micros_of(moment)
        total = 0
        # Two index reads (still open; resolved after the moment) instead of one scan of everything created.
        for unresolved in (clock.c.resolved_us.is_(None), clock.c.resolved_us > at):
            statement = select(func.count().label("n")).where(*self._where(clock, created_index=False), unresolved,
                                                              clock.c.created_us + 0 <= at)
            total += int(self._read(("open_at", at, str(unresolved)), statement).iloc[0, 0])
        return total

    def open_by_day(self, start, end) -> pd.DataFrame:
        """Open items per queue at the end of each UTC day from start to end (both included)."""
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
        """Escalation-queue items created in [created_from, created_to) per reason (and `by`, e.g. owner_team): count,
        still open, share; most frequent first (missing reasons and owners read 'unspecified', 'unassigned')."""
        keys = [by] if isinstance(by, str) else list(by or [])
        clock = rollup.clock
        low = None if created_from is None else micros_of(created_from)
        high = None if created_to is None else micros_of(created_to)
        reason = func.coalesce(clock.c.escalation_reason, "unspecified").label("escalation_reason")
        groups = [reason, *[func.coalesce(clock.c[key], "unassigned").label(key) for key in keys]]
        statement = (select(*groups, func.count().label("count"),
                            func.sum(case((clock.c.resolved_us.is_(None), 1), else_=0)).label("open"))
                     .where(*self._where(clock), clock.c.queue == "escalation",
                            *in_window(clock.c.created_us, low, high, "left"))
                     .group_by(*groups))
        table = self._read(("escalations", low, high, tuple(keys)), statement).copy()
        table = table.sort_values(["escalation_reason", *keys], ignore_index=True)
        table[["count", "open"]] = table[["count", "open"]].astype("int64")
        return escalation_shares(table, keys)


def _day_group(key: str, days: np.ndarray) -> np.ndarray:
    """A UTC day number's ISO week (its Monday's day number) or whether it is a weekend (0/1)."""
    numbers = days.astype("int64")
    if key == "week":
        return numbers - (numbers + 3) % 7  # 1970-01-01 was a Thursday: Monday = 0
    return ((numbers + 3) % 7 >= 5).astype("int64")





def _repeated(values: pd.Series, times: np.ndarray) -> pd.Categorical:
    """Each value `times` times, as a categorical (missing values stay missing)."""
    groups = pd.Categorical(values.to_numpy(dtype=object))
    return pd.Categorical.from_codes(np.repeat(groups.codes, times), groups.categories)


def _whole_numbers(frame: pd.DataFrame, keys) -> pd.DataFrame:
    """Integer item columns among the grouping `keys` as integers again (the driver's rows read them as floats)."""
    for key in keys:
        if key not in CLOCK_GROUPS and isinstance(group_column(key).type, Integer):
            frame[key] = frame[key].astype("Int64")
    return frame


def _at_risk(window: pd.DataFrame, keys: list[str], prefix: str) -> pd.DataFrame:
    """Clocks at risk among the live items due in the window, per group ([keys…], at_risk)."""
    keys = group_columns(window, keys or None)
    flags = pd.DataFrame({"at_risk": (window[f"{prefix}state"] == "at_risk").astype("int64")}, index=window.index)
    if not keys:
        return pd.DataFrame({"at_risk": [int(flags["at_risk"].sum())]})
    return flags.join(window[keys]).groupby(keys, dropna=False, sort=True).sum().reset_index()


def escalation_shares(table: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Per-reason counts with each reason's share, most frequent first."""
    table["share"] = ratio(table["count"], table["count"].sum()) if len(table) else pd.Series(dtype="float64")
    return table.sort_values(["count", "escalation_reason", *keys], ascending=[False, True, *[True] * len(keys)],
                             ignore_index=True)
