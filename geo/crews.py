"""SQL of crews: status and position."""
from __future__ import annotations

from sqlalchemy import Connection, text


def set_crew_status(conn: Connection, code: str, status: str) -> bool:
    return conn.execute(text("UPDATE crews SET status = :s WHERE code = :c"), {"s": status, "c": code}).rowcount == 1


def crew_exists(conn: Connection, code: str) -> bool:
    return bool(known_crews(conn, [code]))


def crew_units(conn: Connection, code: str) -> dict | None:
    """The crew's department and grid (what a right over the crew is checked against), or None: no such crew."""
    row = conn.execute(text("SELECT code, department_code, grid_code FROM crews WHERE code = :code"),
                       {"code": code}).mappings().first()
    return dict(row) if row else None


def known_crews(conn: Connection, codes: list[str]) -> set[str]:
    return set(conn.execute(text("SELECT code FROM crews WHERE code = ANY(:c)"), {"c": list(codes)}).scalars())


def store_positions(conn: Connection, rows: list[dict]) -> int:
    """Append track points and move each crew's current position to its newest one."""
    if not rows:
        return 0
    conn.execute(text("""
        INSERT INTO crew_tracks (crew_code, at, speed_kmh, geom)
        VALUES (:crew, :at, :speed, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326))"""), rows)
    newest: dict[str, dict] = {}
    for row in rows:
        if row["crew"] not in newest or row["at"] >= newest[row["crew"]]["at"]:
            newest[row["crew"]] = row
    conn.execute(text("UPDATE crews SET geom = ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) WHERE code = :crew"),
                 list(newest.values()))
    return len(rows)


def live_crews(conn: Connection) -> list[dict]:
    """Crews for the live layer (position from PostGIS; the caller overlays the latest from Redis)."""
    return [dict(r) for r in conn.execute(text("""
        SELECT w.code, w.name, w.kind, w.status, w.department_code, d.name AS department, w.grid_code,
               ST_X(w.geom) AS lon, ST_Y(w.geom) AS lat
        FROM crews w JOIN departments d ON d.code = w.department_code ORDER BY w.code""")).mappings()]


def nearest_crews(conn: Connection, lon: float, lat: float, departments: list[str], grid_code: str | None,
                  limit: int = 6) -> list[dict]:
    """Crews able to take a ticket (its departments' crews, or the cell's own grid worker), nearest first.

    KNN on the GiST index picks candidates in degrees; exact metres on the spheroid order them.
    """
    rows = conn.execute(text("""
        WITH here AS (SELECT ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) AS p),
        candidates AS (
            SELECT w.code, w.name, w.kind, w.status, w.department_code, w.grid_code,
                   ST_X(w.geom) AS lon, ST_Y(w.geom) AS lat,
                   ST_Distance(w.geom::geography, here.p::geography) AS metres
            FROM crews w, here
            WHERE w.status = 'available'
              AND (w.department_code = ANY(:deps) OR w.grid_code = :grid)
            ORDER BY w.geom <-> here.p LIMIT :n * 4)
        SELECT c.*, d.name AS department, s.name AS station FROM candidates c
        JOIN departments d ON d.code = c.department_code
        LEFT JOIN crews w ON w.code = c.code LEFT JOIN police_stations s ON s.code = w.station_code
        ORDER BY c.metres LIMIT :n"""), {"lon": lon, "lat": lat, "deps": departments, "grid": grid_code, "n": limit})
    return [dict(r) for r in rows.mappings()]


def nearest_cameras(conn: Connection, lon: float, lat: float, limit: int = 5) -> list[dict]:
    return [dict(r) for r in conn.execute(text("""
        WITH here AS (SELECT ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) AS p),
        candidates AS (   -- KNN in degrees picks candidates; exact metres order them (a degree of lon is shorter)
            SELECT k.code, k.kind, k.grid_code, ST_Distance(k.geom::geography, here.p::geography) AS metres
            FROM cameras k, here ORDER BY k.geom <-> here.p LIMIT :n * 4)
        SELECT * FROM candidates ORDER BY metres LIMIT :n"""),
        {"lon": lon, "lat": lat, "n": limit}).mappings()]
