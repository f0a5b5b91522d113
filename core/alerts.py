"""Alerts out: Today's attention list as a digest per team on a schedule, an immediate alert when an item reaches
90% of its SLA or breaches (one per item and level, held through quiet hours), and the weekly report on Monday.

Everything is queued as deliveries (`core.comms.delivery`): the unique key of each one (digest: team and local
day; alert: item and level; report: week) is what stops a second worker, or a second pass, from sending it again.
The settings live in the `alerts` Setting, changed on Settings by an admin; addresses and webhooks in secrets.
A team's digest goes to the emails of that team's staff accounts (`Person.team`). Immediate alerts start
from the moment they were switched on: an item already at 90% or breached then gets no alert. The weekly
report also appends its row to the Google Sheet set on Settings, when there is one.
"""

import datetime as dt
import re
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Engine
from sqlmodel import Session, select

from core import admin, attention, people, reports, timeline, weeks
from core.comms import channels, delivery, timezones
from core.comms.channels import ChannelProblem
from core.errors import CrowdPulseError
from core.ingest import sheets
from core.models import Person, Setting
from core.queues.facts import QueueFacts

SETTING_KEY = "alerts"
COMMUNITY_SETTING = "community_name"
DEFAULT_COMMUNITY = "CrowdPulse community"
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
# A digest not sent within this long after its time (the worker was down) is skipped, not sent stale.
DIGEST_GRACE = dt.timedelta(hours=2)
MAX_ALERTS_PER_PASS = 50
DEFAULTS = {
    "digests": [],  # [{"team", "time": "09:00", "timezone", "weekdays": [0..6], "slack": bool}]: to the team's people
    # since: the moment alerts were switched on (ISO, UTC); only crossings after it are alerted.
    "immediate": {"enabled": False, "emails": [], "slack": False, "timezone": "UTC", "quiet_start": None,
                  "quiet_end": None, "since": None},
    "weekly_report": {"enabled": False, "emails": [], "weekday": 0, "time": "08:00", "timezone": "UTC"},
}
# The tab of each page that shows an entry's kind (as Today links it: ui.widgets.lazy_tabs reads `?key=label`).
TABS = {"breached": ("queues_breach_tab", "Breached, still open"), "stuck": ("queues_work_tab", "Stuck in staging"),
        "confusion": ("workforce_tab", "Confusion"), "fatigue": ("workforce_tab", "Fatigue"),
        "negative theme": ("feedback_tab", "Themes")}
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


# --- settings -------------------------------------------------------------------------------------


def load_settings(engine: Engine) -> tuple[dict, int]:
    """The alert settings (defaults filled in) and their version (0 before the first save)."""
    with Session(engine) as session:
        row = session.get(Setting, SETTING_KEY)
        stored, version = (dict(row.value or {}), row.version) if row is not None else ({}, 0)
    merged = {key: stored.get(key, value) if key == "digests" else {**value, **(stored.get(key) or {})}
              for key, value in DEFAULTS.items()}
    return merged, version


def _clock(text, what: str) -> str:
    try:
        return f"{dt.datetime.strptime(str(text).strip(), '%H:%M').time():%H:%M}"
    except ValueError as exc:
        raise ChannelProblem(f"{what}: “{text}” is not a time of day; write it as HH:MM, e.g. 09:00.") from exc


def _zone(name, what: str) -> str:
    if timezones.zone_or_utc(name).key != str(name).strip() and str(name).strip() != "UTC":
        raise ChannelProblem(f"{what}: “{name}” is not a time zone; use a name like Europe/Berlin.")
    return str(name).strip()


def _emails(values, what: str) -> list[str]:
    found = [v.strip() for v in (values or []) if v and v.strip()]
    bad = [v for v in found if not EMAIL.match(v)]
    if bad:
        raise ChannelProblem(f"{what}: {', '.join(bad)} is not an email address.")
    return found


