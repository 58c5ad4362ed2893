"""`python -m etl load` against a real, empty PostGIS (one scratch database per test).

The files are made here, in tmp_path: a made-up district "示范区" in Shandong — a 4 km square at 120.30°E 36.10°N,
so EPSG:4549 (CGCS2000 3-degree Gauss-Krüger, central meridian 120°E) is its natural projected CRS. Layout, in km
from the south-west corner:

    district  D370299   [0,4]×[0,4]
    streets   S01 [0,2]×[0,4]            S02 [2,4]×[0,4]
    comms     C01 [0,2]×[0,3] (S01)      C02 [2,4]×[0,1.5], C03 [2,4]×[1.5,3] (S02); the strip y>3 has none
    grids     G01 [0,1]×[0,3], G02 [1,2]×[0,3] (C01); G03/G04 split C02, G05/G06 split C03 at x=3
    cameras   20 points: three inside each grid, one on the G01|G02 edge, one more in G06
"""
from __future__ import annotations

import os
import subprocess
import sys
import warnings
import zipfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from pyproj import Transformer
from shapely.geometry import LineString, Point, Polygon
from sqlalchemy import text

from etl.loader import LoadRejected, load_file
from geo.crs import gcj02_to_wgs84, metres_per_degree, wgs84_to_gcj02

ROOT = Path(__file__).resolve().parents[2]
LON0, LAT0 = 120.30, 36.10
M_PER_DEG_LON, M_PER_DEG_LAT = metres_per_degree(LAT0)
TABLES = ("districts", "streets", "communities", "grids", "departments", "cameras", "crews")


# ------------------------------------------------------------------------------------------------ the made-up district

def at(x_km: float, y_km: float) -> tuple[float, float]:
    """Longitude/latitude of a point given in km east and north of the district's south-west corner."""
    return LON0 + x_km * 1000 / M_PER_DEG_LON, LAT0 + y_km * 1000 / M_PER_DEG_LAT


def square(x0: float, y0: float, x1: float, y1: float) -> Polygon:
    return Polygon([at(x0, y0), at(x1, y0), at(x1, y1), at(x0, y1)])


def frame(rows: list[dict], crs=4326) -> gpd.GeoDataFrame:
    data = [{k: v for k, v in r.items() if k != "geometry"} for r in rows]
    return gpd.GeoDataFrame(data, geometry=[r["geometry"] for r in rows], crs=crs)


DISTRICT = [{"code": "D370299", "name": "示范区", "geometry": square(0, 0, 4, 4)}]
STREETS = [{"code": "S01", "name": "西街道", "geometry": square(0, 0, 2, 4)},
           {"code": "S02", "name": "东街道", "geometry": square(2, 0, 4, 4)}]
COMMUNITIES = [{"code": "C01", "name": "河西社区", "类型": "社区", "geometry": square(0, 0, 2, 3)},
               {"code": "C02", "name": "南村", "类型": "村", "geometry": square(2, 0, 4, 1.5)},
               {"code": "C03", "name": "北社区", "类型": "社区", "geometry": square(2, 1.5, 4, 3)}]
GRIDS = [{"code": f"G0{n}", "name": f"第{n}网格", "网格员": f"网格员{n}", "网格员电话": f"1380000000{n}",
          "geometry": square(*box)}
         for n, box in enumerate([(0, 0, 1, 3), (1, 0, 2, 3), (2, 0, 3, 1.5), (3, 0, 4, 1.5),
                                  (2, 1.5, 3, 3), (3, 1.5, 4, 3)], start=1)]
GRID_OF_COMMUNITY = {"G01": "C01", "G02": "C01", "G03": "C02", "G04": "C02", "G05": "C03", "G06": "C03"}
GRID_ORIGINS = {"G01": (0, 0), "G02": (1, 0), "G03": (2, 0), "G04": (3, 0), "G05": (2, 1.5), "G06": (3, 1.5)}


