"""Engine, sessions, schema migrations and the data versions (overall and per area) that writes bump."""

import datetime as dt
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, event, inspect, make_url, text
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlmodel import Session, create_engine, select

from core import models, rollups
from core.errors import DatabaseUnavailable
from core.settings import get_settings

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


SQLITE_MMAP_BYTES = 256 * 1024 * 1024
# How long an ordinary write waits for SQLite's write lock (an import lets others in between its batches).
BUSY_TIMEOUT_MS = 5000


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # WAL + busy timeout: measured here, concurrent writers stop failing with "database is locked".
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # Read through a memory map of up to 256 MB: pages come straight from the OS page cache instead
    # of being copied into SQLite's own cache first (the large scale's cold reads got faster).
    cursor.execute(f"PRAGMA mmap_size={SQLITE_MMAP_BYTES}")
    cursor.close()


# An import writes all over the activity table's indexes and the roll-ups in one transaction: with
# SQLite's default 2 MB page cache it keeps spilling dirty pages and reading them back.
WRITE_CACHE_KIB = 128 * 1024


@contextmanager
def bulk_write(connection: Connection) -> Iterator[None]:
    """Settings for an import's one large write on SQLite: a larger page cache, and no foreign-key check per row.

    The importer checks every reference of a batch's rows itself, in the batch's transaction, before writing
    them (`core.ingest.importer`: unknown members and projects are created or the rows rejected), and SQLite
    lets no other writer in during a batch; checking each row again cost ~4% of an import. Both settings
    are restored afterwards, so every other write stays checked. PostgreSQL: nothing changes.
    """
    if connection.dialect.name != "sqlite":
        yield
        return
    # On the driver's connection, before the transaction begins: SQLite ignores foreign_keys inside one.
    driver = connection.connection.driver_connection
    before = driver.execute("PRAGMA cache_size").fetchone()[0]
    driver.execute(f"PRAGMA cache_size=-{WRITE_CACHE_KIB}")
    driver.execute("PRAGMA foreign_keys=OFF")
    try:
        yield
    finally:
        if not connection.invalidated:
            driver.execute("PRAGMA foreign_keys=ON")
            driver.execute(f"PRAGMA cache_size={int(before)}")


# How long a batch of an import waits for another writer (an import's batch, a sync, a click) before giving up.
WRITE_PATIENCE_SECONDS = 300.0
# While waiting, each attempt at the write lock waits this long inside SQLite before we look again.
WRITE_POLL_MS = 200
def _is_busy(exc: OperationalError) -> bool:
    text = str(exc.orig).lower()
    return "locked" in text or "busy" in text


@contextmanager
def write_batch(connection: Connection, *, on_wait: Callable[[str], None] | None = None,
                patience: float = WRITE_PATIENCE_SECONDS) -> Iterator[None]:
    """One batch of a long write as its own transaction, committed at the end (rolled back on an error).

    On SQLite the write lock is taken up front (BEGIN IMMEDIATE): when another writer holds it, the batch
    has written nothing yet, so it waits, says so once through `on_wait`, and tries again until `patience`
    runs out; other writers get their turn between batches. PostgreSQL locks rows, so a batch just begins.
    """
    if connection.dialect.name == "sqlite":
        _begin_immediate(connection, on_wait, patience)
    elif not connection.in_transaction():
        connection.begin()
    try:
        yield
    except BaseException:
        if not connection.invalidated:
            connection.rollback()
        raise
    connection.commit()


def _begin_immediate(connection: Connection, on_wait: Callable[[str], None] | None, patience: float) -> None:
    """Take SQLite's write lock, waiting in short polls (and saying so once) while another writer holds it."""
    driver = connection.connection.driver_connection
    deadline, told = time.monotonic() + patience, False
    driver.execute(f"PRAGMA busy_timeout={WRITE_POLL_MS}")
    try:
        while True:
            try:
                connection.exec_driver_sql("BEGIN IMMEDIATE")
                return
            except OperationalError as exc:
                connection.rollback()
                if not _is_busy(exc):
                    raise
                if time.monotonic() >= deadline:
                    raise DatabaseUnavailable(
                        f"The database stayed busy with another write for {patience:.0f} s; nothing of this batch "
                        "was written. Try again when the other import or sync has finished.") from exc
                if not told and on_wait is not None:
                    on_wait("Another write (an import, a sync or a change on a page) holds the database; "
                            "waiting for it to finish.")
                told = True
    finally:
        driver.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")


