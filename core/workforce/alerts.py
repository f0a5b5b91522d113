"""What the fatigue and confusion alerts share: the threshold tolerance and how reasons are worded."""

import pandas as pd

DAY = pd.Timedelta(days=1)
# Shares computed as differences of floats land a hair under round thresholds (0.9 - 0.8 < 0.1).
TOLERANCE = 1e-9


def join_reasons(parts: list[tuple[pd.Series, pd.Series]]) -> pd.Series:
    """Per row, the texts of the parts whose flag is set, joined with '; '."""
    index = parts[0][0].index
    joined = pd.Series("", index=index, dtype="str")
    for hit, text in parts:
        piece = text.where(hit, "").fillna("")
        joined = joined.where(~(hit & (joined != "")), joined + "; ") + piece
    return joined


def percent(shares: pd.Series) -> pd.Series:
    """Shares as whole percentages ('12%')."""
    return (shares * 100).round().astype("Float64").astype("str").str.replace(r"\.0$", "", regex=True) + "%"


def whole(values: pd.Series) -> pd.Series:
    """Numbers rounded to whole units as text."""
    return values.round().astype("Float64").astype("str").str.replace(r"\.0$", "", regex=True)
