"""Where public outputs (Open311, the wall, the live feed of a role without ``ticket_read``) put a ticket: the
place in words and a point on the ~100 m lattice, an elder's alarm at its community (rules: workorders.privacy).

The communities' points are reference data read from PostGIS at most once every REFRESH_SECONDS per process:
the live feed asks for them with every batch it renders for such a role.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from geo.db import get_engine
from geo.grids import community_points as _community_points_sql
from workorders.privacy import is_home, public_place_name, public_point

REFRESH_SECONDS = 300.0
_lock = threading.Lock()
_cache: tuple[float, dict[str, tuple[float, float]]] | None = None


@dataclass(frozen=True)
class PublicPlace:
    name: str                 # street + community (+ grid unless it is a home)
    area_code: str            # the grid's code, a home's community code
    lon: float | None
    lat: float | None


def community_points() -> dict[str, tuple[float, float]]:
    global _cache
    with _lock:
        if _cache is None or time.monotonic() - _cache[0] > REFRESH_SECONDS:
            with get_engine().connect() as conn:
                _cache = (time.monotonic(), _community_points_sql(conn))
        return _cache[1]


def place_of(ticket: dict, points: dict[str, tuple[float, float]] | None = None) -> PublicPlace:
    """A ticket row's public place (``points`` defaults to the cached communities' points)."""
    lon, lat = public_point(ticket, community_points() if points is None else points)
    area = ticket.get("community_code") if is_home(ticket) else ticket.get("grid_code")
    return PublicPlace(public_place_name(ticket), area or "", lon, lat)
