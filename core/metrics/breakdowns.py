"""Community metrics split by a member attribute (region, country, language, vendor, ...)."""

import pandas as pd

from core.metrics import health

# What a blank value means, per attribute.
BLANK_LABELS = {"vendor": "direct"}
TENURE_BANDS = ((30, "under 30 days"), (90, "30–90 days"), (365, "3–12 months"), (float("inf"), "over a year"))


def tenure_band(signed_up_at: pd.Series, as_of) -> pd.Series:
    """Each member's time since sign-up as a band ('under 30 days' … 'over a year')."""
    days = (pd.Timestamp(as_of, tz="UTC") - pd.to_datetime(signed_up_at, utc=True)).dt.days
    bands = pd.Series(pd.NA, index=signed_up_at.index, dtype=object)
    for limit, label in reversed(TENURE_BANDS):
        bands = bands.mask(days < limit, label)
    return bands


def active_by(member_days: pd.DataFrame, members: pd.DataFrame, as_of, column: str) -> pd.DataFrame:
    """Per value of `column` (or tenure): community members, WAU, MAU and active rate on as_of, largest MAU first."""
    community = health.community_members(members)
    if column == "tenure":
        community = community.assign(tenure=tenure_band(community["signed_up_at"], as_of))
    groups = community[column].fillna(BLANK_LABELS.get(column, "unknown"))
    rows = []
    for value, group in community.groupby(groups):
        days = member_days[member_days["member_id"].isin(group["member_id"])]
        latest = health.active_users(days, group, as_of, as_of).iloc[-1]
        rows.append({column: value, "members": len(group), "wau": int(latest["wau"]), "mau": int(latest["mau"]),
                     "active_rate": latest["active_rate"]})
    frame = pd.DataFrame(rows, columns=[column, "members", "wau", "mau", "active_rate"])
    return frame.sort_values(["mau", column], ascending=[False, True], ignore_index=True)
