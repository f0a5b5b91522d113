"""The business calendar of SLA policies: weekly opening hours in a time zone, holidays, and which policy rules an item.

A calendar policy's clock always runs; a business-hours policy's clock runs only inside its weekly
`schedule` ({"mon": [9, 17], ...}: local hours in the policy's `timezone`) and never on its
`holidays` (local days). A business-hours policy becomes a running count of open minutes over time
(`BusinessClock`); the SLA clock (`core.queues.clock`) places items on it with `searchsorted`.
"""

import functools
import importlib
import math
import zoneinfo
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd
from sqlalchemy import select

from core.errors import CrowdPulseError
from core.frames import loader_columns
from core.models import SlaPolicy

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# What a business-hours policy with no schedule filled in runs on.
DEFAULT_SCHEDULE = {day: [9, 17] for day in WEEKDAYS[:5]}
MINUTE_US = 60_000_000
# Statuses a policy can pause its clock on (a policy may name others an import brought).
PAUSE_CHOICES = ["waiting_on_tasker", "waiting_on_customer", "on_hold", "pending_upload"]


class SlaPolicyInvalid(CrowdPulseError, ValueError):
    """An SLA policy whose time zone, schedule or holidays cannot be read."""


def _holiday_calendars():
    """The `holidays` library, imported on first use: it takes ~0.2 s, which every SLA read and CLI command paid."""
    return importlib.import_module("holidays")


@functools.cache
def _holiday_countries() -> list[str]:
    return sorted(code for code in _holiday_calendars().list_supported_countries() if len(code) == 2)


def __getattr__(name: str):
    """HOLIDAY_COUNTRIES (the ISO codes with a holiday calendar), listed on first use (PEP 562)."""
    if name == "HOLIDAY_COUNTRIES":
        return _holiday_countries()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def time_zones() -> list[str]:
    """Every IANA time zone name, UTC first."""
    return ["UTC", *sorted(zone for zone in zoneinfo.available_timezones() if zone != "UTC")]


def country_holidays(country: str, years: Iterable[int], *, subdivision: str | None = None) -> list[dict]:
    """Public holidays of a country (ISO code such as US, BR, IN) in the given years, from the maintained
    `holidays` library: [{"day": "2026-12-25", "name": "Christmas Day"}, …] sorted by day."""
    try:
        calendar = _holiday_calendars().country_holidays(country.strip().upper(), subdiv=subdivision, years=list(years))
    except NotImplementedError as exc:
        raise SlaPolicyInvalid(f"No holiday calendar for the country {country!r}: use an ISO code such as "
                               "US, GB, BR or IN.") from exc
    return [{"day": day.isoformat(), "name": name} for day, name in sorted(calendar.items())]


def holiday_days(text: str) -> list[str]:
    """The days of a holidays text box: one YYYY-MM-DD per line, optionally followed by its name; sorted, unique."""
    days = []
    for line in text.splitlines():
        day = line.strip().split(" ", 1)[0].strip(",;")
        if day:
            days.append(day)
    _holiday_days(days, "being edited")
    return sorted(set(days))


def schedule_text(schedule: Mapping | None) -> dict[str, str]:
    """A weekly schedule as one text per weekday for editing: {"mon": "09:00-17:00", "sat": "", …}."""
    spans = _weekly_spans(schedule, "policy")
    return {day: ", ".join(f"{_clock_text(o)}-{_clock_text(c)}" for o, c in spans.get(i, []))
            for i, day in enumerate(WEEKDAYS)}


def parse_schedule(texts: Mapping[str, str]) -> dict[str, list]:
    """Weekday texts such as "09:00-17:00" or "8-12, 13-17" (blank = closed) as a policy schedule."""
    schedule = {}
    for day, text in texts.items():
        pairs = [part.split("-") for part in str(text or "").replace(" ", "").split(",") if part]
        try:
            pairs = [[_hour(open_), _hour(close)] for open_, close in pairs]
        except ValueError as exc:
            raise SlaPolicyInvalid(f"Opening hours on {day} must read like 09:00-17:00 (several: 08-12, 13-17).") from exc
        if pairs:
            schedule[day] = pairs if len(pairs) > 1 else pairs[0]
    _weekly_spans(schedule, "being edited")
    return schedule


def _clock_text(hour: float) -> str:
    return f"{int(hour):02d}:{round((hour - int(hour)) * 60):02d}"


