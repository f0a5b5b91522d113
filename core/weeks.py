"""ISO weeks as every report reads them: Monday to Sunday UTC, and a week still going is "so far, N of 7 days"."""

import datetime as dt
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import text


def parse_iso_week(week: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    """'2026-W47' → (Monday 00:00 UTC, next Monday 00:00 UTC); a clear error for anything else."""
    try:
        year, number = week.upper().split("-W")
        monday = dt.date.fromisocalendar(int(year), int(number), 1)
    except (ValueError, AttributeError) as exc:
        raise ValueError(f"'{week}' is not an ISO week: write it like 2026-W47.") from exc
    start = pd.Timestamp(monday, tz="UTC")
    return start, start + pd.Timedelta(days=7)


def iso_week_of(moment) -> str:
    """The ISO week label ('2026-W47') a moment falls in."""
    year, week, _ = pd.Timestamp(moment).isocalendar()
    return f"{year}-W{week:02d}"


def previous_week(week: str) -> str:
    """The ISO week before this one (across year boundaries)."""
    start, _ = parse_iso_week(week)
    return iso_week_of(start - pd.Timedelta(days=7))


def last_complete_week(as_of) -> str:
    """The latest ISO week that ended by `as_of` (the week `as_of` falls in is still going)."""
    return previous_week(iso_week_of(as_of))


def recent_weeks(as_of, count: int = 12) -> list[str]:
    """The week `as_of` falls in and the `count - 1` before it, newest first."""
    weeks = [iso_week_of(as_of)]
    while len(weeks) < count:
        weeks.append(previous_week(weeks[-1]))
    return weeks


@dataclass(frozen=True)
class WeekWindow:
    """An ISO week as the report counts it: up to its end, or up to the data's last moment while it is going."""

    week: str
    start: pd.Timestamp
    end: pd.Timestamp
    through: pd.Timestamp

    @property
    def partial(self) -> bool:
        """Whether the week had not ended at the data's last moment."""
        return self.through < self.end - pd.Timedelta(microseconds=1)

    @property
    def days(self) -> int:
        """Days from Monday to the last day with data (7 for a complete week)."""
        return min(7, (self.through.normalize() - self.start).days + 1)

    @property
    def label(self) -> str:
        """'2026-W46', or '2026-W47 (so far, 5 of 7 days)' for a week still going."""
        return f"{self.week} (so far, {self.days} of 7 days)" if self.partial else self.week

    @property
    def dates(self) -> str:
        """The days the figures count, in words: 'Mon 16 Nov – Fri 20 Nov 2026 12:00 (UTC)'."""
        if self.partial:
            return f"{self.start:%a %d %b} – {self.through:%a %d %b %Y %H:%M} (UTC)"
        return f"{self.start:%a %d %b} – {self.end - pd.Timedelta(days=1):%a %d %b %Y} (UTC)"

    @property
    def compared_with(self) -> str:
        """What the week is compared with: the week before, or its same days for a partial week."""
        if self.partial:
            return f"the same days of {previous_week(self.week)} (Mon 00:00 – {self.through:%a %H:%M})"
        return previous_week(self.week)


def week_window(week: str, as_of) -> WeekWindow:
    """The window of an ISO week given the data's last moment; a week that starts after it has no data."""
    start, end = parse_iso_week(week)
    as_of = pd.Timestamp(as_of)
    if as_of < start:
        raise ValueError(f"No data for {week} yet: the data ends {as_of:%a %d %b %Y %H:%M} UTC ({iso_week_of(as_of)}).")
    return WeekWindow(week, start, end, min(as_of, end - pd.Timedelta(microseconds=1)))


def data_start(engine) -> pd.Timestamp | None:
    """The earliest recorded moment (a queue item or an active day); None without any data."""
    with engine.connect() as connection:
        first_day, first_item = connection.execute(text(
            "SELECT (SELECT MIN(day) FROM activity), (SELECT MIN(created_at) FROM queueitem)")).one()
    moments = [pd.Timestamp(value) for value in (first_day, first_item) if value is not None]
    moments = [m.tz_localize("UTC") if m.tzinfo is None else m.tz_convert("UTC") for m in moments]
    return min(moments) if moments else None


def week_link(requested: str | None, *, as_of, first) -> tuple[str, str | None]:
    """The week a `?week=` link asks for when its data exists; else the last complete week and a message saying why."""
    default = last_complete_week(as_of)
    if not requested:
        return default, None
    try:
        start, end = parse_iso_week(requested)
    except ValueError:
        return default, f"The link asks for week '{requested}', which is not an ISO week like 2026-W47. " \
                        f"{_data_weeks(first, as_of)} Showing {default}, the last complete week."
    week = iso_week_of(start)
    if first is None or start > pd.Timestamp(as_of) or end <= first:
        return default, f"The link asks for {week}, which has no data. {_data_weeks(first, as_of)} " \
                        f"Showing {default}, the last complete week."
    return week, None


def _data_weeks(first, as_of) -> str:
    if first is None:
        return "There is no data yet."
    return f"Data exists from {iso_week_of(first)} to {iso_week_of(as_of)} (so far)."
