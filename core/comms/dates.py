"""Dates and times that cannot be misread: numeric and relative dates, weekday/date agreement, zones and their conversion.

Every date is read in the year the message will be read (its send date): a date written without
a year is the next one after about two months before the send date, so a December message about
'6 March' means the coming March. Relative dates get the absolute date for the send date as the
fix. A clock time with a zone ('5pm ET', '17:00 UTC') is converted to UTC and to the audience's
zones; one without a zone is a finding.
"""

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from core.comms import timezones
from core.comms.findings import Finding, found
from core.comms.readability import mask_urls

WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
               "November", "December")
WEEKDAYS = r"(?:mon|tues|wednes|thurs|fri|satur|sun)day"
MONTHS = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*"
# A date without a year this far from the send date needs its year.
YEARLESS_DAYS = 60

NUMERIC_DATE = re.compile(r"(?<![\w./-])(\d{1,2})([/.-])(\d{1,2})(?:\2(\d{4}|\d{2}))?(?![\w/]|[.-]\d)")
DAY_MONTH = re.compile(rf"\b(?:(?P<wd>{WEEKDAYS}),?\s+)?(?:the\s+)?(?P<d>\d{{1,2}})(?:st|nd|rd|th)?(?:\s+of)?\s+"
                       rf"(?P<m>{MONTHS})\b(?:\.(?=,?\s+\d{{4}}))?(?:,?\s+(?P<y>\d{{4}}))?", re.IGNORECASE)
MONTH_DAY = re.compile(rf"\b(?:(?P<wd>{WEEKDAYS}),?\s+)?(?P<m>{MONTHS})\.?\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\b"
                       rf"(?!:)(?:,?\s+(?P<y>\d{{4}}))?", re.IGNORECASE)
RELATIVE_DATE = re.compile(
    rf"\b(?:(?P<rel>next|this|coming|last)\s+(?P<wd>{WEEKDAYS})|next\s+(?:week|weekend|month)|yesterday|tomorrow|"
    rf"tonight|end\s+of\s+(?:the\s+)?(?:day|week|month)|EOD|EOW|COB)\b", re.IGNORECASE)
BARE_WEEKDAY = re.compile(rf"\b(?:by|on|until|before|from)\s+({WEEKDAYS})\b(?!,?\s*(?:the\s+)?(?:\d|{MONTHS}))",
                          re.IGNORECASE)
CLOCK = re.compile(r"(?<![\w:.])(?:(?P<h12>1[0-2]|0?[1-9])(?::(?P<m12>[0-5]\d))?\s*(?P<ap>[ap])(?:m\b|\.m\.)|"
                   r"(?P<h24>[01]?\d|2[0-3]):(?P<m24>[0-5]\d)(?![\d:])|\b(?P<word>noon|midnight)\b)", re.IGNORECASE)
UTC = dt.timezone.utc
# Zone abbreviations as readers write them; generic ones (ET, PT) follow daylight saving time.
ZONES = {
    "UTC": UTC, "GMT": UTC, "Z": UTC, "ET": "America/New_York", "EST": -5, "EDT": -4, "CT": "America/Chicago",
    "CST": -6, "CDT": -5, "MT": "America/Denver", "MST": -7, "MDT": -6, "PT": "America/Los_Angeles", "PST": -8,
    "PDT": -7, "CET": 1, "CEST": 2, "WET": 0, "WEST": 1, "EET": 2, "EEST": 3, "BST": 1, "IST": 5.5, "BRT": -3,
    "ART": -3, "WAT": 1, "EAT": 3, "SAST": 2, "MSK": 3, "PHT": 8, "PHST": 8, "SGT": 8, "HKT": 8, "WIB": 7, "WITA": 8,
    "WIT": 9, "JST": 9, "KST": 9, "AEST": 10, "AEDT": 11, "NZST": 12, "NZDT": 13,
}
ZONE_AFTER = re.compile(r"\s*\(?\s*(?P<abbr>UTC|GMT)\s*(?P<sign>[+−-])\s*(?P<off>\d{1,2}(?::?\d{2})?)|"
                        r"\s*\(?\s*(?P<name>UTC|GMT|[A-Z]{1,4}T|WIB|WITA|WIT|MSK|Z)\b|"
                        r"\s+(?P<iana>[A-Z][a-z]+/[A-Z][A-Za-z_]+)")
ZONE_NEARBY = re.compile(r"\b(?:UTC|GMT)\b|UTC\s*[+−-]\s*\d|\byour (?:local )?time\b|\blocal time\b|\btime zone\b|"
                         r"\b[A-Z][a-z]+/[A-Z][A-Za-z_]+\b|\b(?:" + "|".join(sorted(ZONES, key=len, reverse=True))
                         + r")\b")


@dataclass(frozen=True)
class ZonedTime:
    """A clock time with its zone as written, the moment in UTC, and the same moment in the audience's zones."""

    text: str
    start: int
    end: int
    utc: dt.datetime
    local: tuple[str, ...]