def camera_points() -> list[tuple[str, tuple[float, float], str]]:
    """(code, (x_km, y_km), expected grid): 3 inside each grid, 1 on the G01|G02 edge (smallest code wins), 1 more."""
    cams = []
    for grid, (x0, y0) in GRID_ORIGINS.items():
        for dx, dy in ((0.2, 0.3), (0.5, 0.9), (0.8, 1.2)):
            cams.append((f"CAM{len(cams) + 1:03d}", (x0 + dx, y0 + dy), grid))
    cams.append(("CAM019", (1.0, 1.0), "G01"))
    cams.append(("CAM020", (3.7, 2.9), "G06"))
    return cams


def write(gdf: gpd.GeoDataFrame, folder: Path, name: str, fmt: str, **kwargs) -> Path:
    """Write ``gdf`` as GeoJSON, a Shapefile folder, a zipped Shapefile (inside a sub-folder), or a GeoPackage."""
    folder.mkdir(parents=True, exist_ok=True)
    if fmt == "geojson":
        path = folder / f"{name}.geojson"
        gdf.to_file(path, driver="GeoJSON", **kwargs)
    elif fmt == "gpkg":
        path = folder / f"{name}.gpkg"
        gdf.to_file(path, driver="GPKG", layer=name, **kwargs)
    elif fmt in ("shp", "zip"):
        path = folder / f"{name}_shp"
        path.mkdir()
        gdf.to_file(path / f"{name}.shp", **kwargs)
        if fmt == "zip":
            archive = folder / f"{name}.zip"
            with zipfile.ZipFile(archive, "w") as z:
                for part in path.iterdir():
                    z.write(part, f"delivery/{part.name}")
            path = archive
    else:
        raise ValueError(fmt)
    return path


def cameras_csv(folder: Path) -> Path:
    """Cameras as a CSV with Chinese headers, the way a spreadsheet export comes."""
    # repr keeps every digit, so CAM019 stays exactly on the G01|G02 edge.
    rows = [{"设备编码": code, "设备名称": f"摄像头{code}", "经度": repr(at(*xy)[0]), "纬度": repr(at(*xy)[1])}
            for code, xy, _ in camera_points()]
    path = folder / "cameras.csv"
    pd.DataFrame(rows).to_csv(path, index=False, encoding="utf-8-sig")
    return path


def load_hierarchy(engine, folder: Path, upto: str = "grids") -> None:
    """District, streets, communities (and grids, cameras) from plain GeoJSON files."""
    layers = [("district", DISTRICT), ("streets", STREETS), ("communities", COMMUNITIES), ("grids", GRIDS)]
    for layer, rows in layers:
        load_file(layer, write(frame(rows), folder, layer, "geojson"), engine=engine)
        if layer == upto:
            return
    load_file("cameras", cameras_csv(folder), engine=engine)


def counts(engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t: conn.scalar(text(f"SELECT count(*) FROM {t}")) for t in TABLES}


def snapshot(engine) -> dict[str, str | None]:
    """Every row of every table, digested: equal snapshots mean nothing changed."""
    with engine.connect() as conn:
        return {t: conn.scalar(text(f"SELECT md5(string_agg(r::text, '|' ORDER BY r.code)) FROM {t} r"))
                for t in TABLES}


def scalar(engine, sql: str, **params):
    with engine.connect() as conn:
        return conn.scalar(text(sql), params)


def rows(engine, sql: str, **params) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(sql), params)]


def nearest_vertex_m(engine, table: str, code: str, lon: float, lat: float) -> float:
    """Metres from (lon, lat) to the nearest stored vertex of the feature."""
    return scalar(engine, f"""
        SELECT min(ST_Distance((d).geom::geography, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)::geography))
        FROM (SELECT ST_DumpPoints(geom) AS d FROM {table} WHERE code = :code) AS v""", code=code, lon=lon, lat=lat)


