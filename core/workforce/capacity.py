"""Capacity planning with Erlang C: how many reviewers a queue needs to answer within its SLA.

Traffic A = arrivals per hour × AHT in hours (Erlangs); with m agents, P(wait) = C(m, A),
service level = 1 − C(m, A)·e^(−(m − A)·T / AHT), ASA = C(m, A)·AHT / (m − A), occupancy = A / m.
"""

import math
from dataclasses import asdict, dataclass

import pandas as pd

from core.errors import CrowdPulseError
from core.frames import as_timestamp

MAX_AGENTS = 1_000_000
HOURS_PER_WEEK = 168
DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
# Used when a queue has no recorded handling time: a typical quick review.
DEFAULT_AHT_SECONDS = 600.0


class CapacityInputError(CrowdPulseError, ValueError):
    """Planner inputs that cannot describe a queue (negative arrivals, a 100% target, ...)."""


@dataclass(frozen=True)
class CapacityPlan:
    """Agents needed on the queue, staff to schedule after shrinkage, and what that staffing achieves."""

    agents: int
    scheduled: int
    service_level: float
    occupancy: float
    asa_seconds: float


def offered_traffic(arrivals_per_hour: float, aht_seconds: float) -> float:
    """Traffic in Erlangs: arrivals per hour × average handle time in hours."""
    return arrivals_per_hour * aht_seconds / 3600


def erlang_c(agents: int, traffic: float) -> float:
    """Probability an arrival waits with `agents` agents and `traffic` Erlangs (1.0 when agents ≤ traffic)."""
    if traffic <= 0:
        return 0.0
    if agents <= traffic:
        return 1.0
    blocking = 1.0
    # Erlang B by its recurrence B(k) = A·B(k−1) / (k + A·B(k−1)): no factorials, no overflow.
    for k in range(1, agents + 1):
        blocking = traffic * blocking / (k + traffic * blocking)
    return _erlang_c_from_b(agents, traffic, blocking)


def service_level(agents: int, arrivals_per_hour: float, aht_seconds: float, within_seconds: float) -> float:
    """Share of arrivals answered within `within_seconds` (0.0 when the queue cannot keep up)."""
    traffic = offered_traffic(arrivals_per_hour, aht_seconds)
    if traffic <= 0:
        return 1.0
    if agents <= traffic:
        return 0.0
    return _service_level(agents, traffic, erlang_c(agents, traffic), aht_seconds, within_seconds)


def average_speed_of_answer(agents: int, arrivals_per_hour: float, aht_seconds: float) -> float:
    """Mean seconds an arrival waits before an agent picks it up (infinite when agents ≤ traffic)."""
    traffic = offered_traffic(arrivals_per_hour, aht_seconds)
    if traffic <= 0:
        return 0.0
    if agents <= traffic:
        return math.inf
    return erlang_c(agents, traffic) * aht_seconds / (agents - traffic)


def erlang_c_agents(
    arrivals_per_hour: float,
    aht_seconds: float,
    target: float,
    within_seconds: float,
    *,
    shrinkage: float = 0.0,
    max_occupancy: float = 1.0,
) -> CapacityPlan:
    """The fewest agents meeting `target` service level within `within_seconds` and the occupancy cap.

    `scheduled` = ceil(agents / (1 − shrinkage)): people to roster so that, after breaks,
    training and absence, `agents` are on the queue.
    """
    _check_inputs(arrivals_per_hour, aht_seconds, target, within_seconds, shrinkage, max_occupancy)
    traffic = offered_traffic(arrivals_per_hour, aht_seconds)
    if traffic == 0:
        return CapacityPlan(agents=0, scheduled=0, service_level=1.0, occupancy=0.0, asa_seconds=0.0)
    fewest = max(math.floor(traffic) + 1, math.ceil(traffic / max_occupancy - 1e-9))
    blocking = 1.0
    for agents in range(1, MAX_AGENTS + 1):
        blocking = traffic * blocking / (agents + traffic * blocking)
        if agents < fewest:
            continue
        waiting = _erlang_c_from_b(agents, traffic, blocking)
        level = _service_level(agents, traffic, waiting, aht_seconds, within_seconds)
        if level >= target:
            return CapacityPlan(
                agents=agents,
                # Rounded first so 14 / 0.7 = 20.000000000000004 schedules 20, not 21.
                scheduled=math.ceil(round(agents / (1 - shrinkage), 9)),
                service_level=level,
                occupancy=traffic / agents,
                asa_seconds=waiting * aht_seconds / (agents - traffic),
            )
    raise CapacityInputError(f"No staffing up to {MAX_AGENTS:,} agents meets a {target:.0%} service level.")


def _erlang_c_from_b(agents: int, traffic: float, blocking: float) -> float:
    return agents * blocking / (agents - traffic * (1 - blocking))


def _service_level(agents, traffic, waiting, aht_seconds, within_seconds) -> float:
    return 1 - waiting * math.exp(-(agents - traffic) * within_seconds / aht_seconds)


def _check_inputs(arrivals_per_hour, aht_seconds, target, within_seconds, shrinkage, max_occupancy) -> None:
    problems = []
    if not arrivals_per_hour >= 0:
        problems.append("arrivals per hour must be zero or more")
    if not aht_seconds > 0:
        problems.append("average handle time must be more than zero seconds")
    if not 0 < target < 1:
        problems.append("the service-level target must be between 0 and 1 (e.g. 0.8), below 100%")
    if not within_seconds >= 0:
        problems.append("the answer-within time must be zero seconds or more")
    if not 0 <= shrinkage < 1:
        problems.append("shrinkage must be at least 0 and below 1 (e.g. 0.3 for 30%)")
    if not 0 < max_occupancy <= 1:
        problems.append("maximum occupancy must be above 0 and at most 1 (e.g. 0.85)")
    if problems:
        raise CapacityInputError("Cannot plan capacity: " + "; ".join(problems) + ".")


