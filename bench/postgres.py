"""A local PostgreSQL 15 for the bench (and the tests' --postgres pass), and loading it from a seeded SQLite file.

`PostgresServer` is a cluster in a directory of its own, reachable over TCP as the superuser `app`
with trust auth. initdb refuses to run as root, so as root the cluster belongs to the `postgres`
user. The bench keeps its cluster (data/bench-SCALE-pg/) between runs and only starts and stops
it; the tests make a throwaway one in a temporary directory.

`copy_from_sqlite` fills an empty PostgreSQL database with exactly the rows of a seeded SQLite
bench database, through the same COPY writer seeding uses (`core.bulk.bulk_insert`), then builds
the roll-ups from them: the same community as `seed_demo` would write, without generating it again.
"""

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

PG_VERSION = "15"
# Rebuilt from the copied rows, never copied.
NOT_COPIED = ("rollupstate",)


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def find_postgres_bin() -> Path | None:
    """The directory holding initdb and pg_ctl, preferring PostgreSQL 15."""
    candidates = [Path(f"/usr/lib/postgresql/{PG_VERSION}/bin")]
    on_path = shutil.which("pg_ctl")
    if on_path:
        candidates.append(Path(on_path).resolve().parent)
    for directory in candidates:
        if (directory / "initdb").exists() and (directory / "pg_ctl").exists():
            return directory
    return None


@dataclass
class PostgresServer:
    """A PostgreSQL cluster in `base_dir`, reachable over TCP as superuser `app`."""

    bin_dir: Path
    base_dir: Path
    port: int = field(default_factory=free_port)
    # initdb refuses to run as root, so as root the cluster belongs to the `postgres` user.
    run_as_postgres: bool = field(default_factory=lambda: os.geteuid() == 0)
    # Throwaway clusters skip durability; a kept one (the bench's) stays crash-safe.
    durable: bool = False

    @property
    def data_dir(self) -> Path:
        return self.base_dir / "data"

    @property
    def log_file(self) -> Path:
        return self.base_dir / "server.log"

    def url(self, database: str) -> str:
        """SQLAlchemy URL of one database on this server."""
        return f"postgresql+psycopg://app@127.0.0.1:{self.port}/{database}"

    def _run(self, tool: str, *args: str) -> None:
        command = [str(self.bin_dir / tool), *args]
        if self.run_as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        result = subprocess.run(command, cwd=self.base_dir, capture_output=True, text=True)
        if result.returncode != 0:
            log = self.log_file.read_text() if self.log_file.exists() else ""
            raise RuntimeError(f"{' '.join(command)} failed ({result.returncode}):\n"
                               f"{result.stdout}{result.stderr}\n{log[-3000:]}")

    def initialized(self) -> bool:
        """Whether the cluster's data directory exists already."""
        return (self.data_dir / "PG_VERSION").exists()

    def initdb(self) -> None:
        """Create the cluster: trust auth, superuser `app`."""
        self.base_dir.mkdir(parents=True, exist_ok=True)
        if self.run_as_postgres:
            shutil.chown(self.base_dir, user="postgres", group="postgres")
        self._run("initdb", "-D", str(self.data_dir), "-A", "trust", "-U", "app",
                  "-E", "UTF8", "--locale=C", *(() if self.durable else ("--no-sync",)))

    def start(self) -> None:
        """Start the server on its own port and socket directory, waiting until it accepts."""
        options = f"-p {self.port} -k {self.base_dir} -c listen_addresses=127.0.0.1"
        if not self.durable:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        self._run("pg_ctl", "-D", str(self.data_dir), "-o", options,
                  "-l", str(self.log_file), "-w", "-t", "120", "start")

    def stop(self) -> None:
        """Stop the server fast (disconnecting clients)."""
        self._run("pg_ctl", "-D", str(self.data_dir), "-m", "fast", "-w", "-t", "120", "stop")

    def execute(self, sql: str) -> None:
        """Run one statement outside a transaction (CREATE/DROP DATABASE need that)."""
        import psycopg

        with psycopg.connect(host="127.0.0.1", port=self.port, user="app",
                             dbname="postgres", autocommit=True) as connection:
            connection.execute(sql)

    def ensure_database(self, name: str) -> str:
        """Create database `name` unless it exists; returns its URL."""
        import psycopg

        with psycopg.connect(host="127.0.0.1", port=self.port, user="app",
                             dbname="postgres", autocommit=True) as connection:
            if connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is None:
                connection.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