def make_engine(url: str | None = None) -> Engine:
    """An engine for the configured (or given) database URL, with SQLite made safe for concurrency."""
    url = url or get_settings().database_url
    if url.startswith("sqlite:///") and ":memory:" not in url:
        Path(url[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
    connect_args = {"check_same_thread": False} if url.startswith("sqlite") else {}
    engine = create_engine(url, connect_args=connect_args, pool_pre_ping=True)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def alembic_config(engine: Engine) -> "Config":
    """Alembic configuration pointing at our migrations and this engine."""
    from alembic.config import Config  # alembic takes ~0.25 s to import: only migrations pay it, not every command

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    cfg.attributes["engine"] = engine
    return cfg


def init_db(engine: Engine) -> None:
    """Create or upgrade the schema to the newest migration."""
    from alembic import command  # imported here, not at start: see alembic_config

    try:
        with engine.begin() as connection:
            cfg = alembic_config(engine)
            cfg.attributes["connection"] = connection
            command.upgrade(cfg, "head")
    except DBAPIError as exc:  # a corrupt SQLite file is a DatabaseError, not an OperationalError
        raise DatabaseUnavailable(database_problem(exc, engine.url)) from exc
    with Session(engine) as session:
        for row_id in (OVERALL_ID, *AREA_IDS.values()):
            if session.get(models.DataVersion, row_id) is None:
                session.add(models.DataVersion(id=row_id, version=0))
        session.commit()
    rollups.ensure_built(engine)


def schema_exists(engine: Engine) -> bool:
    """Whether the tables have been created."""
    return inspect(engine).has_table("member")


def is_empty(engine: Engine) -> bool:
    """True when there is no schema yet or no member stored."""
    if not schema_exists(engine):
        return True
    with engine.connect() as connection:
        return connection.execute(text("SELECT COUNT(*) FROM member")).scalar_one() == 0


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session that commits on success, rolls back on error, and always closes."""
    session = Session(engine)
    try:
        yield session
        session.commit()
    except Exception:
        session.rollback()
        raise
    finally:
        session.close()


# The areas of stored data a write changes and a cached read depends on. Each has its own row in the
# DataVersion table (ids 2…, beside row 1, the overall version every write bumps), so a write invalidates
# only the caches that read its areas, on every app server sharing the database:
#   members   taskers (member)                     projects  projects
#   activity  daily activity                       queues    queue items, their events, SLA policies, enforcement
#   feedback  messages, surveys, survey responses  comms     drafts, sends, deliveries, segments, events, resources
#   roster    roster shifts                        reports   weekly snapshots
#   admin     people, settings, sync sources and runs, the audit trail
AREAS = ("members", "projects", "activity", "queues", "feedback", "comms", "roster", "reports", "admin")
OVERALL_ID = 1
AREA_IDS = {area: row_id for row_id, area in enumerate(AREAS, start=OVERALL_ID + 1)}
OVERALL = "*"  # the key of the overall version in data_versions()

# Writes this process has made (any thread): lets a reader that memoises the version notice them.
_local_writes = 0


def local_writes() -> int:
    """How many times this process has bumped the data version."""
    return _local_writes


def bump_data_version(session: Session, *areas: str) -> int:
    """Mark that stored data in `areas` changed (every area when none is named); returns the overall version."""
    global _local_writes
    unknown = sorted(set(areas) - set(AREAS))
    if unknown:
        raise ValueError(f"Unknown data area(s) {unknown}: choose from {AREAS}.")
    _local_writes += 1
    now = dt.datetime.now(dt.UTC)
    # Ascending ids, so concurrent writers lock the rows in one order (no deadlock on PostgreSQL).
    for row_id in sorted({OVERALL_ID, *(AREA_IDS[area] for area in (areas or AREAS))}):
        row = session.get(models.DataVersion, row_id) or models.DataVersion(id=row_id, version=0)
        row.version += 1
        row.changed_at = now
        session.add(row)
        if row_id == OVERALL_ID:
            overall = row.version
    return overall


def data_version(engine: Engine) -> int:
    """The overall data version (0 on a fresh database): every write bumps it."""
    return data_versions(engine)[OVERALL]


def data_versions(engine: Engine) -> dict[str, int]:
    """Every version in one read: the overall one under OVERALL ("*") and one per area of AREAS (0 when unset)."""
    try:
        with engine.connect() as connection:
            rows = dict(connection.execute(text("SELECT id, version FROM dataversion")).all())
    except OperationalError as exc:
        raise DatabaseUnavailable(database_problem(exc, engine.url)) from exc
    versions = {area: rows.get(row_id, 0) for area, row_id in AREA_IDS.items()}
    versions[OVERALL] = rows.get(OVERALL_ID, 0)
    return versions


def backup_sqlite(engine: Engine, target: Path) -> Path:
    """A consistent copy of a SQLite database, taken with SQLite's online backup API while the app runs."""
    import sqlite3

    if engine.dialect.name != "sqlite":
        raise DatabaseUnavailable("This backup is for SQLite; back up PostgreSQL with pg_dump (see the README).")
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    source = engine.raw_connection()
    try:
        destination = sqlite3.connect(target)
        with destination:
            source.driver_connection.backup(destination)
        destination.close()
    finally:
        source.close()
    return target


# --- a database that is away or broken, in words ---------------------------------------------------

# What drivers say when the server or file is not there (SQLite, psycopg), as opposed to a query
# the database refused (a missing table, a constraint): those are not "cannot reach".
UNREACHABLE_HINTS = ("unable to open database", "could not connect", "connection refused", "connection to server",
                     "server closed the connection", "terminating connection", "the database system is",
                     "could not translate host name", "timeout expired", "connection timed out")
# (what the driver says, as a pattern; what is wrong; what to do), first match wins; {where} names the database.
_PROBLEMS = (
    (r"file is not a database|disk image is malformed|file is encrypted",
     "{where} is damaged or is not a SQLite database",
     "restore it from a backup (`python -m core backup` makes them) or point CROWDPULSE_DATABASE_URL at another file"),
    (r"unable to open database", "{where} cannot be opened",
     "check that its folder exists and that you may write there, or fix CROWDPULSE_DATABASE_URL"),
    (r"database is locked", "{where} is busy: another program holds its write lock", "try again in a moment"),
    (r'password authentication failed|role "[^"]*" does not exist|no password supplied',
     "{where} refused the user and password", "fix them in CROWDPULSE_DATABASE_URL"),
    (r'database "[^"]*" does not exist', "{where} does not exist",
     "create it (createdb) or fix CROWDPULSE_DATABASE_URL"),
    (r'no such table|relation "[^"]*" does not exist', "{where} has no CrowdPulse tables yet (or an older schema)",
     "run `python -m core init-db`"),
    (r"could not translate host name", "{where}: the host name is unknown", "fix the host in CROWDPULSE_DATABASE_URL"),
    ("|".join(map(re.escape, UNREACHABLE_HINTS)), "{where} is not answering",
     "start the database server (or check the network), or fix CROWDPULSE_DATABASE_URL"),
)


def is_unreachable(exc: BaseException) -> bool:
    """Whether a database error means the database is away, rather than a query it refused."""
    if isinstance(exc, DatabaseUnavailable) or getattr(exc, "connection_invalidated", False):
        return True
    text = str(getattr(exc, "orig", None) or exc).lower()
    return any(hint in text for hint in UNREACHABLE_HINTS)


def describe_database(url) -> str:
    """The database in words, never its password: 'the SQLite file data/x.db', 'the PostgreSQL database x on h:5432'."""
    url = make_url(str(url)) if isinstance(url, str) else url
    backend = url.get_backend_name()
    if backend == "sqlite":
        return f"the SQLite file {url.database or ':memory:'}"
    name, port = ("PostgreSQL", url.port or 5432) if backend == "postgresql" else (backend, url.port or "")
    return f"the {name} database {url.database} on {url.host or 'localhost'}:{port}"


def database_problem(exc: BaseException, url) -> str | None:
    """One line in words for a database failure: which database, what is wrong, what to do (None: not one)."""
    if not isinstance(exc, (DBAPIError, DatabaseUnavailable)):
        return None
    if isinstance(exc, DatabaseUnavailable) and exc.__cause__ is None:
        return " ".join(str(exc).split())
    cause = exc.__cause__ if isinstance(exc, DatabaseUnavailable) else exc
    said = " ".join(str(getattr(cause, "orig", None) or cause).split())[:200]
    where = describe_database(url)
    for pattern, wrong, todo in _PROBLEMS:
        if re.search(pattern, said, re.IGNORECASE):
            line = f"{wrong.format(where=where)}: {todo} ({said})."
            break
    else:
        line = f"{where} refused a query: {said}."
    return line[0].upper() + line[1:]