def team_emails(engine: Engine) -> dict[str, list[str]]:
    """The emails of each team's active staff accounts (Settings › People and roles), by team name."""
    with Session(engine) as session:
        rows = session.exec(select(Person.team, Person.email).where(Person.active == True,  # noqa: E712
                                                                    Person.team.is_not(None))).all()
    teams: dict[str, list[str]] = {}
    for team, email in sorted(rows):
        if str(team).strip():
            teams.setdefault(str(team).strip(), []).append(email)
    return teams


def nobody_in(team: str) -> str:
    """The error for a digest whose team has nobody in it."""
    return (f"The {team} digest: nobody is in team “{team}”. Put people in it on Settings › People and roles, "
            "or remove the row.")


def _digest(digest: dict, teams: dict | None) -> dict:
    team = str(digest.get("team") or "").strip()
    if not team:
        raise ChannelProblem("A digest needs a team: its people get it.")
    what = f"The {team} digest"
    if teams is not None and not teams.get(team):
        raise ChannelProblem(nobody_in(team))
    days = sorted({int(d) for d in digest.get("weekdays") or []})
    if not days or any(d not in range(7) for d in days):
        raise ChannelProblem(f"{what}: choose at least one weekday.")
    return dict(team=team, time=_clock(digest.get("time", "09:00"), what), weekdays=days,
                timezone=_zone(digest.get("timezone", "UTC"), what), slack=bool(digest.get("slack")))


def validate(settings: dict, *, teams: dict | None = None) -> dict:
    """The settings checked and tidied; `ChannelProblem` says in words what is wrong.

    With `teams` (`team_emails`), a digest for a team with nobody in it is refused.
    """
    digests = [_digest(digest, teams) for digest in settings.get("digests") or []]
    now_alerts = dict(settings.get("immediate") or {})
    quiet = [now_alerts.get("quiet_start"), now_alerts.get("quiet_end")]
    if any(quiet) and not all(quiet):
        raise ChannelProblem("Quiet hours need both a start and an end, e.g. 22:00 to 07:00.")
    immediate = dict(enabled=bool(now_alerts.get("enabled")), slack=bool(now_alerts.get("slack")),
                     emails=_emails(now_alerts.get("emails"), "Immediate alerts"),
                     timezone=_zone(now_alerts.get("timezone", "UTC"), "Quiet hours"),
                     quiet_start=_clock(quiet[0], "Quiet hours") if quiet[0] else None,
                     quiet_end=_clock(quiet[1], "Quiet hours") if quiet[1] else None)
    report = dict(settings.get("weekly_report") or {})
    weekly = dict(enabled=bool(report.get("enabled")), emails=_emails(report.get("emails"), "The weekly report"),
                  weekday=int(report.get("weekday", 0)) % 7, time=_clock(report.get("time", "08:00"), "The weekly report"),
                  timezone=_zone(report.get("timezone", "UTC"), "The weekly report"))
    return {"digests": digests, "immediate": immediate, "weekly_report": weekly}


def save_settings(engine: Engine, settings: dict, *, expected_version: int, actor: str, now=None) -> int:
    """Store checked alert settings (admins only, audited); returns the new version.

    Switching immediate alerts on records that moment: alerts start from it (see `queue_immediate_alerts`).
    """
    checked = validate(settings, teams=team_emails(engine))
    before, _ = load_settings(engine)
    was = before["immediate"]
    on = checked["immediate"]["enabled"]
    checked["immediate"]["since"] = (was.get("since") if was.get("enabled") and was.get("since") else
                                     timezones.as_utc(now or timeline.present()).isoformat()) if on else None
    return admin.update_setting(engine, key=SETTING_KEY, value=checked, expected_version=expected_version,
                                actor=actor)


def community_name(engine: Engine) -> str:
    """What the community is called in subjects (the `community_name` setting)."""
    with Session(engine) as session:
        row = session.get(Setting, COMMUNITY_SETTING)
    return str(row.value) if row is not None and row.value else DEFAULT_COMMUNITY


# --- the digest ------------------------------------------------------------------------------------


