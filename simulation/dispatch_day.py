"""A day at the emergency dispatch desk, played twice on the same demand: nearest-first against fewest-breaches.

The live simulator (simulation/engine.py) plays a day through the services, in real time; comparing two dispatch
rules needs the same day twice, exactly, in seconds. This is a small discrete-event model of the part that differs:
tickets with an arrival deadline (water 30 min, heating 20, power 40, gas 30, public security 15) arrive as the
demand model says (hour, weekday, season; simulation/demand.py); once a minute the desk matches the waiting tickets
to the free crews able to go; a crew drives there (straight line × DETOUR at the crews' speed), works, and is free
where it finished. Pure: numbers in, figures out; the bench (bench/dispatch_policies.py) feeds it the reference
crews and grid cells from PostGIS.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable, Mapping, Sequence
from zoneinfo import ZoneInfo

import numpy as np

from simulation.demand import category_intensity
from workorders.assignment import PRIORITY_WEIGHTS, Waiting, fewest_breaches, nearest_first

DETOUR = 1.3                     # streets are longer than the straight line
WORK_MINUTES_MEAN = 50.0         # on site, lognormal around this
WORK_MINUTES_SIGMA = 0.5

Policy = Callable[[Sequence[Waiting], Sequence[str]], Mapping[str, str | None]]
POLICIES: dict[str, Policy] = {"nearest_first": nearest_first, "fewest_breaches": fewest_breaches}


@dataclass(frozen=True)
class Crew:
    code: str
    department: str
    x: float                     # metres east of the district's reference point
    y: float                     # metres north


@dataclass(frozen=True)
class Call:
    number: str
    minute: float                # minutes after the day's start
    category: str
    departments: tuple[str, ...]
    priority: int
    arrival_minutes: int
    x: float
    y: float
    work_minutes: float


@dataclass
class DayFigures:
    policy: str
    tickets: int
    breaches: int
    weighted_breaches: float
    mean_arrival_minutes: float
    p95_arrival_minutes: float
    crew_km: float
    never_served: int

    def as_dict(self) -> dict:
        return {k: (round(v, 3) if isinstance(v, float) else v) for k, v in self.__dict__.items()}


def local_metres(lon: float, lat: float, lon0: float, lat0: float) -> tuple[float, float]:
    """Equirectangular metres around (lon0, lat0): exact enough across a district of 20 km."""
    return ((lon - lon0) * 111_320.0 * math.cos(math.radians(lat0)), (lat - lat0) * 110_540.0)


def draw_calls(day_start: datetime, tz: ZoneInfo, tickets_per_day: float, places: Sequence[tuple[float, float]],
               categories: Mapping[str, dict], seed: int) -> list[Call]:
    """The day's deadline calls: a Poisson stream shaped by the demand model's hour/season intensity, only of the
    categories that carry an arrival deadline (``categories``: code → departments, priority, arrival_minutes)."""
    rng = np.random.default_rng(seed)
    hours = [category_intensity((day_start + timedelta(hours=h)).astimezone(tz)) for h in range(24)]
    codes = list(categories)
    weights = np.array([[hour[c] for c in codes] for hour in hours])          # 24 × categories
    expected = weights / weights.sum() * tickets_per_day
    calls = []
    for h in range(24):
        for j, code in enumerate(codes):
            for _ in range(rng.poisson(expected[h, j])):
                x, y = places[int(rng.integers(len(places)))]
                rule = categories[code]
                calls.append(Call("", h * 60 + float(rng.random() * 60), code, tuple(rule["departments"]),
                                  int(rule["priority"]), int(rule["arrival_minutes"]), x, y,
                                  float(rng.lognormal(math.log(WORK_MINUTES_MEAN), WORK_MINUTES_SIGMA))))
    calls.sort(key=lambda c: c.minute)
    return [Call(f"T{i:05d}", *(getattr(c, f) for f in list(Call.__dataclass_fields__)[1:]))
            for i, c in enumerate(calls)]


def play_day(calls: Sequence[Call], crews: Sequence[Crew], policy: str, speed_kmh: float) -> DayFigures:
    """Run the desk minute by minute until every call is served (or the day + 6 h is over)."""
    choose = POLICIES[policy]
    metres_per_minute = speed_kmh * 1000 / 60
    position = {c.code: (c.x, c.y) for c in crews}
    free_at = {c.code: 0.0 for c in crews}
    department = {c.code: c.department for c in crews}
    waiting: list[Call] = []
    arrivals: list[float] = []
    breaches, weighted, metres = 0, 0.0, 0.0
    pending = list(calls)
    minute = 0.0
    while (pending or waiting) and minute < 30 * 60:
        while pending and pending[0].minute <= minute:
            waiting.append(pending.pop(0))
        free = [code for code, t in free_at.items() if t <= minute]
        if waiting and free:
            offers = [_offer(call, free, position, department, minute, metres_per_minute) for call in waiting]
            plan = choose(offers, free)
            served = set()
            for call in waiting:
                crew = plan.get(call.number)
                if not crew:
                    continue
                distance = math.dist(position[crew], (call.x, call.y)) * DETOUR
                arrive = minute + distance / metres_per_minute
                waited = arrive - call.minute
                arrivals.append(waited)
                if waited > call.arrival_minutes:
                    breaches += 1
                    weighted += PRIORITY_WEIGHTS.get(call.priority, 1.0)
                metres += distance
                position[crew] = (call.x, call.y)
                free_at[crew] = arrive + call.work_minutes
                served.add(call.number)
            waiting = [c for c in waiting if c.number not in served]
        minute += 1.0
    never = len(waiting) + len(pending)
    arr = np.array(arrivals) if arrivals else np.array([0.0])
    return DayFigures(policy, len(calls), breaches + never, weighted, float(arr.mean()),
                      float(np.percentile(arr, 95)), metres / 1000, never)


def _offer(call: Call, free: Sequence[str], position, department, minute: float, metres_per_minute: float) -> Waiting:
    etas = {code: math.dist(position[code], (call.x, call.y)) * DETOUR / metres_per_minute
            for code in free if department[code] in call.departments}
    return Waiting(call.number, call.priority, call.arrival_minutes - (minute - call.minute), etas)
