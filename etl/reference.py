"""Generate the Tiedong reference data and load it: `python -m etl reference`.

The district boundary is real (etl/data/210302.geojson); streets, communities, grids, people, cameras and crews
are generated from a seed, so the same seed always gives the same district. Idempotent: skipped when reference
data is already loaded, replaced with --force.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Point, shape
from shapely.geometry.base import BaseGeometry
from tqdm import tqdm

from simulation import names
from etl.tiedong import DISTRICT_CODE, DISTRICT_NAME, URBAN_CORES, people_density
from etl.tiling import allocate, partition, population, sample_points
from geo.crs import geometry_gcj02_to_wgs84, metres_per_degree
from geo.db import get_engine, transaction
from geo.models import Camera, Community, Crew, Department, District, Grid, Street
from geo.shapes import repair
from geo.store import clear_reference, counts, insert_rows
from settings import get_settings

DATA = Path(__file__).resolve().parent / "data"

STREETS, COMMUNITIES, VILLAGES, GRIDS, CAMERAS = 14, 90, 6, 932, 11_000
AUXILIARY_POLICE = 90   # one 辅警 per community


@dataclass
class LocalFrame:
    """A metric plane around the district (equirectangular; <0.5 % scale error across 25 km)."""
    lon0: float
    lat0: float
    mx: float = field(init=False)
    my: float = field(init=False)

    def __post_init__(self) -> None:
        self.mx, self.my = metres_per_degree(self.lat0)

    def to_metres(self, geom: BaseGeometry) -> BaseGeometry:
        return shapely.transform(geom, lambda c: np.column_stack([(c[:, 0] - self.lon0) * self.mx,
                                                                   (c[:, 1] - self.lat0) * self.my]))

    def to_degrees(self, geom: BaseGeometry) -> BaseGeometry:
        return shapely.transform(geom, lambda c: np.column_stack([c[:, 0] / self.mx + self.lon0,
                                                                   c[:, 1] / self.my + self.lat0]))

    def xy(self, lon: float, lat: float) -> tuple[float, float]:
        return (lon - self.lon0) * self.mx, (lat - self.lat0) * self.my


def read_boundary(datum: str) -> MultiPolygon:
    """The shipped boundary, converted from its datum to WGS-84."""
    geom = shape(json.loads((DATA / "210302.geojson").read_text(encoding="utf-8")))
    if datum == "gcj02":
        geom = geometry_gcj02_to_wgs84(geom)
    fixed, _ = repair(geom)
    return fixed


@dataclass
class Reference:
    district: dict[str, Any]
    streets: list[dict[str, Any]]
    communities: list[dict[str, Any]]
    grids: list[dict[str, Any]]
    departments: list[dict[str, Any]]
    cameras: list[dict[str, Any]]
    crews: list[dict[str, Any]]


def generate(seed: int, datum: str, progress: Callable[[str], None] = lambda _: None) -> Reference:
    rng = np.random.default_rng(seed)
    boundary = read_boundary(datum)
    centre = boundary.centroid
    frame = LocalFrame(centre.x, centre.y)
    area = frame.to_metres(boundary)
    density = people_density(frame.xy)
    people = sample_points(area, density, 60_000, rng)

    progress("streets")
    street_cells = partition(area, density, STREETS, rng)
    city_centre = Point(frame.xy(*URBAN_CORES[0][:2]))
    street_cells.sort(key=lambda c: c.centroid.distance(city_centre))   # 站前 nearest the centre, …
    street_codes = [f"{DISTRICT_CODE}{i + 1:03d}" for i in range(STREETS)]

    progress("communities")
    per_street = allocate(COMMUNITIES, population(street_cells, people), minimum=3)
    community_cells: list[MultiPolygon] = []
    community_street: list[int] = []
    for s, (cell, n) in enumerate(zip(street_cells, per_street)):
        for sub in partition(cell, density, int(n), rng):
            community_cells.append(sub)
            community_street.append(s)
    community_pop = population(community_cells, people)
    sparsest = np.argsort(community_pop / np.array([c.area for c in community_cells]))[:VILLAGES]
    is_village = np.isin(np.arange(len(community_cells)), sparsest)

    progress("grids")
    per_community = allocate(GRIDS, community_pop, minimum=2)
    grid_cells: list[MultiPolygon] = []
    grid_community: list[int] = []
    for c, (cell, n) in enumerate(zip(community_cells, per_community)):
        for sub in partition(cell, density, int(n), rng):
            grid_cells.append(sub)
            grid_community.append(c)

    to_wgs = lambda g: repair(frame.to_degrees(g))[0]  # noqa: E731
    district = {"code": DISTRICT_CODE, "name": DISTRICT_NAME, "geom": boundary}
    streets = [{"code": street_codes[i], "name": names.STREET_NAMES[i], "district_code": DISTRICT_CODE,
                "geom": to_wgs(cell)} for i, cell in enumerate(street_cells)]

    community_codes: list[str] = []
    community_rows: list[dict[str, Any]] = []
    word_list = names.community_names(len(community_cells), rng)
    seq_in_street = [0] * STREETS
    for i, cell in enumerate(community_cells):
        s = community_street[i]
        seq_in_street[s] += 1
        code = f"{street_codes[s]}{seq_in_street[s]:03d}"
        community_codes.append(code)
        kind = "村" if is_village[i] else "社区"
        community_rows.append({"code": code, "name": word_list[i] + kind, "kind": kind,
                               "street_code": street_codes[s], "geom": to_wgs(cell)})

    progress("people")
    cadres = [(names.person_name(rng), names.mobile_phone(rng)) for _ in community_cells]
    grid_rows: list[dict[str, Any]] = []
    seq_in_community = [0] * len(community_cells)
    for i, cell in enumerate(grid_cells):
        c = grid_community[i]
        seq_in_community[c] += 1
        n = seq_in_community[c]
        grid_rows.append({
            "code": f"{community_codes[c]}{n:02d}", "name": f"{community_rows[c]['name']}第{n}网格",
            "community_code": community_codes[c],
            "worker_name": names.person_name(rng), "worker_phone": names.mobile_phone(rng),
            "cadre_name": cadres[c][0], "cadre_phone": cadres[c][1], "geom": to_wgs(cell)})

    progress("cameras")
    camera_density = people_density(frame.xy, spread=0.9, floor=0.6)
    camera_xy = sample_points(area, camera_density, CAMERAS, rng)
    cameras = place_points(camera_xy, frame, grid_rows, rng)

    progress("crews")
    departments = [{"code": code, "name": name, "kind": kind, "resident_in_center": resident, "phone": None}
                   for code, name, kind, resident, _ in names.DEPARTMENTS]
    crews = make_crews(rng, frame, area, density, grid_rows, community_rows)
    return Reference(district, streets, community_rows, grid_rows, departments, cameras, crews)


def place_points(xy: np.ndarray, frame: LocalFrame, grid_rows: list[dict[str, Any]],
                 rng: np.random.Generator) -> list[dict[str, Any]]:
    """Cameras at the sampled points, each tagged with the grid that covers it."""
    points = [frame.to_degrees(Point(x, y)) for x, y in xy]
    grid_code = grid_of(points, grid_rows)
    kinds = rng.choice(names.CAMERA_KINDS, size=len(points), p=names.CAMERA_KIND_WEIGHTS)
    rows = []
    for i, (pt, code) in enumerate(zip(points, grid_code)):
        if code is None:   # on the very edge of the district after rounding: drop it, deterministic anyway
            continue
        rows.append({"code": f"CAM{i + 1:05d}", "name": f"{str(kinds[i])}{i + 1:05d}", "kind": str(kinds[i]),
                     "grid_code": code, "geom": pt})
    return rows


def grid_of(points: list[Point], grid_rows: list[dict[str, Any]]) -> list[str | None]:
    tree = shapely.STRtree([g["geom"] for g in grid_rows])
    point_idx, grid_idx = tree.query(points, predicate="covered_by")
    found: list[str | None] = [None] * len(points)
    for p, g in zip(point_idx, grid_idx):
        code = grid_rows[g]["code"]
        if found[p] is None or code < found[p]:   # a point on a shared edge belongs to the smaller code
            found[p] = code
    return found


def make_crews(rng: np.random.Generator, frame: LocalFrame, area: BaseGeometry, density,
               grid_rows: list[dict[str, Any]], community_rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    crews: list[dict[str, Any]] = []
    # No ticket exists yet, so nobody is on the way anywhere: crews start on duty or off duty.
    statuses = ["available", "off_duty"]

    def status() -> str:
        return str(rng.choice(statuses, p=[0.85, 0.15]))

    for code, name, _kind, _resident, count in names.DEPARTMENTS:
        if count == 0:
            continue
        homes = sample_points(area, density, count, rng)
        for n, (x, y) in enumerate(homes, start=1):
            home = frame.to_degrees(Point(x, y))
            crews.append({"code": f"{code.upper()}-{n:02d}", "name": f"{name}{names.CREW_KIND_BY_DEPARTMENT[code]}{n}组",
                          "department_code": code, "kind": names.CREW_KIND_BY_DEPARTMENT[code], "grid_code": None,
                          "members": int(rng.integers(2, 5)), "status": status(), "home_geom": home,
                          "geom": jitter(home, rng, frame, 400)})
    for n, community in enumerate(community_rows[:AUXILIARY_POLICE], start=1):
        home = community["geom"].representative_point()
        crews.append({"code": f"FJ-{n:03d}", "name": f"{community['name']}辅警", "department_code": "gaj",
                      "kind": "社区辅警", "grid_code": None, "members": 1, "status": status(),
                      "home_geom": home, "geom": home})
    for grid in grid_rows:
        home = grid["geom"].representative_point()
        crews.append({"code": f"WGY-{grid['code']}", "name": f"网格员{grid['worker_name']}", "department_code": "grid",
                      "kind": "网格员", "grid_code": grid["code"], "members": 1, "status": status(),
                      "home_geom": home, "geom": home})
    return crews


def jitter(point: Point, rng: np.random.Generator, frame: LocalFrame, metres: float) -> Point:
    dx, dy = rng.normal(0, metres, 2)
    return Point(point.x + dx / frame.mx, point.y + dy / frame.my)


def write(ref: Reference, conn) -> None:
    clear_reference(conn)
    insert_rows(conn, District, [ref.district])
    insert_rows(conn, Street, ref.streets)
    insert_rows(conn, Community, ref.communities)
    insert_rows(conn, Grid, ref.grids)
    insert_rows(conn, Department, ref.departments)
    insert_rows(conn, Camera, ref.cameras)
    insert_rows(conn, Crew, ref.crews)


def load_reference(seed: int | None = None, force: bool = False, quiet: bool = False, engine=None) -> dict[str, int]:
    settings = get_settings()
    seed = settings.reference_seed if seed is None else seed
    engine = engine or get_engine()
    with transaction(engine) as conn:
        existing = counts(conn)
    if existing["districts"] and not force:
        if not quiet:
            print(f"reference data already loaded ({existing['grids']} grids, {existing['cameras']} cameras); "
                  "use --force to replace it")
        return existing
    steps = ["streets", "communities", "grids", "people", "cameras", "crews", "write"]
    with tqdm(total=len(steps), desc="铁东区 reference", disable=quiet, unit="step") as bar:
        def progress(step: str) -> None:   # called as each step starts
            bar.update(steps.index(step) - bar.n)
            bar.set_postfix_str(step)
        ref = generate(seed, settings.district_datum, progress)
        progress("write")
        with transaction(engine) as conn:   # one transaction: all or nothing
            write(ref, conn)
            loaded = counts(conn)
        bar.update(len(steps) - bar.n)
    if not quiet:
        print("loaded " + ", ".join(f"{n} {t}" for t, n in loaded.items()))
    return loaded


def load_reference_and_catalogue(**kwargs) -> dict[str, int]:
    """Reference data, then what stands on it: the category catalogue and the address gazetteer."""
    from etl.catalogue import load_categories
    from etl.gazetteer import build_gazetteer
    from etl.mediation import seed_if_empty as seed_mediation
    from etl.petitions import seed_if_empty as seed_petitions
    from etl.resources import seed_if_empty as seed_resources
    from etl.risk_assessment import seed_if_empty as seed_risk_assessment
    from etl.consultation import seed_if_empty as seed_consultation
    loaded = load_reference(**kwargs)
    engine = kwargs.get("engine")
    load_categories(engine=engine)
    build_gazetteer(seed=kwargs.get("seed"), engine=engine, only_if_empty=not kwargs.get("force"))
    seed_mediation(engine=engine, seed=kwargs.get("seed"))        # the district's programmes on the same seed
    seed_risk_assessment(engine=engine, seed=kwargs.get("seed"))
    seed_consultation(engine=engine, seed=kwargs.get("seed"))
    seed_resources(engine=engine, seed=kwargs.get("seed"))         # social forces and the one-key-phone registry
    seed_petitions(engine=engine, seed=kwargs.get("seed"))         # police stations and crews, petitions
    return loaded