# --- planning from history ---------------------------------------------------------------------


def arrivals_by_hour_of_week(items: pd.DataFrame, now, *, weeks: int = 4, start=None) -> pd.DataFrame:
    """Items created in each of the 168 UTC hours of the week in [start, now), ÷ the number of such hours there.

    Without `start` the window is the `weeks` whole weeks before now (each hour of the week then
    occurs `weeks` times). A window that does not start on a Monday, or not on the hour, holds some
    hours of the week once more than others; each is divided by its own count (DESIGN §7).
    Columns: hour_of_week (0 = Monday 00:00), day, hour, label, arrivals (count in the window),
    hours (how many such hours the window holds), arrivals_per_hour.
    """
    if start is None and weeks < 1:
        raise CapacityInputError("Cannot plan capacity: use at least one week of history.")
    end = as_timestamp(now)
    begin = end - pd.Timedelta(weeks=weeks) if start is None else as_timestamp(start)
    if begin >= end:
        raise CapacityInputError("Cannot plan capacity: the history window ends before it starts.")
    created = items["created_at"]
    recent = created[(created >= begin) & (created < end)]
    counts = hour_of_week(recent).value_counts().reindex(range(HOURS_PER_WEEK), fill_value=0).sort_index()
    # Every hour that starts inside the window, plus the partial hour the window opens in.
    starts = pd.date_range(begin.floor("h"), end, freq="h", inclusive="left")
    hours = hour_of_week(pd.Series(starts)).value_counts().reindex(range(HOURS_PER_WEEK), fill_value=0).sort_index()
    frame = week_hours_frame()
    return frame.assign(arrivals=counts.to_numpy().astype("int64"), hours=hours.to_numpy().astype("int64"),
                        arrivals_per_hour=counts.to_numpy() / hours.clip(lower=1).to_numpy())


def hour_of_week(moments: pd.Series) -> pd.Series:
    """Each UTC moment's hour of the week: 0 = Monday 00:00 … 167 = Sunday 23:00."""
    return moments.dt.day_of_week * 24 + moments.dt.hour


def week_hours_frame() -> pd.DataFrame:
    """The 168 hours of the week: hour_of_week, day (Mon…), hour (UTC) and a label such as "Mon 20:00"."""
    hours = pd.Series(range(HOURS_PER_WEEK))
    return pd.DataFrame({
        "hour_of_week": hours,
        "day": [DAY_NAMES[h // 24] for h in hours],
        "hour": hours % 24,
        "label": [f"{DAY_NAMES[h // 24]} {h % 24:02d}:00" for h in hours],
    })


def staffing_by_hour_of_week(arrivals: pd.DataFrame, aht_seconds: float, target: float, within_seconds: float, *,
                             shrinkage: float = 0.0, max_occupancy: float = 1.0) -> pd.DataFrame:
    """For each hour in `arrivals` (from `arrivals_by_hour_of_week`): the Erlang C plan for its arrival rate."""
    plans = [asdict(erlang_c_agents(rate, aht_seconds, target, within_seconds, shrinkage=shrinkage,
                                    max_occupancy=max_occupancy))
             for rate in arrivals["arrivals_per_hour"]]
    planned = pd.DataFrame(plans, index=arrivals.index,
                           columns=["agents", "scheduled", "service_level", "occupancy", "asa_seconds"])
    return arrivals.join(planned)


def reviewers_needed(plan: pd.DataFrame) -> pd.DataFrame:
    """A `staffing_by_hour_of_week` plan in long form for a chart: hour_of_week, label, who, reviewers."""
    long = plan.melt(id_vars=["hour_of_week", "label"], value_vars=["agents", "scheduled"], var_name="who",
                     value_name="reviewers")
    return long.assign(who=long["who"].map({"agents": "on the queue", "scheduled": "to schedule"}))


def staffing_levels(arrivals_per_hour: float, aht_seconds: float, target: float, within_seconds: float, *,
                    agents: int, shrinkage: float = 0.0, max_occupancy: float = 1.0, below: int = 2,
                    above: int = 3) -> pd.DataFrame:
    """What each staffing level from agents − below to agents + above gives: service level, occupancy, wait.

    Levels that cannot keep up with the traffic (agents ≤ Erlangs) show a 0 service level, full
    occupancy and no finite wait (`keeps_up` False). A level meets the target when it keeps up,
    reaches the service level and stays within the occupancy cap.
    """
    _check_inputs(arrivals_per_hour, aht_seconds, target, within_seconds, shrinkage, max_occupancy)
    traffic = offered_traffic(arrivals_per_hour, aht_seconds)
    rows = []
    for level in range(max(1, agents - below), max(1, agents + above) + 1):
        keeps_up = level > traffic
        reached = service_level(level, arrivals_per_hour, aht_seconds, within_seconds)
        wait = average_speed_of_answer(level, arrivals_per_hour, aht_seconds)
        occupancy = min(traffic / level, 1.0)
        within_cap = occupancy <= max_occupancy + 1e-9
        rows.append({
            "agents": level,
            "scheduled": math.ceil(round(level / (1 - shrinkage), 9)),
            "service_level": reached,
            "occupancy": occupancy,
            "asa_seconds": wait if math.isfinite(wait) else float("nan"),
            "keeps_up": keeps_up,
            "within_cap": within_cap,
            "meets_target": keeps_up and reached >= target and within_cap,
        })
    return pd.DataFrame(rows)
