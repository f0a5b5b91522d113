"""Audiences for messages: which taskers a filter selects, and what they read and where they live."""

import numpy as np
import pandas as pd
from sqlalchemy import Engine, text

from core.metrics import read_frame

# Keys a saved segment's `filters` may hold, with the select_audience argument each feeds.
FILTER_KEYS = ("countries", "languages", "regions", "projects", "vendors", "statuses", "timezones",
               "min_tenure_days", "max_tenure_days")


def load_audience_base(engine: Engine) -> pd.DataFrame:
    """Non-staff, non-bot members with what a segment can filter on, including their projects."""
    members = read_frame(engine, text(
        "SELECT member_id, handle, email, country, region, timezone, language, vendor, status, onboarded_at "
        "FROM member WHERE is_staff = :no AND is_bot = :no").bindparams(no=False), timestamps=("onboarded_at",))
    # Ordered by member then project, the distinct pairs come out of the (member, project, day)
    # primary key without a sort; each member's tuple is then one slice (no per-member groupby call).
    worked = read_frame(engine, text("SELECT DISTINCT member_id, project_id FROM activity "
                                     "ORDER BY member_id, project_id"))
    ids, projects = worked["member_id"].to_numpy(), worked["project_id"].tolist()
    starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]]) if len(ids) else np.array([], dtype=int)
    ends = np.r_[starts[1:], len(ids)]
    lists = dict(zip(ids[starts], (tuple(sorted(projects[a:b])) for a, b in zip(starts, ends))))
    return members.assign(projects=[lists.get(m, ()) for m in members["member_id"]])


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
