"""The base map's data, read from PostGIS and kept for a short while (reference data changes rarely)."""
from __future__ import annotations

import threading
import time

from geo.db import get_engine
from geo.queries import MapData, grid_at, grid_detail, map_data
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


def panel_for_click(point: dict) -> dict | None:
    """The grid whose panel a map click opens: the cell itself, or the cell under a clicked camera or crew."""
    with get_engine().connect() as conn:
        code = resolve_grid_code(conn, point)
        return grid_detail(conn, code) if code else None


def resolve_grid_code(conn, point: dict) -> str | None:
    if point.get("location"):                       # a grid cell of the choropleth
        return str(point["location"])
    if "lon" in point and "lat" in point:           # a camera or a crew: the grid under it
        return grid_at(conn, float(point["lon"]), float(point["lat"]))
    return None
