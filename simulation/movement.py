"""Crews driving: distances in metres, a path along the street grid, and where a crew is at any simulated second."""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np

from geo.crs import metres_per_degree

Point = tuple[float, float]           # (lon, lat)


def metres_between(a: Point, b: Point) -> float:
    mx, my = metres_per_degree((a[1] + b[1]) / 2)
    return math.hypot((b[0] - a[0]) * mx, (b[1] - a[1]) * my)


def travel_seconds(metres: float, speed_kmh: float) -> float:
    return metres / (speed_kmh / 3.6)


def street_path(start: Point, end: Point, rng: np.random.Generator) -> list[Point]:
    """Start, one corner, end: a crew follows the street grid rather than flying (about 1.27× the straight line)."""
    corner = (end[0], start[1]) if rng.random() < 0.5 else (start[0], end[1])
    return [start, corner, end]


@dataclass(frozen=True)
class Trip:
    """A drive along ``points`` at a constant speed, leaving at ``depart`` (simulated seconds)."""
    points: tuple[Point, ...]
    depart: float
    speed_kmh: float

    @property
    def legs(self) -> list[float]:
        return [metres_between(a, b) for a, b in itertools.pairwise(self.points)]

    @property
    def metres(self) -> float:
        return sum(self.legs)

    @property
    def arrive(self) -> float:
        return self.depart + travel_seconds(self.metres, self.speed_kmh)

    @property
    def end(self) -> Point:
        return self.points[-1]

    def position(self, at: float) -> Point:
        """Where the crew is at simulated second ``at`` (the start before leaving, the end after arriving)."""
        left = max(0.0, at - self.depart) * self.speed_kmh / 3.6
        for (a, b), leg in zip(itertools.pairwise(self.points), self.legs, strict=True):
            if left <= leg:
                f = left / leg if leg > 0 else 1.0
                return (a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f)
            left -= leg
        return self.end
