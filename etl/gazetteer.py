"""The local gazetteer (地名地址库) behind address search: community and grid names from whatever district is
loaded, plus — for the generated Tiedong data — roads with building numbers."""
from __future__ import annotations

import math

import numpy as np
from shapely.geometry import LineString, Point

from etl.tiedong import DISTRICT_CODE, URBAN_CORES
from geo import gazetteer as db
from geo.crs import metres_per_degree
from geo.db import get_engine
from geo.models import Place
from geo.store import insert_rows
from settings import get_settings

# Real road names of central Anshan; their courses here are generated (straight lines through the city).
ROAD_NAMES = [
    "胜利路", "二一九路", "建国大道", "解放东路", "民生东路", "五一路", "园林大道", "南胜利路", "千山中路",
    "湖南街", "对炉山街", "和平路", "站前街", "钢城街", "东长甸路", "常青街", "新兴街", "山南街", "人民路",
    "前进路", "烈士山路", "永乐街", "长甸街", "东风街", "南中华路", "光明街", "繁荣街", "友好街", "曙光街",
    "红旗街", "育才街", "科技路", "青年街", "铁塔街", "东山街", "春风街", "鞍千路", "跃进路", "民主路", "文化街",
]
BUILDING_SPACING_M = 60.0


def normalise(name: str) -> str:
    return "".join(name.split())


def build_gazetteer(seed: int | None = None, engine=None, only_if_empty: bool = True) -> int:
    engine = engine or get_engine()
    with engine.begin() as conn:
        if only_if_empty and db.is_filled(conn):
            return 0
        db.replace_with_areas(conn)
        district = db.first_district(conn)
        if district is not None and district[0] == DISTRICT_CODE:   # roads are generated for Tiedong only
            insert_rows(conn, Place, road_places(district[1], seed))
            db.place_streets_in_grids(conn)
        return db.count(conn)


def road_places(district, seed: int | None) -> list[dict]:
    """Roads as straight lines through the urban core, buildings numbered along them (odd/even by side)."""
    rng = np.random.default_rng((seed if seed is not None else get_settings().reference_seed) + 1)
    mx, my = metres_per_degree(district.centroid.y)
    rows: list[dict] = []
    for i, name in enumerate(ROAD_NAMES):
        core_lon, core_lat, sigma, _ = URBAN_CORES[i % len(URBAN_CORES)]
        cx = core_lon + rng.normal(0, sigma * 0.8) / mx
        cy = core_lat + rng.normal(0, sigma * 0.8) / my
        angle = rng.uniform(0, math.pi)
        half = rng.uniform(1200, 3000)
        dx, dy = math.cos(angle) * half / mx, math.sin(angle) * half / my
        road = LineString([(cx - dx, cy - dy), (cx + dx, cy + dy)]).intersection(district)
        if road.is_empty or road.length == 0:
            continue
        line = max(getattr(road, "geoms", [road]), key=lambda g: g.length)
        rows.append({"kind": "road", "name": name, "search_text": name, "grid_code": None,
                     "geom": line.interpolate(0.5, normalized=True)})
        length_m = line.length * (mx + my) / 2
        for n in range(1, int(length_m // BUILDING_SPACING_M) + 1):
            point = line.interpolate(min(n * BUILDING_SPACING_M / length_m, 1.0), normalized=True)
            for number in (2 * n - 1, 2 * n):   # odd numbers on one side, even on the other
                side = 1 if number % 2 else -1
                offset = Point(point.x - side * dy / half * 15, point.y + side * dx / half * 15)
                label = f"{name}{number}号"
                rows.append({"kind": "building", "name": label, "search_text": label, "grid_code": None,
                             "geom": offset})
    return rows
