"""The workforce table: volumes, quality, AHT, productivity, occupancy, skip and too-fast rates per group.

Quality = approved / (approved + rejected); AHT = handle seconds / tasks submitted; productivity =
tasks per active hour; occupancy = handle time / active time; skip rate = skipped / (submitted +
skipped). `workforce_table` sums activity rows; `core.workforce.read.load_workforce_table` gets
the sums from SQL and the roll-ups for the usual groupings. The rates are worked out here, once.
"""

import numpy as np
import pandas as pd

from core.frames import Grouping, group_columns, ratio

COUNTS = {
    "tasks_submitted": "submitted",
    "tasks_approved": "approved",
    "tasks_rejected": "rejected",
    "tasks_skipped": "skipped",
    "tasks_too_fast": "too_fast",
    "handle_seconds": "handle_seconds",
    "active_minutes": "active_minutes",
    "questions": "questions",
}
# The measures that are not whole counts.
FLOAT_COUNTS = ("handle_seconds", "active_minutes")
DIRECT = "direct"  # the vendor of a tasker who works for us directly (a blank vendor)


def count_types(names) -> dict[str, str]:
    """The dtype of each measure named (activity column or `COUNTS` name): float64 for times, int64 for counts."""
    return {name: "float64" if name in FLOAT_COUNTS else "int64" for name in names}


def workforce_table(activity: pd.DataFrame, by: Grouping = "member_id") -> pd.DataFrame:
    """Per member, project, vendor (or any column): volumes, quality, AHT, productivity, occupancy, skip and too-fast rates."""
    keys = group_columns(activity, by)
    frame = activity.rename(columns=COUNTS)
    if "vendor" in keys:  # a blank vendor means the tasker works for us directly
        frame["vendor"] = frame["vendor"].fillna(DIRECT)
    frame["worked"] = frame["submitted"] > 0
    totals = _grouped(frame, keys).agg(
        **{name: (name, "sum") for name in COUNTS.values()},
        members=("member_id", "nunique"),
    )
    worked = frame[frame["worked"]]
    active_days = _grouped(worked, keys)["day"].nunique() if keys else pd.Series([worked["day"].nunique()])
    totals["active_days"] = active_days.reindex(totals.index, fill_value=0).astype("int64")
    table = totals.reset_index() if keys else totals.reset_index(drop=True)
    return with_rates(table, keys)



def table_from_sums(sums: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """The workforce table from per-group sums (named as in `COUNTS`' values), `members` and `active_days`."""
    if not len(sums) and not keys:
        sums = pd.DataFrame([{name: 0 for name in [*COUNTS.values(), "members", "active_days"]}])
    table = sums.astype({**count_types(COUNTS.values()), "active_days": "int64",
                         **({"members": "int64"} if "members" in sums else {})})
    if "members" not in table and "member_id" not in keys:
        table["members"] = 0
    columns = [*keys, *COUNTS.values(), *(["members"] if "member_id" not in keys else []), "active_days"]
    return with_rates(table[columns], keys)


def with_rates(table: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Per-group sums with the rates added, sorted by volume (then by the keys)."""
    table["quality"] = ratio(table["approved"], table["approved"] + table["rejected"])
    table["aht_seconds"] = ratio(table["handle_seconds"], table["submitted"])
    table["productivity"] = ratio(table["submitted"], table["active_minutes"] / 60)
    table["occupancy"] = ratio(table["handle_seconds"], table["active_minutes"] * 60)
    table["skip_rate"] = ratio(table["skipped"], table["submitted"] + table["skipped"])
    table["too_fast_rate"] = ratio(table["too_fast"], table["submitted"])
    if "member_id" in keys:
        table = table.drop(columns="members", errors="ignore")
    return table.sort_values(["submitted", *keys], ascending=[False, *[True] * len(keys)], ignore_index=True)


def matching_rows(table: pd.DataFrame, text: str = "", *, min_submitted: int = 0) -> pd.DataFrame:
    """Rows of a workforce table with at least `min_submitted` tasks whose text columns contain `text` (any case)."""
    keep = table["submitted"] >= min_submitted
    if text:
        words = table.select_dtypes(exclude="number").astype("str").agg(" ".join, axis=1)
        keep &= words.str.contains(text, case=False, regex=False)
    return table[keep]


def _grouped(frame: pd.DataFrame, keys: list[str]):
    if keys:
        return frame.groupby(keys, dropna=False, sort=True)
    return frame.groupby(np.zeros(len(frame), dtype="int64"))