def long_date(day: dt.date) -> str:
    """'Friday 6 March 2026'."""
    return f"{WEEKDAY_NAMES[day.weekday()]} {day.day} {MONTH_NAMES[day.month - 1]} {day.year}"


def _month_number(name: str) -> int:
    return next(i for i, month in enumerate(MONTH_NAMES, 1) if month.lower().startswith(name.lower()[:3]))


def _weekday_number(name: str) -> int:
    return next(i for i, day in enumerate(WEEKDAY_NAMES) if day.lower() == name.lower())


def resolve_year(month: int, day: int, send_date: dt.date) -> dt.date | None:
    """The date a yearless 'day month' means for a message read on the send date (None if it does not exist)."""
    for year in (send_date.year, send_date.year + 1):
        try:
            candidate = dt.date(year, month, day)
        except ValueError:
            return None
        if candidate >= send_date - dt.timedelta(days=YEARLESS_DAYS):
            return candidate
    return None


def _nearest_with_weekday(day: dt.date, weekday: int) -> list[dt.date]:
    before = day - dt.timedelta(days=(day.weekday() - weekday) % 7)
    return [before, before + dt.timedelta(days=7)]


def written_dates(body: str, masked: str, send_date: dt.date) -> list[Finding]:
    """Dates written with a month name: the weekday must agree, a far date needs its year, the date must exist."""
    out, seen = [], []
    for pattern in (DAY_MONTH, MONTH_DAY):
        for match in pattern.finditer(masked):
            if any(a <= match.start() < b for a, b in seen):
                continue
            seen.append((match.start(), match.end()))
            month, day = _month_number(match["m"]), int(match["d"])
            year = int(match["y"]) if match["y"] else None
            try:
                date = dt.date(year, month, day) if year else resolve_year(month, day, send_date)
            except ValueError:
                date = None
            if date is None:
                out.append(found("date_mismatch", body, match.start(), match.end(),
                                 f"There is no {day} {MONTH_NAMES[month - 1]}.", "Check the date."))
                continue
            if match["wd"] and _weekday_number(match["wd"]) != date.weekday():
                said = _weekday_number(match["wd"])
                options = " or ".join(f"'{long_date(d)}'" for d in _nearest_with_weekday(date, said))
                out.append(found("date_mismatch", body, match.start(), match.end(),
                                 f"{day} {MONTH_NAMES[month - 1]} {date.year} is a {WEEKDAY_NAMES[date.weekday()]}, "
                                 f"not a {WEEKDAY_NAMES[said]}.", f"Write '{long_date(date)}', or {options}."))
            elif not year and abs((date - send_date).days) > YEARLESS_DAYS:
                out.append(found("ambiguous_date", body, match.start(), match.end(),
                                 "A date months away without its year can be read as the wrong year.",
                                 f"Add the year: '{long_date(date)}'."))
    return out


def numeric_dates(body: str, masked: str, send_date: dt.date) -> list[Finding]:
    """Dates like 03/04 that are one day in most countries and another in the US."""
    out = []
    for match in NUMERIC_DATE.finditer(masked):
        first, separator, second, year = match.group(1), match.group(2), match.group(3), match.group(4)
        if separator != "/" and not year:
            continue  # '3-4 hours' and 'v2.1' are ranges and versions, not dates
        a, b = int(first), int(second)
        if 1 <= a <= 12 and 1 <= b <= 12 and a != b:
            readings = []
            for month, day in ((b, a), (a, b)):
                full = (2000 + int(year) if len(year) == 2 else int(year)) if year else None
                date = dt.date(full, month, day) if full else resolve_year(month, day, send_date)
                readings.append(long_date(date) if date else f"{day} {MONTH_NAMES[month - 1]}")
            out.append(found("ambiguous_date", body, match.start(), match.end(),
                             f"'{match.group()}' is {a} {MONTH_NAMES[b - 1]} in most countries but {b} "
                             f"{MONTH_NAMES[a - 1]} in the US.",
                             f"Write the date with the month name: '{readings[0]}' or '{readings[1]}'."))
    return out


def _relative_fix(match: re.Match, send_date: dt.date) -> str:
    word = match.group().lower()
    if word in ("yesterday", "tomorrow", "tonight"):
        shift = {"yesterday": -1, "tomorrow": 1, "tonight": 0}[word]
        return f"Write '{long_date(send_date + dt.timedelta(days=shift))}' (for a message sent on " \
               f"{long_date(send_date)})."
    if match["wd"]:
        weekday = _weekday_number(match["wd"])
        ahead = send_date + dt.timedelta(days=(weekday - send_date.weekday()) % 7 or 7)
        if match["rel"].lower() == "last":
            back = ahead - dt.timedelta(days=7)
            return f"Write '{long_date(back)}' (for a message sent on {long_date(send_date)})."
        if match["rel"].lower() == "next":
            return (f"Write the date: to some readers that is '{long_date(ahead)}', to others "
                    f"'{long_date(ahead + dt.timedelta(days=7))}'.")
        return f"Write '{long_date(ahead)}'."
    if word.startswith("next week"):
        monday = send_date + dt.timedelta(days=7 - send_date.weekday())
        return f"Write the dates: the week of {long_date(monday)}."
    return f"Write the date and time with a zone, e.g. '{long_date(send_date)}, 17:00 UTC'."


