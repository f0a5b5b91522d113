"""Parsing values: text from any cell, timestamps (never guessing day/month order; zones and offsets), numbers,
yes/no, time zones, emails, and the ids hashed from a row's values when a file has none.

Values are never guessed: a date like 03/04/2026 is rejected as ambiguous unless the caller says
which comes first; a number is a number or the row is rejected.
"""

import datetime as dt
import functools
import hashlib
import math
import re
import warnings
import zoneinfo
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from dateutil import parser as dateparser
from dateutil.parser import ParserError

from core.ingest.contract import Column

# Tokens that mean "no value" in a number, date or yes/no column (not in free text).
MISSING_TOKENS = frozenset({"na", "n/a", "#n/a", "null", "none", "nan", "nat", "-", "—", "–"})
TRUE_TOKENS = frozenset({"true", "t", "yes", "y", "1", "x", "✓", "✔"})
FALSE_TOKENS = frozenset({"false", "f", "no", "n", "0"})
# Spreadsheet serial dates count days from 1899-12-30; 10000-99999 covers 1927-2173.
SERIAL_EPOCH = pd.Timestamp("1899-12-30")
SERIAL_RANGE = (10_000, 99_999)
YEAR_RANGE = (1900, 2200)


def _as_text(value: Any) -> Any:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, str):
        value = value.strip()
        return value or None
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, (float, np.floating)):
        if math.isnan(value):
            return None
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(float(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (dt.datetime, pd.Timestamp)):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.isoformat()
    return str(value).strip() or None


def text_values(series: pd.Series) -> pd.Series:
    """Any column as stripped text, blanks as missing (numbers from spreadsheets without '.0')."""
    if pd.api.types.is_string_dtype(series) and not pd.api.types.is_object_dtype(series):
        stripped = series.str.strip()
        return stripped.mask(stripped == "")
    values = [_as_text(v) for v in series.tolist()]
    return pd.Series(pd.array(values, dtype="str"), index=series.index)


@functools.lru_cache(maxsize=1)
def _timezones() -> dict[str, str]:
    zones = zoneinfo.available_timezones() | {"UTC"}
    return {z.lower(): z for z in zones}


def time_zones() -> list[str]:
    """Every IANA time zone name, UTC first."""
    return ["UTC", *sorted(z for z in _timezones().values() if z != "UTC")]


EMAIL_RE = r"[^@\s]+@[^@\s]+\.[^@\s]+"
_ISO_DATE_RE = r"\d{4}-\d{2}-\d{2}"
_ISO_RE = r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d{1,9})?)?\s*(?:Z|z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?"
_ISO_ZONE_RE = r"\s*(?:Z|z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)$"
_YMD_SLASH_RE = r"(\d{4})[/.-](\d{1,2})[/.-](\d{1,2})(?:[ T,]+(\d{1,2}):(\d{2})(?::(\d{2}))?)?"
_DMY_RE = r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4}|\d{2})(?:[ T,]+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp][Mm])?)?"
_SERIAL_RE = r"\d{1,6}(?:\.\d+)?"
_MONTH_NAME_RE = r".*[A-Za-z]{3,}.*"


@dataclass
class Parsed:
    """Times read from text: wall-clock time, UTC offset in minutes (NaN when none) and reasons."""

    wall: pd.Series  # datetime64 naive
    offset: pd.Series  # float minutes
    reason: pd.Series  # str or NA


def _assemble(parts: pd.DataFrame, index) -> pd.Series:
    frame = pd.DataFrame({
        "year": pd.to_numeric(parts["year"], errors="coerce"),
        "month": pd.to_numeric(parts["month"], errors="coerce"),
        "day": pd.to_numeric(parts["day"], errors="coerce"),
        "hour": pd.to_numeric(parts.get("hour"), errors="coerce").fillna(0) if "hour" in parts else 0,
        "minute": pd.to_numeric(parts.get("minute"), errors="coerce").fillna(0) if "minute" in parts else 0,
        "second": pd.to_numeric(parts.get("second"), errors="coerce").fillna(0) if "second" in parts else 0,
    }, index=index)
    ok = frame["year"].between(*YEAR_RANGE) & frame["hour"].between(0, 23) & frame["minute"].between(0, 59) \
        & frame["second"].between(0, 59)
    out = pd.Series(pd.NaT, index=index, dtype="datetime64[us]")
    if ok.any():
        good = frame.loc[ok]
        out.loc[ok] = pd.to_datetime(good, errors="coerce").astype("datetime64[us]")
    return out


