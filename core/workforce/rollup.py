"""Roll-ups for the workforce area (see `core.rollups`): activity per project-day and who worked when.

* `workforce_project_day`: non-staff activity summed per project, UTC day, member region and
  vendor (≈15k rows for 3M activity rows) — totals, per-project and per-vendor volumes, the
  confusion windows and the daily trends are sums of these;
* `workforce_presence`: per member, project and block of `BLOCK_DAYS` days, two bitmaps of the
  days the member had a row (`seen`) and submitted a task (`worked`) — distinct taskers over any
  date range (the tables' "Taskers" column, a confusion's audience) without reading activity;
* `workforce_fatigue`: fatigue alerts already computed (all projects, every region) per as-of
  day and window, so a cold page does not aggregate 36 days of activity again: the Workforce
  page's default view is computed by a rebuild, any other on first use
  (`core.workforce.read.load_fatigue_alerts`). A refresh only empties it and moves
  `workforce_generation` on, because recomputing it would add seconds to every import; a result
  computed while a write committed is stored under the old generation and never read;
* `workforce_member`: the member attributes the rows above were grouped by, so a refresh can
  tell whose region, vendor or staff flag changed.

Bit b of a bitmap means day `block·BLOCK_DAYS + b`, days counted from 1970-01-01
(`core.workforce.bitmaps`); a sum of distinct powers of two is their OR, so the bitmaps are
filled in SQL on SQLite and PostgreSQL.
"""

import datetime as dt
import functools
from collections.abc import Callable, Iterator

import pandas as pd
from sqlalchemy import (BigInteger, Boolean, Column, Connection, Date, Float, Index, Integer, LargeBinary, MetaData,
                        PrimaryKeyConstraint, String, Table, and_, case, cast, column, delete, func, insert,
                        literal_column, not_, or_, select, type_coerce, values)

from core import timeline
from core.frames import frame_on
from core.models import Activity, Member
from core.rollups import dialect_insert
from core.workforce.bitmaps import BLOCK_DAYS, EPOCH, FULL_BITS, day_number, day_number_sql
from core.workforce.daypack import pack_day
from core.workforce.fatigue import fatigue_alerts
from core.workforce.quality import FLOAT_COUNTS

NAME = "workforce"
VERSION = 4
ENTITIES: frozenset[str] = frozenset({"activity", "members"})
METADATA = MetaData()  # this area's roll-up tables

# Fatigue compares the last 7 days with the 28 before; pages load 35 days before their last day.
FATIGUE_DAYS = 35
MEASURES = ("tasks_submitted", "tasks_approved", "tasks_rejected", "tasks_skipped", "tasks_too_fast",
            "handle_seconds", "active_minutes", "questions")
# Refreshing by member lists ids in IN clauses of this size; past MAX_REFRESH_IDS, by day is cheaper.
ID_BATCH = 500
MAX_REFRESH_IDS = 5_000
# Recomputing more days than this one by one is slower than summing all activity again.
FULL_REBUILD_DAYS = 45
# Up to this many days, a refresh lists each day's bit instead of working it out per row.
MAX_LISTED_DAYS = 400
# Days summed per member in one read when packing `member_day` (bounds a rebuild's memory).
MEMBER_DAYS_PER_READ = 8
# An import's refresh redoes this many days per step (transaction): about 0.25 s of write lock per day at large.
REFILL_DAYS_PER_STEP = 2

