"""The partition behind the generated streets, communities and grids."""
from __future__ import annotations

import numpy as np
import pytest
import shapely
from shapely.geometry import Polygon, box

from etl.tiling import Gaussian, allocate, make_density, partition


@pytest.mark.parametrize("total,weights,minimum", [(932, [5, 1, 1, 30], 2), (90, [1] * 14, 3), (10, [0, 0, 1], 3)])
def test_allocate_sums_exactly_and_respects_the_minimum(total, weights, minimum):
    counts = allocate(total, np.array(weights), minimum)
    assert counts.sum() == total and counts.min() >= minimum


def test_allocate_refuses_an_impossible_minimum():
    with pytest.raises(ValueError):
        allocate(5, np.array([1, 1, 1]), 2)


def test_partition_tiles_a_concave_area_exactly_in_one_piece_cells():
    # An L-shaped area: Voronoi cells clipped to it can fall apart, and must be merged back.
    area = Polygon([(0, 0), (6000, 0), (6000, 2000), (2000, 2000), (2000, 6000), (0, 6000)])
    density = make_density([Gaussian(500, 500, 800, 1.0)], floor=0.05)
    cells = partition(area, density, 25, np.random.default_rng(1))
    assert len(cells) == 25
    assert all(c.is_valid and len(c.geoms) == 1 for c in cells)
    assert sum(c.area for c in cells) == pytest.approx(area.area, rel=1e-6)
    assert shapely.union_all(cells).symmetric_difference(area).area < area.area * 1e-6


def test_cells_are_smaller_where_people_are_denser():
    area = box(0, 0, 10_000, 10_000)
    density = make_density([Gaussian(1000, 1000, 1500, 1.0)], floor=0.02)
    cells = partition(area, density, 40, np.random.default_rng(7))
    near = [c.area for c in cells if c.centroid.distance(shapely.Point(1000, 1000)) < 2500]
    far = [c.area for c in cells if c.centroid.distance(shapely.Point(1000, 1000)) > 7000]
    assert near and far and np.median(far) > 4 * np.median(near)


def test_partition_is_deterministic_for_a_seed():
    area = box(0, 0, 3000, 2000)
    density = make_density([], floor=1.0)
    first = partition(area, density, 6, np.random.default_rng(3))
    second = partition(area, density, 6, np.random.default_rng(3))
    assert [c.wkb for c in first] == [c.wkb for c in second]
