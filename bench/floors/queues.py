"""The queues area's headline figures for the DuckDB floor (see bench.floors).

Both figures use the Queues page's default window: the 28 days ending on the present's day, the
present being the bench's `as_of`. The app side asks `core.queues.facts.QueueFacts`, as the page
and `python -m core metrics sla|first_response --by queue` do. The floor recomputes from the raw
tables (queue items, SLA policies, status events), with no roll-up: every item's resolution clock
(calendar or business hours, pauses from the status history, an item's own due date) at the present.
"""

import datetime as dt
import json

import pandas as pd
from sqlalchemy import Engine

from bench.floors import Figure, close_numbers
from core.queues.facts import QueueFacts
from core.queues.views import response_time_summary

WINDOW_DAYS = 28
MINUTE_US = 60_000_000
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def window(as_of: dt.datetime) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The page's default date range as [start, end): 28 whole UTC days ending on the present's day."""
    last = pd.Timestamp(as_of).tz_convert("UTC").normalize()
    return last - pd.Timedelta(days=WINDOW_DAYS - 1), last + pd.Timedelta(days=1)


# --- the app -------------------------------------------------------------------------------------


def app_sla(engine: Engine, as_of: dt.datetime) -> dict:
    """Resolution SLA met per queue for clocks due in the window: queue → [met, breached, compliance]."""
    start, end = window(as_of)
    table = QueueFacts(engine, as_of).compliance(due_from=start, due_to=end, by="queue")
    table = table[table["count"] > 0]
    return {row.queue: [int(row.met), int(row.breached), float(row.compliance)] for row in table.itertuples()}


def app_first_response(engine: Engine, as_of: dt.datetime) -> dict:
    """First-response median and p90 seconds per queue, items created in the window: queue → [median, p90, count]."""
    start, end = window(as_of)
    items = QueueFacts(engine, as_of).durations(created_from=start, created_to=end, by="queue",
                                                kinds=("first_response",))
    table = response_time_summary(items, "first_response", "queue")
    return {row.queue: [float(row.median_seconds), float(row.p90_seconds), int(row.count)]
            for row in table.itertuples()}


# --- the floor -----------------------------------------------------------------------------------


def floor_first_response(duck, as_of: dt.datetime) -> dict:
    """First-response median and p90 seconds per queue straight from queue items created in the window."""
    start, end = window(as_of)
    rows = duck.execute("""
        SELECT queue, quantile_cont(s, 0.5), quantile_cont(s, 0.9), count(*)
        FROM (SELECT queue, (epoch_us(first_response_at) - epoch_us(created_at)) / 1e6 AS s FROM queueitem
              WHERE created_at >= ? AND created_at < ? AND first_response_at IS NOT NULL)
        GROUP BY queue ORDER BY queue""", [start.to_pydatetime(), end.to_pydatetime()]).fetchall()
    return {queue: [float(median), float(p90), int(n)] for queue, median, p90, n in rows}


def _open_spans(duck, as_of: dt.datetime):
    """Every business-hours policy's opening spans as UTC minutes (rule, start, length, cumulative open minutes
    before the span), from the first item's day to well past the present."""
    policies = duck.execute("SELECT id, schedule, timezone, holidays FROM slapolicy WHERE business_hours = 1").df()
    first, last = duck.execute("SELECT min(created_at)::DATE, greatest(max(created_at), max(resolved_at))::DATE "
                               "FROM queueitem").fetchone()
    last = max(pd.Timestamp(last), pd.Timestamp(as_of).tz_convert(None).normalize()) + pd.Timedelta(days=120)
    days = pd.date_range(pd.Timestamp(first) - pd.Timedelta(days=1), last, freq="D")
    rows = []
    for policy in policies.itertuples():
        schedule = json.loads(policy.schedule or "{}") or {day: [9, 17] for day in WEEKDAYS[:5]}
        holidays = set(pd.to_datetime(json.loads(policy.holidays or "[]")))
        open_days = days[~days.isin(holidays)]
        for day, hours in schedule.items():
            on_day = open_days[open_days.day_of_week == WEEKDAYS.index(day[:3].lower())]
            for open_hour, close_hour in (hours if isinstance(hours[0], list) else [hours]):
                local = [on_day + pd.to_timedelta(float(h), unit="h") for h in (open_hour, close_hour)]
                starts, ends = (x.tz_localize(policy.timezone or "UTC", ambiguous=True, nonexistent="shift_forward")
                                .tz_convert("UTC").as_unit("us").asi8 / MINUTE_US for x in local)
                rows.append(pd.DataFrame({"rule": policy.id, "start": starts, "length": ends - starts}))
    spans = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(
        {"rule": pd.Series(dtype="int64"), "start": pd.Series(dtype="float64"), "length": pd.Series(dtype="float64")})
    spans = spans.sort_values(["rule", "start"], ignore_index=True)
    spans["before"] = spans.groupby("rule")["length"].cumsum() - spans["length"]
    spans["through"] = spans["before"] + spans["length"]
    return spans