member = Table(
    "workforce_member", METADATA,
    Column("member_id", String, primary_key=True),
    Column("region", String),
    Column("country", String),
    Column("vendor", String),
    Column("counted", Boolean, nullable=False),  # not staff, not a bot
    sqlite_with_rowid=False,  # looked up by id for every activity row a refresh sums: one index, not two
)
project_day = Table(
    "workforce_project_day", METADATA,
    Column("project_id", String, nullable=False),
    Column("day", Date, nullable=False),
    Column("region", String),
    Column("vendor", String),
    *(Column(name, Float if name in FLOAT_COUNTS else BigInteger, nullable=False) for name in MEASURES),
    Index("ix_workforce_project_day", "day", "project_id"),
)
# Keyed block first: readers take a range of blocks (of some projects), and an import's rows all fall
# in its last blocks. On SQLite the rows live in that key's index (WITHOUT ROWID), so a refresh writes
# one index, in key order, and a reader scans the blocks' rows without a second lookup.
presence = Table(
    "workforce_presence", METADATA,
    Column("member_id", String, nullable=False),
    Column("project_id", String, nullable=False),
    Column("block", Integer, nullable=False),
    Column("region", String),
    Column("vendor", String),
    Column("seen", BigInteger, nullable=False),
    Column("worked", BigInteger, nullable=False),
    PrimaryKeyConstraint("block", "project_id", "member_id", name="pk_workforce_presence"),
    sqlite_with_rowid=False,
)
PRESENCE_KEY = ["block", "project_id", "member_id"]
# Per UTC day and member region, the counted members' activity summed over projects, packed (`core.workforce.daypack`):
# the table per tasker reads a month as a few dozen rows.
member_day = Table(
    "workforce_member_day", METADATA,
    Column("day", Date, nullable=False),
    Column("region", String),
    Column("members", Integer, nullable=False),
    Column("ids", LargeBinary, nullable=False),
    Column("sums", LargeBinary, nullable=False),
    Index("ix_workforce_member_day", "day", "region"),
)
generation = Table(
    "workforce_generation", METADATA,
    Column("generation", Integer, nullable=False),  # one row, moved on by every refresh
)
fatigue_run = Table(
    "workforce_fatigue_run", METADATA,
    Column("as_of", Date, primary_key=True),
    Column("window_start", Date, primary_key=True),
    Column("generation", Integer, nullable=False),
)
fatigue = Table(
    "workforce_fatigue", METADATA,
    Column("as_of", Date, primary_key=True),
    Column("window_start", Date, primary_key=True),
    Column("member_id", String, primary_key=True),
    Column("region", String),
    Column("country", String),
    Column("vendor", String),
    Column("baseline_quality", Float),
    Column("recent_quality", Float),
    Column("baseline_aht", Float),
    Column("recent_aht", Float),
    Column("recent_daily_hours", Float),
    Column("streak_days", Integer, nullable=False),
    Column("recent_tasks", Integer, nullable=False),
    Column("reasons", String, nullable=False),
    Column("severity", Float, nullable=False),
)


def rebuild(connection: Connection) -> None:
    """Fill this area's (freshly created, empty) roll-up tables from the source tables."""
    _snapshot_members(connection)
    _fill_project_days(connection)
    _fill_member_days(connection, _days_since(connection, EPOCH))
    _fill_presence(connection)
    _fill_fatigue(connection)


def refresh(connection: Connection, *, ids: list[str] | None, since: dt.date | None,
            entity: str | None = None) -> None:
    """Recompute what a write can have changed: days from `since` on, and every row of a member whose segment changed.

    `ids` are member ids (activity and members writes key on them). After an activity write, with
    `since`, the days from `since` on are redone (an activity row's day is part of its key, so an
    update cannot move it; past MAX_REFRESH_IDS members, for everyone), without it the named
    members' days. A members write changes no activity: only the members whose region, country,
    vendor or flags changed (found by comparing with `workforce_member`) are redone, whatever
    `since` (their sign-up day) says. With neither `ids` nor `since`, everything is rebuilt.
    Stored fatigue alerts are dropped, to be computed again on first use.
    """
    for step in refresh_steps(connection, ids=ids, since=since, entity=entity):
        step()


