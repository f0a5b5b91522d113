"""The health area's headline figures for the DuckDB floor (see bench.floors).

DAU/WAU/MAU is the CLI's `python -m core metrics active --from D --to D` on the bench's present day; the
activation funnel and the retention cohorts are the Health page's defaults (the community of every region,
the days of its 120-day lookback and the 27 before them, as of the range end).
"""

import datetime as dt

from bench.floors import Figure, close_numbers
from core.cli.metrics import compute_metric
from core.health.scope import load_scope

# The Health page's days: its lookback (ui.data.HEALTH_LOOKBACK_DAYS) and the 27 before the first MAU day.
PAGE_DAYS = 120 + 27


def _end(as_of: dt.datetime) -> dt.date:
    return as_of.date()


def _page_community(engine, as_of):
    """The community the Health page counts by default, with its days (ui.health._scope)."""
    end = _end(as_of)
    return load_scope(engine, start=end - dt.timedelta(days=PAGE_DAYS), end=end).community


# --- DAU / WAU / MAU on the present day --------------------------------------------------------------


def active_app(engine, as_of) -> dict:
    """DAU, WAU and MAU on the present day, as `python -m core metrics active` prints them."""
    day = str(_end(as_of))
    row = compute_metric(engine, "active", start=day, end=day).iloc[-1]
    return {name: int(row[name]) for name in ("dau", "wau", "mau")}


def active_floor(duck, as_of) -> dict:
    """Distinct non-staff members with a submitted task on the day, in the 7 and in the 28 days ending on it."""
    dau, wau, mau = duck.execute("""
        SELECT count(DISTINCT a.member_id) FILTER (WHERE a.day = $end),
               count(DISTINCT a.member_id) FILTER (WHERE a.day > $end - 7),
               count(DISTINCT a.member_id)
        FROM activity a JOIN member m USING (member_id)
        WHERE a.tasks_submitted >= 1 AND a.day BETWEEN $end - 27 AND $end
          AND NOT m.is_staff::BOOLEAN AND NOT m.is_bot::BOOLEAN
    """, {"end": _end(as_of)}).fetchone()
    return {"dau": dau, "wau": wau, "mau": mau}


# --- the activation funnel (Health page) ----------------------------------------------------------------


def funnel_app(engine, as_of) -> dict:
    """The Health page's funnel: members who signed up since the first active day loaded, as of the range end."""
    funnel = _page_community(engine, as_of).recent_signups().onboarding_funnel(_end(as_of))
    return {row.stage: [int(row.members), int(row.eligible)] for row in funnel.itertuples()}


FUNNEL_SQL = """
WITH days AS (
    SELECT DISTINCT a.member_id, a.day FROM activity a JOIN member m USING (member_id)
    WHERE a.tasks_submitted >= 1 AND a.day BETWEEN $first AND $end
      AND NOT m.is_staff::BOOLEAN AND NOT m.is_bot::BOOLEAN
),
signups AS (
    SELECT member_id, (onboarded_at AT TIME ZONE 'UTC')::DATE AS onboarded
    FROM member
    WHERE NOT is_staff::BOOLEAN AND NOT is_bot::BOOLEAN
      AND signed_up_at >= (SELECT min(day) FROM days)::TIMESTAMP AT TIME ZONE 'UTC'
      AND (signed_up_at AT TIME ZONE 'UTC')::DATE <= $end
),
stages AS (
    SELECT s.member_id,
           s.onboarded IS NOT NULL AND s.onboarded <= $end AS onboarded,
           s.onboarded + 7 <= $end AS activation_closed,
           s.onboarded + 36 <= $end AS retention_closed,
           s.onboarded <= $end AND min(d.day) - s.onboarded <= 7 AS activated,
           bool_or(d.day BETWEEN s.onboarded + 30 AND s.onboarded + 36) AS in_window
    FROM signups s LEFT JOIN days d USING (member_id)
    GROUP BY s.member_id, s.onboarded
)
SELECT count(*),
       count(*) FILTER (WHERE onboarded),
       count(*) FILTER (WHERE activated),
       count(*) FILTER (WHERE activated AND in_window),
       count(*) FILTER (WHERE onboarded AND (activated OR activation_closed)),
       count(*) FILTER (WHERE activated AND (in_window OR retention_closed))
FROM stages
"""


def funnel_floor(duck, as_of) -> dict:
    """The same funnel from the raw members and activity."""
    end = _end(as_of)
    signed, onboarded, activated, retained, eligible_activated, eligible_retained = duck.execute(
        FUNNEL_SQL, {"first": end - dt.timedelta(days=PAGE_DAYS), "end": end}).fetchone()
    return {"signed_up": [signed, signed], "onboarded": [onboarded, signed],
            "activated_7d": [activated, eligible_activated], "retained_30d": [retained, eligible_retained]}


# --- retention cohorts (Health page) -----------------------------------------------------------------------


def retention_app(engine, as_of) -> dict:
    """The Health page's cohort table (8 weeks after each onboarding week that have ended by the range end)."""
    cohorts = _page_community(engine, as_of).retention_cohorts(weeks=8, as_of=_end(as_of))
    return {f"{row.cohort_week:%Y-%m-%d}/{row.week_number}": [int(row.cohort_size), int(row.active)]
            for row in cohorts.itertuples()}


RETENTION_SQL = """
WITH cohorts AS (
    SELECT member_id, date_trunc('week', (onboarded_at AT TIME ZONE 'UTC')::DATE)::DATE AS cohort_week
    FROM member
    WHERE NOT is_staff::BOOLEAN AND NOT is_bot::BOOLEAN AND onboarded_at IS NOT NULL
      AND (onboarded_at AT TIME ZONE 'UTC')::DATE <= $end
),
sizes AS (SELECT cohort_week, count(*) AS size FROM cohorts GROUP BY cohort_week),
active AS (
    SELECT c.cohort_week, (a.day - c.cohort_week) // 7 AS week_number, count(DISTINCT a.member_id) AS active
    FROM cohorts c JOIN activity a USING (member_id)
    WHERE a.tasks_submitted >= 1 AND a.day BETWEEN $first AND $end
      AND a.day >= c.cohort_week AND a.day < c.cohort_week + 63
    GROUP BY ALL
)
SELECT s.cohort_week, w.week_number, s.size, coalesce(a.active, 0)
FROM sizes s CROSS JOIN range(9) w(week_number)
LEFT JOIN active a ON a.cohort_week = s.cohort_week AND a.week_number = w.week_number
WHERE s.cohort_week + (7 * w.week_number + 6)::INTEGER <= $end
"""


def retention_floor(duck, as_of) -> dict:
    """The same cohort table from the raw members and activity."""
    end = _end(as_of)
    rows = duck.execute(RETENTION_SQL, {"first": end - dt.timedelta(days=PAGE_DAYS), "end": end}).fetchall()
    return {f"{week:%Y-%m-%d}/{number}": [size, active] for week, number, size, active in rows}


FIGURES: list[Figure] = [
    Figure("DAU/WAU/MAU", "health", active_app, active_floor),
    Figure("activation funnel", "health", funnel_app, funnel_floor),
    Figure("retention cohorts", "health", retention_app, retention_floor, close_numbers()),
]
