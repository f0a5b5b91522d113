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
the days from its earliest one: it clears those bits, stages the days' bits in twin tables and
merges them in, so a day's import reads that day's activity, not the whole block's.
"""

import datetime as dt

from sqlalchemy import (BigInteger, Column, Connection, Index, Integer, MetaData, String, Table, and_, case, cast,
                        delete, exists, func, insert, literal, literal_column, or_, select, update)
from sqlalchemy.sql import ColumnElement

from core.models import Activity

NAME = "activity"
VERSION = 2
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

member_days = Table(
    "activity_member_days", METADATA,
    Column("member_id", String, primary_key=True),
    Column("block", Integer, primary_key=True),
    *(Column(name, BigInteger, nullable=False) for name in WORD_COLUMNS),
)
project_member_days = Table(
    "activity_project_member_days", METADATA,
    Column("member_id", String, primary_key=True),
    Column("project_id", String, primary_key=True),
    Column("block", Integer, primary_key=True),
    *(Column(name, BigInteger, nullable=False) for name in WORD_COLUMNS),
    Index("ix_activity_project_member_days_project", "project_id", "block"),
)
# Empty between writes: a refresh stages the re-derived days here before merging them in.
STAGED = {
    member_days: Table("activity_member_days_staged", METADATA,
                       *(Column(column.name, column.type, primary_key=column.primary_key) for column in member_days.c)),
    project_member_days: Table("activity_project_member_days_staged", METADATA,
                               *(Column(column.name, column.type, primary_key=column.primary_key)
                                 for column in project_member_days.c)),
}


def day_number(day: dt.date) -> int:
    """Days from 1970-01-01 to `day`."""
    return (day - EPOCH).days


def block_of(day: dt.date) -> int:
    """The block a day's bit is stored in."""
    return day_number(day) // BLOCK_DAYS


def rebuild(connection: Connection) -> None:
    """Fill this area's (freshly created, empty) roll-up tables from the source tables."""
    _fill(connection)


def refresh(connection: Connection, *, ids: list[str] | None, since: dt.date | None) -> None:
    """Bring the bitmaps up to date after an activity write: its days from `since` on, or its members (`ids`).

    An import reports both; every bit from `since` on is re-derived (for all members, which is
    cheap when `since` is recent: only those days' activity is read). With members only, theirs
    are rebuilt; with neither, or from the first day of activity on, everything is.
    """
    if since is not None and not _reaches_first_day(connection, since):
        _refresh_days(connection, since)
    elif since is None and ids is not None and len(ids) <= MAX_REFRESH_IDS:
        for start in range(0, len(ids), 500):
            batch = ids[start:start + 500]
            for table in (member_days, project_member_days):
                connection.execute(delete(table).where(table.c.member_id.in_(batch)))
            _fill(connection, members=batch)
    else:
        for table in (member_days, project_member_days):
            connection.execute(delete(table))
        _fill(connection)


def _reaches_first_day(connection: Connection, since: dt.date) -> bool:
    """Whether re-deriving from `since` covers all the activity (then a plain rebuild is cheaper)."""
    first = connection.execute(select(func.min(Activity.__table__.c.day))).scalar()
    if isinstance(first, str):
        first = dt.date.fromisoformat(first[:10])
    return first is None or since <= first


