"""Reference reads over raw activity rows: what `core.health.active.load_active_days` (the roll-up) must equal.

The answer is derived in pandas from the raw rows `core.workforce.read.load_activity` returns, not
from a second copy of the production SQL, so a mistake in one query cannot hide in both.
"""

import pandas as pd
from sqlalchemy import Engine

from core.workforce.read import load_activity


def load_daily_active(engine: Engine, *, start, end, projects=None) -> pd.DataFrame:
    """Distinct non-staff (member_id, day) pairs with ≥ 1 submitted task, days start..end included.

    Reads the raw activity rows; `load_active_days` gives the same days from the roll-up, fast.
    """
    rows = load_activity(engine, start=start, end=end, projects=projects)
    submitted = rows.groupby(["member_id", "day"], sort=False)["tasks_submitted"].sum()
    pairs = submitted[submitted >= 1].index.to_frame(index=False)
    return pairs.sort_values(["day", "member_id"], kind="stable").reset_index(drop=True)
