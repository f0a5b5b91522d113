"""The workforce read API: what pages, the CLI, Today and the Weekly report load, from the roll-ups or SQL aggregates.

Pages never read the millions of activity rows at `large`: totals come from
`core.workforce.rollup`'s per project-day sums and presence bitmaps, fatigue from its stored
alerts, and only one tasker's evidence is read row by row.
"""

import pandas as pd
from sqlalchemy import Engine, String, case, exc, false, func, not_, or_, select, type_coerce

from core.feedback import rollup as feedback_rollup
from core.feedback.sentiment import NEGATIVE_THRESHOLD as NEGATIVE_AT
from core.frames import Grouping, as_date, as_day, as_timestamp, loader_columns, read_frame
from core.models import Activity, Member, Project
from core.workforce import rollup
from core.workforce.alerts import DAY
from core.workforce.bitmaps import range_masks
from core.workforce.daypack import member_sums
from core.workforce.fatigue import FATIGUE_COLUMNS, FATIGUE_RATES, SEGMENTS, fatigue_alerts
from core.workforce.quality import COUNTS, DIRECT, count_types, table_from_sums, workforce_table

def load_activity(engine: Engine, *, start, end, projects=None, regions=None) -> pd.DataFrame:
    """Non-staff activity rows for days start..end (both included) with member country, region and vendor."""
    activity, member = Activity.__table__, Member.__table__
    statement = (
        select(*loader_columns(activity), member.c.country, member.c.region, member.c.vendor)
        .select_from(activity.join(member, activity.c.member_id == member.c.member_id))
        .where(
            activity.c.day >= as_date(start),
            activity.c.day <= as_date(end),
            not_(member.c.is_staff),
            not_(member.c.is_bot),
        )
        .order_by(activity.c.day, activity.c.member_id, activity.c.project_id)
    )
    if projects:
        statement = statement.where(activity.c.project_id.in_(list(projects)))
    if regions:
        statement = statement.where(member.c.region.in_(list(regions)))
    return read_frame(engine, statement, days=("day",))


def load_projects(engine: Engine) -> pd.DataFrame:
    """Every project with its launch and latest guideline change (UTC), for `confusion_alerts`."""
    project = Project.__table__
    statement = select(*loader_columns(project, without=["attributes"])).order_by(project.c.project_id)
    return read_frame(engine, statement, timestamps=("launch_at", "guideline_updated_at"))


def load_project_day_totals(engine: Engine, *, start, end, projects=None, regions=None,
                            by_region: bool = False) -> pd.DataFrame:
    """Non-staff activity summed per project and day (per region too with `by_region`) for days start..end.

    From the roll-up: enough for `confusion_alerts` (and, per region, `confusion_by_region`).
    """
    table = rollup.project_day
    keys = [table.c.project_id, table.c.day] + ([table.c.region] if by_region else [])
    statement = (
        select(table.c.project_id, type_coerce(table.c.day, String).label("day"),
               *([table.c.region] if by_region else []),
               *(func.sum(table.c[name]).label(name) for name in COUNTS))
        .where(table.c.day >= as_date(start), table.c.day <= as_date(end),
               *_region_filter(table.c.region, regions))
        .group_by(*keys)
        .order_by(table.c.day, table.c.project_id, *([table.c.region] if by_region else []))
    )
    if projects:
        statement = statement.where(table.c.project_id.in_(list(projects)))
    return read_frame(engine, statement, days=("day",)).astype(count_types(COUNTS))


def load_negative_feedback(engine: Engine, *, start, end, projects=None, regions=None) -> pd.DataFrame:
    """Scored and negative community messages per project and UTC day start..end, for `confusion_alerts`' feedback."""
    message = feedback_rollup.messages
    day = _utc_day(engine, message.c.created_at)
    statement = (
        select(message.c.project_id, day.label("day"), func.count(message.c.score).label("scored"),
               func.sum(case((message.c.score <= NEGATIVE_AT, 1), else_=0)).label("negative"))
        .where(message.c.created_at >= as_timestamp(as_day(start)).to_pydatetime(),
               message.c.created_at < as_timestamp(as_day(end) + DAY).to_pydatetime(),
               message.c.project_id.is_not(None), *_region_filter(message.c.region, regions))
        .group_by(message.c.project_id, day)
    )
    if projects:
        statement = statement.where(message.c.project_id.in_(list(projects)))
    frame = read_frame(engine, statement, days=("day",))
    return frame.astype({"scored": "int64", "negative": "int64"})


def _utc_day(engine: Engine, moment):
    if engine.dialect.name == "sqlite":  # stored as ISO text in UTC
        return func.substr(moment, 1, 10)
    return type_coerce(func.date(func.timezone("UTC", moment)), String)


