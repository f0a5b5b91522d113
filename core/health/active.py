"""Who was active when: community members and their active days, read from the activity roll-up.

A member is active on a day with at least one submitted task (summed across projects); staff
and bot accounts never count. `load_active_days` reads the days from the roll-up
(`core.health.rollup`) as `ActiveDays`, a members × days yes/no matrix; `ActiveDays.from_pairs`
builds the same matrix from a frame of distinct (member_id, day) pairs. The metrics on them
live in `core.health.crowd`.
"""

import datetime as dt
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Engine, or_, select

from core.frames import as_date, as_day, driver_rows, loader_columns, read_frame
from core.health import rollup
from core.health.members import ID_BATCH, community_rows
from core.models import Member
from core.workforce.quality import DIRECT

MEMBER_TIMESTAMPS = ("signed_up_at", "onboarded_at", "activated_at")
DAY = pd.Timedelta(days=1)
# What every community metric reads of a member (see `load_community`); splits and member lists add details.
CROWD_COLUMNS = ("member_id", "region", "signed_up_at", "onboarded_at")
MEMBER_DETAILS = ("handle", "country", "region", "timezone", "language", "vendor")


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
    return community_rows(engine, names, regions=regions)


def load_onboarded(engine: Engine, *, regions=None) -> pd.DataFrame:
    """Non-staff, non-bot members (in the regions), ordered by id: id and onboarding time only, all that active
    users and the active rate read (Today's tiles); `load_community` reads region and sign-up time too."""
    return community_rows(engine, ["member_id", "onboarded_at"], regions=regions)