def relative_dates(body: str, masked: str, send_date: dt.date) -> list[Finding]:
    """Yesterday, tomorrow, next Friday, EOD, 'by Friday': the absolute date for the send date as the fix."""
    out = [found("ambiguous_date", body, m.start(), m.end(), f"'{m.group()}' depends on when and where it is read.",
                 _relative_fix(m, send_date)) for m in RELATIVE_DATE.finditer(masked)]
    for match in BARE_WEEKDAY.finditer(masked):
        weekday = _weekday_number(match.group(1))
        day = send_date + dt.timedelta(days=(weekday - send_date.weekday()) % 7 or 7)
        out.append(found("ambiguous_date", body, match.start(), match.end(),
                         f"'{match.group()}' depends on when and where it is read.",
                         f"Write '{match.group().split()[0]} {long_date(day)}'."))
    return out


def _zone_of(match: re.Match | None):
    if match is None:
        return None
    if match["abbr"]:
        sign = -1 if match["sign"] in "-−" else 1
        digits = match["off"].replace(":", "")
        hours, minutes = (int(digits[:-2]), int(digits[-2:])) if len(digits) > 2 else (int(digits), 0)
        return dt.timezone(sign * dt.timedelta(hours=hours, minutes=minutes))
    if match["iana"]:
        try:
            return ZoneInfo(match["iana"])
        except (KeyError, ValueError):
            return None
    zone = ZONES.get(match["name"])
    if isinstance(zone, str):
        return ZoneInfo(zone)
    if isinstance(zone, (int, float)):
        return dt.timezone(dt.timedelta(hours=zone))
    return zone


def _clock(match: re.Match) -> dt.time:
    if match["word"]:
        return dt.time(12) if match["word"].lower() == "noon" else dt.time(0)
    if match["h24"] is not None:
        return dt.time(int(match["h24"]), int(match["m24"]))
    hour = int(match["h12"]) % 12 + (12 if match["ap"].lower() == "p" else 0)
    return dt.time(hour, int(match["m12"] or 0))


def _date_near(masked: str, position: int, send_date: dt.date) -> dt.date:
    sentence_start = max(masked.rfind(".", 0, max(position - 1, 0)), masked.rfind("\n", 0, position)) + 1
    window = masked[sentence_start:position + 40]
    for pattern in (DAY_MONTH, MONTH_DAY):
        match = pattern.search(window)
        if match:
            if match["y"]:
                try:
                    return dt.date(int(match["y"]), _month_number(match["m"]), int(match["d"]))
                except ValueError:
                    return send_date
            return resolve_year(_month_number(match["m"]), int(match["d"]), send_date) or send_date
    return send_date


def times(body: str, send_date: dt.date, zones=()) -> tuple[list[Finding], list[ZonedTime]]:
    """Clock times: a finding for each without a zone; each zoned one converted to UTC and the audience's zones."""
    masked = mask_urls(body)
    findings, zoned = [], []
    for match in CLOCK.finditer(masked):
        zone = _zone_of(ZONE_AFTER.match(masked, match.end()))
        if zone is not None:
            day = _date_near(masked, match.start(), send_date)
            moment = dt.datetime.combine(day, _clock(match), zone).astimezone(UTC)
            local = tuple(f"{timezones.place(name)} {timezones.local_clock(moment, name)}" for name in zones)
            end = ZONE_AFTER.match(masked, match.end()).end()
            zoned.append(ZonedTime(body[match.start():end].strip(" ("), match.start(), end, moment, local))
            continue
        line_start = masked.rfind("\n", 0, match.start()) + 1
        line_end = masked.find("\n", match.end())
        around = masked[max(line_start, match.start() - 40):min(len(masked) if line_end < 0 else line_end,
                                                                  match.end() + 40)]
        if ZONE_NEARBY.search(around):
            continue
        findings.append(found("time_without_zone", body, match.start(), match.end(),
                              "A time without a zone is a different moment for each reader.",
                              "Give the zone and the local times, e.g. '17:00 UTC (New York 12:00, Lagos 18:00, "
                              "Manila 01:00 next day)'."))
    return findings, zoned


def date_findings(body: str, send_date: dt.date) -> list[Finding]:
    """Every date finding in a text: numeric, relative, weekday mismatches and far dates without a year."""
    masked = mask_urls(body)
    return numeric_dates(body, masked, send_date) + relative_dates(body, masked, send_date) + \
        written_dates(body, masked, send_date)