def load_workforce_table(engine: Engine, *, start, end, by: Grouping = "project_id", projects=None,
                         regions=None, members: bool = True) -> pd.DataFrame:
    """Volumes and rates (see `core.workforce.quality`) over days start..end per project, vendor, tasker, any
    activity or member column, or in total.

    In total, per project or per vendor the sums come from the roll-ups; `members=False` leaves out
    the distinct taskers there (the costliest part). Per tasker they are one SQL GROUP BY; any other
    grouping sums the activity rows (`core.workforce.quality.workforce_table`).
    """
    keys = [] if by is None else [by] if isinstance(by, str) else list(by)
    if keys == ["member_id"]:
        return _member_table(engine, start, end, projects, regions)
    if keys not in ([], ["project_id"], ["vendor"]):
        return workforce_table(load_activity(engine, start=start, end=end, projects=projects, regions=regions), by)
    table = rollup.project_day
    group = [] if not keys else [table.c.project_id] if keys == ["project_id"] else [
        func.coalesce(table.c.vendor, DIRECT)]
    conditions = [table.c.day >= as_date(start), table.c.day <= as_date(end), *_region_filter(table.c.region, regions)]
    if projects:
        conditions.append(table.c.project_id.in_(list(projects)))
    per_day = (select(*(column.label(key) for column, key in zip(group, keys)), table.c.day,
                      *(func.sum(table.c[name]).label(name) for name in COUNTS))
               .where(*conditions).group_by(*group, table.c.day).subquery())
    day_keys = [per_day.c[key] for key in keys]
    statement = (select(*day_keys, *(func.sum(per_day.c[name]).label(name) for name in COUNTS),
                        func.count(case((per_day.c.tasks_submitted > 0, 1))).label("active_days"))
                 .group_by(*day_keys))
    sums = read_frame(engine, statement)
    if not members:
        return table_from_sums(sums.rename(columns=COUNTS), keys).drop(columns="members")
    taskers = _distinct_members(engine, start, end, keys, projects, regions)
    if keys:
        sums = sums.merge(taskers, on=keys, how="left")
    else:
        sums["members"] = taskers["members"].iloc[0] if len(taskers) else 0
    return table_from_sums(sums.rename(columns=COUNTS), keys)


def _distinct_members(engine: Engine, start, end, keys: list[str], projects, regions) -> pd.DataFrame:
    """Distinct taskers with any activity row in start..end per project or vendor (or in all), from the bitmaps."""
    table = rollup.presence
    in_range = _presence_in_range(table.c.seen, start, end)
    group = {"project_id": table.c.project_id, "vendor": func.coalesce(table.c.vendor, DIRECT)}
    columns = [group[key].label(key) for key in keys]
    statement = (select(*columns, func.count(func.distinct(table.c.member_id)).label("members"))
                 .where(*(in_range if in_range is not None else [false()]), *_region_filter(table.c.region, regions)))
    if projects:
        statement = statement.where(table.c.project_id.in_(list(projects)))
    if keys:
        statement = statement.group_by(*(group[key] for key in keys))
    return read_frame(engine, statement)


def _member_table(engine: Engine, start, end, projects, regions) -> pd.DataFrame:
    """Per tasker: the range's packed per-member days summed (`core.workforce.daypack`); under a project filter,
    one SQL GROUP BY over the range's activity (joined to members only to drop staff)."""
    if not projects:
        table = rollup.member_day
        statement = select(table.c.ids, table.c.sums, table.c.members).where(
            table.c.day >= as_date(start), table.c.day <= as_date(end), *_region_filter(table.c.region, regions))
        with engine.connect() as connection:
            packed = connection.execute(statement).all()
        return table_from_sums(member_sums(*zip(*packed)) if packed else member_sums([], [], []), ["member_id"])
    activity, member = Activity.__table__, Member.__table__
    statement = (
        select(activity.c.member_id, *(func.sum(activity.c[name]).label(name) for name in COUNTS),
               func.count(func.distinct(case((activity.c.tasks_submitted > 0, activity.c.day)))).label("active_days"))
        .select_from(activity.join(member, activity.c.member_id == member.c.member_id))
        .where(activity.c.day >= as_date(start), activity.c.day <= as_date(end), not_(member.c.is_staff),
               not_(member.c.is_bot), *_region_filter(member.c.region, regions),
               activity.c.project_id.in_(list(projects)))
        .group_by(activity.c.member_id)
    )
    return table_from_sums(read_frame(engine, statement).rename(columns=COUNTS), ["member_id"])


