"""Community health: active users, activity status, onboarding funnel, retention cohorts and churn.

A member is active on a day with at least one submitted task (summed across projects); staff
and bot accounts never count. Every function takes the active days either as `ActiveDays` (what
`load_active_days` reads from the activity roll-up: a members × days yes/no matrix) or as a
frame of distinct (member_id, day) pairs, as `load_daily_active` returns them; both give the
same numbers, computed on the matrix.
"""

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Engine, func, not_, or_, select

from core.frames import as_date, as_day, as_utc, driver_rows, loader_columns, ratio, read_frame, unparsed
from core.models import Activity, Member
from core.health import rollup

MEMBER_TIMESTAMPS = ("signed_up_at", "onboarded_at", "activated_at")
ACTIVITY_STATUSES = ("new", "returning", "dormant", "never_active")
FUNNEL_STAGES = ("signed_up", "onboarded", "activated_7d", "retained_30d")
ACTIVATION_DAYS = 7
RETENTION_WINDOW = (30, 36)  # days after onboarding, both included
MONTH_DAYS = 28
DAY = pd.Timedelta(days=1)
# What every community metric reads of a member (see `load_community`); splits and member lists add details.
CROWD_COLUMNS = ("member_id", "region", "signed_up_at", "onboarded_at")
MEMBER_DETAILS = ("handle", "country", "region", "timezone", "language", "vendor")
# Members looked up by id at a time (under SQLite's 32,766 bound parameters); past this, one scan is cheaper.
ID_BATCH = 20_000


def load_members(engine: Engine, *, regions=None) -> pd.DataFrame:
    """Every member (staff and bots flagged, not removed) without the free-form attributes."""
    member = Member.__table__
    statement = select(*loader_columns(member, without=["attributes"])).order_by(member.c.member_id)
    if regions:
        statement = statement.where(member.c.region.in_(list(regions)))
    return read_frame(engine, statement, timestamps=MEMBER_TIMESTAMPS, flags=("is_staff", "is_bot"))


def load_community(engine: Engine, *, regions=None, columns=()) -> pd.DataFrame:
    """Non-staff, non-bot members (in the regions), ordered by id: id, region, sign-up and onboarding
    times, plus the detail `columns` asked for (country, handle…).

    Reading every member's details costs more than all the health metrics together at scale, so
    pages read what they need: a split adds its attribute, a member list its members' details
    (`with_member_details`).
    """
    names = [*CROWD_COLUMNS, *(column for column in columns if column not in CROWD_COLUMNS)]
    return _community(engine, names, regions=regions)


def with_member_details(engine: Engine, frame: pd.DataFrame, columns) -> pd.DataFrame:
    """The frame (rows of community members) with the detail `columns` read and filled in for its members."""
    columns = [column for column in columns if column in MEMBER_DETAILS]
    if not columns or not len(frame):
        return frame
    # A few members are looked up by id; for many, one pass over all of them is cheaper.
    member_ids = frame["member_id"] if len(frame) <= ID_BATCH else None
    details = _community(engine, ["member_id", *columns], member_ids=member_ids).set_index("member_id")
    filled = frame.copy()
    for column in columns:
        filled[column] = details[column].reindex(frame["member_id"]).to_numpy()
    return filled


def _community(engine: Engine, names: list[str], *, regions=None, member_ids=None) -> pd.DataFrame:
    member = Member.__table__
    statement = (
        select(*(member.c[name] for name in names))
        .where(not_(member.c.is_staff), not_(member.c.is_bot))
        .order_by(member.c.member_id)
    )
    if regions:
        statement = statement.where(member.c.region.in_(list(regions)))
    if member_ids is None:
        rows = _read_rows(engine, statement)
    else:
        ids = sorted({str(member_id) for member_id in member_ids})
        batches = [_read_rows(engine, statement.where(member.c.member_id.in_(ids[start:start + ID_BATCH])))
                   for start in range(0, len(ids), ID_BATCH)]
        rows = np.concatenate(batches) if batches else np.empty((0, len(names)), dtype=object)
    return pd.DataFrame({name: as_utc(rows[:, index]) if name.endswith("_at") else pd.Series(rows[:, index], dtype="str")
                         for index, name in enumerate(names)})


