"""Audiences for messages: which taskers a filter selects, and what they read and where they live."""

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sqlalchemy import Engine, func, not_, select

from core import timeline
from core.frames import as_utc, driver_rows, rows_frame, unparsed
from core.health import rollup as activity
from core.health.scope import active_member_ids
from core.models import Member

# Keys a saved segment's `filters` may hold, with the select_audience argument each feeds.
FILTER_KEYS = ("countries", "languages", "regions", "projects", "vendors", "statuses", "timezones",
               "min_tenure_days", "max_tenure_days")
# Joins a member's project ids in SQL; a control character no imported id is expected to hold.
_SEPARATOR = "\x1f"


def load_audience_base(engine: Engine, *, as_of=None) -> pd.DataFrame:
    """Non-staff, non-bot members with what a segment can filter on, including the projects they worked on.

    `status` is "active" by the Health definition (≥ 1 submitted task in the 28 days ending on the
    last day with data, or as_of), "inactive" otherwise; an account whose stored status is not
    "active" (banned, paused…) keeps it. The stored one is `account_status`.

    A member worked on a project when they submitted at least one task on it on some day: read
    from the activity roll-up's per-project presence bitmaps (`core.health.rollup`, a row per
    member, project and block of days with a bit set), so the 3M activity rows are not scanned.
    """
    member, worked = Member.__table__, activity.project_member_days
    join = func.string_agg if engine.dialect.name == "postgresql" else func.group_concat
    # One list per member, straight from the bitmaps' primary key; a member spanning two blocks
    # lists a project twice, which the few distinct lists below fold away.
    projects = (select(join(worked.c.project_id, _SEPARATOR)).where(worked.c.member_id == member.c.member_id)
                .scalar_subquery().label("projects"))
    statement = select(member.c.member_id, member.c.handle, member.c.email, member.c.country, member.c.region,
                       member.c.timezone, member.c.language, member.c.vendor, member.c.status,
                       unparsed(member.c.onboarded_at), projects).where(not_(member.c.is_staff),
                                                                        not_(member.c.is_bot))
    # The driver's rows: SQLAlchemy's per-row processing of 100k rows costs more than the query.
    frame = rows_frame([column.key for column in statement.selected_columns], driver_rows(engine, statement))
    frame["onboarded_at"] = as_utc(frame["onboarded_at"])
    listed = frame.pop("projects")
    # A few hundred distinct lists cover 100k members: each becomes a sorted tuple once, shared.
    tuples = {value: tuple(sorted(set(value.split(_SEPARATOR)))) for value in listed.dropna().unique()}
    frame = frame.assign(projects=[tuples.get(value, ()) for value in listed.tolist()])
    return with_activity_status(frame, active_member_ids(engine, timeline.data_as_of(engine, as_of)))


def with_activity_status(base: pd.DataFrame, active_ids) -> pd.DataFrame:
    """The base with `status` active/inactive by Health's monthly activity (`account_status` keeps the stored one)."""
    stored = base["status"].fillna("active")
    # Looked up in a Python set: `isin` would first turn 100k ids into an Arrow array (~0.2 s at the large scale).
    active = set(active_ids)
    monthly = np.where([member in active for member in base["member_id"].tolist()], "active", "inactive")
    status = stored.where(stored != "active", pd.Series(monthly, index=base.index, dtype=stored.dtype))
    return base.assign(status=status, account_status=stored)


def select_audience(base: pd.DataFrame, *, countries=(), languages=(), regions=(), projects=(), vendors=(),
                    statuses=("active",), timezones=(), min_tenure_days=None, max_tenure_days=None,
                    now=None) -> pd.DataFrame:
    """Members matching every given filter (an empty filter matches all); tenure counts days since onboarding."""
    mask = pd.Series(True, index=base.index)
    for column, wanted in (("country", countries), ("language", languages), ("region", regions),
                           ("vendor", vendors), ("status", statuses), ("timezone", timezones)):
        if wanted:
            mask &= base[column].isin(list(wanted))
    if projects:
        wanted = set(projects)
        mask &= base["projects"].map(lambda worked: bool(wanted.intersection(worked)))
    if min_tenure_days is not None or max_tenure_days is not None:
        now = pd.Timestamp.now(tz="UTC") if now is None else pd.Timestamp(now)
        tenure = (now - base["onboarded_at"]).dt.total_seconds() / 86400
        if min_tenure_days is not None:
            mask &= tenure >= min_tenure_days
        if max_tenure_days is not None:
            mask &= tenure <= max_tenure_days
    return base[mask]