def refresh_steps(connection: Connection, *, ids: list[str] | None, since: dt.date | None,
                  entity: str | None = None) -> Iterator[Callable[[], None]]:
    """`refresh` as steps an import commits one by one, so none holds SQLite's write lock for long (each step
    is worked out when the one before it has run): the members' snapshot, then a few days at a time, then
    presence and the fatigue cache. Between steps a reader can see the new activity with some days not yet
    redone, as it can see an import's first batches before its last."""
    if ids is not None and len(ids) > MAX_REFRESH_IDS:
        ids = None
    if ids is None and since is None:
        yield lambda: _rebuild_all(connection)
        return
    if entity == "members":
        ids, since = [], None
    state: dict = {}
    yield lambda: state.update(_refresh_members(connection, ids, since, entity))
    days = sorted(state["days"])
    if len(days) > FULL_REBUILD_DAYS:  # e.g. a members import naming old sign-ups: cheaper in one pass
        yield lambda: (_fill_member_days(connection, days), connection.execute(delete(project_day)),
                       _fill_project_days(connection))
    else:
        for start in range(0, len(days), REFILL_DAYS_PER_STEP):
            yield functools.partial(_refill_days, connection, days[start:start + REFILL_DAYS_PER_STEP])
    yield lambda: _refresh_presence(connection, ids, since, state["changed"], state["written"])


def _rebuild_all(connection: Connection) -> None:
    for table in reversed(METADATA.sorted_tables):
        connection.execute(delete(table))
    rebuild(connection)


def _refresh_members(connection: Connection, ids, since, entity) -> dict:
    """The members' snapshot brought up to date; the days to redo, and the days worked from `since` on."""
    # An activity write changes no member, but may have created some (the import's "create missing").
    changed = _changed_members(connection, new_only=entity == "activity")
    if changed:
        _update_snapshot(connection, changed)
    days = _days_worked(connection, changed) if changed else set()
    if since is None and ids:  # rows written on days nobody named: those members' days
        days |= _days_worked(connection, ids)
    written: set[dt.date] = set()
    if since is not None:
        written = _days_since(connection, since)
        days = {day for day in days if day < since} | written
        # days from `since` on that no longer have activity; the others are redone day by day
        for table in (project_day, member_day):
            connection.execute(delete(table).where(table.c.day >= since, table.c.day.not_in(sorted(written))))
    return {"changed": changed, "days": days, "written": written}


def _refill_days(connection: Connection, days: list) -> None:
    """These days' per-member packs and per-project sums, computed again."""
    _fill_member_days(connection, days)
    # A day at a time: grouping sorts the rows, and a few small sorts beat one large one.
    for day in days:
        connection.execute(delete(project_day).where(project_day.c.day == day))
        _fill_project_days(connection, days=[day])


def _refresh_presence(connection: Connection, ids, since, changed, written) -> None:
    """Presence redone for changed members, brought forward for the rest; stored fatigue alerts dropped."""
    redo = sorted(set(changed) | (set(ids or ()) if since is None else set()))
    if len(redo) > MAX_REFRESH_IDS:  # the table is keyed by block: each batch's delete reads all of it
        connection.execute(delete(presence))
        _fill_presence(connection)
        redo = []
    for batch in _batches(redo):
        connection.execute(delete(presence).where(presence.c.member_id.in_(batch)))
        _fill_presence(connection, members=batch)
    if since is not None:
        for batch in (_batches(sorted(set(ids) - set(redo))) if ids is not None else [None]):
            _update_presence_since(connection, since, sorted(written), members=batch)
    if since is not None or changed or ids:
        connection.execute(delete(fatigue))
        connection.execute(delete(fatigue_run))
        connection.execute(generation.update().values(generation=generation.c.generation + 1))


def _batches(values: list) -> list[list]:
    return [values[start:start + ID_BATCH] for start in range(0, len(values), ID_BATCH)]


def _member_rows():
    source = Member.__table__
    counted = and_(not_(source.c.is_staff), not_(source.c.is_bot))
    return select(source.c.member_id, source.c.region, source.c.country, source.c.vendor,
                  case((counted, True), else_=False).label("counted"))


def _snapshot_members(connection: Connection) -> None:
    connection.execute(insert(member).from_select(["member_id", "region", "country", "vendor", "counted"],
                                                  _member_rows()))


