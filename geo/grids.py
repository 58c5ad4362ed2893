"""Where a point is: its grid, community and street, read through the SQL function ``grid_at(point)`` and the view
``grid_places`` (migration 0007), which hold the house rule once for every caller: boundary points count, a
point on an edge two grids share goes to the smaller grid code.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterable, Iterator, Sequence

from sqlalchemy import Connection, text

# The columns of grid_places a caller may ask for (they are put into SQL text).
PLACE_COLUMNS = ("grid_code", "grid_name", "community_code", "community_name", "community_kind", "street_code",
                 "street_name")


def _columns(columns: Sequence[str], alias: str) -> str:
    unknown = [c for c in columns if c not in PLACE_COLUMNS]
    if unknown or not columns:
        raise ValueError(f"grid_places has no column(s) {unknown or columns}")
    return ", ".join(f"{alias}.{c}" for c in columns)


def place_at(conn: Connection, lon: float, lat: float,
             columns: Sequence[str] = PLACE_COLUMNS) -> dict | None:
    """``columns`` of the place holding (lon, lat); None outside every grid."""
    row = conn.execute(text(f"""
        SELECT {_columns(columns, "g")} FROM grid_at(ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)) AS g"""),
        {"lon": lon, "lat": lat}).mappings().first()
    return dict(row) if row else None


def places_at(conn: Connection, points: Sequence[tuple[float, float]],
              columns: Sequence[str] = PLACE_COLUMNS) -> list[dict | None]:
    """``place_at`` for many (lon, lat) in one round trip, in their order."""
    if not points:
        return []
    with _jit_off(conn):
        rows = conn.execute(text(f"""
            SELECT g.grid_code IS NOT NULL AS found, {_columns(columns, "g")}
            FROM unnest(CAST(:lons AS float8[]), CAST(:lats AS float8[])) WITH ORDINALITY AS p(lon, lat, n)
            LEFT JOIN LATERAL grid_at(ST_SetSRID(ST_MakePoint(p.lon, p.lat), 4326)) AS g ON true
            ORDER BY p.n"""), {"lons": _array_literal(p[0] for p in points),
                               "lats": _array_literal(p[1] for p in points)})
        return [dict(zip(columns, r[1:])) if r[0] else None for r in rows]


def _array_literal(values: Iterable[float]) -> str:
    """A float8[] as one text literal: psycopg2 would write a list out as ARRAY[v1, v2, …], whose tens of thousands
    of constants the server parses and plans one by one (~90 ms for 20,000 points, a third of the lookup)."""
    return "{" + ",".join(repr(float(v)) for v in values) + "}"


@contextmanager
def _jit_off(conn: Connection) -> Iterator[None]:
    """For one batch statement: no JIT compilation. The planner's cost of a lateral lookup over thousands of
    unnested points passes jit_above_cost, and compiling then costs more than the whole lookup (measured: 50,000
    points at 17,600/s with JIT, 29,700/s without). Transaction-local, and the caller's value is put back."""
    before = conn.execute(text("SELECT current_setting('jit'), set_config('jit', 'off', true)")).scalar()
    try:
        yield
    finally:
        conn.execute(text("SELECT set_config('jit', :before, true)"), {"before": before})


def community_points(conn: Connection) -> dict[str, tuple[float, float]]:
    """Each community's representative point (inside it, as ST_PointOnSurface guarantees): where public outputs
    put a ticket that must not point at a home."""
    rows = conn.execute(text("""SELECT code, ST_X(p) AS lon, ST_Y(p) AS lat
                                FROM (SELECT code, ST_PointOnSurface(geom) AS p FROM communities) q"""))
    return {code: (lon, lat) for code, lon, lat in rows}
