"""Reads behind the map and its panel, against the Tiedong test database."""
from __future__ import annotations

from sqlalchemy import text

from geo.crews import nearest_cameras, nearest_crews
from geo.devices import places_of_points
from geo.grids import place_at, places_at
from geo.intake_reference import point_context
from geo.queries import grid_at, grid_detail, map_data
from geo.tickets import place_of_point


def test_map_data_holds_every_layer(engine):
    with engine.connect() as conn:
        data = map_data(conn)
    assert len(data.grids) == 932 and len(data.cameras) == 11_000 and len(data.streets) == 14
    assert data.grids["cameras"].sum() == 11_000
    minx, miny, maxx, maxy = data.bounds
    assert 122.8 < minx < maxx < 123.3 and 40.9 < miny < maxy < 41.2


def test_a_point_on_a_shared_edge_belongs_to_exactly_one_grid(engine, shared_edge_point):
    a, b, lon, lat = shared_edge_point
    with engine.connect() as conn:
        assert grid_at(conn, lon, lat) == min(a, b)
        assert grid_at(conn, 0.0, 0.0) is None


def test_every_reader_of_a_points_grid_follows_the_one_rule(engine, shared_edge_point):
    a, b, lon, lat = shared_edge_point
    with engine.connect() as conn:
        smaller = min(a, b)
        place = place_at(conn, lon, lat)
        assert place["grid_code"] == smaller and place["street_name"].endswith("街道")
        assert place_of_point(conn, lon, lat) == {k: place[k] for k in ("grid_code", "community_code", "street_code")}
        assert point_context(conn, lon, lat)["grid_code"] == smaller
        assert [p and p["grid_code"] for p in places_of_points(conn, [(lon, lat), (0.0, 0.0)])] == [smaller, None]
        assert places_at(conn, [(lon, lat)], ("grid_code",)) == [{"grid_code": smaller}]
        stored = conn.execute(text("""
            SELECT count(*) FILTER (WHERE k.grid_code IS DISTINCT FROM (SELECT grid_code FROM grid_at(k.geom))),
                   count(*)
            FROM cameras k""")).one()
    assert stored == (0, 11_000)     # the generator's own (shapely) placement agrees with grid_at


def test_the_point_lookup_is_served_by_the_grids_gist_index(engine):
    # grid_at must stay inlinable (SQL, STABLE, not STRICT): then the planner sees the grids scan and uses the index.
    with engine.connect() as conn:
        plan = "\n".join(conn.execute(text("""
            EXPLAIN SELECT grid_code FROM grid_at(ST_SetSRID(ST_MakePoint(122.99, 41.10), 4326))""")).scalars())
    assert "idx_grids_geom" in plan, plan


def test_grid_detail_and_the_crews_and_cameras_nearest_to_it(engine):
    with engine.connect() as conn:
        code, lon, lat = conn.execute(text("""
            SELECT g.code, ST_X(ST_PointOnSurface(g.geom)), ST_Y(ST_PointOnSurface(g.geom))
            FROM grids g JOIN cameras k ON k.grid_code = g.code
            GROUP BY g.code ORDER BY count(*) DESC, g.code LIMIT 1""")).one()
        detail = grid_detail(conn, code)
        assert grid_detail(conn, "NO-SUCH-GRID") is None
        departments = list(conn.execute(text("SELECT code FROM departments WHERE code <> 'grid'")).scalars())
        crews = nearest_crews(conn, lon, lat, departments, None)
        cameras = nearest_cameras(conn, lon, lat)
    assert detail["code"] == code and detail["camera_count"] > 0
    assert detail["street"].endswith("街道") and detail["worker_phone"]
    distances = [c["metres"] for c in crews]
    assert distances == sorted(distances) and len(distances) == 6
    assert all(c["status"] == "available" and c["grid_code"] is None for c in crews)
    assert [c["metres"] for c in cameras] == sorted(c["metres"] for c in cameras) and len(cameras) == 5
    assert [c["name"] for c in detail["grid_crews"]] == [f"网格员{detail['worker_name']}"]