def add_department(engine, code: str = "gaj") -> None:
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO departments (code, name, kind, resident_in_center) "
                          "VALUES (:code, '公安分局', 'police', false)"), {"code": code})


# ------------------------------------------------------------------------------------------------ loading

def test_empty_database_takes_every_layer_in_every_format(scratch_engine, tmp_path):
    add_department(scratch_engine)
    crews = frame([{"code": "GAJ-01", "name": "巡逻一组", "department_code": "gaj", "kind": "巡逻警组",
                    "status": "en_route", "members": 3, "geometry": Point(at(0.5, 0.5))},
                   {"code": "GAJ-02", "name": "巡逻二组", "department_code": "gaj", "geometry": Point(at(3.5, 3.5))}])
    loads = [
        ("district", write(frame(DISTRICT), tmp_path, "district", "geojson")),
        ("streets", write(frame(STREETS), tmp_path, "streets", "shp")),              # Shapefile folder
        ("communities", write(frame(COMMUNITIES), tmp_path, "communities", "zip")),  # zipped Shapefile
        ("grids", write(frame(GRIDS), tmp_path, "grids", "gpkg")),                   # GeoPackage
        ("cameras", cameras_csv(tmp_path)),                                          # CSV with 经度/纬度
        ("crews", write(crews, tmp_path, "crews", "geojson")),
    ]
    heads = [next(load_file(layer, path, engine=scratch_engine).lines()) for layer, path in loads]

    assert heads[0].startswith("loaded 1 district (1 inserted, 0 updated)")
    assert heads[3].startswith("loaded 6 grids (6 inserted, 0 updated)")
    assert heads[4].startswith("loaded 20 cameras (20 inserted, 0 updated)")
    assert counts(scratch_engine) == {"districts": 1, "streets": 2, "communities": 3, "grids": 6,
                                      "departments": 1, "cameras": 20, "crews": 2}
    assert rows(scratch_engine, "SELECT code, district_code FROM streets ORDER BY code") == [
        ("S01", "D370299"), ("S02", "D370299")]
    assert rows(scratch_engine, "SELECT code, street_code, kind FROM communities ORDER BY code") == [
        ("C01", "S01", "社区"), ("C02", "S02", "村"), ("C03", "S02", "社区")]
    assert dict(rows(scratch_engine, "SELECT code, community_code FROM grids")) == GRID_OF_COMMUNITY
    assert rows(scratch_engine, "SELECT worker_name, worker_phone FROM grids WHERE code = 'G02'") == [
        ("网格员2", "13800000002")]
    assert dict(rows(scratch_engine, "SELECT code, grid_code FROM cameras")) == {
        code: grid for code, _, grid in camera_points()}                      # CAM019 on the edge → G01
    assert rows(scratch_engine, "SELECT DISTINCT kind FROM cameras") == [("枪机",)]
    assert rows(scratch_engine, "SELECT name FROM cameras WHERE code = 'CAM001'") == [("摄像头CAM001",)]
    assert rows(scratch_engine, """SELECT code, department_code, kind, status, members, ST_Equals(home_geom, geom)
                                   FROM crews ORDER BY code""") == [
        ("GAJ-01", "gaj", "巡逻警组", "en_route", 3, True), ("GAJ-02", "gaj", "其他", "available", 1, True)]
    for table, kind in [("districts", "ST_MultiPolygon"), ("streets", "ST_MultiPolygon"),
                        ("communities", "ST_MultiPolygon"), ("grids", "ST_MultiPolygon"),
                        ("cameras", "ST_Point"), ("crews", "ST_Point")]:
        assert rows(scratch_engine, f"SELECT DISTINCT ST_GeometryType(geom), ST_SRID(geom) FROM {table}") == [
            (kind, 4326)]


