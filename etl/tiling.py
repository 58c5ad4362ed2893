"""Partition a polygon into compact, block-like cells whose size follows a population density.

Pure geometry (numpy + shapely), in a local metric plane. The method: sample points from the density inside the
area, cluster them with k-means (so each cell holds about the same population: small cells where the city is dense,
large ones in the hills), and cut the area with the Voronoi diagram of the cluster centres. Voronoi cells clipped
to the area tile it exactly; fragments a concave boundary cuts off are given to the neighbour they touch most.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import shapely
from shapely.geometry import MultiPoint, MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

Density = Callable[[np.ndarray, np.ndarray], np.ndarray]


@dataclass(frozen=True)
class Gaussian:
    """One urban core of the density surface: centre (metres), spread (metres), weight."""
    x: float
    y: float
    sigma: float
    weight: float


def make_density(cores: list[Gaussian], floor: float) -> Density:
    def density(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        value = np.full_like(x, floor, dtype=float)
        for core in cores:
            value += core.weight * np.exp(-((x - core.x) ** 2 + (y - core.y) ** 2) / (2 * core.sigma ** 2))
        return value
    return density


def sample_points(area: BaseGeometry, density: Density, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` points inside ``area`` distributed like ``density`` (rejection sampling)."""
    minx, miny, maxx, maxy = area.bounds
    grid_x, grid_y = np.meshgrid(np.linspace(minx, maxx, 200), np.linspace(miny, maxy, 200))
    ceiling = float(density(grid_x, grid_y).max()) * 1.05
    shapely.prepare(area)
    out: list[np.ndarray] = []
    have = 0
    while have < n:
        batch = max(4 * (n - have), 1000)
        x = rng.uniform(minx, maxx, batch)
        y = rng.uniform(miny, maxy, batch)
        keep = rng.uniform(0, ceiling, batch) < density(x, y)
        x, y = x[keep], y[keep]
        inside = shapely.contains_xy(area, x, y)
        pts = np.column_stack([x[inside], y[inside]])
        out.append(pts)
        have += len(pts)
    return np.concatenate(out)[:n]


def kmeans(points: np.ndarray, k: int, rng: np.random.Generator, iterations: int = 40) -> np.ndarray:
    """Lloyd's k-means with k-means++ seeding; returns the ``k`` centres."""
    if k >= len(points):
        return points[:k].copy()
    centres = [points[rng.integers(len(points))]]
    dist2 = np.sum((points - centres[0]) ** 2, axis=1)
    for _ in range(1, k):
        idx = rng.choice(len(points), p=dist2 / dist2.sum())
        centres.append(points[idx])
        dist2 = np.minimum(dist2, np.sum((points - points[idx]) ** 2, axis=1))
    c = np.array(centres)
    for _ in range(iterations):
        labels = nearest(points, c)
        moved = np.array([points[labels == i].mean(axis=0) if np.any(labels == i) else c[i] for i in range(k)])
        if np.allclose(moved, c, atol=0.5):
            break
        c = moved
    return c


def nearest(points: np.ndarray, centres: np.ndarray) -> np.ndarray:
    d2 = ((points[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)
    return d2.argmin(axis=1)


def voronoi_cells(area: BaseGeometry, centres: np.ndarray) -> list[MultiPolygon]:
    """Voronoi cells of ``centres`` clipped to ``area``, in the order of ``centres``; fragments merged."""
    if len(centres) == 1:
        return [_as_multi(area)]
    minx, miny, maxx, maxy = area.bounds
    pad = max(maxx - minx, maxy - miny)
    envelope = shapely.box(minx - pad, miny - pad, maxx + pad, maxy + pad)
    diagram = shapely.voronoi_polygons(MultiPoint(centres), extend_to=envelope)
    cells_by_centre: list[BaseGeometry] = [Polygon()] * len(centres)
    for cell in diagram.geoms:
        inside = shapely.contains_xy(cell, centres[:, 0], centres[:, 1])
        cells_by_centre[int(np.flatnonzero(inside)[0])] = cell
    clipped = [shapely.intersection(cell, area) for cell in cells_by_centre]
    return merge_fragments(clipped, centres)


def merge_fragments(cells: list[BaseGeometry], centres: np.ndarray) -> list[MultiPolygon]:
    """Keep, for each cell, the part holding (or nearest) its centre; give every other part to the neighbour
    sharing the longest border with it, so each cell is one piece and the tiling stays exact."""
    main: list[BaseGeometry] = []
    orphans: list[Polygon] = []
    for cell, (cx, cy) in zip(cells, centres):
        parts = [p for p in _as_multi(cell).geoms if not p.is_empty]
        if not parts:
            main.append(Polygon())
            continue
        centre = shapely.Point(cx, cy)
        keep = min(parts, key=lambda p: (0 if p.covers(centre) else 1, p.distance(centre), -p.area))
        main.append(keep)
        orphans.extend(p for p in parts if p is not keep)
    for orphan in sorted(orphans, key=lambda p: -p.area):
        boundary = orphan.boundary
        shared = [(shapely.length(shapely.intersection(boundary, m.boundary)) if not m.is_empty else 0.0, i)
                  for i, m in enumerate(main)]
        best_len, best = max(shared)
        if best_len <= 0:  # touches nobody along an edge (an island): give it to the nearest cell
            best = min(range(len(main)), key=lambda i: main[i].distance(orphan) if not main[i].is_empty else 1e18)
        main[best] = shapely.union(main[best], orphan)
    return [_as_multi(shapely.make_valid(m) if not m.is_valid else m) for m in main]


def _as_multi(geom: BaseGeometry) -> MultiPolygon:
    if isinstance(geom, MultiPolygon):
        return geom
    if isinstance(geom, Polygon):
        return MultiPolygon([geom]) if not geom.is_empty else MultiPolygon()
    polys = [g for g in getattr(geom, "geoms", []) if isinstance(g, (Polygon, MultiPolygon))]
    out: list[Polygon] = []
    for g in polys:
        out.extend(_as_multi(g).geoms)
    return MultiPolygon(out)


def allocate(total: int, weights: np.ndarray, minimum: int) -> np.ndarray:
    """Split ``total`` into integers proportional to ``weights``, each at least ``minimum`` (largest remainder)."""
    weights = np.asarray(weights, dtype=float)
    n = len(weights)
    if total < minimum * n:
        raise ValueError(f"cannot give {n} parts at least {minimum} each out of {total}")
    spare = total - minimum * n
    share = weights / weights.sum() * spare
    counts = np.floor(share).astype(int)
    rest = spare - counts.sum()
    order = np.argsort(-(share - counts), kind="stable")
    counts[order[:rest]] += 1
    return counts + minimum


def partition(area: BaseGeometry, density: Density, k: int, rng: np.random.Generator) -> list[MultiPolygon]:
    """Cut ``area`` into ``k`` one-piece cells holding about equal population under ``density``."""
    if k == 1:
        return [_as_multi(area)]
    samples = sample_points(area, density, max(600, 80 * k), rng)
    return voronoi_cells(area, kmeans(samples, k, rng))


def population(cells: list[BaseGeometry], samples: np.ndarray) -> np.ndarray:
    """How many of the population ``samples`` fall in each cell (a weight for allocating children)."""
    counts = np.zeros(len(cells))
    for i, cell in enumerate(cells):
        if not cell.is_empty:
            counts[i] = np.count_nonzero(shapely.contains_xy(cell, samples[:, 0], samples[:, 1]))
    return counts
