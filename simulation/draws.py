"""Faster spellings of numpy's ``Generator.choice`` that draw the very same numbers from the generator.

``rng.choice(items)`` turns the list into an array and validates it on every call, and ``rng.choice(n, p=p)``
checks and sums ``p`` each time: ~50-80 µs a draw, most of the planning time of a history of a million tickets.
The functions here draw what choice draws (``integers(0, n)`` for a uniform pick; one ``random()`` looked up
in the cumulative weights, normalised the way choice does, for a weighted one), so a seed gives the same plan.
tests/unit/test_draws.py holds them to choice draw by draw.
"""
from __future__ import annotations

from typing import Sequence, TypeVar

import numpy as np

T = TypeVar("T")


def pick(rng: np.random.Generator, items: Sequence[T]) -> T:
    """``rng.choice(items)``, without the array."""
    return items[int(rng.integers(len(items)))]


def picks(rng: np.random.Generator, items: Sequence[T], size: int) -> list[T]:
    """``list(rng.choice(items, size=size))``."""
    return [items[i] for i in rng.integers(0, len(items), size=size)]


class Weighted:
    """``rng.choice(len(weights), p=weights / weights.sum())`` with the cumulative weights computed once."""

    def __init__(self, weights: Sequence[float]):
        w = np.asarray(weights, dtype=float)
        cdf = (w / w.sum()).cumsum()
        cdf /= cdf[-1]
        self.cdf = cdf

    def index(self, rng: np.random.Generator) -> int:
        return int(self.cdf.searchsorted(rng.random(), side="right"))