def test_reloading_the_same_file_is_idempotent(scratch_engine, tmp_path):
    load_hierarchy(scratch_engine, tmp_path / "first", upto="cameras")
    before = snapshot(scratch_engine)

    grids = load_file("grids", write(frame(GRIDS), tmp_path / "again", "grids", "geojson"), engine=scratch_engine)
    cameras = load_file("cameras", cameras_csv(tmp_path / "again"), engine=scratch_engine)

    assert next(grids.lines()).startswith("loaded 6 grids (0 inserted, 6 updated)")
    assert (cameras.inserted, cameras.updated) == (0, 20)
    assert snapshot(scratch_engine) == before


def test_cgcs2000_shapefile_with_chinese_field_names_lands_in_place(scratch_engine, tmp_path):
    # A delivery as it comes: metres in CGCS2000 / 3-degree GK CM 120E, GBK field names, and no .cpg saying so.
    e0, n0 = 527345.678, 3996789.012
    def gk_square(x0, y0, x1, y1):
        return Polygon([(e0 + x0, n0 + y0), (e0 + x1, n0 + y0), (e0 + x1, n0 + y1), (e0 + x0, n0 + y1)])
    district = frame([{"区县编码": "370299", "区县名称": "示范区", "geometry": gk_square(0, 0, 4000, 4000)}], crs=4549)
    streets = frame([{"街道编码": "370299001", "街道名称": "西街道", "区县编码": "370299",
                      "geometry": gk_square(0, 0, 2000, 4000)},
                     {"街道编码": "370299002", "街道名称": "东街道", "区县编码": "370299",
                      "geometry": gk_square(2000, 0, 4000, 4000)}], crs=4549)
    district_shp = write(district, tmp_path, "district", "shp", encoding="GBK")
    (district_shp / "district.cpg").unlink()
    streets_shp = write(streets, tmp_path, "streets", "shp", encoding="GBK")
    (streets_shp / "streets.prj").unlink()          # no CRS declared: --crs gives it

    load_file("district", district_shp, engine=scratch_engine)
    load_file("streets", streets_shp, crs="EPSG:4549", engine=scratch_engine)

    assert rows(scratch_engine, "SELECT code, name FROM districts") == [("370299", "示范区")]
    assert rows(scratch_engine, "SELECT code, name, district_code FROM streets ORDER BY code") == [
        ("370299001", "西街道", "370299"), ("370299002", "东街道", "370299")]
    to_wgs84 = Transformer.from_crs(4549, 4326, always_xy=True)
    lon, lat = to_wgs84.transform(e0, n0)
    assert abs(lon - 120.30) < 0.01 and abs(lat - 36.10) < 0.01      # the made-up place, near Qingdao
    assert nearest_vertex_m(scratch_engine, "districts", "370299", lon, lat) < 1.0
    lon, lat = to_wgs84.transform(e0 + 2000, n0 + 4000)
    assert nearest_vertex_m(scratch_engine, "streets", "370299002", lon, lat) < 1.0


def test_crs_gcj02_undoes_the_amap_offset(scratch_engine, tmp_path):
    # An AMap-style boundary: GCJ-02 lon/lat, no code field (the file is named by its adcode), split in two parts.
    def as_amap_draws_it(polygon: Polygon) -> Polygon:
        return Polygon(list(zip(*wgs84_to_gcj02(*polygon.exterior.xy))))
    halves = [as_amap_draws_it(square(0, 0, 2, 4)), as_amap_draws_it(square(2, 0, 4, 4))]
    path = write(frame([{"name": "示范区", "geometry": half} for half in halves]), tmp_path, "370299", "geojson")

    load_file("district", path, crs="gcj02", engine=scratch_engine)

    assert rows(scratch_engine, "SELECT code, name, ST_NumGeometries(geom) FROM districts") == [("370299", "示范区", 1)]
    for gx, gy in (halves[0].exterior.coords[0], halves[1].exterior.coords[2]):
        expected_lon, expected_lat = gcj02_to_wgs84(gx, gy)
        assert nearest_vertex_m(scratch_engine, "districts", "370299", float(expected_lon), float(expected_lat)) < 0.5
        assert nearest_vertex_m(scratch_engine, "districts", "370299", gx, gy) > 100     # it did move off GCJ-02


