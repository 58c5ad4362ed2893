"""Many open tickets at once for the load tests and the screenshots: one INSERT … SELECT (10,000 in about a second),
spread over the district's cells, with a realistic mix of states and of urgency. Marked by their number's prefix,
removed with ``remove``. They bypass the services on purpose (no events, no outbox): they stand for a day's load
already on the map when the page opens."""
from __future__ import annotations

from sqlalchemy import text

PREFIX = "BULK"


def add_open_tickets(engine, count: int, prefix: str = PREFIX, seed: float = 0.42) -> int:
    """``count`` open tickets: 2 % priority 1, ~0.5 % past their deadline, a third waiting for dispatch; a mix of
    the winter's commonest categories, registered over the 2–10 hours before now (a busy morning on the wall).
    Each lies in its cell (a point nudged out of the district would fall outside a map fitted to it)."""
    with engine.begin() as conn:
        conn.execute(text("SELECT setseed(:s)"), {"s": seed})
        return conn.execute(text("""
            WITH cells AS (SELECT g.code, g.community_code, c.street_code, g.geom,
                                  row_number() OVER (ORDER BY g.code) AS n, count(*) OVER () AS total
                           FROM grids g JOIN communities c ON c.code = g.community_code),
            picks AS (SELECT i, 1 + floor(random() * (SELECT max(total) FROM cells))::int AS n, random() AS r,
                             random() AS dx, random() AS dy, random() AS c, random() AS h
                      FROM generate_series(1, :count) i)
            INSERT INTO tickets (number, channel, category_code, description, geom, grid_code, community_code,
                                 street_code, priority, complexity, lead_department_code, state, registered_at,
                                 updated_at, arrival_due_at, resolve_due_at, source_ref)
            SELECT :prefix || lpad(p.i::text, 8, '0'), 'hotline',
                   (ARRAY['heating_cold', 'heating_cold', 'sanitation', 'water_leak', 'road_damage', 'streetlight',
                          'noise', 'housing_repair'])[1 + floor(p.c * 8)::int], '批量负载测试',
                   ST_ClosestPoint(c.geom, ST_Translate(ST_PointOnSurface(c.geom), (p.dx - 0.5) * 0.004, (p.dy - 0.5) * 0.003)), c.code, c.community_code, c.street_code,
                   CASE WHEN p.r < 0.02 THEN 1 ELSE 3 END, 'normal', 'hw',
                   CASE WHEN p.r < 0.35 THEN 'registered' WHEN p.r < 0.7 THEN 'dispatched' ELSE 'accepted' END,
                   now() - interval '2 hours' - p.h * interval '8 hours', now() - interval '2 hours',
                   NULL, now() + CASE WHEN p.r > 0.995 THEN interval '-1 hour' ELSE interval '2 days' END,
                   'bulk-test'
            FROM picks p JOIN cells c ON c.n = p.n"""), {"count": count, "prefix": prefix}).rowcount


def remove(engine, prefix: str = PREFIX) -> None:
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM tickets WHERE number LIKE :p"), {"p": prefix + "%"})
