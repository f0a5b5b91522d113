"""Roll-ups for the activity area: on which days each member was active, as bitmaps.

A member is active on a day with at least one submitted task (DESIGN §7). Community metrics need
only that yes/no per (member, day), so instead of the 3M activity rows they read one small row
per member and block of `BLOCK_DAYS` days: `WORDS` integers of `WORD_BITS` bits, bit b of word w
meaning "active on day block·BLOCK_DAYS + w·WORD_BITS + b", days counted from 1970-01-01 (the
same origin for every row). `activity_member_days` holds any project's activity,
`activity_project_member_days` each project's, so a project filter is an OR of those rows.

Every member is kept, staff and bots too: readers drop them by the member's current flags, so a
members import that flags someone as staff needs no rebuild. The words are filled in SQL (a sum
of distinct powers of two is their OR), on SQLite and PostgreSQL alike. An import re-derives only
the days from its earliest one: it clears those bits in the rows that have any, then ORs in the
days' bits with one upsert per table, so a day's import reads that day's activity, not the whole
block's.
On SQLite both tables are WITHOUT ROWID (a row lives in its key's index): an import writes one
index per table fewer.

`activity_member_day_packs` holds each block's `activity_member_days` rows again as one row: an Arrow
stream of (member_id, w0..w3) ordered by member, so the community's days are read as a row or two, not
one per member (`core.health.active.load_active_days`). Every rebuild and refresh repacks the blocks it
changed, in the same transaction, so the packs always equal the rows.
"""

import datetime as dt

import pyarrow as pa
from sqlalchemy import (BigInteger, Column, Connection, Date, Index, Integer, LargeBinary, MetaData, String, Table, and_,
                        case, cast, column, delete, func, insert, literal, literal_column, or_, select, text, update, values)
from sqlalchemy.sql import ColumnElement

from core.health.members import collector_paused
from core.rollups import dialect_insert
from core.models import Activity

NAME = "activity"
VERSION = 4
ENTITIES: frozenset[str] = frozenset({"activity"})
METADATA = MetaData()  # this area's roll-up tables

EPOCH = dt.date(1970, 1, 1)
WORD_BITS = 63  # bits 0..62 of a signed 64-bit integer, so a sum of them never overflows
WORDS = 4
BLOCK_DAYS = WORD_BITS * WORDS  # 252 days (36 weeks) per row
WORD_COLUMNS = tuple(f"w{index}" for index in range(WORDS))
FULL_WORD = (1 << WORD_BITS) - 1
# Refreshing by member id (without a day) lists them in IN clauses; past this many, a rebuild is cheaper.
MAX_REFRESH_IDS = 5_000
# Past this many days from an import's first one, its bits are worked out per row instead of listed.
MAX_LISTED_DAYS = 400
# VERSION 2's staging tables (a refresh now upserts directly).
LEGACY_TABLES = ("activity_member_days_staged", "activity_project_member_days_staged")

member_days = Table(
    "activity_member_days", METADATA,
    Column("member_id", String, primary_key=True),
    Column("block", Integer, primary_key=True),
    *(Column(name, BigInteger, nullable=False) for name in WORD_COLUMNS),
    sqlite_with_rowid=False,
)
project_member_days = Table(
    "activity_project_member_days", METADATA,
    Column("member_id", String, primary_key=True),
    Column("project_id", String, primary_key=True),
    Column("block", Integer, primary_key=True),
    *(Column(name, BigInteger, nullable=False) for name in WORD_COLUMNS),
    Index("ix_activity_project_member_days_project", "project_id", "block"),
    sqlite_with_rowid=False,
)
member_day_packs = Table(
    "activity_member_day_packs", METADATA,
    Column("block", Integer, primary_key=True),
    Column("data", LargeBinary, nullable=False),  # Arrow IPC stream: member_id, w0..w3 (`pack`)
)


def day_number(day: dt.date) -> int:
    """Days from 1970-01-01 to `day`."""
    return (day - EPOCH).days


def block_of(day: dt.date) -> int:
    """The block a day's bit is stored in."""
    return day_number(day) // BLOCK_DAYS


def rebuild(connection: Connection) -> None:
    """Fill this area's (freshly created, empty) roll-up tables from the source tables."""
    for name in LEGACY_TABLES:  # left behind by an older definition, which `METADATA` no longer names
        connection.execute(text(f"DROP TABLE IF EXISTS {name}"))
    _fill(connection)
    _repack(connection)