def _changed_members(connection: Connection, *, new_only: bool = False) -> list[str]:
    """Members whose region, country, vendor or staff/bot flags differ from the snapshot (or who are new or gone).

    `new_only`: just the members missing from the snapshot.
    """
    if new_only:
        source = Member.__table__
        return sorted(member_id for (member_id,) in connection.execute(
            select(source.c.member_id).where(~source.c.member_id.in_(select(member.c.member_id)))))
    current = _member_rows().subquery()
    differs = or_(*(~current.c[name].is_not_distinct_from(member.c[name])
                    for name in ("region", "country", "vendor", "counted")))
    changed = select(current.c.member_id).select_from(
        current.outerjoin(member, member.c.member_id == current.c.member_id)).where(
        or_(member.c.member_id.is_(None), differs))
    gone = select(member.c.member_id).where(~member.c.member_id.in_(select(Member.__table__.c.member_id)))
    return sorted({row[0] for row in connection.execute(changed)} | {row[0] for row in connection.execute(gone)})


def _update_snapshot(connection: Connection, changed: list[str]) -> None:
    source = _member_rows().subquery()
    for batch in _batches(changed):
        connection.execute(delete(member).where(member.c.member_id.in_(batch)))
        connection.execute(insert(member).from_select(
            ["member_id", "region", "country", "vendor", "counted"],
            select(source).where(source.c.member_id.in_(batch))))


def _days_worked(connection: Connection, members: list[str]) -> set[dt.date]:
    activity = Activity.__table__
    days: set[dt.date] = set()
    for batch in _batches(members):
        rows = connection.execute(select(activity.c.day).where(activity.c.member_id.in_(batch)).distinct())
        days.update(pd.Timestamp(day).date() for (day,) in rows)
    return days


def _days_since(connection: Connection, since: dt.date) -> set[dt.date]:
    activity = Activity.__table__
    rows = connection.execute(select(activity.c.day).where(activity.c.day >= since).distinct())
    return {pd.Timestamp(day).date() for (day,) in rows}


def _counted():
    # Not `counted = 1`: SQLite then builds a partial index on the flag and probes it for each of 3M rows.
    return member.c.counted != False  # noqa: E712


def _counted_activity():
    """Activity joined to the members counted in workforce metrics (staff and bots left out)."""
    activity = Activity.__table__
    return activity.join(member, and_(member.c.member_id == activity.c.member_id, _counted()))


def _fill_project_days(connection: Connection, *, since: dt.date | None = None, days: list | None = None) -> None:
    activity = Activity.__table__
    source = _counted_activity()
    if since is None and days is None and connection.dialect.name == "sqlite":
        # All of it: walking the members and each one's rows by index beats looking every row's member up
        # (7 s against 18 s at `large`); an expression on the member side keeps SQLite from the latter.
        source = member.join(activity, activity.c.member_id == member.c.member_id.op("||")(literal_column("''")))
    statement = (
        select(activity.c.project_id, activity.c.day, member.c.region, member.c.vendor,
               *(func.sum(activity.c[name]).label(name) for name in MEASURES))
        .select_from(source)
        .where(_counted())
        .group_by(activity.c.project_id, activity.c.day, member.c.region, member.c.vendor)
    )
    if since is not None:
        statement = statement.where(activity.c.day >= since)
    if days is not None:
        statement = statement.where(activity.c.day.in_(days))
    connection.execute(insert(project_day).from_select(["project_id", "day", "region", "vendor", *MEASURES],
                                                       statement))