def check_policy(*, timezone: str = "UTC", schedule: Mapping | None = None, holidays=(), name: str = "policy") -> None:
    """Raise SlaPolicyInvalid when a policy's time zone, weekly schedule or holidays cannot be read."""
    try:
        zoneinfo.ZoneInfo(timezone or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise SlaPolicyInvalid(f"The SLA policy {name} has an unknown time zone {timezone!r}: "
                               "use an IANA name such as Europe/Berlin.") from exc
    _weekly_spans(schedule, name)
    _holiday_days(holidays, name)


# --- policies ------------------------------------------------------------------------------------


def policies_query():
    """The select that reads every SLA policy, one row per queue and priority."""
    policy = SlaPolicy.__table__
    return select(*loader_columns(policy)).order_by(policy.c.queue, policy.c.priority)


def policy_overview(policies: pd.DataFrame) -> pd.DataFrame:
    """The policies as a table to read: targets in hours, the clock, time zone, pauses and holiday count."""
    return pd.DataFrame({
        "queue": policies["queue"], "priority": policies["priority"],
        "first_response_hours": policies["first_response_minutes"] / 60,
        "resolution_hours": policies["resolution_minutes"] / 60,
        "clock": policies["business_hours"].map({True: "business hours", False: "calendar (24/7)"}),
        "timezone": policies["timezone"],
        "hours": [", ".join(f"{day} {text}" for day, text in schedule_text(s or DEFAULT_SCHEDULE).items() if text)
                  if business else "" for s, business in zip(policies["schedule"], policies["business_hours"])],
        "pauses": policies["pause_statuses"].map(lambda v: ", ".join(v) if isinstance(v, list) else ""),
        "holidays": policies["holidays"].map(lambda v: len(v) if isinstance(v, list) else 0),
    })


def pause_statuses(policies: pd.DataFrame) -> list[str]:
    """Every status that pauses some policy's clock, sorted."""
    if "pause_statuses" not in policies:
        return []
    return sorted({status for listed in policies["pause_statuses"] if isinstance(listed, list) for status in listed})


def policy_rules(policies: pd.DataFrame) -> pd.DataFrame:
    """One rule per queue and priority with every policy field present and typed (targets as float minutes)."""
    defaults = {"first_response_minutes": np.nan, "resolution_minutes": np.nan, "business_hours": False,
                "timezone": "UTC", "schedule": None, "holidays": None, "pause_statuses": None}
    rules = policies.drop_duplicates(["queue", "priority"]).reset_index(drop=True)
    for name, default in defaults.items():
        if name not in rules:
            rules[name] = default
    for name in ("first_response_minutes", "resolution_minutes"):
        rules[name] = pd.to_numeric(rules[name], errors="coerce").astype("float64")
    rules["business_hours"] = rules["business_hours"].fillna(False).astype(bool)
    return rules


def rule_of(items: pd.DataFrame, rules: pd.DataFrame) -> np.ndarray:
    """Each item's policy row number, or len(rules) (a row of NaN targets) where none matches."""
    keys = pd.MultiIndex.from_arrays([rules["queue"].astype("str"), rules["priority"].astype("str")])
    wanted = pd.MultiIndex.from_arrays([items["queue"].astype("str"), items["priority"].astype("str")])
    rule = keys.get_indexer(wanted) if len(keys) else np.full(len(items), -1)
    return np.where(rule < 0, len(rules), rule)


# --- business hours ------------------------------------------------------------------------------


class BusinessClock:
    """A weekly schedule in a time zone as a running count of open minutes over time.

    Moments are float minutes since the Unix epoch (UTC). `minutes(t)` is the open time from
    the clock's first day up to t; `moment(m)` is the first moment that count reaches m.
    """

    def __init__(self, schedule: Mapping | None, timezone: str, holidays=(), *, first, last, name: str = "policy"):
        self.name = name
        self.spans = _weekly_spans(schedule, name) or _weekly_spans(DEFAULT_SCHEDULE, name)
        try:
            self.zone = zoneinfo.ZoneInfo(timezone or "UTC")
        except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
            raise SlaPolicyInvalid(f"The SLA policy {name} has an unknown time zone {timezone!r}: "
                                   "use an IANA name such as Europe/Berlin.") from exc
        self.holidays = _holiday_days(holidays, name)
        self.weekly_minutes = sum((close - open_) * 60 for spans in self.spans.values() for open_, close in spans)
        self.first_day = self._local_day(first) - pd.Timedelta(days=1)
        self._build(self._local_day(last) + pd.Timedelta(days=8))

    def covering(self, moment: float, minutes_after: float) -> "BusinessClock":
        """This clock, extended until `minutes_after` open minutes past `moment` are inside it."""
        needed = self.minutes(np.array([moment]))[0] + minutes_after
        weeks = 1
        while self.cumulative_end[-1] < needed and weeks < 2 ** 12:
            weeks *= 2
            extra = needed - self.cumulative_end[-1]
            self._build(self.last_day + pd.Timedelta(weeks=weeks + math.ceil(extra / self.weekly_minutes)))
        return self

    def minutes(self, moments: np.ndarray) -> np.ndarray:
        """Open minutes from the clock's start to each moment (NaN stays NaN)."""
        index = np.searchsorted(self.starts, moments, side="right") - 1
        safe = np.clip(index, 0, None)
        inside = np.clip(moments - self.starts[safe], 0, self.lengths[safe])
        counted = np.where(index < 0, 0.0, self.cumulative[safe] + inside)
        return np.where(np.isnan(moments), np.nan, counted)

    def moment(self, minutes: np.ndarray) -> np.ndarray:
        """The first moment the open-minute count reaches each value (NaN beyond the clock's end)."""
        index = np.searchsorted(self.cumulative_end, minutes, side="left")
        safe = np.clip(index, 0, len(self.starts) - 1)
        found = self.starts[safe] + np.clip(minutes - self.cumulative[safe], 0, None)
        return np.where(np.isnan(minutes) | (index >= len(self.starts)), np.nan, found)

    def _local_day(self, moment: float) -> pd.Timestamp:
        return pd.Timestamp(moment * MINUTE_US, unit="us", tz="UTC").tz_convert(self.zone).tz_localize(None).normalize()

    def _build(self, last_day: pd.Timestamp) -> None:
        self.last_day = last_day
        days = pd.date_range(self.first_day, last_day, freq="D")
        days = days[~days.isin(self.holidays)]
        opens, closes = [], []
        for weekday, spans in self.spans.items():
            on_day = days[days.day_of_week == weekday]
            for open_hour, close_hour in spans:
                opens.append(on_day + pd.to_timedelta(open_hour, unit="h"))
                closes.append(on_day + pd.to_timedelta(close_hour, unit="h"))
        starts = np.sort(np.concatenate([self._utc_minutes(chunk) for chunk in opens]))
        ends = np.sort(np.concatenate([self._utc_minutes(chunk) for chunk in closes]))
        # Overlapping spans (or DST folds) must not count the same minute twice.
        previous_end = np.concatenate([[-np.inf], np.maximum.accumulate(ends)[:-1]])
        self.starts = np.maximum(starts, previous_end)
        self.lengths = np.clip(ends - self.starts, 0, None)
        self.cumulative = np.concatenate([[0.0], np.cumsum(self.lengths)[:-1]])
        self.cumulative_end = self.cumulative + self.lengths

    def _utc_minutes(self, local: pd.DatetimeIndex) -> np.ndarray:
        aware = local.tz_localize(self.zone, ambiguous=np.ones(len(local), dtype=bool), nonexistent="shift_forward")
        return aware.tz_convert("UTC").as_unit("us").asi8.astype("float64") / MINUTE_US


def _weekly_spans(schedule: Mapping | None, name: str) -> dict[int, list[tuple[float, float]]]:
    spans: dict[int, list[tuple[float, float]]] = {}
    for key, value in (schedule or {}).items():
        weekday = str(key).strip().lower()[:3]
        if weekday not in WEEKDAYS:
            raise SlaPolicyInvalid(f"The SLA policy {name} has a schedule day {key!r}: use mon, tue, … sun.")
        pairs = value if value and isinstance(value[0], (list, tuple)) else [value] if value else []
        for pair in pairs:
            try:
                open_hour, close_hour = (_hour(part) for part in pair)
            except (TypeError, ValueError) as exc:
                raise SlaPolicyInvalid(f"The SLA policy {name} has opening hours {pair!r} on {weekday}: "
                                       "write them as [9, 17] or ['09:00', '17:30'].") from exc
            if 0 <= open_hour < close_hour <= 24:
                spans.setdefault(WEEKDAYS.index(weekday), []).append((open_hour, close_hour))
    return spans


def _hour(value) -> float:
    if isinstance(value, str) and ":" in value:
        hours, minutes = value.split(":", 1)
        return int(hours) + int(minutes) / 60
    return float(value)


def _holiday_days(holidays, name: str) -> pd.DatetimeIndex:
    try:
        return pd.DatetimeIndex(pd.to_datetime(list(holidays or []), format="ISO8601")).normalize()
    except (TypeError, ValueError) as exc:
        raise SlaPolicyInvalid(f"The SLA policy {name} has a holiday that is not a day (YYYY-MM-DD).") from exc
