"""The base map's data, read from PostGIS and kept for a short while (reference data changes rarely)."""
from __future__ import annotations

import threading
import time

from geo.db import get_engine
from geo.queries import MapData, grid_at, map_data
from settings import get_settings

_lock = threading.Lock()
_cached: tuple[float, MapData] | None = None


def current_map_data() -> MapData:
    """Map data at most ``map_cache_seconds`` old; each dashboard process keeps its own copy of this cache only."""
    global _cached
    ttl = get_settings().map_cache_seconds
    with _lock:
        if _cached is None or time.monotonic() - _cached[0] > ttl:
            with get_engine().connect() as conn:
                _cached = (time.monotonic(), map_data(conn))
        return _cached[1]


def forget_map_data() -> None:
    global _cached
    with _lock:
        _cached = None


def resolve_grid(point: dict) -> str | None:
    """The grid a map click means: the cell itself, or the cell under a clicked camera."""
    if point.get("location"):                       # a grid cell of the choropleth
        return str(point["location"])
    if "lon" in point and "lat" in point:           # a camera: the grid under it
        with get_engine().connect() as conn:
            return grid_at(conn, float(point["lon"]), float(point["lat"]))
    return None