def load_fatigue_alerts(engine: Engine, as_of, *, window_start, last_day=None, projects=None,
                        regions=None) -> pd.DataFrame:
    """The fatigue alerts at as_of over the activity of days window_start..last_day (default as_of).

    Without a project filter the alerts of all regions are kept in `core.workforce.rollup`'s
    fatigue table (the default view from a rebuild, any other from its first use) and filtered
    by region on reading; with one, they are aggregated in SQL each time.
    """
    day, first = as_date(as_of), as_date(window_start)
    if projects or (last_day is not None and as_date(last_day) < day):
        with engine.connect() as connection:
            return fatigue_alerts(connection, day, window_start=first, last_day=last_day, projects=projects,
                                  regions=regions)
    run, table = rollup.fatigue_run, rollup.fatigue
    with engine.connect() as connection:
        generation = rollup.current_generation(connection)
        stored = connection.execute(select(run.c.as_of).where(run.c.as_of == day, run.c.window_start == first,
                                                              run.c.generation == generation)).first()
        if stored is None:
            alerts = fatigue_alerts(connection, day, window_start=first)
    if stored is None:
        if generation is not None:
            try:
                with engine.begin() as connection:
                    rollup.store_fatigue(connection, day, first, generation, alerts)
            except exc.DBAPIError:  # another session stored it first, or the database is read-only
                pass
        return alerts[alerts["region"].isin(list(regions))].reset_index(drop=True) if regions else alerts
    statement = (select(*(table.c[name] for name in FATIGUE_COLUMNS))
                 .where(table.c.as_of == day, table.c.window_start == first, *_region_filter(table.c.region, regions)))
    alerts = read_frame(engine, statement)
    alerts = alerts.astype({"streak_days": "int64", "recent_tasks": "int64", "severity": "float64",
                            **{name: "float64" for name in FATIGUE_RATES},
                            **{name: "str" for name in ("member_id", *SEGMENTS, "reasons")}})
    alerts["vendor"] = alerts["vendor"].fillna(DIRECT)
    return alerts.sort_values(["severity", "member_id"], ascending=[False, True], ignore_index=True)


def load_member_daily(engine: Engine, member_id: str, *, start, end, projects=None) -> pd.DataFrame:
    """One tasker's activity rows for days start..end (for `core.workforce.drilldown.member_daily`)."""
    activity = Activity.__table__
    statement = (select(*loader_columns(activity)).where(activity.c.member_id == member_id,
                                                         activity.c.day >= as_date(start),
                                                         activity.c.day <= as_date(end))
                 .order_by(activity.c.day, activity.c.project_id))
    if projects:
        statement = statement.where(activity.c.project_id.in_(list(projects)))
    return read_frame(engine, statement, days=("day",))


def load_recent_members(engine: Engine, project_id: str, *, start, end, regions=None) -> pd.Series:
    """How many distinct taskers had a row on a project in days start..end, per region ('Unknown': none)."""
    table = rollup.presence
    region = func.coalesce(table.c.region, "Unknown")
    in_range = _presence_in_range(table.c.seen, start, end)
    if in_range is None:
        return pd.Series(dtype="int64", name="member_id").rename_axis("region")
    statement = (select(region.label("region"), func.count(func.distinct(table.c.member_id)).label("members"))
                 .where(table.c.project_id == project_id, *in_range, *_region_filter(table.c.region, regions))
                 .group_by(region))
    counts = read_frame(engine, statement)
    return pd.Series(counts["members"].astype("int64").to_numpy(), index=pd.Index(counts["region"], name="region"),
                     name="member_id")


def _presence_in_range(bits, start, end) -> list | None:
    """Conditions keeping presence rows with a bit set in days start..end (None: an empty range)."""
    masks = range_masks(as_date(start), as_date(end))
    if not masks:
        return None
    block = rollup.presence.c.block
    return [block.between(min(masks), max(masks)),
            or_(*((block == number) & (bits.op("&")(mask) != 0) for number, mask in masks.items()))]


def load_affected_members(engine: Engine, project_id: str, since, *, end, regions=None, values=None,
                          by: str = "region") -> list[str]:
    """`affected_members` from the bitmaps: taskers who submitted on the project in since..end, in those regions."""
    table = rollup.presence
    in_range = _presence_in_range(table.c.worked, since, end)
    if in_range is None:
        return []
    conditions = [table.c.project_id == project_id, *in_range, *_region_filter(table.c.region, regions)]
    if values is not None:
        named = [value for value in values if value != "Unknown"]
        conditions.append(or_(table.c[by].in_(named), *([table.c[by].is_(None)] if "Unknown" in values else [])))
    statement = select(table.c.member_id).where(*conditions).distinct().order_by(table.c.member_id)
    with engine.connect() as connection:
        return [member_id for (member_id,) in connection.execute(statement)]


def _region_filter(column, regions) -> list:
    """A condition keeping the given regions (none: no condition)."""
    return [column.in_(list(regions))] if regions else []
