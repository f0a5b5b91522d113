"""Capacity planning with Erlang C: how many reviewers a queue needs to answer within its SLA.

Traffic A = arrivals per hour × AHT in hours (Erlangs); with m agents, P(wait) = C(m, A),
service level = 1 − C(m, A)·e^(−(m − A)·T / AHT), ASA = C(m, A)·AHT / (m − A), occupancy = A / m.
"""

import math
from dataclasses import dataclass

from core.errors import CrowdPulseError

MAX_AGENTS = 1_000_000


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
