"""SQL of the live simulator (wired in simulation/cli.py): where requests come from, crews' places, and the
simulator's own tickets (marked ``source_ref = 'simulate:<seed>'``, as the history marks ``history:<seed>``)."""
from __future__ import annotations

from sqlalchemy import Connection, text

from workorders.states import OPEN_STATES

MARK_PREFIX = "simulate:"
# Outdoor spots drawn in each grid cell (seeded, so the same database gives the same pool).
OUTDOOR_POINTS_PER_GRID = 4


def report_places(conn: Connection, seed: int) -> list[dict]:
    """Every grid cell with its grid worker, and the spots a request can come from inside it: the numbered
    buildings of the gazetteer (with their address) and a few random outdoor points. Stable order."""
    grids = [dict(r) for r in conn.execute(text("""
        SELECT g.code AS grid_code, g.name AS grid_name, g.worker_name, c.name AS community_name,
               c.kind AS community_kind, ST_Area(g.geom::geography) AS area_m2
        FROM grids g JOIN communities c ON c.code = g.community_code ORDER BY g.code""")).mappings()]
    spots: dict[str, dict[str, list]] = {g["grid_code"]: {"building": [], "outdoor": []} for g in grids}
    for r in conn.execute(text("""
            SELECT grid_code, name, ST_X(geom) AS lon, ST_Y(geom) AS lat FROM places
            WHERE kind = 'building' AND grid_code IS NOT NULL ORDER BY grid_code, id""")).mappings():
        spots[r["grid_code"]]["building"].append((r["lon"], r["lat"], r["name"]))
    # ST_GeneratePoints with a seed is repeatable; the seed is offset per cell so cells do not share patterns.
    for r in conn.execute(text("""
            SELECT g.code AS grid_code, ST_X(p.geom) AS lon, ST_Y(p.geom) AS lat
            FROM (SELECT code, geom, row_number() OVER (ORDER BY code) AS n FROM grids) g
            CROSS JOIN LATERAL ST_Dump(ST_GeneratePoints(g.geom, :n, (:seed + g.n)::int)) p
            ORDER BY g.code, p.path"""), {"n": OUTDOOR_POINTS_PER_GRID, "seed": seed % 1_000_000}).mappings():
        spots[r["grid_code"]]["outdoor"].append((r["lon"], r["lat"], None))
    for g in grids:
        g.update(spots[g["grid_code"]])
    return grids


def elder_homes(conn: Connection) -> list[dict]:
    """Registered one-key-phone elders (一键通): their homes are where elder_phone requests come from."""
    return [dict(r) for r in conn.execute(text("""
        SELECT device_id, elder_name, phone, address, ST_X(geom) AS lon, ST_Y(geom) AS lat
        FROM elder_devices ORDER BY device_id""")).mappings()]


def crew_places(conn: Connection, codes: list[str]) -> dict[str, dict]:
    """Name, status, current position and home of each crew."""
    rows = conn.execute(text("""
        SELECT code, name, status, department_code, ST_X(geom) AS lon, ST_Y(geom) AS lat,
               ST_X(home_geom) AS home_lon, ST_Y(home_geom) AS home_lat
        FROM crews WHERE code = ANY(:codes)"""), {"codes": list(codes)})
    return {r["code"]: dict(r) for r in rows.mappings()}


def unfinished_simulated_tickets(conn: Connection, limit: int = 2000) -> list[dict]:
    """The simulator's tickets still in progress (open, or resolved and waiting for the citizen) with what it needs
    to carry them on: a restarted simulator finishes them, so no crew stays en route for ever. Those holding a crew
    come first (they free it), then the rest, oldest first."""
    rows = conn.execute(text("""
        SELECT number, category_code, ST_X(geom) AS lon, ST_Y(geom) AS lat, citizen_phone, crew_code,
               evaluation_token, reopened_count
        FROM tickets WHERE source_ref LIKE :p AND state = ANY(:states)
        ORDER BY (crew_code IS NOT NULL AND state = ANY(:holding)) DESC, registered_at LIMIT :n"""),
        {"p": MARK_PREFIX + "%", "states": sorted(OPEN_STATES | {"resolved", "evaluated"}),
         "holding": ["dispatched", "accepted", "on_site", "escalated"], "n": limit})
    return [dict(r) for r in rows.mappings()]


def ticket_states(conn: Connection, numbers: list[str]) -> dict[str, tuple[str, str | None]]:
    """number → (state, crew_code): one round trip to see whether a person acted on tickets left to them."""
    rows = conn.execute(text("SELECT number, state, crew_code FROM tickets WHERE number = ANY(:n)"),
                        {"n": list(numbers)})
    return {r.number: (r.state, r.crew_code) for r in rows}