AMBIGUOUS_DATE = "is ambiguous: day/month or month/day? Set the date order (dayfirst) or write YYYY-MM-DD"
MIXED_ORDERS = ("is in a column that mixes day-first (25/12/2025) and month-first (12/25/2025) dates, so one kind "
                "would be read the wrong way round; set the date order (dayfirst) or write YYYY-MM-DD")
NOT_A_DATE = "is not a date or time this importer reads; use ISO 8601 like 2026-03-04 14:30 or 2026-03-04T14:30Z"


def _matches(text: pd.Series, todo: pd.Series, pattern: str) -> pd.Series:
    out = pd.Series(False, index=text.index)
    if todo.any():
        out.loc[todo] = text[todo].str.fullmatch(pattern).fillna(False).astype(bool)
    return out


def parse_times(text: pd.Series, *, dayfirst: bool = False, monthfirst: bool = False) -> Parsed:
    """Read timestamps from text without guessing: ISO 8601, serial dates, d/m/y only when unambiguous or asked."""
    index = text.index
    parsed = Parsed(pd.Series(pd.NaT, index=index, dtype="datetime64[us]"),
                    pd.Series(np.nan, index=index, dtype="float64"),
                    pd.Series(pd.NA, index=index, dtype="object"))
    present = text.notna()
    if not present.any():
        return parsed
    todo = present.copy()

    # The common cases stay vectorised: a plain ISO date, then ISO date-times with or without a zone.
    dates = todo & text.str.fullmatch(_ISO_DATE_RE).fillna(False).astype(bool)
    if dates.any():
        _read_iso_dates(text, dates, parsed)
        todo &= ~dates
    readers = ((_ISO_RE, _read_iso_times), (_YMD_SLASH_RE, _read_year_first),
               (_DMY_RE, functools.partial(_read_day_or_month_first, dayfirst=dayfirst, monthfirst=monthfirst)),
               (_SERIAL_RE, _read_serials))
    for pattern, read in readers:
        rows = todo & _matches(text, todo, pattern)
        if rows.any():
            read(text, rows, parsed)
            todo &= ~rows

    named = todo & _matches(text, todo, _MONTH_NAME_RE)
    for i in named[named].index:
        value, minutes, why = _parse_named(text[i], dayfirst=dayfirst)
        if why:
            parsed.reason.loc[i] = why
        else:
            parsed.wall.loc[i] = value
            parsed.offset.loc[i] = minutes
        todo.loc[i] = False

    parsed.reason.loc[todo] = NOT_A_DATE
    return parsed


def _read_iso_dates(text: pd.Series, rows: pd.Series, parsed: Parsed) -> None:
    """2026-03-04."""
    value = pd.to_datetime(text[rows], format="%Y-%m-%d", errors="coerce").astype("datetime64[us]")
    value = value.where(value.dt.year.between(*YEAR_RANGE))
    parsed.wall.loc[rows] = value
    parsed.reason.loc[value[value.isna()].index] = "is not a real date"


