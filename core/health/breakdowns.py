"""Community metrics split by a member attribute (region, country, language, vendor, ...)."""

from collections.abc import Callable

import pandas as pd

from core.frames import as_day, ratio
from core.health.active import DAY
from core.health.crowd import MONTH_DAYS, Crowd
from core.workforce.quality import DIRECT

# What a blank value means, per attribute.
BLANK_LABELS = {"vendor": DIRECT}
TENURE_BANDS = ((30, "under 30 days"), (90, "30–90 days"), (365, "3–12 months"), (float("inf"), "over a year"))


def tenure_band(signed_up_at: pd.Series, as_of) -> pd.Series:
    """Each member's time since sign-up as a band ('under 30 days' … 'over a year')."""
    days = (pd.Timestamp(as_of, tz="UTC") - pd.to_datetime(signed_up_at, utc=True)).dt.days
    bands = pd.Series(pd.NA, index=signed_up_at.index, dtype=object)
    for limit, label in reversed(TENURE_BANDS):
        bands = bands.mask(days < limit, label)
    return bands


def segment_values(community: pd.DataFrame, column: str, as_of) -> pd.Series:
    """Each member's value of `column` as a split labels it: blanks named (vendor 'direct', else 'unknown'), tenure banded."""
    if column == "tenure":
        return tenure_band(community["signed_up_at"], as_of)
    return community[column].fillna(BLANK_LABELS.get(column, "unknown"))


def active_by(member_days, members: pd.DataFrame, as_of, column: str) -> pd.DataFrame:
    """Per value of `column` (or tenure): community members, WAU, MAU and active rate on as_of, largest MAU first.

    `member_days` is `ActiveDays` or a frame of (member_id, day) pairs reaching 27 days before as_of.
    """
    crowd = Crowd(members, member_days)
    community = crowd.members
    onboarded = pd.to_datetime(community["onboarded_at"], utc=True) < pd.Timestamp(as_day(as_of), tz="UTC") + DAY
    counts = pd.DataFrame({
        column: segment_values(community, column, as_of),
        "members": 1,
        "wau": crowd.active_within(as_of, 7),
        "mau": crowd.active_within(as_of, MONTH_DAYS),
        "onboarded": onboarded,
    }).groupby(column, sort=False).sum()
    frame = pd.DataFrame({column: counts.index.to_numpy(), "members": counts["members"].to_numpy("int64"),
                          "wau": counts["wau"].to_numpy("int64"), "mau": counts["mau"].to_numpy("int64"),
                          "active_rate": ratio(counts["mau"].to_numpy(), counts["onboarded"].to_numpy())})
    return frame.sort_values(["mau", column], ascending=[False, True], ignore_index=True)


def per_group(crowd: Crowd, column: str, as_of, measure: Callable[[Crowd], pd.DataFrame]) -> pd.DataFrame:
    """`measure` of each group of a crowd's members by `column` (named as splits name it: vendor 'direct', tenure
    bands), the group column first; groups in order of their value."""
    values = segment_values(crowd.members, column, as_of).astype(str).to_numpy()
    frames = [measure(crowd.where(values == value)).pipe(lambda part, v=value: part.assign(**{column: v}))
              for value in sorted(set(values))]
    if not frames:
        return pd.DataFrame(columns=[column])
    table = pd.concat(frames, ignore_index=True)
    return table[[column, *(c for c in table.columns if c != column)]]
