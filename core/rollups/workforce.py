"""Roll-ups for the workforce area (see `core.rollups`)."""

import datetime as dt

from sqlalchemy import Connection

NAME = "workforce"
VERSION = 0
ENTITIES: frozenset[str] = frozenset()


def rebuild(connection: Connection) -> None:
    """Recompute this area's roll-up tables from the source tables."""


def refresh(connection: Connection, *, ids: list[str] | None, since: dt.date | None) -> None:
    """Bring this area's roll-ups up to date after a write to one of ENTITIES."""
    rebuild(connection)