def refresh(connection: Connection, *, ids: list[str] | None, since: dt.date | None,
            entity: str | None = None) -> None:
    """Bring the bitmaps up to date after an activity write: its days from `since` on, or its members (`ids`).

    An import reports both; every bit from `since` on is re-derived (for all members, which is
    cheap when `since` is recent: only those days' activity is read). With members only, theirs
    are rebuilt; with neither, or from the first day of activity on, everything is.
    """
    if since is not None and not _reaches_first_day(connection, since):
        _refresh_days(connection, since)
        _repack(connection, block_of(since))
        return
    if since is None and ids is not None and len(ids) <= MAX_REFRESH_IDS:
        for start in range(0, len(ids), 500):
            batch = ids[start:start + 500]
            for table in (member_days, project_member_days):
                connection.execute(delete(table).where(table.c.member_id.in_(batch)))
            _fill(connection, members=batch)
    else:
        for table in (member_days, project_member_days):
            connection.execute(delete(table))
        _fill(connection)
    _repack(connection)


def _reaches_first_day(connection: Connection, since: dt.date) -> bool:
    """Whether re-deriving from `since` covers all the activity (then a plain rebuild is cheaper)."""
    first = connection.execute(select(func.min(Activity.__table__.c.day))).scalar()
    return first is None or since <= _as_date(first)


def _refresh_days(connection: Connection, since: dt.date) -> None:
    """Clear every bit from `since` on, then add back those days' activity (one upsert per table)."""
    first_block = block_of(since)
    offset = day_number(since) - first_block * BLOCK_DAYS
    keep = [(1 << min(max(offset - WORD_BITS * index, 0), WORD_BITS)) - 1 for index in range(WORDS)]
    # A member's any-project bits are the OR of their per-project ones: when no member row has a bit
    # from `since` on (an import of new days), no project row has one either, and its (larger) table
    # need not be scanned.
    for table in (member_days, project_member_days):
        changed = connection.execute(delete(table).where(table.c.block > first_block)).rowcount
        cleared = [table.c[name].op("&")(FULL_WORD ^ kept) != 0 for name, kept in zip(WORD_COLUMNS, keep)
                   if kept != FULL_WORD]
        if cleared:
            emptied = connection.execute(update(table).where(table.c.block == first_block, or_(*cleared)).values(
                {name: table.c[name].op("&")(kept) for name, kept in zip(WORD_COLUMNS, keep)})).rowcount
            if emptied:
                connection.execute(delete(table).where(table.c.block == first_block,
                                                       *(table.c[name] == 0 for name in WORD_COLUMNS)))
            changed += emptied
        if not changed:
            break
    _add_days(connection, since)


def _upsert(connection: Connection, table: Table, rows) -> None:
    """Insert `rows` (a select of the table's columns) into `table`, OR-ing in the words of rows already stored."""
    statement = dialect_insert(connection)(table).from_select(list(rows.selected_columns.keys()), rows)
    connection.execute(statement.on_conflict_do_update(
        index_elements=[column.name for column in table.primary_key],
        set_={name: table.c[name].op("|")(statement.excluded[name]) for name in WORD_COLUMNS}))


def _add_days(connection: Connection, since: dt.date) -> None:
    """Add the bits of the activity from `since` on (cleared in the stored rows) to both tables.

    The days are few: each one's block and word values are listed (a VALUES table joined on the
    day, as a CTE: SQLite names no VALUES columns otherwise), so SQLite reads each day's rows by
    the day index and adds constants, instead of working out every row's bit. On SQLite each row
    is upserted as it is read (the upsert ORs repeated keys together), which skips sorting every
    row by the key; PostgreSQL's upsert must not meet a key twice, so there the rows are grouped.
    """
    activity = Activity.__table__
    active = [activity.c.tasks_submitted >= 1, activity.c.day.between(since, dt.date(9999, 12, 31))]
    days = [_as_date(day) for (day,) in connection.execute(select(activity.c.day).where(*active).distinct())]
    if not days:
        return
    if len(days) > MAX_LISTED_DAYS:
        _fill(connection, since=since, add=True)
        return
    listed = values(column("day", Date), column("block", Integer), *(column(name, BigInteger) for name in WORD_COLUMNS),
                    name="day_bits").data([(day, *_day_bits(day)) for day in sorted(days)]).cte("day_bits")
    rows = listed.join(activity, activity.c.day == listed.c.day)
    grouped = connection.dialect.name == "postgresql"
    for table, keys in ((project_member_days, [activity.c.member_id, activity.c.project_id, listed.c.block]),
                        (member_days, [activity.c.member_id, listed.c.block])):
        if grouped:
            words = [cast(func.sum(listed.c[name].distinct()), BigInteger).label(name) for name in WORD_COLUMNS]
        else:
            words = [listed.c[name] for name in WORD_COLUMNS]
        statement = select(*keys, *words).select_from(rows).where(activity.c.tasks_submitted >= 1)
        _upsert(connection, table, statement.group_by(*keys) if grouped else statement)