def _read_iso_times(text: pd.Series, rows: pd.Series, parsed: Parsed) -> None:
    """2026-03-04 14:30, 2026-03-04T14:30:00Z, 2026-03-04T14:30+05:30: the offset kept apart from the wall time."""
    values = text[rows].str.replace(",", ".", regex=False)
    zoned = values.str.contains(_ISO_ZONE_RE).fillna(False).astype(bool)
    local = values.str.replace(_ISO_ZONE_RE, "", regex=True)
    value = pd.to_datetime(local, format="ISO8601", errors="coerce").astype("datetime64[us]")
    value = value.where(value.dt.year.between(*YEAR_RANGE))
    parsed.wall.loc[rows] = value
    if zoned.any():
        normal = values.loc[zoned].str.replace(r"\s*(?:z|UTC|GMT)$", "Z", regex=True).str.replace(
            r"\s+(?=[+-]\d{2}(?::?\d{2})?$)", "", regex=True)
        instant = pd.to_datetime(normal, format="ISO8601", utc=True, errors="coerce")
        minutes = (value[zoned] - instant.dt.tz_localize(None).astype("datetime64[us]")).dt.total_seconds() / 60
        parsed.offset.loc[minutes.index] = minutes
        impossible = instant.isna() | (minutes.abs() > 14 * 60)
        parsed.reason.loc[impossible[impossible].index] = "has an impossible UTC offset"
    parsed.reason.loc[value[value.isna()].index] = "is not a real date or time"


def _read_year_first(text: pd.Series, rows: pd.Series, parsed: Parsed) -> None:
    """2026/03/04 and 2026.03.04, with an optional time."""
    parts = text[rows].str.extract(_YMD_SLASH_RE)
    parts.columns = ["year", "month", "day", "hour", "minute", "second"]
    value = _assemble(parts, parts.index)
    parsed.wall.loc[rows] = value
    parsed.reason.loc[value[value.isna()].index] = "is not a real date or time"


def _read_day_or_month_first(text: pd.Series, rows: pd.Series, parsed: Parsed, *, dayfirst: bool,
                             monthfirst: bool) -> None:
    """03/04/2026 2:30 PM: in the order asked for, or else only when a single reading is valid."""
    parts = text[rows].str.extract(_DMY_RE)
    parts.columns = ["a", "b", "year", "hour", "minute", "second", "ampm"]
    a, b = pd.to_numeric(parts["a"]), pd.to_numeric(parts["b"])
    year = pd.to_numeric(parts["year"])
    year = year.where(parts["year"].str.len() == 4, np.where(year < 69, 2000 + year, 1900 + year))
    hour = pd.to_numeric(parts["hour"], errors="coerce")
    ampm = parts["ampm"].str.lower()
    bad_12h = ampm.notna() & ((hour < 1) | (hour > 12))
    hour = hour.where(~(ampm == "pm") | (hour == 12), hour + 12)
    hour = hour.where(~((ampm == "am") & (hour == 12)), 0)
    order_reason = pd.Series(pd.NA, index=parts.index, dtype="object")
    if dayfirst:
        day, month = a, b
    elif monthfirst:
        day, month = b, a
    else:
        # Only a reading that is the sole valid one is taken: 13/04 is 13 April, 04/13 is 13 April,
        # 04/04 is 4 April either way; 03/04 could be 3 April or 4 March, so it is rejected.
        day = np.where(a > 12, a, b)
        month = np.where(a > 12, b, a)
        ambiguous = (a <= 12) & (b <= 12) & (a != b)
        order_reason.loc[ambiguous] = AMBIGUOUS_DATE
        order_reason.loc[_mixed_orders(text[rows], a, b)] = MIXED_ORDERS
    assembled = pd.DataFrame({"year": year, "month": month, "day": day, "hour": hour,
                              "minute": parts["minute"], "second": parts["second"]}, index=parts.index)
    value = _assemble(assembled, parts.index)
    value[order_reason.notna() | bad_12h] = pd.NaT
    parsed.wall.loc[rows] = value
    which = "day/month/year" if dayfirst else "month/day/year" if monthfirst else "a date"
    parsed.reason.loc[value[value.isna()].index] = f"is not a valid {which}"
    parsed.reason.loc[bad_12h[bad_12h].index] = "has an AM/PM hour outside 1-12"
    parsed.reason.loc[order_reason.dropna().index] = order_reason.dropna()


def _mixed_orders(text: pd.Series, a: pd.Series, b: pd.Series) -> pd.Series:
    """Rows of a column that holds both day-first (25/12/2025) and month-first (12/25/2025) dates: one of the two
    groups is read the wrong way round, and nothing says which, so every row whose order was inferred is refused."""
    day_first, month_first = (a > 12) & (b <= 12), (b > 12) & (a <= 12)
    if day_first.any() and month_first.any():
        return day_first | month_first
    return pd.Series(False, index=text.index)