def _refresh_days(connection: Connection, since: dt.date) -> None:
    """Clear every bit from `since` on, then add back those days' activity (staged, then merged)."""
    first_block = block_of(since)
    offset = day_number(since) - first_block * BLOCK_DAYS
    keep = [(1 << min(max(offset - WORD_BITS * index, 0), WORD_BITS)) - 1 for index in range(WORDS)]
    for table in (member_days, project_member_days):
        connection.execute(delete(table).where(table.c.block > first_block))
        cleared = [table.c[name].op("&")(FULL_WORD ^ kept) != 0 for name, kept in zip(WORD_COLUMNS, keep)
                   if kept != FULL_WORD]
        if cleared:
            changed = connection.execute(update(table).where(table.c.block == first_block, or_(*cleared)).values(
                {name: table.c[name].op("&")(kept) for name, kept in zip(WORD_COLUMNS, keep)})).rowcount
            if changed:
                connection.execute(delete(table).where(table.c.block == first_block,
                                                       *(table.c[name] == 0 for name in WORD_COLUMNS)))
    _fill(connection, since=since, into=STAGED)
    # The staged bits are all from `since` on and the stored ones all before it: adding is OR.
    for table, staged in STAGED.items():
        keys = [column.name for column in table.primary_key]
        same_row = and_(*(table.c[key] == staged.c[key] for key in keys))
        connection.execute(update(table).where(same_row)
                           .values({name: table.c[name] + staged.c[name] for name in WORD_COLUMNS}))
        connection.execute(insert(table).from_select(
            [*keys, *WORD_COLUMNS],
            select(*(staged.c[key] for key in keys), *(staged.c[name] for name in WORD_COLUMNS))
            .where(~exists().where(same_row))))
        connection.execute(delete(staged))


def _fill(connection: Connection, *, members: list[str] | None = None, since: dt.date | None = None,
          into: dict[Table, Table] | None = None) -> None:
    """Insert the rows of the given members (default all) for the days from `since` (default all).

    `into` redirects the rows of each table to another of the same shape (the staging tables).
    """
    into = into or {}
    activity = Activity.__table__
    conditions = [activity.c.tasks_submitted >= 1]
    if members is not None:
        conditions.append(activity.c.member_id.in_(members))
    if since is not None:
        # Bounded on both sides, SQLite reads the few days through the day index instead of scanning
        # every row in key order (for the grouping) and testing each day.
        conditions.append(activity.c.day.between(since, dt.date(9999, 12, 31)))
    number = _day_number(connection, activity.c.day)

    per_project = select(activity.c.member_id, activity.c.project_id, (number // BLOCK_DAYS).label("block"),
                         (number % BLOCK_DAYS).label("offset")).where(and_(*conditions)).subquery()
    connection.execute(insert(into.get(project_member_days, project_member_days)).from_select(
        ["member_id", "project_id", "block", *WORD_COLUMNS],
        select(per_project.c.member_id, per_project.c.project_id, per_project.c.block, *_words(per_project.c.offset))
        .group_by(per_project.c.member_id, per_project.c.project_id, per_project.c.block)))

    # One row per active (member, day) first: a member working on two projects is active once.
    days = select(activity.c.member_id, activity.c.day).where(and_(*conditions)) \
        .group_by(activity.c.member_id, activity.c.day).subquery()
    day_numbers = _day_number(connection, days.c.day)
    any_project = select(days.c.member_id, (day_numbers // BLOCK_DAYS).label("block"),
                         (day_numbers % BLOCK_DAYS).label("offset")).subquery()
    connection.execute(insert(into.get(member_days, member_days)).from_select(
        ["member_id", "block", *WORD_COLUMNS],
        select(any_project.c.member_id, any_project.c.block, *_words(any_project.c.offset))
        .group_by(any_project.c.member_id, any_project.c.block)))


def _words(offset: ColumnElement) -> list[ColumnElement]:
    """Per word, the sum of 2**bit over the rows' days in it: their OR, since each day counts once."""
    one = cast(literal_column("1"), BigInteger)
    word_of = offset // WORD_BITS
    bit = one.op("<<")(offset % WORD_BITS)
    return [cast(func.sum(case((word_of == index, bit), else_=literal_column("0"))), BigInteger).label(name)
            for index, name in enumerate(WORD_COLUMNS)]


def _day_number(connection: Connection, day: ColumnElement) -> ColumnElement:
    """Days from 1970-01-01 to a DATE column, in SQL (SQLite stores dates as ISO text)."""
    if connection.dialect.name == "sqlite":
        return cast(func.julianday(day) - literal(2440587.5), Integer)
    return cast(day - literal(EPOCH), Integer)