# A moment `{t}` placed on its item's clock (`{name}`): open minutes since the first span for business hours
# (the last span starting by then, through an as-of join), the moment itself on a calendar clock.
def _placed(source: str, t: str, name: str) -> str:
    return f"""SELECT *, {t} AS {name} FROM {source} WHERE NOT business
        UNION ALL
        SELECT x.*, coalesce(s.before + least(greatest(x.{t} - s.start, 0), s.length), 0) AS {name}
        FROM (SELECT * FROM {source} WHERE business) x ASOF LEFT JOIN spans s ON x.rule = s.rule AND x.{t} >= s.start"""


FLOOR_SLA = """
WITH policy AS (
    SELECT id AS rule, queue, priority, resolution_minutes::DOUBLE AS target, business_hours = 1 AS business,
           CAST(pause_statuses AS VARCHAR[]) AS pauses FROM slapolicy),
item AS (
    SELECT i.item_id, i.queue, p.rule, coalesce(p.business, false) AS business, p.target, p.pauses,
           epoch_us(i.created_at) / 6e7 AS created, epoch_us(i.resolved_at) / 6e7 AS stop,
           coalesce(epoch_us(i.resolved_at) / 6e7, $now) AS finish, epoch_us(i.due_at) / 6e7 AS own_due
    FROM queueitem i LEFT JOIN policy p ON p.queue = i.queue AND p.priority = i.priority
    WHERE i.created_at IS NOT NULL),
started AS ({started}),
placed AS ({placed}),
event AS (
    SELECT item_id, status, epoch_us("at") / 6e7 AS since,
           epoch_us(lead("at") OVER (PARTITION BY item_id ORDER BY "at", id)) / 6e7 AS until
    FROM queueevent WHERE item_id IN (SELECT item_id FROM queueevent WHERE status IN (
        SELECT unnest(pauses) FROM policy))),
spell AS (
    SELECT p.item_id, p.rule, p.business, p.target, p.start_pos, e.since,
           greatest(e.since, p.created) AS b, least(coalesce(e.until, $now), $now, p.finish) AS f
    FROM event e JOIN placed p USING (item_id)
    WHERE list_contains(p.pauses, e.status)),
spell_begun AS ({spell_begun}),
spell_placed AS ({spell_placed}),
ordered AS (
    SELECT item_id, len, b_pos - start_pos
               - (sum(len) OVER (PARTITION BY item_id ORDER BY since ROWS UNBOUNDED PRECEDING) - len) AS ran_before,
           target
    FROM (SELECT *, CASE WHEN f > b THEN greatest(f_pos - b_pos, 0) ELSE 0 END AS len FROM spell_placed)),
paused AS (
    SELECT item_id, sum(len) AS total, sum(CASE WHEN ran_before < target THEN len ELSE 0 END) AS before_due
    FROM ordered GROUP BY item_id),
clock AS (
    SELECT p.*, p.start_pos + p.target + coalesce(z.before_due, 0) AS due_pos,
           p.finish_pos - p.start_pos - coalesce(z.total, 0) AS used
    FROM placed p LEFT JOIN paused z USING (item_id)),
-- The first moment a business clock's open minutes reach due_pos: the first span whose end count reaches it.
dated AS (
    SELECT *, due_pos AS due FROM clock WHERE NOT business
    UNION ALL
    SELECT c.*, s.start + greatest(c.due_pos - s.before, 0) AS due
    FROM (SELECT * FROM clock WHERE business) c ASOF LEFT JOIN spans s ON c.rule = s.rule AND c.due_pos <= s.through),
judged AS (
    SELECT queue, stop IS NOT NULL AS stopped,
           CASE WHEN own_due IS NOT NULL THEN own_due - created ELSE target END AS target,
           CASE WHEN own_due IS NOT NULL THEN finish - created ELSE used END AS used,
           CASE WHEN own_due IS NOT NULL THEN own_due ELSE due END AS due
    FROM dated)
SELECT queue, count(*) FILTER (WHERE used <= target + 1e-6) AS met, count(*) FILTER (WHERE used > target + 1e-6)
FROM judged
WHERE target IS NOT NULL AND (stopped OR used > target + 1e-6) AND due >= $low AND due < $high
GROUP BY queue ORDER BY queue
""".format(started=_placed("item", "created", "start_pos"), placed=_placed("started", "finish", "finish_pos"),
           spell_begun=_placed("spell", "b", "b_pos"), spell_placed=_placed("spell_begun", "f", "f_pos"))


def floor_sla(duck, as_of: dt.datetime) -> dict:
    """Resolution SLA met per queue from the raw items, policies and status events: queue → [met, breached,
    compliance]."""
    start, end = window(as_of)
    now = pd.Timestamp(as_of).value / 1000 / MINUTE_US
    spans = _open_spans(duck, as_of)
    duck.register("spans", spans)
    try:
        rows = duck.execute(FLOOR_SLA, {"now": now, "low": start.value / 1000 / MINUTE_US,
                                  "high": min(end.value / 1000 / MINUTE_US, now)}).fetchall()
    finally:
        duck.unregister("spans")
    return {queue: [int(met), int(breached), met / (met + breached)] for queue, met, breached in rows}


FIGURES: list[Figure] = [
    Figure("SLA met by queue", "queues", app_sla, floor_sla, close_numbers()),
    Figure("first response median/p90 by queue", "queues", app_first_response, floor_first_response,
           close_numbers()),
]