def _read_serials(text: pd.Series, rows: pd.Series, parsed: Parsed) -> None:
    """Spreadsheet serial dates (45000.5 is 2023-03-15 12:00)."""
    days = pd.to_numeric(text[rows])
    in_range = days.between(*SERIAL_RANGE)
    value = (SERIAL_EPOCH + pd.to_timedelta(days.where(in_range), unit="D")).dt.round("s")
    parsed.wall.loc[rows] = value.astype("datetime64[us]")
    parsed.reason.loc[in_range[~in_range].index] = ("is a number, not a date (spreadsheet serial dates run "
                                                    f"from {SERIAL_RANGE[0]:,} to {SERIAL_RANGE[1]:,})")


def _parse_named(value: str, *, dayfirst: bool) -> tuple[Any, float, str | None]:
    """'15 Jan 2026 10:00', 'Jan 15, 2026': the month is a word, so the order is not in doubt."""
    if not re.search(r"(?i)\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b", value):
        return None, np.nan, NOT_A_DATE
    if not re.search(r"\b\d{4}\b", value):
        return None, np.nan, "has no four-digit year"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            parsed = dateparser.parse(value, dayfirst=dayfirst, default=dt.datetime(2000, 1, 1))
        except (ParserError, ValueError, OverflowError, Warning):
            return None, np.nan, "is not a date or time this importer reads (or names an unknown time zone)"
    if not (YEAR_RANGE[0] <= parsed.year <= YEAR_RANGE[1]):
        return None, np.nan, "has an implausible year"
    minutes = np.nan
    if parsed.tzinfo is not None:
        minutes = parsed.utcoffset().total_seconds() / 60
        parsed = parsed.replace(tzinfo=None)
    return pd.Timestamp(parsed), minutes, None


def to_utc(parsed: Parsed, timezone: str | None = None) -> tuple[pd.Series, pd.Series]:
    """UTC instants from parsed times: offsets honoured, naive times in `timezone` (UTC when None)."""
    out = pd.Series(pd.NaT, index=parsed.wall.index, dtype="datetime64[us, UTC]")
    reason = parsed.reason.copy()
    has_offset = parsed.offset.notna() & parsed.wall.notna()
    if has_offset.any():
        shifted = parsed.wall.loc[has_offset] - pd.to_timedelta(parsed.offset.loc[has_offset], unit="min")
        out.loc[has_offset] = shifted.dt.tz_localize("UTC")
    naive = parsed.offset.isna() & parsed.wall.notna()
    if naive.any():
        if timezone in (None, "UTC"):
            out.loc[naive] = parsed.wall.loc[naive].dt.tz_localize("UTC")
        else:
            local = parsed.wall.loc[naive].dt.tz_localize(timezone, ambiguous="NaT", nonexistent="NaT")
            out.loc[naive] = local.dt.tz_convert("UTC")
            gap = local.isna()
            reason.loc[gap[gap].index] = f"does not exist or happens twice in {timezone} (a clock change)"
    return out, reason


@dataclass
class Converted:
    """Typed values of one column and, per row, why a value was refused (NA when fine)."""

    values: pd.Series
    reason: pd.Series


def _to_float(text: pd.Series) -> pd.Series:
    """Numbers from text; unreadable ones NaN. Arrow's cast is ~100x faster when every value reads."""
    try:
        values = pc.cast(pa.array(text, from_pandas=True), pa.float64())
        return pd.Series(values.to_numpy(zero_copy_only=False), index=text.index, dtype="float64")
    except Exception:  # any unreadable value: the slow path finds which
        return pd.to_numeric(text, errors="coerce").astype("float64")


def _typed_missing(text: pd.Series) -> pd.Series:
    lowered = text.str.lower()
    return text.mask(lowered.isin(MISSING_TOKENS))