def segment_members(base: pd.DataFrame, *, filters: dict | None = None, member_ids=None, now=None) -> pd.DataFrame:
    """The members of a saved segment: its explicit list (still non-staff and known), or its filters."""
    if member_ids:
        return base[base["member_id"].isin(list(member_ids))]
    chosen = {k: v for k, v in (filters or {}).items() if k in FILTER_KEYS}
    return select_audience(base, now=now, **chosen)


def audience_mix(audience: pd.DataFrame, column: str) -> pd.DataFrame:
    """Recipients per value of a column (language, time zone, country), largest first, with share."""
    counts = audience[column].fillna("unknown").value_counts().rename_axis(column).reset_index(name="recipients")
    counts = counts.sort_values(["recipients", column], ascending=[False, True], ignore_index=True)
    counts["share"] = counts["recipients"] / max(len(audience), 1)
    return counts


def second_language_share(audience: pd.DataFrame) -> float:
    """Share of recipients whose language is not English (unknown counts as English: no evidence otherwise)."""
    if audience.empty:
        return 0.0
    language = audience["language"].fillna("en").astype(str).str.lower()
    return float((~language.str.startswith("en")).mean())


def describe_filters(filters: dict, project_names: dict | None = None) -> str:
    """A segment's filters in words: 'active taskers · language pt, es · worked on Cedar GenAI Chat Rating'."""
    names = project_names or {}
    statuses = list(filters.get("statuses") or ["active"])
    parts = ["active taskers" if statuses == ["active"] else f"taskers with status {', '.join(statuses)}"]
    labels = {"countries": "country", "languages": "language", "regions": "region", "vendors": "vendor",
              "timezones": "time zone"}
    for key, label in labels.items():
        if filters.get(key):
            parts.append(f"{label} {', '.join(map(str, filters[key]))}")
    if filters.get("projects"):
        parts.append("worked on " + ", ".join(names.get(p, p) for p in filters["projects"]))
    if filters.get("min_tenure_days") is not None:
        parts.append(f"onboarded ≥ {filters['min_tenure_days']} days ago")
    if filters.get("max_tenure_days") is not None:
        parts.append(f"onboarded ≤ {filters['max_tenure_days']} days ago")
    return " · ".join(parts)


# --- the audience a message goes to ------------------------------------------------------------


@dataclass(frozen=True)
class AudienceChoice:
    """Who a message goes to: the taskers, what to call them, and how to save them as a segment.

    `spec` is what `workflow.segment_for_audience` takes: {"segment_id"}, {"member_ids", "label"}
    (handed over from an alert) or {"filters", "label"}.
    """

    members: pd.DataFrame
    label: str
    spec: dict = field(default_factory=dict)


def saved_audience(base: pd.DataFrame, segments: pd.DataFrame, segment_id: int, *, now=None) -> AudienceChoice:
    """The members of a saved segment, called by its name."""
    segment = segments[segments["id"] == segment_id].iloc[0]
    members = segment_members(base, filters=segment["filters"], member_ids=segment["member_ids"], now=now)
    return AudienceChoice(members, segment["name"], {"segment_id": int(segment["id"])})


def handed_over_audience(base: pd.DataFrame, member_ids, label: str) -> AudienceChoice:
    """The taskers an alert, an event or a launch handed over (those still known and not staff)."""
    members = base[base["member_id"].isin(member_ids)]
    return AudienceChoice(members, label, {"member_ids": members["member_id"].tolist(), "label": label})


def filtered_audience(base: pd.DataFrame, picked: dict, project_names: dict | None = None, *,
                      now=None) -> AudienceChoice:
    """The taskers a set of filters selects (empty filters dropped), described in words."""
    filters = {k: list(v) if isinstance(v, (list, tuple)) else v for k, v in picked.items() if v not in ([], None)}
    members = select_audience(base, now=now, **filters)
    label = describe_filters(filters, project_names)
    return AudienceChoice(members, label, {"filters": filters, "label": label})


def segment_summary(segment: pd.Series, project_names: dict | None = None) -> str:
    """What a saved segment holds in words: its list size or its filters."""
    if segment["member_ids"]:
        return f"a list of {len(segment['member_ids']):,} taskers"
    return describe_filters(segment["filters"], project_names)