def attention_now(engine: Engine, now) -> pd.DataFrame:
    """Today's attention list over all projects and regions, as the Today page shows it: open clocks at `now`, the
    history ending on the data's last day."""
    now = pd.Timestamp(now)
    return attention.today_figures_and_entries(engine, now=now, as_of=timeline.data_as_of(engine, now))[1]


def entry_link(app_url: str, page: str, kind: str) -> str:
    """The address of the view an entry is about (its page, on the tab that lists it)."""
    tab = TABS.get(kind)
    query = f"?{tab[0]}={tab[1].replace(' ', '+').replace(',', '%2C')}" if tab else ""
    return f"{app_url}/{page}{query}"


def digest_text(entries: pd.DataFrame, *, community: str, app_url: str, now) -> tuple[str, str]:
    """Subject and Markdown body: the community, the count, then each entry's title, figure and link."""
    count = len(entries)
    subject = f"{community}: {count} item{'s' if count != 1 else ''} need{'s' if count == 1 else ''} attention"
    lines = [f"Today's attention list at {timezones.format_utc(now)}, most urgent first.", ""]
    for entry in entries.itertuples():
        link = entry_link(app_url, entry.page, entry.kind)
        lines.append(f"- **{entry.title}** ({int(entry.count):,}): {entry.detail} [Open {entry.page}]({link})")
    if not count:
        lines.append("Nothing needs attention: no breach, no stuck upload, no alert.")
    return subject, "\n".join(lines)


def queue_digest(engine: Engine, *, now, emails=(), slack: bool = False, key: str | None = None,
                 requested_by: str = "alerts", entries: pd.DataFrame | None = None) -> tuple[list[int], int]:
    """Queue the digest to addresses and/or the alerts Slack channel; (send ids, entries in it)."""
    entries = attention_now(engine, now) if entries is None else entries
    ready = channels.load_channels()
    subject, body = digest_text(entries, community=community_name(engine), app_url=ready.app_url, now=now)
    key = key or f"digest:{timezones.as_utc(now).isoformat()}"
    base = dict(subject=subject, body=body, due_at=timezones.as_utc(now), link=ready.app_url)
    sends = []
    if emails:
        sends.append(delivery.enqueue(engine, kind="digest", channel="email", title=subject, requested_by=requested_by,
                                      key_prefix=key, now=now, rows=[base | {"recipient": e} for e in emails]))
    if slack:
        sends.append(delivery.enqueue(engine, kind="digest", channel="slack", title=subject, requested_by=requested_by,
                                      key_prefix=key, now=now, rows=[base | {"recipient": "slack_alerts"}]))
    return [s for s in sends if s is not None], len(entries)


def digests_due(settings: dict, now) -> list[tuple[dict, dt.date]]:
    """The team digests whose local time has come today (within the grace), with that local day."""
    due = []
    for digest in settings.get("digests") or []:
        zone = timezones.zone_or_utc(digest["timezone"])
        local = timezones.as_utc(now).astimezone(zone)
        at = timezones.to_utc(local.date(), dt.datetime.strptime(digest["time"], "%H:%M").time(), zone.key)
        if local.weekday() in digest["weekdays"] and at <= timezones.as_utc(now) < at + DIGEST_GRACE:
            due.append((digest, local.date()))
    return due


# --- immediate alerts --------------------------------------------------------------------------------


def sla_crossings(live: pd.DataFrame) -> pd.DataFrame:
    """Open items that breached or used 90% of their SLA: item_id, queue, priority, level, time_left_minutes."""
    open_items = live[live["resolved_at"].isna()]
    level = pd.Series(None, index=open_items.index, dtype=object)
    level[open_items["warn_level"] >= 90] = "90%"
    level[open_items["state"] == "breached"] = "breached"
    found = open_items.assign(level=level).dropna(subset=["level"])
    return found.sort_values("time_left_minutes")[["item_id", "queue", "priority", "level", "time_left_minutes"]]


