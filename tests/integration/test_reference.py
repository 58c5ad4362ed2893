"""The generated Tiedong reference data, as stored in PostGIS: counts, tiling, nesting, placement."""
from __future__ import annotations

import json

import pytest
from shapely.geometry import shape
from sqlalchemy import text

from etl.reference import DATA, load_reference, read_boundary
from geo.crs import metres_per_degree


def scalar(engine, sql: str, **params):
    with engine.connect() as conn:
        return conn.execute(text(sql), params).scalar()


def test_counts_match_the_district(engine):
    with engine.connect() as conn:
        kinds = dict(conn.execute(text("SELECT kind, count(*) FROM communities GROUP BY kind")).all())
        counts = {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar()
                  for t in ("districts", "streets", "grids", "cameras")}
        resident = conn.execute(text("SELECT count(*) FROM departments WHERE resident_in_center")).scalar()
        departments = conn.execute(text("SELECT count(*) FROM departments")).scalar()
        utilities = set(conn.execute(text("SELECT code FROM departments WHERE kind = 'utility'")).scalars())
        crews = dict(conn.execute(text("SELECT kind, count(*) FROM crews GROUP BY kind")).all())
    assert counts == {"districts": 1, "streets": 14, "grids": 932, "cameras": 11_000}
    assert kinds == {"社区": 84, "村": 6}
    assert resident == 12 and departments >= 35
    assert {"water", "gas", "power", "heat", "house"} <= utilities
    assert crews["网格员"] == 932 and crews["社区辅警"] == 90
    assert all(crews[k] > 0 for k in ("供水抢修", "燃气抢修", "电力抢修", "供热抢修", "房屋维修", "巡逻警组"))


@pytest.mark.parametrize("table", ["districts", "streets", "communities", "grids"])
def test_every_area_is_valid_and_one_piece(engine, table):
    bad = scalar(engine, f"SELECT count(*) FROM {table} WHERE NOT ST_IsValid(geom) OR ST_NumGeometries(geom) <> 1")
    assert bad == 0


@pytest.mark.parametrize("child,parent,key", [("streets", "districts", "district_code"),
                                              ("communities", "streets", "street_code"),
                                              ("grids", "communities", "community_code")])
def test_each_level_tiles_its_parent(engine, child, parent, key):
    # Areas agree within 0.1 % (no gaps, no overlaps) and every child lies inside its own parent.
    total_child = scalar(engine, f"SELECT sum(ST_Area(geom::geography)) FROM {child}")
    total_parent = scalar(engine, f"SELECT sum(ST_Area(geom::geography)) FROM {parent}")
    assert total_child == pytest.approx(total_parent, rel=1e-3)
    outside = scalar(engine, f"""
        SELECT count(*) FROM {child} c JOIN {parent} p ON p.code = c.{key}
        WHERE ST_Area(ST_Intersection(c.geom, p.geom)) < 0.999 * ST_Area(c.geom)""")
    assert outside == 0


def test_grids_do_not_overlap(engine):
    overlap = scalar(engine, """
        SELECT coalesce(sum(ST_Area(ST_Intersection(a.geom, b.geom)::geography)), 0)
        FROM grids a JOIN grids b ON a.code < b.code AND ST_Intersects(a.geom, b.geom)""")
    total = scalar(engine, "SELECT sum(ST_Area(geom::geography)) FROM grids")
    assert overlap < total * 1e-4


def test_grids_look_like_blocks_not_a_checkerboard(engine):
    with engine.connect() as conn:
        row = conn.execute(text("""
            SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY 4 * pi() * ST_Area(geom::geography)
                                                               / ST_Perimeter(geom::geography) ^ 2),
                   max(ST_Area(geom)) / min(ST_Area(geom)),
                   stddev(ST_Area(geom)) / avg(ST_Area(geom))
            FROM grids""")).one()
    compactness, size_ratio, variation = row
    assert compactness > 0.7          # a hexagon is 0.91, a square 0.79, a sliver near 0
    assert size_ratio > 10            # small blocks downtown, large cells in the hills
    assert variation > 0.5            # not a regular lattice of equal cells


def test_cameras_are_denser_where_grids_are_small(engine):
    with engine.connect() as conn:
        rows = conn.execute(text("""
            SELECT ST_Area(g.geom::geography) / 1e6 AS km2,
                   (SELECT count(*) FROM cameras c WHERE c.grid_code = g.code) AS n
            FROM grids g ORDER BY km2""")).all()
    tenth = len(rows) // 10
    dense = sum(n for _, n in rows[:tenth]) / sum(a for a, _ in rows[:tenth])
    sparse = sum(n for _, n in rows[-tenth:]) / sum(a for a, _ in rows[-tenth:])
    assert dense > 5 * sparse


def test_every_camera_lies_in_its_grid(engine):
    assert scalar(engine, """SELECT count(*) FROM cameras c JOIN grids g ON g.code = c.grid_code
                             WHERE NOT ST_Covers(g.geom, c.geom)""") == 0


def test_boundary_is_stored_in_wgs84_not_the_files_gcj02(engine):
    raw = shape(json.loads((DATA / "210302.geojson").read_text(encoding="utf-8")))
    lon = scalar(engine, "SELECT ST_X(ST_Centroid(geom)) FROM districts")
    lat = scalar(engine, "SELECT ST_Y(ST_Centroid(geom)) FROM districts")
    mx, my = metres_per_degree(lat)
    shift = ((raw.centroid.x - lon) * mx) ** 2 + ((raw.centroid.y - lat) * my) ** 2
    assert 250 < shift ** 0.5 < 700
    assert read_boundary("wgs84").equals_exact(raw, 1e-9)   # datum wgs84: taken as is


def test_loading_again_changes_nothing(engine):
    before = scalar(engine, "SELECT md5(string_agg(code || ST_AsText(geom), ',' ORDER BY code)) FROM grids")
    load_reference(engine=engine, quiet=True)
    after = scalar(engine, "SELECT md5(string_agg(code || ST_AsText(geom), ',' ORDER BY code)) FROM grids")
    assert before == after