def convert_column(col: Column, text: pd.Series, *, dayfirst: bool = False, monthfirst: bool = False,
                   timezone: str | None = None) -> Converted:
    """Check and type one column's text values; reasons read after the column name ('must be ...')."""
    none = pd.Series(pd.NA, index=text.index, dtype="object")
    nul = text.str.contains("\x00", regex=False).fillna(False).astype(bool)
    if nul.any():  # PostgreSQL cannot store it, and it is never meant: refuse rather than strip
        converted = convert_column(col, text.mask(nul), dayfirst=dayfirst, monthfirst=monthfirst, timezone=timezone)
        return Converted(converted.values, converted.reason.mask(nul, "contains a NUL character (byte 0)"))
    kind = col.kind
    if kind in ("text", "id"):
        return Converted(text, none)
    if kind == "lower":
        return Converted(text.str.lower(), none)
    if kind == "upper":
        return Converted(text.where(text.str.len() != 2, text.str.upper()), none)
    if kind == "email":
        bad = text.notna() & ~text.str.fullmatch(EMAIL_RE).fillna(False).astype(bool)
        if col.lookup_only:  # only used to find the tasker: a malformed one just finds nobody
            return Converted(text.mask(bad), none)
        return Converted(text.mask(bad), none.mask(bad, "is not an email address"))
    text = _typed_missing(text)
    if kind in ("int", "float"):
        return _convert_number(col, text, none)
    if kind == "bool":
        lowered = text.str.lower()
        values = pd.Series(pd.NA, index=text.index, dtype="boolean")
        values.loc[lowered.isin(TRUE_TOKENS)] = True
        values.loc[lowered.isin(FALSE_TOKENS)] = False
        bad = text.notna() & values.isna()
        return Converted(values, none.mask(bad, "is not yes/no (true/false, 1/0)"))
    if kind == "timezone":
        canonical = text.str.lower().map(_timezones())
        bad = text.notna() & canonical.isna()
        return Converted(canonical, none.mask(bad, "is not an IANA time zone name such as Europe/Berlin or "
                                                   "America/Sao_Paulo"))
    if kind in ("datetime", "date"):
        parsed = parse_times(text, dayfirst=dayfirst, monthfirst=monthfirst)
        if kind == "date":
            return Converted(parsed.wall.dt.normalize(), parsed.reason)
        values, reason = to_utc(parsed, timezone)
        return Converted(values, reason)
    raise ValueError(f"unknown column kind {kind!r}")


def _convert_number(col: Column, text: pd.Series, none: pd.Series) -> Converted:
    """Whole numbers or numbers within the column's limits."""
    kind = col.kind
    number = _to_float(text)
    reason = none.copy()
    reason.loc[text.notna() & number.isna()] = "is not a number (use digits, with a dot for decimals)"
    finite = number.notna() & np.isfinite(number)
    reason.loc[number.notna() & ~finite] = "is not a finite number"
    if kind == "int":
        reason.loc[finite & (number != np.floor(number))] = "must be a whole number"
        reason.loc[finite & (number.abs() > 2**31 - 1)] = "is too large"
    if col.low is not None or col.high is not None:
        low = -np.inf if col.low is None else col.low
        high = np.inf if col.high is None else col.high
        outside = finite & ((number < low) | (number > high))
        if col.high is None:
            message = "must be 0 or more" if low == 0 else f"must be at least {low:g}"
        else:
            message = f"must be from {low:g} to {high:g}"
        reason.loc[outside & reason.isna()] = message
    values = number.where(reason.isna())
    return Converted(values.round().astype("Int64") if kind == "int" else values, reason)


def is_time_zone(name: str) -> bool:
    """Whether `name` is an IANA time zone name, spelt exactly."""
    return name in _timezones().values()


def hashed_ids(texts: dict[str, pd.Series], index) -> pd.Series:
    """Ids for rows without one: a hash of each row's column names and values (stable across imports)."""
    names = sorted(texts)
    if not names:
        return pd.Series("", index=index, dtype="str")
    joined = None
    for name in names:
        part = name + "=" + texts[name].fillna("")
        joined = part if joined is None else joined + "\x1f" + part
    ids = [hashlib.blake2b(v.encode("utf-8"), digest_size=8).hexdigest() for v in joined.tolist()]
    return pd.Series(pd.array(ids, dtype="str"), index=index)
