"""Taking back what a failed import already committed, so that a failed import leaves stored data as it was.

An import writes in short committed batches (other writers get SQLite's lock between them) and refreshes
the roll-ups only in its last transaction. What each batch changes is journalled on the import's own
connection: rows inserted without staging are remembered by key in memory (the happy path pays nothing
more), rows the staged upsert inserts or changes are noted in temporary tables (the changed rows' stored
values, copied just before the update), and referenced taskers, projects and surveys created on the way
by id. When the import fails, `Journal.undo` deletes the inserted rows and the created references and puts
the changed rows' old values back, in one transaction; the roll-ups were never refreshed for the import,
so they match again. A process killed mid-import loses its journal (temporary tables): its committed
batches stay, as the sync history's missing "finished" run shows.
"""

import pandas as pd
from sqlalchemy import Column as SAColumn
from sqlalchemy import Connection, MetaData, Table

from core.bulk import bulk_insert

OLD = "_cp_import_undo_old"  # the stored rows an upsert changed, as they were
NEW = "_cp_import_undo_new"  # the keys of the rows an upsert inserted
KEYS = "_cp_import_undo_keys"  # rows inserted directly, loaded from memory when undoing


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class Journal:
    """What one import has written so far (on its connection), to be undone if the import fails."""

    def __init__(self, conn: Connection, target: Table, key: tuple[str, ...]):
        self.conn, self.target, self.key = conn, target, key
        self.inserted: list[pd.DataFrame] = []  # keys of rows inserted without staging
        self.created: dict[Table, list[str]] = {}  # references created: table -> ids
        self.staged = False  # whether the temporary tables exist
        self.prefix = "temp." if conn.dialect.name == "sqlite" else ""

    def note_inserted(self, frame: pd.DataFrame) -> None:
        """Remember the keys of rows inserted straight into the target."""
        self.inserted.append(frame[list(self.key)].copy())

    def note_created(self, table: Table, ids: list[str]) -> None:
        """Remember taskers, projects or surveys the import created."""
        self.created.setdefault(table, []).extend(ids)

    def note_upsert(self, stage: str, differs: str) -> None:
        """Before a staged upsert: note the keys it will insert and copy the rows it will change.

        `differs` is SQL over the target (aliased t) and the stage (aliased s): whether a row changes.
        """
        target = _quote(self.target.name)
        keys = ", ".join(_quote(k) for k in self.key)
        join = " AND ".join(f"t.{_quote(k)} = s.{_quote(k)}" for k in self.key)
        if not self.staged:
            self.drop()
            self.conn.exec_driver_sql(f"CREATE TEMPORARY TABLE {OLD} AS SELECT * FROM {target} WHERE 1 = 0")
            self.conn.exec_driver_sql(f"CREATE TEMPORARY TABLE {NEW} AS SELECT {keys} FROM {target} WHERE 1 = 0")
            self.staged = True
        self.conn.exec_driver_sql(f"INSERT INTO {NEW} ({keys}) SELECT {', '.join('s.' + _quote(k) for k in self.key)} "
                                  f"FROM {stage} s WHERE NOT EXISTS (SELECT 1 FROM {target} t WHERE {join})")
        self.conn.exec_driver_sql(f"INSERT INTO {OLD} SELECT t.* FROM {target} t JOIN {stage} s ON {join} "
                                  f"WHERE {differs}")

    def undo(self) -> None:
        """Delete what the import inserted or created and restore what it changed (inside the caller's
        transaction)."""
        if self.inserted:
            keys = pd.concat(self.inserted, ignore_index=True)
            table = Table(KEYS, MetaData(), *(SAColumn(k, self.target.c[k].type) for k in self.key))
            self.conn.exec_driver_sql(f"DROP TABLE IF EXISTS {self.prefix}{KEYS}")
            self.conn.exec_driver_sql(f"CREATE TEMPORARY TABLE {KEYS} AS SELECT "
                                      f"{', '.join(_quote(k) for k in self.key)} FROM {_quote(self.target.name)} "
                                      "WHERE 1 = 0")
            bulk_insert(self.conn, table, keys)
            self._delete_keys(KEYS)
        if self.staged:
            self._delete_keys(NEW)
            self._restore()
        for table, ids in reversed(list(self.created.items())):
            column = table.c[table.primary_key.columns.keys()[0]]
            for start in range(0, len(ids), 5_000):
                self.conn.execute(table.delete().where(column.in_(ids[start:start + 5_000])))
        self.drop()

    def _delete_keys(self, keys_table: str) -> None:
        target = _quote(self.target.name)
        match = " AND ".join(f"k.{_quote(k)} = {target}.{_quote(k)}" for k in self.key)
        self.conn.exec_driver_sql(f"DELETE FROM {target} WHERE EXISTS (SELECT 1 FROM {keys_table} k WHERE {match})")

    def _restore(self) -> None:
        target = _quote(self.target.name)
        others = [c.name for c in self.target.columns if c.name not in self.key]
        if not others:
            return
        match = " AND ".join(f"{target}.{_quote(k)} = o.{_quote(k)}" for k in self.key)
        assignments = ", ".join(f"{_quote(c)} = o.{_quote(c)}" for c in others)
        self.conn.exec_driver_sql(f"UPDATE {target} SET {assignments} FROM {OLD} o WHERE {match}")

    def drop(self) -> None:
        """Remove the journal's temporary tables."""
        for name in (OLD, NEW, KEYS):
            self.conn.exec_driver_sql(f"DROP TABLE IF EXISTS {self.prefix}{name}")
        self.staged = False
