"""Day numbers and per-block day bitmaps: what the workforce roll-up stores and its readers and fatigue decode.

Bit b of a block's bitmap means day `block·BLOCK_DAYS + b`, days counted from 1970-01-01.
"""

import datetime as dt

from sqlalchemy import Integer, cast, func, literal
from sqlalchemy.sql import ColumnElement

EPOCH = dt.date(1970, 1, 1)
BLOCK_DAYS = 62  # bits 0..61 of a signed 64-bit integer: a sum of them never overflows
FULL_BITS = (1 << BLOCK_DAYS) - 1


def day_number(day: dt.date) -> int:
    """Days from 1970-01-01 to `day`."""
    return (day - EPOCH).days


def day_number_sql(connection, day: ColumnElement) -> ColumnElement:
    """Days from 1970-01-01 to a DATE column, in SQL (SQLite stores dates as ISO text)."""
    if connection.dialect.name == "sqlite":
        return cast(func.julianday(day) - literal(2440587.5), Integer)
    return cast(day - literal(EPOCH), Integer)


def range_masks(start: dt.date, end: dt.date) -> dict[int, int]:
    """Per block, the bitmap of the days start..end (both included) that fall in it."""
    first, last = day_number(start), day_number(end)
    masks = {}
    for block in range(first // BLOCK_DAYS, last // BLOCK_DAYS + 1):
        low, high = max(first, block * BLOCK_DAYS), min(last, block * BLOCK_DAYS + BLOCK_DAYS - 1)
        if low <= high:
            masks[block] = ((1 << (high - low + 1)) - 1) << (low - block * BLOCK_DAYS)
    return masks
