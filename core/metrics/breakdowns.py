"""Community metrics split by a member attribute (region, country, language, vendor, ...)."""

import pandas as pd

from core.metrics import health

# What a blank value means, per attribute.
BLANK_LABELS = {"vendor": "direct"}


def active_by(member_days: pd.DataFrame, members: pd.DataFrame, as_of, column: str) -> pd.DataFrame:
    """Per value of `column`: community members, WAU, MAU and active rate on as_of, largest MAU first."""
    community = health.community_members(members)
    groups = community[column].fillna(BLANK_LABELS.get(column, "unknown"))
    rows = []
    for value, group in community.groupby(groups):
        days = member_days[member_days["member_id"].isin(group["member_id"])]
        latest = health.active_users(days, group, as_of, as_of).iloc[-1]
        rows.append({column: value, "members": len(group), "wau": int(latest["wau"]), "mau": int(latest["mau"]),
                     "active_rate": latest["active_rate"]})
    frame = pd.DataFrame(rows, columns=[column, "members", "wau", "mau", "active_rate"])
    return frame.sort_values(["mau", column], ascending=[False, True], ignore_index=True)
