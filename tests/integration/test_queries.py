"""Reads behind the map and its panel, against the Tiedong test database."""
from __future__ import annotations

from sqlalchemy import text

from geo.queries import grid_at, grid_detail, map_data


def test_map_data_holds_every_layer(engine):
    with engine.connect() as conn:
        data = map_data(conn)
    assert len(data.grids) == 932 and len(data.cameras) == 11_000 and len(data.streets) == 14
    assert data.grids["cameras"].sum() == 11_000
    minx, miny, maxx, maxy = data.bounds
    assert 122.8 < minx < maxx < 123.3 and 40.9 < miny < maxy < 41.2


def test_a_point_on_a_shared_edge_belongs_to_exactly_one_grid(engine):
    with engine.connect() as conn:
        a, b, lon, lat = conn.execute(text("""
            SELECT a.code, b.code, ST_X(p), ST_Y(p) FROM grids a JOIN grids b
              ON a.code < b.code AND ST_Touches(a.geom, b.geom),
              LATERAL ST_PointN(ST_Boundary(ST_GeometryN(a.geom, 1)), 1) AS p
            WHERE ST_Covers(b.geom, p) LIMIT 1""")).one()
        assert grid_at(conn, lon, lat) == min(a, b)
        assert grid_at(conn, 0.0, 0.0) is None


def test_grid_detail_lists_cameras_and_nearest_crews(engine):
    with engine.connect() as conn:
        code = conn.execute(text("""SELECT grid_code FROM cameras GROUP BY grid_code
                                    ORDER BY count(*) DESC, grid_code LIMIT 1""")).scalar()
        detail = grid_detail(conn, code)
        assert grid_detail(conn, "NO-SUCH-GRID") is None
    assert detail["code"] == code and detail["camera_count"] >= len(detail["cameras"]) > 0
    assert detail["street"].endswith("街道") and detail["worker_phone"]
    distances = [c["metres"] for c in detail["crews"]]
    assert distances == sorted(distances) and len(distances) == 6
    assert [c["name"] for c in detail["grid_crews"]] == [f"网格员{detail['worker_name']}"]