def load_daily_active(engine: Engine, *, start, end, projects=None) -> pd.DataFrame:
    """Distinct non-staff (member_id, day) pairs with ≥ 1 submitted task, days start..end included.

    Reads the raw activity rows; `load_active_days` gives the same days from the roll-up, fast.
    For `active_users` from day S, load from S − 27 days so the first MAU window is complete;
    the funnel and cohorts need days back to the earliest onboarding they show.
    """
    activity, member = Activity.__table__, Member.__table__
    statement = (
        select(activity.c.member_id, unparsed(activity.c.day))
        .select_from(activity.join(member, activity.c.member_id == member.c.member_id))
        .where(
            activity.c.day >= as_date(start),
            activity.c.day <= as_date(end),
            not_(member.c.is_staff),
            not_(member.c.is_bot),
        )
        .group_by(activity.c.member_id, activity.c.day)
        .having(func.sum(activity.c.tasks_submitted) >= 1)
        .order_by(activity.c.day, activity.c.member_id)
    )
    if projects:
        statement = statement.where(activity.c.project_id.in_(list(projects)))
    return read_frame(engine, statement, days=("day",))


@dataclass(frozen=True, eq=False)
class ActiveDays:
    """Which members were active on which days: one row per member, one column per day from `first_day`."""

    member_ids: np.ndarray  # unique member ids, one per row
    first_day: pd.Timestamp  # tz-naive midnight, the day of column 0
    active: np.ndarray  # bool, members × days

    @classmethod
    def from_pairs(cls, member_days: pd.DataFrame) -> "ActiveDays":
        """The matrix of a frame of (member_id, day) pairs, spanning its first to its last day."""
        if not len(member_days):
            return cls(np.array([], dtype=object), pd.Timestamp("1970-01-01"), np.zeros((0, 0), dtype=bool))
        days = pd.to_datetime(member_days["day"])
        first_day = as_day(days.min())
        columns = ((days - first_day) // DAY).to_numpy(dtype="int64")
        rows, member_ids = pd.factorize(member_days["member_id"])
        active = np.zeros((len(member_ids), int(columns.max()) + 1), dtype=bool)
        active[rows, columns] = True
        return cls(np.asarray(member_ids, dtype=object), first_day, active)

    @property
    def days(self) -> pd.DatetimeIndex:
        """The day of each column."""
        return pd.date_range(self.first_day, periods=self.active.shape[1], freq="D").as_unit("us")

    @property
    def empty(self) -> bool:
        """True when nobody was active on any day."""
        return not len(self._used_columns)

    def first_active_day(self) -> pd.Timestamp:
        """The first day anyone was active (NaT when nobody was)."""
        used = self._used_columns
        return self.first_day + int(used[0]) * DAY if len(used) else pd.NaT

    def last_active_day(self) -> pd.Timestamp:
        """The last day anyone was active (NaT when nobody was)."""
        used = self._used_columns
        return self.first_day + int(used[-1]) * DAY if len(used) else pd.NaT

    def pairs(self) -> pd.DataFrame:
        """The distinct (member_id, day) pairs, ordered like `load_daily_active` returns them."""
        columns, rows = np.nonzero(self.active.T)
        frame = pd.DataFrame({"member_id": self.member_ids[rows], "day": self.first_day + pd.to_timedelta(columns, "D")})
        frame["day"] = frame["day"].astype("datetime64[us]")
        return frame.sort_values(["day", "member_id"], ignore_index=True)

    def rows_of(self, member_ids) -> np.ndarray:
        """Each member's row number, −1 for members never active here."""
        wanted, known = _arrow_strings(member_ids), self._arrow_ids
        if wanted is None or known is None:
            return self._index.get_indexer(pd.Index(member_ids))
        if not len(known):
            return np.full(len(wanted), -1, dtype=np.intp)
        # The same members are often looked up again (a split after the overview): comparing costs far less.
        previous = self._last_lookup[0]
        if previous is not None and previous[0].equals(wanted):
            return previous[1].copy()
        # Arrow's hash lookup of 100k ids takes ~10 ms where a pandas Index of str takes ~40.
        rows = pc.index_in(wanted, value_set=known).fill_null(-1).to_numpy().astype(np.intp)
        self._last_lookup[0] = (wanted, rows)
        return rows.copy()

    def column_of(self, days) -> np.ndarray:
        """Each day's column number (may fall outside the matrix; NaT gives NaN)."""
        offsets = (pd.to_datetime(pd.Series(days)) - self.first_day) / DAY
        return offsets.to_numpy(dtype="float64")

    def active_between(self, rows, first, last) -> np.ndarray:
        """Whether each row was active on a day from column `first` to column `last` (both included).

        Arguments broadcast like numpy arrays: one range for every row, one per row, or rows as a
        column against k ranges (rows × k). Row −1 (absent) and NaN columns (never) give False.
        """
        first, last = np.asarray(first, dtype="float64"), np.asarray(last, dtype="float64")
        never = np.isnan(first) | np.isnan(last)
        days = self.active.shape[1]
        first = np.clip(np.nan_to_num(first), 0, days).astype("int64")
        after = np.clip(np.nan_to_num(last) + 1, 0, days).astype("int64")
        counts = self._cumulative[rows, after] - self._cumulative[rows, first]
        return (counts > 0) & ~never

    def count_active_between(self, rows, first, last) -> np.ndarray:
        """Per range k: how many of `rows` were active on a day from column first[k] to last[k] (both included).

        The column sums of `active_between(rows[:, None], first, last)`, without gathering a rows × k block.
        """
        first, last = np.asarray(first, dtype="float64"), np.asarray(last, dtype="float64")
        never = np.isnan(first) | np.isnan(last)
        days = self.active.shape[1]
        first = np.clip(np.nan_to_num(first), 0, days).astype("int64")
        after = np.clip(np.nan_to_num(last) + 1, 0, days).astype("int64")
        cumulative = self._cumulative
        active = _columns(cumulative, after) > _columns(cumulative, first)  # every row (and row −1) × k
        rows = np.asarray(rows, dtype="int64").reshape(-1)
        weights = np.bincount(rows[rows >= 0], minlength=len(cumulative))
        if weights.max(initial=0) > 1:  # a row asked for more than once counts each time
            counts = weights @ active
        elif weights[:-1].all():  # every member (the usual case without a region filter)
            counts = np.count_nonzero(active, axis=0)
        else:
            counts = np.count_nonzero(active & weights.astype(bool)[:, None], axis=0)
        return np.where(never, 0, counts).astype("int64")

    def active_in_weeks(self, rows, starts, weeks: int) -> np.ndarray:
        """Per row: active in each of the `weeks` 7-day spans from column starts[i] (rows × weeks).

        The same as `active_between(rows[:, None], starts[:, None] + 7k, starts[:, None] + 7k + 6)`; when every
        start falls on the same weekday (cohort weeks start on Mondays) each span is read once for all rows.
        """
        rows = np.asarray(rows, dtype="int64")
        starts = np.asarray(starts, dtype="float64")
        phase = starts[0] % 7 if len(starts) else 0.0
        if not len(starts) or not np.all(np.isfinite(starts)) or np.any(starts % 7 != phase):
            first = starts[:, None] + 7 * np.arange(weeks)[None, :]
            return self.active_between(rows[:, None], first, first + 6)
        days, cumulative = self.active.shape[1], self._cumulative
        # Week j covers columns phase + 7j … phase + 7j + 6. The weeks that touch the matrix start at its first
        # column and at each week start inside it (every 7th column: a strided view, no copy).
        inside = int(np.floor(-phase / 7)) + 1  # the first week that starts inside the matrix (after column 0)
        starts_inside = np.arange(phase + 7 * inside, days, 7).astype("int64")
        by_week = np.empty((len(cumulative), len(starts_inside) + 1), dtype=bool)  # every row × week inside − 1, …
        if len(starts_inside):
            marks = cumulative[:, starts_inside[0]:starts_inside[-1] + 1:7]  # active days before each of those starts
            by_week[:, 0] = marks[:, 0] > 0
            by_week[:, 1:-1] = marks[:, 1:] > marks[:, :-1]
            by_week[:, -1] = cumulative[:, days] > marks[:, -1]
        else:
            by_week[:, 0] = cumulative[:, days] > 0
        lowest = inside - 1  # the week of by_week's first column
        # `weeks` never-active weeks on either side take the weeks before and after the matrix.
        padded = np.zeros((len(by_week), by_week.shape[1] + 2 * weeks), dtype=bool)
        padded[:, weeks:weeks + by_week.shape[1]] = by_week
        first = np.clip((starts - phase) // 7 - lowest + weeks, 0, by_week.shape[1] + weeks).astype("int64")
        cells = (rows % len(padded))[:, None] * padded.shape[1] + first[:, None] + np.arange(weeks)[None, :]
        return np.take(padded.ravel(), cells)

    def first_active_column(self, rows) -> np.ndarray:
        """Per row, the first column it was active in (NaN for none)."""
        return self._first_columns[rows]

    def last_active_column(self, rows, *, upto: int) -> np.ndarray:
        """Per row, the last column up to `upto` (included) it was active in (NaN for none)."""
        stop = int(np.clip(upto + 1, 0, self.active.shape[1]))
        if stop == 0 or not len(self.member_ids):
            return np.full(len(rows), np.nan)
        last = self._last_columns if stop == self.active.shape[1] else self._last_columns_before(stop)
        return last[rows]

    @cached_property
    def _last_columns(self) -> np.ndarray:
        return self._last_columns_before(self.active.shape[1])

    def _last_columns_before(self, stop: int) -> np.ndarray:
        # Per row, the last column before `stop` it was active in, then NaN for row −1 (absent).
        active = self.active[:, stop - 1::-1] if stop else self.active[:, :0]
        found = active.any(axis=1)
        last = stop - 1 - active.argmax(axis=1) if stop else np.zeros(len(found), dtype="int64")
        return np.append(np.where(found, last, np.nan), np.nan)

    @cached_property
    def _used_columns(self) -> np.ndarray:
        # The columns (days) on which anyone was active.
        return np.flatnonzero(self.active.any(axis=0))

    @cached_property
    def _index(self) -> pd.Index:
        return pd.Index(self.member_ids)

    @cached_property
    def _last_lookup(self) -> list:
        # One slot: the last (member ids, rows) that rows_of answered.
        return [None]

    @cached_property
    def _arrow_ids(self) -> "pa.Array | None":
        return _arrow_strings(self.member_ids)

    @cached_property
    def _cumulative(self) -> np.ndarray:
        # Active days before each column, with an all-zero last row for row −1 (absent) to read.
        members, days = self.active.shape
        cumulative = np.zeros((members + 1, days + 1), dtype=np.int16 if days < 32_000 else np.int32)
        np.cumsum(self.active, axis=1, out=cumulative[:members, 1:])
        return cumulative

    @cached_property
    def _first_columns(self) -> np.ndarray:
        # Per row, then NaN for row −1 (absent).
        found = self.active.any(axis=1)
        first = self.active.argmax(axis=1) if self.active.shape[1] else np.zeros(len(found), dtype="int64")
        return np.append(np.where(found, first, np.nan), np.nan)

    def day_of(self, columns: np.ndarray) -> np.ndarray:
        """The day of each column number (NaT for NaN) as datetime64[us]."""
        columns = np.asarray(columns, dtype="float64")
        origin = self.first_day.to_datetime64().astype("datetime64[us]")
        days = origin + np.nan_to_num(columns).astype("int64") * np.timedelta64(1, "D")
        return np.where(np.isnan(columns), np.datetime64("NaT", "us"), days)


def load_active_days(engine: Engine, *, start, end, projects=None) -> ActiveDays:
    """Which non-staff members were active on each day start..end (included), from the activity roll-up.

    The same days as `load_daily_active` over the same range and projects, read as one small
    bitmap row per member (and project) instead of the raw activity rows.
    """
    start, end = as_date(start), as_date(end)
    first_block, last_block = rollup.block_of(start), rollup.block_of(end)
    member = Member.__table__
    table = rollup.project_member_days if projects else rollup.member_days
    statement = (
        select(table.c.member_id, table.c.block, *(table.c[name] for name in rollup.WORD_COLUMNS))
        .where(table.c.block >= first_block, table.c.block <= last_block,
               table.c.member_id.not_in(select(member.c.member_id).where(or_(member.c.is_staff, member.c.is_bot))))
    )
    if projects:
        statement = statement.where(table.c.project_id.in_(list(projects)))
    rows = _read_rows(engine, statement)
    blocks = last_block - first_block + 1
    origin = rollup.EPOCH + dt.timedelta(days=first_block * rollup.BLOCK_DAYS)
    first_column, days = (start - origin).days, (end - start).days + 1
    if not len(rows):
        return ActiveDays(np.array([], dtype=object), pd.Timestamp(start), np.zeros((0, days), dtype=bool))
    members, member_ids = pd.factorize(rows[:, 0])
    words = rows[:, 2:].astype(np.int64)
    slots = members * blocks + (rows[:, 1].astype(np.int64) - first_block)
    if projects:  # one row per project: OR a member's projects together
        order = np.argsort(slots, kind="stable")
        slots, words = slots[order], words[order]
        starts = np.flatnonzero(np.r_[True, slots[1:] != slots[:-1]])
        slots, words = slots[starts], np.bitwise_or.reduceat(words, starts, axis=0)
    bits = np.unpackbits(words.astype("<i8").view(np.uint8).reshape(len(words), -1), axis=1, bitorder="little")
    bits = bits.reshape(len(words), rollup.WORDS, 64)[:, :, : rollup.WORD_BITS].reshape(len(words), rollup.BLOCK_DAYS)
    matrix = np.zeros((len(member_ids) * blocks, rollup.BLOCK_DAYS), dtype=bool)
    matrix[slots] = bits
    active = matrix.reshape(len(member_ids), blocks * rollup.BLOCK_DAYS)[:, first_column : first_column + days]
    return ActiveDays(np.asarray(member_ids, dtype=object), pd.Timestamp(start), np.ascontiguousarray(active))


def _columns(matrix: np.ndarray, columns: np.ndarray) -> np.ndarray:
    # matrix[:, columns], as a view when they are consecutive; np.take copies them several times faster than indexing.
    if len(columns) and columns[-1] - columns[0] == len(columns) - 1 and np.all(np.diff(columns) == 1):
        return matrix[:, int(columns[0]):int(columns[-1]) + 1]
    return np.take(matrix, columns, axis=1)


def _arrow_strings(values) -> "pa.Array | None":
    """Member ids as one Arrow large_string array (None unless every id is a string)."""
    values = values.array if isinstance(values, (pd.Series, pd.Index)) else np.asarray(values, dtype=object)
    try:
        array = pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None
    if pa.types.is_null(array.type) and not len(array):
        return pa.array([], type=pa.large_string())
    if not (pa.types.is_string(array.type) or pa.types.is_large_string(array.type)) or array.null_count:
        return None
    return array.cast(pa.large_string())


def _read_rows(engine: Engine, statement) -> np.ndarray:
    """Run a select on the driver's own cursor and return its rows as a 2-D object array.

    SQLAlchemy's per-row processing costs more than the query itself for the 100k-row reads
    here; their binds are plain strings and integers, which need no conversion on the way in.
    """
    rows = driver_rows(engine, statement)
    return np.array(rows, dtype=object) if rows else np.empty((0, len(statement.selected_columns)), dtype=object)


def active_days(member_days: "pd.DataFrame | ActiveDays") -> ActiveDays:
    """The days as `ActiveDays`, whether given as such or as (member_id, day) pairs."""
    return member_days if isinstance(member_days, ActiveDays) else ActiveDays.from_pairs(member_days)


class Crowd:
    """Community members (not staff, not bots) with their active days: what every health metric reads.

    Finding each member's row in the days is the costly step at scale, so a crowd does it once
    and its subsets (`where`) keep the rows; the module's functions each build one.
    """

    def __init__(self, members: pd.DataFrame, member_days, *, _rows: np.ndarray | None = None):
        self.members = community_members(members) if _rows is None else members
        self.days = active_days(member_days)
        self.rows = self.days.rows_of(self.members["member_id"]) if _rows is None else _rows

    def where(self, keep) -> "Crowd":
        """The crowd of the members where `keep` (a boolean Series or array aligned with `members`) holds."""
        keep = np.asarray(keep, dtype=bool)
        return Crowd(self.members[keep], self.days, _rows=self.rows[keep])

    def column(self, day) -> int:
        """The column number of a day in the active days."""
        return int((as_day(day) - self.days.first_day) // DAY)

    def onboarded_day(self) -> pd.Series:
        """Per member: the UTC day of onboarding (NaT for none)."""
        return _naive(self.members["onboarded_at"]).dt.normalize()

    def signed_up_by(self, as_of: pd.Timestamp) -> "Crowd":
        """Members who had signed up (or, without a sign-up time, onboarded) by the end of as_of."""
        joined = _naive(self.members["signed_up_at"]).fillna(_naive(self.members["onboarded_at"]))
        return self.where(joined.isna() | (joined < as_of + DAY))

    def active_within(self, as_of, window_days: int) -> np.ndarray:
        """Per member: active in the `window_days` ending as_of."""
        last = self.column(as_of)
        return self.days.active_between(self.rows, last - window_days + 1, last)

    def first_active_days(self) -> pd.Series:
        """Per member (indexed like `members`): the first active day in the data, NaT for none."""
        return pd.Series(self.days.day_of(self.days.first_active_column(self.rows)), index=self.members.index)

    def active_users(self, start, end) -> pd.DataFrame:
        """See `active_users`."""
        dates = pd.date_range(as_day(start), as_day(end), freq="D")
        last = np.arange(len(dates)) + self.column(dates[0])

        def distinct_active(window: int) -> np.ndarray:
            return self.days.count_active_between(self.rows, last - window + 1, last)

        dau, wau, mau = distinct_active(1), distinct_active(7), distinct_active(MONTH_DAYS)
        onboarded = _naive(self.members["onboarded_at"]).to_numpy(dtype="datetime64[us]")
        # members onboarded by the end of each date: a count per day since the first date, summed up
        day_number = (onboarded[~np.isnat(onboarded)] - dates[0].to_datetime64()) // np.timedelta64(1, "D")
        per_day = np.bincount(np.clip(day_number, -1, len(dates)) + 1, minlength=len(dates) + 2)
        onboarded_by_date = np.cumsum(per_day)[1:len(dates) + 1]
        daily_stickiness = ratio(dau, mau)
        stickiness = float(np.nanmean(daily_stickiness)) if np.isfinite(daily_stickiness).any() else np.nan
        return pd.DataFrame(
            {
                "date": dates.as_unit("us"),
                "dau": dau.astype("int64"),
                "wau": wau.astype("int64"),
                "mau": mau.astype("int64"),
                "stickiness": stickiness,
                "active_rate": ratio(mau, onboarded_by_date),
            }
        )

    def activity_status(self, as_of) -> pd.DataFrame:
        """See `activity_status`."""
        crowd, last_active_day, codes = self._status_codes(as_of)
        frame = crowd.members.copy()
        frame["last_active_day"] = last_active_day
        frame["status"] = pd.Categorical.from_codes(codes, categories=list(ACTIVITY_STATUSES), ordered=True)
        return frame.reset_index(drop=True)

    def _status_codes(self, as_of) -> tuple["Crowd", np.ndarray, np.ndarray]:
        # The signed-up crowd, each member's last active day and the position of their status in ACTIVITY_STATUSES.
        as_of = as_day(as_of)
        window_start = (as_of - (MONTH_DAYS - 1) * DAY).to_datetime64()
        crowd = self.signed_up_by(as_of)
        last_active_day = crowd.days.day_of(crowd.days.last_active_column(crowd.rows, upto=crowd.column(as_of)))
        onboarded_day = crowd.onboarded_day().to_numpy(dtype="datetime64[us]")
        active_recently = last_active_day >= window_start
        onboarded_recently = (onboarded_day >= window_start) & (onboarded_day <= as_of.to_datetime64())
        codes = np.select([active_recently & onboarded_recently, active_recently, ~np.isnat(last_active_day)],
                          [0, 1, 2], default=3)
        return crowd, last_active_day, codes

    def status_counts(self, as_of) -> pd.DataFrame:
        """See `status_counts`."""
        counts = np.bincount(self._status_codes(as_of)[2], minlength=len(ACTIVITY_STATUSES)).astype("int64")
        table = pd.DataFrame({"status": list(ACTIVITY_STATUSES), "members": counts})
        table["share"] = ratio(table["members"], table["members"].sum())
        return table

    def onboarding_funnel(self, as_of) -> pd.DataFrame:
        """See `onboarding_funnel`."""
        as_of = as_day(as_of)
        crowd = self.signed_up_by(as_of)
        onboarded_day = crowd.onboarded_day()
        onboarded = onboarded_day.notna() & (onboarded_day <= as_of)

        days, until = crowd.days, crowd.column(as_of)
        first_column = days.first_active_column(crowd.rows)
        first_day = pd.Series(days.day_of(np.where(first_column <= until, first_column, np.nan)), index=onboarded_day.index)
        activated = onboarded & ((first_day - onboarded_day) <= ACTIVATION_DAYS * DAY)
        activation_closed = onboarded_day + ACTIVATION_DAYS * DAY <= as_of

        onboarded_column = days.column_of(onboarded_day)
        in_window = days.active_between(crowd.rows, onboarded_column + RETENTION_WINDOW[0],
                                        np.minimum(onboarded_column + RETENTION_WINDOW[1], until))
        retained = activated & in_window
        retention_closed = onboarded_day + RETENTION_WINDOW[1] * DAY <= as_of

        signed_up = len(crowd.members)
        reached = [signed_up, int(onboarded.sum()), int(activated.sum()), int(retained.sum())]
        eligible = [
            signed_up,
            signed_up,
            int((onboarded & (activated | activation_closed)).sum()),
            int((activated & (retained | retention_closed)).sum()),
        ]
        funnel = pd.DataFrame({"stage": list(FUNNEL_STAGES), "members": reached, "eligible": eligible})
        funnel["share_of_previous"] = ratio(funnel["members"], funnel["eligible"])
        funnel["share_of_signed_up"] = ratio(funnel["members"], signed_up)
        return funnel

    def time_to_activate(self) -> float:
        """See `time_to_activate`."""
        waits = ((self.first_active_days() - self.onboarded_day()) // DAY).dropna().clip(lower=0)
        return float(waits.median()) if len(waits) else float("nan")

    def retention_cohorts(self, weeks: int = 8, *, as_of=None) -> pd.DataFrame:
        """See `retention_cohorts`."""
        onboarded_day = self.onboarded_day()
        if as_of is None:
            as_of = self.days.last_active_day() if not self.days.empty else onboarded_day.max()
        as_of = as_day(as_of) if pd.notna(as_of) else pd.Timestamp.min
        cohort_week = _week_start(onboarded_day)
        kept = (cohort_week.notna() & (onboarded_day <= as_of)).to_numpy()
        cohort_week = cohort_week[kept]

        active_in = self.days.active_in_weeks(self.rows[kept], self.days.column_of(cohort_week), weeks + 1)

        size = cohort_week.groupby(cohort_week).size()
        codes = size.index.get_indexer(cohort_week)
        active = np.column_stack([np.bincount(codes, weights=active_in[:, week], minlength=len(size))
                                  for week in range(weeks + 1)]).astype("int64")
        grid = pd.MultiIndex.from_product([size.index, range(weeks + 1)], names=["cohort_week", "week_number"])
        table = grid.to_frame(index=False)
        table["cohort_size"] = table["cohort_week"].map(size).astype("int64")
        table["active"] = active.reshape(-1)
        table["share"] = ratio(table["active"], table["cohort_size"])
        week_ends = table["cohort_week"] + table["week_number"] * pd.Timedelta(weeks=1) + 6 * DAY
        table = table[week_ends <= as_of].reset_index(drop=True)
        table["cohort_week"] = table["cohort_week"].astype("datetime64[us]")
        table["week_number"] = table["week_number"].astype("int64")
        return table

    def window_members(self, as_of, window_days: int = MONTH_DAYS) -> tuple[np.ndarray, np.ndarray]:
        """Per member: active in the window before the latest `window_days` ending as_of, and in the latest."""
        as_of = as_day(as_of)
        return self.active_within(as_of - window_days * DAY, window_days), self.active_within(as_of, window_days)

    def churned_members(self, as_of, window_days: int = MONTH_DAYS) -> pd.DataFrame:
        """See `churned_members`."""
        previous, latest = self.window_members(as_of, window_days)
        return self.members[previous & ~latest].reset_index(drop=True)

    def overview(self, start, end) -> dict:
        """See `health_overview`."""
        since = self.days.first_active_day()
        signups = self.where(self.members["signed_up_at"] >= pd.Timestamp(since, tz="UTC"))
        as_of = as_day(end)
        return {
            "active": self.active_users(start, end),
            "since": since,
            "funnel": signups.onboarding_funnel(as_of),
            "days_to_activate": signups.time_to_activate(),
            "status_counts": self.status_counts(as_of),
            "churn": Churn.of(self, as_of),
            "cohorts": self.retention_cohorts(weeks=8, as_of=as_of),
        }


def active_users(member_days, members: pd.DataFrame, start, end) -> pd.DataFrame:
    """Per day start..end: DAU, WAU (7 days), MAU (28 days), stickiness and active rate of onboarded members.

    `stickiness` is the mean of daily DAU/MAU over the whole period, repeated on every row;
    the days must reach back to start − 27 days for the first MAU to be complete.
    """
    return Crowd(members, member_days).active_users(start, end)


def active_within(member_days, members: pd.DataFrame, as_of, window_days: int) -> pd.Series:
    """Per community member (indexed like `members`): active in the `window_days` ending as_of."""
    crowd = Crowd(members, member_days)
    return pd.Series(crowd.active_within(as_of, window_days), index=crowd.members.index)


def activity_status(member_days, members: pd.DataFrame, as_of) -> pd.DataFrame:
    """Each signed-up member as new, returning, dormant or never_active over the 28 days ending as_of.

    new = onboarded in those 28 days and active in them; returning = active in them, onboarded
    earlier (or never); dormant = active before but not in them; never_active = no task yet.
    """
    return Crowd(members, member_days).activity_status(as_of)


def status_counts(member_days, members: pd.DataFrame, as_of) -> pd.DataFrame:
    """Members per activity status (new, returning, dormant, never_active) with their share."""
    return Crowd(members, member_days).status_counts(as_of)


def onboarding_funnel(members: pd.DataFrame, member_days, as_of) -> pd.DataFrame:
    """Signed up → onboarded → activated (first task ≤ 7 days after onboarding) → retained (active on days 30–36).

    Each stage's `share_of_previous` divides by `eligible`: members of the previous stage whose
    window for this stage has closed by as_of or who already reached it, so members onboarded
    yesterday do not count as failures to activate. `share_of_signed_up` divides by all signups.
    """
    return Crowd(members, member_days).onboarding_funnel(as_of)


def first_active_days(member_days, members: pd.DataFrame) -> pd.Series:
    """Each community member's first active day in the data (NaT for none), indexed like `members`."""
    return Crowd(members, member_days).first_active_days()


def time_to_activate(members: pd.DataFrame, member_days) -> float:
    """Median whole days from onboarding to first active day, over onboarded members who have one."""
    return Crowd(members, member_days).time_to_activate()


def retention_cohorts(members: pd.DataFrame, member_days, weeks: int = 8, *, as_of=None) -> pd.DataFrame:
    """Long-form cohort table: onboarding ISO week, week number 0..weeks, cohort size, active members, share.

    Week N is the Nth calendar week (Monday–Sunday) after the cohort's week; only weeks that have
    ended by as_of (default: the last active day in the data) appear, so recent cells are not understated.
    """
    return Crowd(members, member_days).retention_cohorts(weeks, as_of=as_of)


@dataclass(frozen=True)
class Churn:
    """Members active in the previous window and how many of them were not active in the latest."""

    previous_active: int
    retained: int
    churned: int
    rate: float

    @classmethod
    def of(cls, crowd: Crowd, as_of, window_days: int = MONTH_DAYS) -> "Churn":
        """The churn of a crowd over the two windows ending as_of."""
        previous, latest = crowd.window_members(as_of, window_days)
        churned, previous_active = int((previous & ~latest).sum()), int(previous.sum())
        return cls(previous_active=previous_active, retained=int((previous & latest).sum()), churned=churned,
                   rate=ratio(churned, previous_active))


def churn(member_days, members: pd.DataFrame, as_of, window_days: int = MONTH_DAYS) -> Churn:
    """Churn: members active in the window before the latest `window_days` ending as_of but not in it."""
    return Churn.of(Crowd(members, member_days), as_of, window_days)


def churned_members(member_days, members: pd.DataFrame, as_of, window_days: int = MONTH_DAYS) -> pd.DataFrame:
    """The members behind `churn`: active in the previous window, silent in the latest one."""
    return Crowd(members, member_days).churned_members(as_of, window_days)


def week_over_week(this_week: Mapping[str, float], previous_week: Mapping[str, float]) -> pd.DataFrame:
    """Per metric: this week, previous week, the change and the relative change (NaN from zero)."""
    this = pd.Series(dict(this_week), dtype="float64")
    previous = pd.Series(dict(previous_week), dtype="float64").reindex(this.index)
    return pd.DataFrame(
        {
            "metric": this.index,
            "this_week": this.to_numpy(),
            "previous_week": previous.to_numpy(),
            "delta": (this - previous).to_numpy(),
            "relative_change": ratio(this - previous, previous.abs()).to_numpy(),
        }
    )


def community_members(members: pd.DataFrame) -> pd.DataFrame:
    """Members who count in community metrics: not staff, not bots."""
    keep = pd.Series(True, index=members.index)
    for flag in ("is_staff", "is_bot"):
        if flag in members:
            keep &= ~members[flag].fillna(False).astype(bool)
    return members[keep]


def _naive(timestamps: pd.Series) -> pd.Series:
    if isinstance(timestamps.dtype, pd.DatetimeTZDtype):
        return timestamps.dt.tz_convert("UTC").dt.tz_localize(None)
    return pd.to_datetime(timestamps)


def _week_start(days: pd.Series) -> pd.Series:
    return days - pd.to_timedelta(days.dt.day_of_week, unit="D")


def health_overview(members: pd.DataFrame, member_days, start, end) -> dict:
    """Everything the Health page shows from activity: active users, funnel of recent sign-ups, statuses, churn, cohorts.

    The funnel and time to activate cover members who signed up since the first active day in
    the data, so long-tenured members (whose first task predates the data) do not look slow to activate.
    """
    return Crowd(members, member_days).overview(start, end)
