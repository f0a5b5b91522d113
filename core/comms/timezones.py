"""A moment shown in each reader's time zone, with the local date, never a bare '5pm'.

All moments are aware UTC in storage; `zoneinfo` applies each zone's daylight-saving rules
for the date in question, so a time on either side of a DST change shows its own offset.
"""

import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd

UTC = ZoneInfo("UTC")


def zone_or_utc(name) -> ZoneInfo:
    """The named IANA zone, or UTC when the name is blank or unknown."""
    if not isinstance(name, str) or not name.strip():
        return UTC
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def place(zone_name) -> str:
    """A readable place for a zone: 'America/Sao_Paulo' → 'Sao Paulo'; unknown → 'UTC'."""
    zone = zone_or_utc(zone_name)
    return "UTC" if zone.key == "UTC" else zone.key.rsplit("/", 1)[-1].replace("_", " ")


def as_utc(moment) -> dt.datetime:
    """An aware UTC datetime from a datetime or Timestamp (naive means UTC)."""
    stamp = pd.Timestamp(moment)
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    return stamp.to_pydatetime()


def utc_offset(moment, zone_name) -> str:
    """The zone's offset at that moment: 'UTC+5:30', 'UTC−3', 'UTC+0'."""
    offset = as_utc(moment).astimezone(zone_or_utc(zone_name)).utcoffset() or dt.timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "−"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")


def local_clock(moment, zone_name) -> str:
    """Day, date and 24-hour time in the zone: 'Fri 4 Dec 2026, 12:00'."""
    local = as_utc(moment).astimezone(zone_or_utc(zone_name))
    return f"{local:%a} {local.day} {local:%b %Y, %H:%M}"


def format_local(moment, zone_name) -> str:
    """The moment as a reader in the zone sees it: 'Fri 4 Dec 2026, 12:00 (New York, UTC−5)'."""
    return f"{local_clock(moment, zone_name)} ({place(zone_name)}, {utc_offset(moment, zone_name)})"


def format_utc(moment) -> str:
    """The moment in UTC: 'Fri 4 Dec 2026, 17:00 UTC'."""
    return f"{local_clock(moment, 'UTC')} UTC"


def long_date(moment, zone_name="UTC") -> str:
    """The local calendar date written out: 'Friday 4 December 2026'."""
    local = as_utc(moment).astimezone(zone_or_utc(zone_name))
    return f"{local:%A} {local.day} {local:%B %Y}"


def to_utc(day: dt.date, clock: dt.time, zone_name: str) -> dt.datetime:
    """A wall-clock date and time in a zone as aware UTC (in a DST gap, the later offset applies)."""
    zone = zone_or_utc(zone_name)
    local = dt.datetime.combine(day, clock).replace(tzinfo=zone)
    # A wall time that does not exist (clocks jump forward) round-trips to a real one.
    return local.astimezone(UTC)


def local_times(moment, mix: pd.DataFrame) -> pd.DataFrame:
    """For each audience time zone (`timezone`, `recipients`): place, local time, date, offset, day shift."""
    moment = as_utc(moment)
    utc_day = moment.date()
    rows = []
    for row in mix.itertuples(index=False):
        zone = zone_or_utc(row.timezone)
        local = moment.astimezone(zone)
        shift = (local.date() - utc_day).days
        rows.append(dict(timezone=row.timezone if isinstance(row.timezone, str) else "unknown",
                         place=place(row.timezone), recipients=int(row.recipients),
                         local_time=local_clock(moment, zone.key), utc_offset=utc_offset(moment, zone.key),
                         offset_minutes=int(local.utcoffset().total_seconds() // 60), local_date=local.date(),
                         day_note={-1: "day before UTC", 0: "", 1: "day after UTC"}.get(shift, "")))
    columns = ["timezone", "place", "recipients", "local_time", "utc_offset", "offset_minutes", "local_date", "day_note"]
    return pd.DataFrame(rows, columns=columns)


def zone_lines(moment, mix: pd.DataFrame, *, limit: int = 12) -> list[str]:
    """One line per audience zone, west to east: 'New York (UTC−5): Fri 4 Dec 2026, 12:00'.

    Zones on the same wall clock share a line ('Lagos, Berlin (UTC+1): …'); past `limit`
    lines, the zones with the fewest recipients are folded into one UTC line.
    """
    table = local_times(moment, mix)
    grouped = table.groupby(["local_time", "utc_offset", "offset_minutes"], sort=False).agg(
        places=("place", lambda s: ", ".join(dict.fromkeys(s))), recipients=("recipients", "sum")).reset_index()
    grouped = grouped.sort_values("recipients", ascending=False, kind="stable")
    shown = grouped.head(limit).sort_values("offset_minutes", kind="stable")
    lines = [f"{r.places} ({r.utc_offset}): {r.local_time}" for r in shown.itertuples()]
    if len(grouped) > limit:
        lines.append(f"Other places: {format_utc(moment)}")
    return lines


def moment_context(moment, mix: pd.DataFrame) -> dict:
    """What a template may say about a moment: UTC text, the long date, and a line per audience zone."""
    moment = as_utc(moment)
    return {"utc": format_utc(moment), "date": long_date(moment), "iso": moment.isoformat(),
            "zones": zone_lines(moment, mix)}


def recipient_local_times(moment, zones: pd.Series) -> pd.Series:
    """Each recipient's local rendering of the moment (computed once per distinct zone)."""
    moment = as_utc(moment)
    distinct = {zone: format_local(moment, zone) for zone in zones.fillna("UTC").unique()}
    return zones.fillna("UTC").map(distinct)