def with_member_details(engine: Engine, frame: pd.DataFrame, columns) -> pd.DataFrame:
    """The frame (rows of community members) with the detail `columns` read and filled in for its members (a blank
    vendor reads 'direct')."""
    columns = [column for column in columns if column in MEMBER_DETAILS]
    if not columns or not len(frame):
        return frame
    # A few members are looked up by id; for many, one pass over all of them is cheaper.
    member_ids = frame["member_id"] if len(frame) <= ID_BATCH else None
    details = community_rows(engine, ["member_id", *columns], member_ids=member_ids).set_index("member_id")
    filled = frame.copy()
    for column in columns:
        filled[column] = details[column].reindex(frame["member_id"]).to_numpy()
    if "vendor" in columns:  # a blank vendor is a tasker who works for us directly, named as on Workforce
        filled["vendor"] = filled["vendor"].fillna(DIRECT)
    return filled


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

    def between(self, start, end) -> "ActiveDays":
        """The same members' days start..end (both included, within this matrix's days)."""
        first, last = int((as_day(start) - self.first_day) // DAY), int((as_day(end) - self.first_day) // DAY)
        if first < 0 or last >= self.active.shape[1]:
            raise ValueError(f"{as_day(start):%Y-%m-%d}..{as_day(end):%Y-%m-%d} is outside these days")
        return ActiveDays(self.member_ids, as_day(start), np.ascontiguousarray(self.active[:, first:last + 1]))

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
        """The distinct (member_id, day) pairs, ordered by day, then member."""
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

    The community's days come from one packed row per block of days; a project's from one small bitmap
    row per member and project. Neither reads the raw activity rows.
    """
    start, end = as_date(start), as_date(end)
    first_block, last_block = rollup.block_of(start), rollup.block_of(end)
    if projects:
        member_ids, members, blocks, words = _project_rows(engine, first_block, last_block, projects)
        members, blocks, words = _or_by_member_and_block(members, blocks, words)  # a member's projects OR-ed
    else:
        member_ids, members, blocks, words = _packed_rows(engine, first_block, last_block)
    active = np.zeros((len(member_ids), (end - start).days + 1), dtype=bool)
    first_day = rollup.day_number(start)
    for block in np.unique(blocks):
        in_block = blocks == block
        # The days of this block inside start..end, as offsets in the block, and the words holding them.
        low = max(first_day - int(block) * rollup.BLOCK_DAYS, 0)
        high = min(first_day + active.shape[1] - 1 - int(block) * rollup.BLOCK_DAYS, rollup.BLOCK_DAYS - 1)
        first_word, last_word = low // rollup.WORD_BITS, high // rollup.WORD_BITS
        held = np.ascontiguousarray(words[in_block, first_word:last_word + 1]).astype("<i8")
        bits = np.unpackbits(held.view(np.uint8).reshape(len(held), -1), axis=1, bitorder="little")
        bits = bits.reshape(len(held), -1, 64)[:, :, :rollup.WORD_BITS].reshape(len(held), -1)
        skip = low - first_word * rollup.WORD_BITS
        column = int(block) * rollup.BLOCK_DAYS + low - first_day
        active[members[in_block], column:column + high - low + 1] = bits[:, skip:skip + high - low + 1]
    if isinstance(member_ids, pa.Array):
        found = ActiveDays(member_ids.to_numpy(zero_copy_only=False), pd.Timestamp(start), active)
        found.__dict__["_arrow_ids"] = member_ids  # the cached lookup array rows_of would build from them
        return found
    return ActiveDays(np.asarray(member_ids, dtype=object), pd.Timestamp(start), active)


def _or_by_member_and_block(members: np.ndarray, blocks: np.ndarray, words: np.ndarray):
    """The rows' words OR-ed together per (member, block), one row each."""
    slots = members * (int(blocks.max(initial=0)) + 1) + blocks - int(blocks.min(initial=0))
    order = np.argsort(slots, kind="stable")
    slots, members, blocks, words = slots[order], members[order], blocks[order], words[order]
    starts = np.flatnonzero(np.r_[True, slots[1:] != slots[:-1]])
    return members[starts], blocks[starts], np.bitwise_or.reduceat(words, starts, axis=0)


def _packed_rows(engine: Engine, first_block: int, last_block: int):
    """The community's (member ids, each row's member number, block, words) from the packed blocks, staff and bots
    dropped; the ids (Arrow, sorted) are those of the members with a row."""
    packs, member = rollup.member_day_packs, Member.__table__
    with engine.connect() as connection:
        stored = connection.execute(select(packs.c.block, packs.c.data).where(
            packs.c.block >= first_block, packs.c.block <= last_block).order_by(packs.c.block)).all()
        excluded = connection.execute(select(member.c.member_id).where(or_(member.c.is_staff, member.c.is_bot))
                                      ).scalars().all()
    tables = [(block, rollup.unpack(data)) for block, data in stored]
    if not tables:
        return pa.array([], type=pa.large_string()), np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), \
            np.zeros((0, rollup.WORDS), dtype=np.int64)
    ids = pa.concat_arrays([table.column("member_id").combine_chunks() for _, table in tables])
    blocks = np.concatenate([np.full(table.num_rows, block, dtype=np.int64) for block, table in tables])
    words = np.column_stack([np.concatenate([table[name].to_numpy() for _, table in tables])
                             for name in rollup.WORD_COLUMNS])
    keep = np.logical_not(pc.is_in(ids, value_set=pa.array(excluded, type=pa.large_string())).to_numpy(
        zero_copy_only=False))
    ids, blocks, words = ids.filter(pa.array(keep)), blocks[keep], words[keep]
    if len(tables) == 1:  # a block's members are distinct and sorted
        return ids, np.arange(len(ids), dtype=np.int64), blocks, words
    member_ids = pc.unique(ids)
    member_ids = member_ids.take(pc.sort_indices(member_ids))
    return member_ids, pc.index_in(ids, value_set=member_ids).to_numpy().astype(np.int64), blocks, words


def _project_rows(engine: Engine, first_block: int, last_block: int, projects):
    """The projects' (member ids, each row's member number, block, words): a row per member, project and block."""
    member = Member.__table__
    table = rollup.project_member_days
    statement = (
        select(table.c.member_id, table.c.block, *(table.c[name] for name in rollup.WORD_COLUMNS))
        .where(table.c.block >= first_block, table.c.block <= last_block, table.c.project_id.in_(list(projects)),
               table.c.member_id.not_in(select(member.c.member_id).where(or_(member.c.is_staff, member.c.is_bot))))
    )
    rows = _row_matrix(driver_rows(engine, statement), 2 + rollup.WORDS)
    members, member_ids = pd.factorize(rows[:, 0])
    return member_ids, members.astype(np.int64), rows[:, 1].astype(np.int64), rows[:, 2:].astype(np.int64)


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



def _row_matrix(rows: list[tuple], width: int) -> np.ndarray:
    """Rows from `core.frames.driver_rows` as a 2-D object array (width columns, even when there are none)."""
    return np.array(rows, dtype=object).reshape(-1, width)


def active_days(member_days: "pd.DataFrame | ActiveDays") -> ActiveDays:
    """The days as `ActiveDays`, whether given as such or as (member_id, day) pairs."""
    return member_days if isinstance(member_days, ActiveDays) else ActiveDays.from_pairs(member_days)

