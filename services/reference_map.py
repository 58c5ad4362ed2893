"""The base map's data, read from PostGIS and kept for a short while (reference data changes rarely)."""
from __future__ import annotations

import threading
import time

from typing import Any

from geo.db import get_engine
from geo.queries import MapData, grid_at, map_data
from layers.figure import command_map_figure
from settings import get_settings

_lock = threading.Lock()
_cached: tuple[float, MapData] | None = None
_figures: dict[tuple, tuple[MapData, dict[str, Any]]] = {}


def current_map_data() -> MapData:
    """Map data at most ``map_cache_seconds`` old; each dashboard process keeps its own copy of this cache only."""
    global _cached
    ttl = get_settings().map_cache_seconds
    with _lock:
        if _cached is None or time.monotonic() - _cached[0] > ttl:
            with get_engine().connect() as conn:
                _cached = (time.monotonic(), map_data(conn))
        return _cached[1]


def base_map_figure(style_url: str, labels_size: int = 15, cameras: bool = True,
                    view_px: tuple[int, int] = (1600, 1000)) -> dict[str, Any]:
    """The map's static figure (cells, outlines, labels, cameras) as a plain dict, built once per map-data refresh.

    Building it costs 0.1-0.3 s of CPU per page load (shapes to GeoJSON, 11,000 cameras), which sits directly on
    the path to the wall's first paint. Callers must not modify the returned dict: every page load shares it.
    """
    data = current_map_data()
    key = (style_url, labels_size, cameras, view_px)
    with _lock:
        hit = _figures.get(key)
        if hit is not None and hit[0] is data:
            return hit[1]
    figure = command_map_figure(data, style=style_url, labels_size=labels_size, cameras=cameras,
                                view_px=view_px).to_plotly_json()
    with _lock:
        # One entry per host URL and variant: a handful in practice; dropped wholesale if something floods it.
        if len(_figures) > 32:
            _figures.clear()
        _figures[key] = (data, figure)
    return figure


def forget_map_data() -> None:
    global _cached
    with _lock:
        _cached = None
        _figures.clear()


def resolve_grid(point: dict) -> str | None:
    """The grid a map click means: the cell itself, or the cell under a clicked camera."""
    if point.get("location"):                       # a grid cell of the choropleth
        return str(point["location"])
    if "lon" in point and "lat" in point:           # a camera: the grid under it
        with get_engine().connect() as conn:
            return grid_at(conn, float(point["lon"]), float(point["lat"]))
    return None
