"""The community's member rows as a frame, read on the driver's cursor and typed through Arrow.

Reading 100k members is most of a Health view's cold time: the driver's rows are cheap next to
turning 200k timestamps into pandas values. Text columns go through Arrow (`str` dtype, as pandas
makes them); timestamps are parsed by Arrow from SQLite's ISO text, or come from PostgreSQL as
microseconds since 1970 (exact for `timestamptz`), instead of one Python datetime per value.
Anything Arrow cannot read exactly (an offset in SQLite's text, say) is read by `core.frames.as_utc`.

Python's cyclic garbage collector is paused while the rows are made: 400k new tuples and strings (none
of them cyclic) set it off again and again, each pass walking every row made so far, which took about
as long as the read itself at large (0.31 → 0.18 s for the fetch, 0.21 → 0.05 s for the columns).
"""

import gc
import threading
from contextlib import contextmanager

import numpy as np
import pandas as pd
import pyarrow as pa
from sqlalchemy import BigInteger, Engine, cast, extract, not_, select

from core.frames import as_utc, driver_rows
from core.models import Member

# Members looked up by id at a time (under SQLite's 32,766 bound parameters); past this, one scan is cheaper.
ID_BATCH = 20_000
MICROSECONDS = 1_000_000


def community_rows(engine: Engine, names: list[str], *, regions=None, member_ids=None) -> pd.DataFrame:
    """Columns `names` of the non-staff, non-bot members (in the regions, or with these ids), ordered by id;
    `*_at` columns as UTC timestamps (microseconds), the others as text."""
    member = Member.__table__
    micros = engine.dialect.name == "postgresql"
    selected = [_microseconds(member.c[name]) if micros and name.endswith("_at") else member.c[name] for name in names]
    statement = (
        select(*selected)
        .where(not_(member.c.is_staff), not_(member.c.is_bot))
        .order_by(member.c.member_id)
    )
    if regions:
        statement = statement.where(member.c.region.in_(list(regions)))
    with collector_paused():
        if member_ids is None:
            rows = driver_rows(engine, statement)
        else:
            ids = sorted({str(member_id) for member_id in member_ids})
            rows = [row for start in range(0, len(ids), ID_BATCH) for row in
                    driver_rows(engine, statement.where(member.c.member_id.in_(ids[start:start + ID_BATCH])))]
        columns = list(zip(*rows)) if rows else [()] * len(names)
        del rows
        return pd.DataFrame({name: _timestamps(values) if name.endswith("_at") else _texts(values)
                             for name, values in zip(names, columns)}, columns=names)


_pause_lock = threading.Lock()
_pauses = {"open": 0, "resume": False}  # pauses open across threads; whether the collector was on before the first


@contextmanager
def collector_paused():
    """Python's cyclic garbage collector off for a bulk read, back on (if it was on) when the last open pause ends.

    gc.disable is process-wide and Streamlit runs sessions in threads: a pause that overlaps another must
    neither switch the collector back on under it nor leave it off for good."""
    with _pause_lock:
        if _pauses["open"] == 0:
            _pauses["resume"] = gc.isenabled()
            gc.disable()
        _pauses["open"] += 1
    try:
        yield
    finally:
        with _pause_lock:
            _pauses["open"] -= 1
            if _pauses["open"] == 0 and _pauses["resume"]:
                gc.enable()


def _microseconds(column):
    """A PostgreSQL timestamp as whole microseconds since 1970-01-01 UTC (its epoch is an exact numeric)."""
    return cast(extract("epoch", column) * MICROSECONDS, BigInteger).label(column.name)


def _texts(values) -> pd.Series:
    """Text values (None for NULL) as a `str` Series."""
    try:
        return pd.Series(pd.array(pa.array(values, type=pa.large_string()), dtype="str"))
    except (pa.ArrowException, TypeError, ValueError):
        return pd.Series(np.array(values, dtype=object), dtype="str")


def _timestamps(values) -> pd.Series:
    """Microseconds since 1970 or SQLite's UTC text (None for NULL) as datetime64[us, UTC]."""
    try:
        sample = next((value for value in values if value is not None), None)
        if isinstance(sample, int):
            parsed = pa.array(values, type=pa.int64()).cast(pa.timestamp("us"))
        elif isinstance(sample, str) or sample is None:
            parsed = pa.array(values, type=pa.string()).cast(pa.timestamp("us"))
        else:
            return as_utc(np.array(values, dtype=object))
    except (pa.ArrowException, TypeError, ValueError):
        return as_utc(np.array(values, dtype=object))
    naive = pd.Series(parsed.to_numpy(zero_copy_only=False).astype("datetime64[us]"))
    return naive.dt.tz_localize("UTC")