@contextmanager
def kept_cluster(base_dir: Path, port: int | None = None) -> Iterator[PostgresServer]:
    """The bench's PostgreSQL cluster in `base_dir`: made on first use, started for the block, stopped after."""
    bin_dir = find_postgres_bin()
    if bin_dir is None:
        raise RuntimeError(f"PostgreSQL {PG_VERSION} server binaries (initdb, pg_ctl) not found; "
                           f"install postgresql-{PG_VERSION}")
    server = PostgresServer(bin_dir=bin_dir, base_dir=Path(base_dir).resolve(), port=port or free_port(),
                            durable=True)
    if not server.initialized():
        server.initdb()
    server.start()
    try:
        yield server
    finally:
        server.stop()


# --- loading ------------------------------------------------------------------------------------


# pandas, SQLAlchemy and core load only here, so the tests' conftest can import the server cheaply.


def _tables_to_copy() -> list:
    from sqlmodel import SQLModel

    from core import models  # noqa: F401  (registers every table on SQLModel.metadata)

    return [t for t in SQLModel.metadata.sorted_tables if t.name not in NOT_COPIED]


def table_counts(engine) -> dict[str, int]:
    """Rows per stored (non-roll-up) table."""
    from sqlalchemy import func, select

    with engine.connect() as connection:
        return {t.name: connection.execute(select(func.count()).select_from(t)).scalar_one()
                for t in _tables_to_copy()}


def copy_from_sqlite(sqlite_url: str, url: str, *, chunk: int = 200_000,
                     progress: Callable[[str], None] = lambda _m: None) -> dict[str, int]:
    """Fill PostgreSQL `url` with every stored row of `sqlite_url`, then build the roll-ups; rows per table."""
    import pandas as pd
    from sqlalchemy import select, text

    from core import rollups
    from core.bulk import bulk_insert
    from core.db import init_db, make_engine

    source, target = make_engine(sqlite_url), make_engine(url)
    try:
        init_db(target)
        with source.connect() as reading, target.begin() as writing:
            # The rows already satisfied every foreign key where they were seeded: skip the per-row FK
            # triggers for this transaction (the counts are compared below).
            writing.execute(text("SET LOCAL session_replication_role = replica"))
            for table in reversed(_tables_to_copy()):
                writing.execute(table.delete())
            for table in _tables_to_copy():
                started, rows = time.perf_counter(), 0
                # Selecting the typed table gives Python values (datetimes, dicts, bools), as seeding writes them.
                for frame in pd.read_sql(select(table), reading, chunksize=chunk):
                    rows += bulk_insert(writing, table, frame)
                if rows:
                    progress(f"Copied {rows:,} {table.name} rows in {time.perf_counter() - started:.0f} s")
                _reset_sequence(writing, table)
            progress("Building the roll-up tables from the copied rows…")
            rollups.refresh_all(writing, progress=progress)
        copied, expected = table_counts(target), table_counts(source)
        if copied != expected:
            raise RuntimeError(f"PostgreSQL copy differs from {sqlite_url}: {copied} != {expected}")
        with target.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))
        return copied
    finally:
        source.dispose()
        target.dispose()


def _reset_sequence(connection, table) -> None:
    """Point a serial key's sequence past the copied ids, so later inserts do not collide."""
    from sqlalchemy import Integer, text

    key = [c for c in table.primary_key.columns if c.autoincrement is not False and isinstance(c.type, Integer)]
    if len(key) != 1:
        return
    column = key[0].name
    sequence = connection.execute(text("SELECT pg_get_serial_sequence(:t, :c)"),
                                  {"t": table.name, "c": column}).scalar_one()
    if sequence:
        connection.execute(text(f'SELECT setval(:s, COALESCE((SELECT MAX("{column}") FROM "{table.name}"), 0) + 1, '
                                "false)"), {"s": sequence})


def database_size_bytes(url: str) -> int | None:
    """The database's real size on disk: the SQLite file with its WAL, or pg_database_size."""
    from sqlalchemy import text

    from core.db import make_engine

    engine = make_engine(url)
    try:
        if engine.dialect.name == "sqlite":
            path = Path(engine.url.database or "")
            files = [path, Path(f"{path}-wal")]
            return sum(f.stat().st_size for f in files if f.exists()) if path.exists() else None
        if engine.dialect.name == "postgresql":
            with engine.connect() as connection:
                return connection.execute(text("SELECT pg_database_size(current_database())")).scalar_one()
        return None
    finally:
        engine.dispose()