def _fill_member_days(connection: Connection, days) -> None:
    """(Re)pack these days' per-member sums, a few days per read."""
    activity = Activity.__table__
    days = sorted(days)
    for start in range(0, len(days), MEMBER_DAYS_PER_READ):
        part = days[start:start + MEMBER_DAYS_PER_READ]
        connection.execute(delete(member_day).where(member_day.c.day.in_(part)))
        # Grouped in the day index's (day, member) order, without a sort: a member has one region.
        statement = (
            select(type_coerce(activity.c.day, String).label("day"), activity.c.member_id,
                   func.min(member.c.region).label("region"),
                   func.max(case((activity.c.tasks_submitted > 0, 1), else_=0)).label("worked"),
                   *(func.sum(activity.c[name]).label(name) for name in MEASURES))
            .select_from(_counted_activity()).where(_counted(), activity.c.day.in_(part))
            .group_by(activity.c.day, activity.c.member_id))
        rows = frame_on(connection, statement)
        packed = []
        for (day, region), group in rows.groupby(["day", "region"], dropna=False, sort=True):
            ids, sums = pack_day(group)
            packed.append({"day": pd.Timestamp(str(day)).date(), "region": None if pd.isna(region) else region,
                           "members": len(group), "ids": ids, "sums": sums})
        if packed:
            connection.execute(insert(member_day), packed)


