"""Roll-ups for the activity area (see `core.rollups`)."""

import datetime as dt

from sqlalchemy import Connection, MetaData

NAME = "activity"
VERSION = 0
ENTITIES: frozenset[str] = frozenset()
METADATA = MetaData()  # this area's roll-up tables


def rebuild(connection: Connection) -> None:
    """Fill this area's (freshly created, empty) roll-up tables from the source tables."""


def refresh(connection: Connection, *, ids: list[str] | None, since: dt.date | None) -> None:
    """Bring this area's roll-ups up to date after a write to one of ENTITIES."""
    for table in reversed(METADATA.sorted_tables):
        connection.execute(table.delete())
    rebuild(connection)
