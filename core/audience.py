"""Audiences for messages: which taskers a filter selects, and what they read and where they live."""

import pandas as pd
from sqlalchemy import Engine, text

from core.metrics import read_frame


def load_audience_base(engine: Engine) -> pd.DataFrame:
    """Non-staff, non-bot members with what a segment can filter on, including their projects."""
    members = read_frame(engine, text(
        "SELECT member_id, country, region, timezone, language, vendor, status, onboarded_at "
        "FROM member WHERE is_staff = :no AND is_bot = :no").bindparams(no=False), timestamps=("onboarded_at",))
    worked = read_frame(engine, text("SELECT DISTINCT member_id, project_id FROM activity"))
    projects = worked.groupby("member_id")["project_id"].agg(lambda s: tuple(sorted(s)))
    return members.assign(projects=members["member_id"].map(projects).apply(lambda v: v if isinstance(v, tuple) else ()))


def select_audience(base: pd.DataFrame, *, countries=(), languages=(), regions=(), projects=(), vendors=(),
                    statuses=("active",)) -> pd.DataFrame:
    """Members matching every given filter (an empty filter matches all)."""
    mask = pd.Series(True, index=base.index)
    for column, wanted in (("country", countries), ("language", languages), ("region", regions),
                           ("vendor", vendors), ("status", statuses)):
        if wanted:
            mask &= base[column].isin(list(wanted))
    if projects:
        wanted = set(projects)
        mask &= base["projects"].map(lambda worked: bool(wanted.intersection(worked)))
    return base[mask]


def audience_mix(audience: pd.DataFrame, column: str) -> pd.DataFrame:
    """Recipients per value of a column (language, time zone, country), largest first, with share."""
    counts = audience[column].fillna("unknown").value_counts().rename_axis(column).reset_index(name="recipients")
    counts = counts.sort_values(["recipients", column], ascending=[False, True], ignore_index=True)
    counts["share"] = counts["recipients"] / max(len(audience), 1)
    return counts
