"""The variables a template is filled with, taken from live data as plain dicts (never ORM objects)."""

import datetime as dt
import math

import pandas as pd
from sqlalchemy import Engine, text

from core import timeline
from core.comms import timezones
from core.health.active import load_active_days, load_community
from core.health.crowd import Crowd
from core.health.scope import active_member_ids

WEEK_DAYS = 7  # Health's WAU window
# "How soon new taskers do a first task" is measured over those onboarded in this many days.
FIRST_TASK_COHORT_DAYS = 90

# What each template `needs:` entry asks the studio for.
NEEDS = {
    "project": "a project",
    "deadline": "a deadline (date, time and its time zone)",
    "event": "an event",
    "link": "a link (guide, survey, sign-up or status page)",
}


def community_figures(engine: Engine, now) -> dict:
    """Live counts for newsletters: active taskers (Health's WAU) and their tasks, new taskers, live projects.

    "This week" is the 7 days ending on the last day with data (up to now), as Health counts WAU.
    """
    last_day = timeline.data_as_of(engine, timezones.as_utc(now)).date()
    first_day = last_day - dt.timedelta(days=WEEK_DAYS - 1)
    active = active_member_ids(engine, last_day, window_days=WEEK_DAYS)
    with engine.connect() as connection:
        tasks = connection.execute(text(
            "SELECT COALESCE(SUM(a.tasks_submitted), 0) FROM activity a "
            "JOIN member m ON m.member_id = a.member_id "
            "WHERE a.day >= :first AND a.day <= :last AND a.tasks_submitted > 0 "
            "AND m.is_staff = :no AND m.is_bot = :no"),
            {"first": first_day, "last": last_day, "no": False}).scalar_one()
        new = connection.execute(text(
            "SELECT COUNT(*) FROM member WHERE onboarded_at >= :since AND onboarded_at < :until "
            "AND is_staff = :no AND is_bot = :no"),
            {"since": dt.datetime.combine(first_day, dt.time(), dt.UTC),
             "until": dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time(), dt.UTC), "no": False}).scalar_one()
        live = connection.execute(text("SELECT COUNT(*) FROM project WHERE status = 'live'")).scalar_one()
    figures = {"active_taskers": len(active), "tasks_submitted": int(tasks), "new_taskers": int(new),
               "live_projects": int(live)}
    days = days_to_first_task(engine, last_day)
    return figures | ({"days_to_first_task": days} if days is not None else {})


def days_to_first_task(engine: Engine, last_day: dt.date) -> int | None:
    """Median whole days from onboarding to a first task (Health's time to activate), over the last 90 days' joiners."""
    first = last_day - dt.timedelta(days=FIRST_TASK_COHORT_DAYS)
    crowd = Crowd(load_community(engine), load_active_days(engine, start=first, end=last_day))
    recent = crowd.where((crowd.onboarded_day() >= pd.Timestamp(first)).to_numpy())
    median = recent.time_to_activate() if len(recent.members) else float("nan")
    # "Most do their first task within N days": a median of 16.5 days is said as 17.
    return None if pd.isna(median) else math.ceil(median)


def zone_mix(audience: pd.DataFrame) -> pd.DataFrame:
    """Recipients per time zone (`timezone`, `recipients`), largest first; blanks count as UTC."""
    zones = audience["timezone"].fillna("UTC") if "timezone" in audience else pd.Series(dtype=object)
    counts = zones.value_counts().rename_axis("timezone").reset_index(name="recipients")
    return counts.sort_values(["recipients", "timezone"], ascending=[False, True], ignore_index=True)


def template_variables(*, audience: pd.DataFrame, audience_label: str, sender: dict, project: dict | None = None,
                       deadline=None, event: dict | None = None, link: str | None = None,
                       community: dict | None = None, guide: dict | None = None) -> dict:
    """Plain variables for a template: audience, sender, and whichever of project/deadline/event/link/guide are given.

    `guide` is the project's guide from its resources (title, url, ready, read_minutes or None).
    """
    mix = zone_mix(audience)
    variables: dict = {
        "audience": {"label": audience_label, "recipients": int(len(audience)),
                     "languages": int(audience["language"].nunique()) if "language" in audience else 0,
                     "time_zones": int(len(mix))},
        "sender": {"name": sender.get("name") or "The community team", "team": sender.get("team") or "Community team"},
    }
    if community is not None:
        variables["community"] = dict(community)
    if link:
        variables["link"] = link
    if guide is not None:
        variables["guide"] = dict(guide)
    if project is not None:
        launch = project.get("launch_at")
        variables["project"] = {
            "id": project.get("project_id"), "name": project.get("name"), "kind": project.get("kind"),
            "guideline_version": project.get("guideline_version") or "new",
            "launch": timezones.moment_context(launch, mix) if launch is not None and not pd.isna(launch) else None,
        }
    if deadline is not None:
        variables["deadline"] = timezones.moment_context(deadline, mix)
    if event is not None:
        variables["event"] = {"id": event.get("event_id"), "title": event.get("title"),
                              "duration_minutes": int(event.get("duration_minutes") or 60),
                              "registrations": int(event.get("registrations") or 0),
                              "start": timezones.moment_context(event["starts_at"], mix)}
    return variables


MOMENT_LABELS = {"deadline_at": "deadline", "event_starts_at": "event_start", "launch_at": "launch"}


def draft_context(*, audience_label: str, project: dict | None = None, deadline=None, event: dict | None = None,
                  link: str | None = None) -> dict:
    """What to remember with a draft about how it was filled (plain JSON: ids, ISO moments, the link)."""
    out: dict = {"audience_label": audience_label}
    if project is not None:
        out["project_id"] = project.get("project_id")
        launch = project.get("launch_at")
        if launch is not None and not pd.isna(launch):
            out["launch_at"] = timezones.as_utc(launch).isoformat()
    if deadline is not None:
        out["deadline_at"] = timezones.as_utc(deadline).isoformat()
    if event is not None:
        out["event_id"] = event.get("event_id")
        out["event_starts_at"] = timezones.as_utc(event["starts_at"]).isoformat()
    if link:
        out["link"] = link
    return out


def draft_moments(stored: dict, *, needs=("deadline_at", "event_starts_at", "launch_at")) -> dict:
    """The moments a draft talks about, by label ('deadline', 'event_start', 'launch'), as aware UTC."""
    return {MOMENT_LABELS[key]: timezones.as_utc(stored[key]) for key in needs if stored.get(key)}


def languages_without_version(audience: pd.DataFrame, languages_present) -> pd.DataFrame:
    """Audience languages that have no version of the message yet, with how many recipients read them."""
    present = {str(lang).lower() for lang in languages_present}
    counts = audience["language"].fillna("unknown").value_counts().rename_axis("language").reset_index(name="recipients")
    missing = counts[~counts["language"].str.lower().isin(present) & (counts["language"] != "unknown")]
    missing = missing.assign(share=missing["recipients"] / max(len(audience), 1))
    return missing.sort_values(["recipients", "language"], ascending=[False, True], ignore_index=True)


def language_choices(versions, audience_languages) -> list[str]:
    """Languages a draft can be written in: those it has (English first), then the audience's others."""
    present = sorted(versions, key=lambda lang: (lang != "en", lang))
    return present + [lang for lang in audience_languages if lang not in versions and lang != "unknown"]