def quiet_until(settings: dict, now) -> dt.datetime | None:
    """The end of the quiet hours when `now` falls in them, else None."""
    start, end, zone = settings.get("quiet_start"), settings.get("quiet_end"), settings.get("timezone", "UTC")
    if not start or not end:
        return None
    local = timezones.as_utc(now).astimezone(timezones.zone_or_utc(zone))
    begin, finish = (dt.datetime.strptime(t, "%H:%M").time() for t in (start, end))
    clock = local.time()
    inside = begin <= clock < finish if begin < finish else clock >= begin or clock < finish
    if not inside:
        return None
    day = local.date() if clock < finish else local.date() + dt.timedelta(days=1)
    return timezones.to_utc(day, finish, zone)


def alert_text(row, *, community: str, app_url: str) -> tuple[str, str, str]:
    """Subject, body and link of one item's alert."""
    link = entry_link(app_url, "queues", "breached" if row.level == "breached" else "")
    if row.level == "breached":
        subject = f"{community}: {row.queue} item {row.item_id} breached its SLA"
    else:
        subject = f"{community}: {row.queue} item {row.item_id} has used 90% of its SLA"
    minutes = float(row.time_left_minutes)
    left = f"overdue by {-minutes:.0f} min" if minutes < 0 else f"{minutes:.0f} min left"
    return subject, f"**{row.item_id}** ({row.queue}, {row.priority}): {left}. [Open queues]({link})", link


def crossings_since(now_live: pd.DataFrame, then_live: pd.DataFrame) -> pd.DataFrame:
    """The crossings at now that were not there yet then (an item at 90% then alerts when it breaches, not before)."""
    now_found, then_found = sla_crossings(now_live), sla_crossings(then_live)
    seen = set(zip(then_found["item_id"], then_found["level"]))
    return now_found[[(i, lv) not in seen for i, lv in zip(now_found["item_id"], now_found["level"])]]


def queue_immediate_alerts(engine: Engine, *, now, settings: dict, live: pd.DataFrame | None = None,
                           live_at_switch_on: pd.DataFrame | None = None) -> int:
    """Queue one alert per item and level not alerted before (held until quiet hours end); how many were queued.

    With `since` in the settings (when alerts were switched on), items already at that level then are left out:
    switching alerts on does not flood the on-call person with everything already late (Today lists those).
    """
    if not settings.get("enabled") or not (settings.get("emails") or settings.get("slack")):
        return 0
    if live is None:
        live = QueueFacts(engine, now).live  # every open clock, as Today counts them
    found = sla_crossings(live)
    if settings.get("since"):
        then = live_at_switch_on if live_at_switch_on is not None else \
            QueueFacts(engine, pd.Timestamp(settings["since"])).live
        found = crossings_since(live, then)
    due_at = quiet_until(settings, now) or timezones.as_utc(now)
    community, app_url = community_name(engine), channels.load_channels().app_url
    queued = 0
    for row in found.head(MAX_ALERTS_PER_PASS).itertuples():
        subject, body, link = alert_text(row, community=community, app_url=app_url)
        base = dict(subject=subject, body=body, link=link, due_at=due_at)
        rows = [("email", base | {"recipient": e}) for e in settings.get("emails") or []]
        rows += [("slack", base | {"recipient": "slack_alerts"})] if settings.get("slack") else []
        for channel, one in rows:
            sent = delivery.enqueue(engine, kind="alert", channel=channel, title=subject, requested_by="alerts",
                                    key_prefix=f"alert:{row.item_id}:{row.level}", rows=[one], now=now)
            queued += sent is not None
    return queued


# --- the weekly report ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportRun:
    """The weekly report the worker published: its email send, and what became of the Google Sheet row (in words)."""

    send_id: int | None
    sheet: str