# ------------------------------------------------------------------------------------------------ refusals

GOOD_NEW_GRID = {"code": "G-NEW", "name": "新网格", "geometry": square(0.1, 0.1, 0.6, 0.6)}
GOOD_NEW_CAMERA = {"code": "CAM-NEW", "geometry": Point(at(0.3, 0.3))}
REJECTIONS = [
    # (what, layer, features — each file also holds one good new feature —, expected problem line)
    ("duplicate code", "grids",
     [GRIDS[0], {**GRIDS[0], "name": "again"}], "G01: duplicate code (features 1, 2 of the file)"),
    ("missing code", "grids",
     [{"code": None, "geometry": square(0.2, 0.2, 0.4, 0.4)}], "feature 1: missing code"),
    ("empty geometry", "grids", [{"code": "G-EMPTY", "geometry": Polygon()}], "G-EMPTY: empty geometry"),
    ("non-polygon", "grids",
     [{"code": "G-LINE", "geometry": LineString([at(0.1, 0.1), at(0.9, 0.9)])}], "G-LINE: not a polygon (LineString)"),
    ("outside the district", "grids",
     [{"code": "G-OUT", "geometry": square(3.5, 0, 4.5, 1)}], "G-OUT: 50.0% of its area lies outside the district (at most 1% may)"),
    ("grid in no community", "grids",
     [{"code": "G-PARK", "geometry": square(1, 3.2, 2, 3.8)}], "G-PARK: lies in no community"),
    ("unknown parent code", "grids",
     [{"code": "G-ORPHAN", "community_code": "C99", "geometry": square(0.2, 0.2, 0.4, 0.4)}],
     "G-ORPHAN: community 'C99' does not exist"),
    ("point in no grid", "cameras", [{"code": "CAM-PARK", "geometry": Point(at(2, 3.5))}], "CAM-PARK: lies in no grid"),
    ("point outside the district", "cameras",
     [{"code": "CAM-FAR", "geometry": Point(at(5, 5))}], "CAM-FAR: outside the district"),
    ("non-point", "cameras", [{"code": "CAM-AREA", "geometry": square(0.2, 0.2, 0.4, 0.4)}],
     "CAM-AREA: not a point (Polygon)"),
]


def test_every_refusal_names_the_feature_and_changes_nothing(scratch_engine, tmp_path):
    load_hierarchy(scratch_engine, tmp_path / "base", upto="cameras")
    before = snapshot(scratch_engine)
    for n, (what, layer, bad, expected) in enumerate(REJECTIONS):
        good = GOOD_NEW_GRID if layer == "grids" else GOOD_NEW_CAMERA
        path = write(frame([*bad, good]), tmp_path / f"case{n}", layer, "geojson")
        with pytest.raises(LoadRejected) as refused:
            load_file(layer, path, engine=scratch_engine)
        assert expected in refused.value.problems, f"{what}: {refused.value.problems}"
        assert snapshot(scratch_engine) == before, f"{what}: the database changed"


def test_nothing_loads_before_a_district(scratch_engine, tmp_path):
    with pytest.raises(LoadRejected) as refused:
        load_file("streets", write(frame(STREETS), tmp_path, "streets", "geojson"), engine=scratch_engine)
    [line] = refused.value.problems
    assert line.startswith("no district loaded yet, so S01, S02 cannot be placed")
    assert set(counts(scratch_engine).values()) == {0}


