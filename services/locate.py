"""Locate and route many points at once (an import of old tickets, a replay, the bulk history): for each
(lon, lat, category) the grid, community and street that intake would give it and the departments it would be
routed to.

The same two rules as intake (services.tickets._create), not copies of them: the point's place comes from
``grid_at`` (geo.grids.places_at, all points in one statement) and the route from workorders.routing.route, which
depends only on the category and the street, so it is computed once per (category, street) pair.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from sqlalchemy import Connection

from geo.grids import places_at
from workorders.catalogue import Category
from workorders.contract import IntakeError
from workorders.routing import Route, route

PLACE = ("grid_code", "community_code", "street_code")
# One statement holds at most this many points: bounds the memory of a very large import on both sides.
BATCH_POINTS = 50_000


@dataclass(frozen=True)
class Located:
    lon: float
    lat: float
    grid_code: str
    community_code: str
    street_code: str
    route: Route


def locate_and_route(conn: Connection, points: Sequence[tuple[float, float, str]],
                     catalogue: dict[str, Category] | None = None) -> list[Located | None]:
    """One ``Located`` per (lon, lat, category code), in order; None for a point outside the district.

    An unknown category refuses the whole call before anything is looked up (IntakeError, as intake does)."""
    if catalogue is None:
        from services.tickets import categories
        catalogue = categories(conn)
    unknown = sorted({code for _, _, code in points if code not in catalogue})
    if unknown:
        raise IntakeError("category", f"未知事项类别 {', '.join(map(repr, unknown))}")
    places: list[dict | None] = []
    for start in range(0, len(points), BATCH_POINTS):
        places.extend(places_at(conn, [(lon, lat) for lon, lat, _ in points[start:start + BATCH_POINTS]], PLACE))
    routes: dict[tuple[str, str], Route] = {}
    located: list[Located | None] = []
    for (lon, lat, code), place in zip(points, places):
        if place is None:
            located.append(None)
            continue
        key = (code, place["street_code"])
        if key not in routes:
            routes[key] = route(catalogue[code], place["street_code"])
        located.append(Located(lon, lat, place["grid_code"], place["community_code"], place["street_code"],
                               routes[key]))
    return located