def _presence_rows(connection: Connection, *, members: list[str] | None = None, days: list | None = None,
                   first_block: int | None = None, grouped: bool = True):
    """(member, project, block, region, vendor, seen, worked) of the counted members' activity, as a select.

    Not `grouped`: a row per activity row, for an upsert that ORs repeated keys together itself.
    """
    activity = Activity.__table__
    conditions = []
    if members is not None:
        conditions.append(activity.c.member_id.in_(members))
    if first_block is not None:
        conditions.append(activity.c.day >= EPOCH + dt.timedelta(days=first_block * BLOCK_DAYS))
    if days is not None and len(days) <= MAX_LISTED_DAYS:
        # A few days (an import's): each one's block and bit listed (a VALUES table joined on the day, as a
        # CTE since SQLite names no VALUES columns otherwise), so the rows are read by the day index and
        # add constants instead of each working out its bit.
        listed = values(column("day", Date), column("block", Integer), column("bit", BigInteger),
                        name="day_bits").data([(day, day_number(day) // BLOCK_DAYS, 1 << day_number(day) % BLOCK_DAYS)
                                               for day in sorted(days)])
        listed = listed.cte("day_bits")
        rows = select(activity.c.member_id, activity.c.project_id, listed.c.block.label("block"),
                      listed.c.bit.label("bit"), activity.c.tasks_submitted) \
            .select_from(listed.join(activity, activity.c.day == listed.c.day)).where(*conditions).subquery()
        bit = rows.c.bit
    else:
        if days is not None:
            conditions.append(activity.c.day.in_(days))
        number = day_number_sql(connection, activity.c.day)
        rows = select(activity.c.member_id, activity.c.project_id, (number // BLOCK_DAYS).label("block"),
                      (number % BLOCK_DAYS).label("offset"), activity.c.tasks_submitted).where(*conditions).subquery()
        bit = cast(literal_column("1"), BigInteger).op("<<")(rows.c.offset)
    worked = case((rows.c.tasks_submitted > 0, bit), else_=literal_column("0"))
    if not grouped:
        return (select(rows.c.member_id, rows.c.project_id, rows.c.block, member.c.region, member.c.vendor,
                       cast(bit, BigInteger).label("seen"), cast(worked, BigInteger).label("worked"))
                .select_from(rows.join(member, and_(member.c.member_id == rows.c.member_id, _counted()))))
    # Aggregated before joining the members: in key order, without looking up each row's member.
    bits = (
        select(rows.c.member_id, rows.c.project_id, rows.c.block,
               cast(func.sum(bit), BigInteger).label("seen"),
               cast(func.sum(worked), BigInteger).label("worked"))
        .group_by(rows.c.block, rows.c.project_id, rows.c.member_id)  # the table's key order
    ).subquery()
    return (select(bits.c.member_id, bits.c.project_id, bits.c.block, member.c.region, member.c.vendor, bits.c.seen,
                   bits.c.worked)
            .select_from(bits.join(member, and_(member.c.member_id == bits.c.member_id, _counted()))))


PRESENCE_COLUMNS = ["member_id", "project_id", "block", "region", "vendor", "seen", "worked"]


def _fill_presence(connection: Connection, *, members: list[str] | None = None,
                   first_block: int | None = None) -> None:
    connection.execute(insert(presence).from_select(
        PRESENCE_COLUMNS, _presence_rows(connection, members=members, first_block=first_block)))


def _update_presence_since(connection: Connection, since: dt.date, days: list[dt.date], *,
                           members: list[str] | None) -> None:
    """Redo the bits of days from `since` on (of some members): clear them, then OR in the rows stored now
    (`days`: the days from `since` on that have activity)."""
    first_block, offset = divmod(day_number(since), BLOCK_DAYS)
    mine = [presence.c.member_id.in_(members)] if members is not None else []
    keep = (1 << offset) - 1
    # Only rows with a bit from `since` on change (`worked` bits are a subset of `seen`'s).
    cleared = connection.execute(
        presence.update().where(presence.c.block == first_block, presence.c.seen.op("&")(FULL_BITS ^ keep) != 0,
                                *mine)
        .values(seen=presence.c.seen.op("&")(keep), worked=presence.c.worked.op("&")(keep))).rowcount
    connection.execute(delete(presence).where(presence.c.block > first_block, *mine))
    if cleared:
        connection.execute(delete(presence).where(presence.c.block == first_block, presence.c.seen == 0, *mine))
    if not days:
        return
    upsert = dialect_insert(connection)
    # SQLite upserts each activity row as it is read, skipping a sort of them all by the key; PostgreSQL's
    # upsert must not meet a key twice. The WHERE (the join's own condition again) ends the SELECT: SQLite
    # would read ON CONFLICT as the join's.
    rows = _presence_rows(connection, members=members, days=days, grouped=connection.dialect.name == "postgresql")
    statement = upsert(presence).from_select(PRESENCE_COLUMNS, rows.where(_counted()))
    connection.execute(statement.on_conflict_do_update(
        index_elements=PRESENCE_KEY,
        set_={"seen": presence.c.seen.op("|")(statement.excluded.seen),
              "worked": presence.c.worked.op("|")(statement.excluded.worked)}))


def data_as_of_day(connection: Connection) -> dt.date | None:
    """The day the data describes, as `core.timeline.data_as_of` finds it (the pages' default last day)."""
    moment = timeline.latest_moment(connection)
    return None if moment is None else moment.date()


def _fill_fatigue(connection: Connection) -> None:
    """Start the generation count and store the fatigue alerts of the pages' default view."""
    connection.execute(insert(generation).values(generation=1))
    as_of = data_as_of_day(connection)
    if as_of is not None:
        window_start = as_of - dt.timedelta(days=FATIGUE_DAYS)
        store_fatigue(connection, as_of, window_start, 1, fatigue_alerts(connection, as_of, window_start=window_start))


def current_generation(connection: Connection) -> int | None:
    """The generation stored fatigue alerts must carry to be read (None before a build)."""
    return connection.execute(select(generation.c.generation)).scalar()


def store_fatigue(connection: Connection, as_of: dt.date, window_start: dt.date, computed_in: int,
                  alerts: pd.DataFrame) -> None:
    """Keep fatigue alerts (all projects, all regions) computed while `computed_in` was the generation."""
    run = and_(fatigue_run.c.as_of == as_of, fatigue_run.c.window_start == window_start)
    connection.execute(delete(fatigue_run).where(run))
    connection.execute(delete(fatigue).where(fatigue.c.as_of == as_of, fatigue.c.window_start == window_start))
    connection.execute(insert(fatigue_run).values(as_of=as_of, window_start=window_start, generation=computed_in))
    if len(alerts):
        rows = alerts[[column.name for column in fatigue.c if column.name not in ("as_of", "window_start")]]
        rows = rows.astype(object).where(rows.notna(), None).assign(as_of=as_of, window_start=window_start)
        connection.execute(insert(fatigue), rows.to_dict("records"))
