"""The workforce area's headline figures for the DuckDB floor (see bench.floors).

Per-tasker quality and AHT is the Workforce page's table per tasker over its default range, the 28 days
ending on the present day.
"""

import datetime as dt

from bench.floors import Figure, close_numbers
from core.workforce.read import load_workforce_table

RANGE_DAYS = 28


def _range(as_of: dt.datetime) -> tuple[dt.date, dt.date]:
    end = as_of.date()
    return end - dt.timedelta(days=RANGE_DAYS - 1), end


def _number(value) -> float | None:
    return None if value is None or value != value else float(value)  # NaN is the one value unequal to itself


def quality_app(engine, as_of) -> dict:
    """Per tasker: quality and AHT, as the Workforce page's table per tasker shows them."""
    start, end = _range(as_of)
    table = load_workforce_table(engine, start=start, end=end, by="member_id")
    # Plain lists: iterating an Arrow-backed column element by element costs more than the figure at `large`.
    return {member: [_number(quality), _number(aht)] for member, quality, aht in
            zip(table["member_id"].tolist(), table["quality"].tolist(), table["aht_seconds"].tolist())}


def quality_floor(duck, as_of) -> dict:
    """Per non-staff tasker with activity in the range: approved ÷ (approved + rejected), handle seconds ÷ submitted."""
    start, end = _range(as_of)
    rows = duck.execute("""
        SELECT a.member_id,
               sum(a.tasks_approved) / nullif(sum(a.tasks_approved) + sum(a.tasks_rejected), 0),
               sum(a.handle_seconds) / nullif(sum(a.tasks_submitted), 0)
        FROM activity a JOIN member m USING (member_id)
        WHERE a.day BETWEEN $start AND $end AND NOT m.is_staff::BOOLEAN AND NOT m.is_bot::BOOLEAN
        GROUP BY a.member_id
    """, {"start": start, "end": end}).fetchall()
    return {member: [_number(quality), _number(aht)] for member, quality, aht in rows}


FIGURES: list[Figure] = [
    Figure("per-tasker quality and AHT", "workforce", quality_app, quality_floor, close_numbers()),
]
