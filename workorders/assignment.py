"""Which crew goes to which waiting ticket, so that the fewest arrival deadlines are missed.

Nearest-first (every ticket, most urgent first, takes the nearest free crew) is what a dispatcher does one ticket
at a time; with several tickets waiting and few crews it can send the one crew that could reach a water leak in time
to a heating call it would reach late anyway. Here all waiting tickets and free crews are matched at once: an
assignment problem over priority-weighted breach probabilities (scipy's ``linear_sum_assignment``), with the travel
time as a small tie-break so that among equally safe plans the shorter one wins. The published anchor for the idea is
assignment-aware ambulance dispatch (Jagtenberg et al., 2016: ~18 % fewer late arrivals than closest-idle while the
mean response time rose), so callers report both breaches and mean arrival time.

Pure: numbers in, a plan out; no database. The travel time is an estimate, so a breach is a probability: the ETA
is taken as uncertain by ``spread`` (a logistic around the time left), which also keeps a ticket that will be late
whatever happens from dominating the plan.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np
from scipy.optimize import linear_sum_assignment

# Weight of a missed deadline by priority (1 = emergency). A priority-1 breach counts as four priority-3 ones.
PRIORITY_WEIGHTS: Mapping[int, float] = {1: 4.0, 2: 2.0, 3: 1.0, 4: 0.5}
# Cost of one minute of travel against one weighted breach: only breaks ties between plans of equal risk.
MINUTE_COST = 0.001
# A pair that may not be made (the crew cannot handle the category): dearer than every real plan.
FORBIDDEN = 1e6


@dataclass(frozen=True)
class Waiting:
    """A ticket waiting for a crew: minutes left to its arrival deadline (None = no arrival deadline), and the
    crews able to go with their estimated travel minutes."""
    number: str
    priority: int
    minutes_left: float | None
    etas: Mapping[str, float]


@dataclass(frozen=True)
class Choice:
    number: str
    crew: str | None
    eta_minutes: float | None
    breach_probability: float
    nearest_crew: str | None = None
    reason: str = ""
    displaced: tuple[str, ...] = field(default_factory=tuple)


def breach_probability(eta_minutes: float, minutes_left: float | None, spread: float | None = None) -> float:
    """Chance that a crew ``eta_minutes`` away arrives after a deadline ``minutes_left`` away."""
    if minutes_left is None:
        return 0.0
    spread = spread if spread is not None else max(2.0, 0.2 * eta_minutes)
    z = (eta_minutes - minutes_left) / spread
    return 1.0 / (1.0 + math.exp(-max(min(z, 50.0), -50.0)))


def _weight(priority: int) -> float:
    return PRIORITY_WEIGHTS.get(priority, 1.0)


def _cost(ticket: Waiting, crew: str) -> float:
    eta = ticket.etas.get(crew)
    if eta is None:
        return FORBIDDEN
    return _weight(ticket.priority) * breach_probability(eta, ticket.minutes_left) + MINUTE_COST * eta


def _unserved_cost(ticket: Waiting) -> float:
    """What leaving a ticket without a crew this round costs: its deadline will almost surely pass."""
    return _weight(ticket.priority) * (0.0 if ticket.minutes_left is None else 1.0) + 1.0


def _urgency(ticket: Waiting) -> tuple[float, int]:
    return (math.inf if ticket.minutes_left is None else ticket.minutes_left, ticket.priority)


def nearest_first(tickets: Sequence[Waiting], crews: Sequence[str]) -> dict[str, str | None]:
    """The plain rule: most urgent ticket first, each takes the nearest free crew able to go."""
    free = set(crews)
    plan: dict[str, str | None] = {}
    for ticket in sorted(tickets, key=_urgency):
        able = [(eta, crew) for crew, eta in ticket.etas.items() if crew in free]
        plan[ticket.number] = min(able)[1] if able else None
        free.discard(plan[ticket.number])
    return plan


def fewest_breaches(tickets: Sequence[Waiting], crews: Sequence[str]) -> dict[str, str | None]:
    """All at once: the crew for each ticket that minimises the priority-weighted expected breaches."""
    if not tickets or not crews:
        return {t.number: None for t in tickets}
    crew_list = list(crews)
    # One column per crew plus one "no crew this round" column per ticket, so that a ticket may stay unserved
    # (more tickets than crews, or no able crew) without forcing a forbidden pair.
    cost = np.full((len(tickets), len(crew_list) + len(tickets)), FORBIDDEN)
    for i, ticket in enumerate(tickets):
        for j, crew in enumerate(crew_list):
            cost[i, j] = _cost(ticket, crew)
        cost[i, len(crew_list) + i] = _unserved_cost(ticket)
    rows, cols = linear_sum_assignment(cost)
    plan: dict[str, str | None] = {t.number: None for t in tickets}
    for i, j in zip(rows, cols):
        if j < len(crew_list) and cost[i, j] < FORBIDDEN:
            plan[tickets[i].number] = crew_list[j]
    return plan


def expected_breaches(tickets: Sequence[Waiting], plan: Mapping[str, str | None]) -> float:
    """Priority-weighted expected breaches of a plan (an unserved ticket with a deadline counts as breached)."""
    total = 0.0
    for ticket in tickets:
        crew = plan.get(ticket.number)
        p = breach_probability(ticket.etas[crew], ticket.minutes_left) if crew else (
            0.0 if ticket.minutes_left is None else 1.0)
        total += _weight(ticket.priority) * p
    return total


def recommend(tickets: Sequence[Waiting], crews: Sequence[str]) -> list[Choice]:
    """The plan that misses the fewest deadlines, each choice with why it is not simply the nearest crew."""
    plan = fewest_breaches(tickets, crews)
    greedy = nearest_first(tickets, crews)
    by_crew_greedy = {crew: number for number, crew in greedy.items() if crew}
    choices = []
    for ticket in sorted(tickets, key=_urgency):
        crew = plan[ticket.number]
        nearest = min(((eta, c) for c, eta in ticket.etas.items() if c in crews), default=(None, None))[1]
        eta = ticket.etas.get(crew) if crew else None
        p = breach_probability(eta, ticket.minutes_left) if crew else (0.0 if ticket.minutes_left is None else 1.0)
        reason, displaced = _reason(ticket, crew, nearest, plan, by_crew_greedy)
        choices.append(Choice(ticket.number, crew, eta, p, nearest, reason, displaced))
    return choices


def _reason(ticket: Waiting, crew: str | None, nearest: str | None, plan: Mapping[str, str | None],
            by_crew_greedy: Mapping[str, str]) -> tuple[str, tuple[str, ...]]:
    if crew is None:
        return ("暂无可派力量" if nearest is None else "可派力量已用于更紧急的工单"), ()
    if crew == nearest:
        return "最近的力量", ()
    # The nearest crew goes elsewhere in the plan: name the ticket that would be late without it.
    other = next((number for number, c in plan.items() if c == nearest), None)
    if other:
        return f"最近的力量 {nearest} 派往工单 {other}，否则该单会超时", (other,)
    return "综合各单时限的最优安排", ()