def test_skip_bad_loads_the_good_and_lists_the_bad(scratch_engine, tmp_path):
    load_hierarchy(scratch_engine, tmp_path / "base", upto="communities")
    bad = [{"code": "G01", "geometry": square(0.1, 0.1, 0.2, 0.2)},                 # second G01
           {"code": "G-OUT", "geometry": square(3.5, 0, 4.5, 1)}]
    path = write(frame([*GRIDS, *bad]), tmp_path / "grids", "grids", "geojson")

    report = load_file("grids", path, skip_bad=True, engine=scratch_engine)

    lines = list(report.lines())
    assert lines[0].startswith("loaded 5 grids (5 inserted, 0 updated)") and lines[0].endswith("; skipped 3")
    assert "  skipped G01: duplicate code (features 1, 7 of the file)" in lines
    assert "  skipped G-OUT: 50.0% of its area lies outside the district (at most 1% may)" in lines
    assert rows(scratch_engine, "SELECT code FROM grids ORDER BY code") == [(f"G0{n}",) for n in range(2, 7)]


def test_bow_tie_polygon_is_repaired_and_reported(scratch_engine, tmp_path):
    load_hierarchy(scratch_engine, tmp_path / "base", upto="communities")
    bow_tie = Polygon([at(0.2, 0.2), at(0.8, 0.8), at(0.8, 0.2), at(0.2, 0.8)])
    assert not bow_tie.is_valid
    path = write(frame([*GRIDS, {"code": "G-BOW", "name": "蝴蝶", "geometry": bow_tie}]), tmp_path, "grids", "gpkg")

    lines = list(load_file("grids", path, engine=scratch_engine).lines())

    assert lines[0].startswith("loaded 7 grids (7 inserted, 0 updated)") and lines[0].endswith("; repaired 1")
    assert lines[1].startswith("  repaired G-BOW: Self-intersection[")
    assert rows(scratch_engine, """SELECT community_code, ST_IsValid(geom), ST_NumGeometries(geom)
                                   FROM grids WHERE code = 'G-BOW'""") == [("C01", True, 2)]


def test_unreadable_input_is_refused_with_the_file_or_field_named(engine, tmp_path):
    # Refused while reading, before the database is asked anything.
    garbage = tmp_path / "broken.geojson"
    garbage.write_text("{not json")
    streets = write(frame(STREETS), tmp_path, "streets", "geojson")
    with warnings.catch_warnings():         # pyogrio warns about writing no CRS: that is the point here
        warnings.simplefilter("ignore", UserWarning)
        metres = write(frame([{"code": "D", "geometry": Polygon([(527000, 3996000), (531000, 3996000),
                                                                  (531000, 4000000)])}], crs=None), tmp_path, "m", "shp")
    cases = [
        (dict(layer="district", path=tmp_path / "missing.geojson"), f"{tmp_path / 'missing.geojson'}: no such file"),
        (dict(layer="district", path=garbage), f"{garbage}: cannot read"),
        (dict(layer="streets", path=streets, id_field="街道编码"), f"{streets}: no field '街道编码' (given by --id-field)"),
        (dict(layer="streets", path=streets, crs="EPSG:999999"), f"{streets}: unknown CRS 'EPSG:999999'"),
        (dict(layer="district", path=metres), f"{metres}: coordinates read as EPSG:4326 are not longitude/latitude"),
    ]
    for kwargs, expected in cases:
        with pytest.raises(LoadRejected) as refused:
            load_file(kwargs.pop("layer"), kwargs.pop("path"), engine=engine, **kwargs)
        assert any(line.startswith(expected) for line in refused.value.problems), refused.value.problems


def test_command_line_exit_status_and_messages(scratch_url, tmp_path):
    env = {**os.environ, "DATABASE_URL": scratch_url}
    district = write(frame(DISTRICT), tmp_path, "district", "geojson")
    streets = write(frame([*STREETS, STREETS[0]]), tmp_path, "streets", "geojson")

    def etl_load(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "etl", "load", *args], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=60)

    ok = etl_load("district", str(district))
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith("loaded 1 district (1 inserted, 0 updated)")

    refused = etl_load("streets", str(streets), "--id-field", "code")
    assert refused.returncode == 1
    assert refused.stderr.splitlines() == ["error: S01: duplicate code (features 1, 3 of the file)",
                                           f"error: {streets}: nothing loaded (1 problem(s))"]
