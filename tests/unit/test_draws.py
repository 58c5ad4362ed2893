"""simulation.draws draws what numpy's Generator.choice draws, from the same generator state (so a history seed
gives the same plan however it is spelled)."""
from __future__ import annotations

import numpy as np
import pytest

from simulation.draws import Weighted, pick, picks
from simulation.demand import HOUR_PROFILES, OFFICE_HOURS

ITEMS = [f"item{i}" for i in range(37)]


def twins(seed: int = 5) -> tuple[np.random.Generator, np.random.Generator]:
    return np.random.default_rng(seed), np.random.default_rng(seed)


@pytest.mark.parametrize("items", [ITEMS, ITEMS[:1], ITEMS[:2], list("王李张刘陈杨")])
def test_pick_is_choice(items):
    ours, numpy = twins()
    assert [pick(ours, items) for _ in range(5000)] == [str(numpy.choice(items)) for _ in range(5000)]
    assert ours.random() == numpy.random()            # the generators are in the same state after


def test_picks_is_choice_with_a_size():
    ours, numpy = twins()
    sizes = [1, 2, 3] * 1000
    assert [picks(ours, ITEMS, k) for k in sizes] == [list(numpy.choice(ITEMS, size=k)) for k in sizes]
    assert ours.random() == numpy.random()


@pytest.mark.parametrize("weights", [OFFICE_HOURS, *HOUR_PROFILES.values(), [1, 0, 0, 3], [0.2, 0.5, 0.3]])
def test_weighted_is_choice_with_p(weights):
    ours, numpy = twins()
    w = np.array(weights, dtype=float)
    table = Weighted(weights)
    assert ([table.index(ours) for _ in range(5000)]
            == [int(numpy.choice(len(w), p=w / w.sum())) for _ in range(5000)])
    assert ours.random() == numpy.random()


def test_a_different_draw_is_noticed():
    ours, numpy = twins()
    assert [pick(ours, ITEMS) for _ in range(50)] != [str(numpy.choice(ITEMS[::-1])) for _ in range(50)]