def _day_bits(day: dt.date) -> tuple[int, ...]:
    """A day's block and its bit in each word of that block (0 in the words it is not in)."""
    block, offset = divmod(day_number(day), BLOCK_DAYS)
    word, bit = divmod(offset, WORD_BITS)
    return (block, *((1 << bit) if index == word else 0 for index in range(WORDS)))


def _repack(connection: Connection, first_block: int = 0) -> None:
    """Write every block of `member_days` from `first_block` on as its packed row (dropping packs of emptied blocks)."""
    connection.execute(delete(member_day_packs).where(member_day_packs.c.block >= first_block))
    blocks = select(member_days.c.block).where(member_days.c.block >= first_block).distinct()
    for block in sorted(block for (block,) in connection.execute(blocks)):
        rows = select(member_days.c.member_id, *(member_days.c[name] for name in WORD_COLUMNS)).where(
            member_days.c.block == block).order_by(member_days.c.member_id)
        with collector_paused():  # ~100k row objects (see core.health.members)
            data = pack(connection.execute(rows).all())
        connection.execute(insert(member_day_packs).values(block=block, data=data))


def pack(rows: list[tuple]) -> bytes:
    """(member_id, w0..w3) rows as one Arrow IPC stream (`unpack` reads it back)."""
    columns = list(zip(*rows)) if rows else [()] * (1 + WORDS)
    table = pa.table({"member_id": pa.array(columns[0], type=pa.large_string()),
                      **{name: pa.array(values, type=pa.int64()) for name, values in zip(WORD_COLUMNS, columns[1:])}})
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def unpack(data) -> pa.Table:
    """A packed block's table: member_id (large_string), w0..w3 (int64), ordered by member."""
    return pa.ipc.open_stream(pa.py_buffer(bytes(data) if isinstance(data, memoryview) else data)).read_all()


def _as_date(value) -> dt.date:
    return dt.date.fromisoformat(value[:10]) if isinstance(value, str) else value


def _fill(connection: Connection, *, members: list[str] | None = None, since: dt.date | None = None,
          add: bool = False) -> None:
    """Insert the rows of the given members (default all) for the days from `since` (default all).

    With `add`, the new words are OR-ed into rows already stored.
    """
    activity = Activity.__table__
    conditions = [activity.c.tasks_submitted >= 1]
    if members is not None:
        conditions.append(activity.c.member_id.in_(members))
    if since is not None:
        # Bounded on both sides, SQLite reads the few days through the day index instead of scanning
        # every row in key order (for the grouping) and testing each day.
        conditions.append(activity.c.day.between(since, dt.date(9999, 12, 31)))
    number = _day_number(connection, activity.c.day)

    def write(table: Table, rows) -> None:
        if add:
            _upsert(connection, table, rows)  # its GROUP BY ends the SELECT before SQLite's ON CONFLICT
        else:
            connection.execute(insert(table).from_select(list(rows.selected_columns.keys()), rows))

    # (member, project, day) is the activity key: each row is a distinct day of its (member, project).
    per_project = select(activity.c.member_id, activity.c.project_id, (number // BLOCK_DAYS).label("block"),
                         (number % BLOCK_DAYS).label("offset")).where(and_(*conditions)).subquery()
    write(project_member_days,
          select(per_project.c.member_id, per_project.c.project_id, per_project.c.block,
                 *_words(per_project.c.offset))
          .group_by(per_project.c.member_id, per_project.c.project_id, per_project.c.block))

    # A member working on two projects the same day is active once: each word sums its distinct bits.
    any_project = select(activity.c.member_id, (number // BLOCK_DAYS).label("block"),
                         (number % BLOCK_DAYS).label("offset")).where(and_(*conditions)).subquery()
    write(member_days,
          select(any_project.c.member_id, any_project.c.block, *_words(any_project.c.offset, distinct=True))
          .group_by(any_project.c.member_id, any_project.c.block))


def _words(offset: ColumnElement, *, distinct: bool = False) -> list[ColumnElement]:
    """Per word, the sum of 2**bit over the rows' days in it: their OR when each day counts once
    (`distinct`: a day's bit is summed once however many rows have it)."""
    one = cast(literal_column("1"), BigInteger)
    word_of = offset // WORD_BITS
    bit = one.op("<<")(offset % WORD_BITS)
    words = [case((word_of == index, bit), else_=literal_column("0")) for index in range(WORDS)]
    return [cast(func.sum(word.distinct() if distinct else word), BigInteger).label(name)
            for word, name in zip(words, WORD_COLUMNS)]


def _day_number(connection: Connection, day: ColumnElement) -> ColumnElement:
    """Days from 1970-01-01 to a DATE column, in SQL (SQLite stores dates as ISO text)."""
    if connection.dialect.name == "sqlite":
        return cast(func.julianday(day) - literal(2440587.5), Integer)
    return cast(day - literal(EPOCH), Integer)