def queue_weekly_report(engine: Engine, *, now, settings: dict, sheets_client=None) -> ReportRun | None:
    """On its weekday and time, publish last week's snapshot, mail the report to the managers' list and append its
    row to the Google Sheet (when one is set), once a week. `sheets_client` builds the Sheets client (default: from
    secrets); without credentials the email still goes and `ReportRun.sheet` says why the sheet was not updated."""
    if not settings.get("enabled") or not settings.get("emails"):
        return None
    zone = settings.get("timezone", "UTC")
    local = timezones.as_utc(now).astimezone(timezones.zone_or_utc(zone))
    at = timezones.to_utc(local.date(), dt.datetime.strptime(settings["time"], "%H:%M").time(), zone)
    if local.weekday() != settings.get("weekday", 0) or not at <= timezones.as_utc(now) < at + DIGEST_GRACE:
        return None
    as_of = timeline.data_as_of(engine)
    week = weeks.last_complete_week(as_of)
    key = f"report:{week}"
    if delivery.already_queued(engine, key):
        return None
    report = reports.weekly_report_from_db(engine, week, as_of=as_of)
    reports.publish_snapshot(engine, report, filters={}, actor=people.SCHEDULER)
    rows = [dict(recipient=e, subject=f"{community_name(engine)}: weekly report, {report.window.label}",
                 body=reports.to_markdown(report), due_at=timezones.as_utc(now)) for e in settings["emails"]]
    send_id = delivery.enqueue(engine, kind="report", channel="email", title=f"Weekly report {week}",
                               requested_by=people.SCHEDULER, key_prefix=key, rows=rows, now=now)
    return ReportRun(send_id=send_id, sheet=add_to_sheet(engine, report, sheets_client))


def add_to_sheet(engine: Engine, report, sheets_client=None) -> str:
    """Append the week's figures to the Google Sheet set on Settings (as the worker); what happened, in words."""
    target = reports.configured_sheet(engine)
    if target is None:
        return "no Google Sheet set on Settings (weekly_report_sheet): nothing added"
    try:
        client = sheets_client() if sheets_client is not None else \
            sheets.client_from_settings(channels.secrets_file())
        written = sheets.append_weekly_figures(engine, client, report, spreadsheet=target["spreadsheet"],
                                               worksheet=target["worksheet"], scope=report.scope,
                                               actor=people.SCHEDULER)
    except CrowdPulseError as exc:
        return f"the Google Sheet was not updated ({exc}); the email goes anyway"
    return f"added {written} rows to {target['worksheet']} in the Google Sheet"


def _record_switch_on(engine: Engine, now) -> None:
    """Alerts switched on before the switch-on moment was kept start from this pass (nothing already late alerts)."""
    settings, version = load_settings(engine)
    settings["immediate"]["since"] = timezones.as_utc(now).isoformat()
    admin.update_setting(engine, key=SETTING_KEY, value=settings, expected_version=version, actor=people.SCHEDULER)


def queue_due(engine: Engine, *, now, sheets_client=None) -> dict:
    """Everything the alert settings say is due now, queued: digests (to each team's people), immediate alerts, the
    weekly report; `notes` says in words what could not be done."""
    settings, _ = load_settings(engine)
    digests, notes, teams = 0, [], team_emails(engine)
    for digest, day in digests_due(settings, now):
        key = f"digest:{digest['team']}:{day.isoformat()}"
        emails = teams.get(digest["team"], [])
        if not emails:
            notes.append(nobody_in(digest["team"]))
        if delivery.already_queued(engine, key) or not (emails or digest["slack"]):
            continue
        sends, _ = queue_digest(engine, now=now, emails=emails, slack=digest["slack"], key=key,
                                requested_by=f"{digest['team']} digest")
        digests += len(sends)
    immediate = settings["immediate"]
    if immediate["enabled"] and not immediate.get("since"):
        _record_switch_on(engine, now)
        alerts = 0
    else:
        alerts = queue_immediate_alerts(engine, now=now, settings=immediate)
    report = queue_weekly_report(engine, now=now, settings=settings["weekly_report"], sheets_client=sheets_client)
    if report is not None:
        notes.append(f"weekly report: {report.sheet}")
    return {"digests": digests, "alerts": alerts, "reports": int(report is not None), "notes": notes}
