"""Writes and reads of the reference tables as a whole (the generator, the loaders' bookkeeping)."""
from __future__ import annotations

from typing import Any, Iterable

from geoalchemy2.shape import from_shape
from sqlalchemy import Connection, delete, func, insert, select

from geo.models import SRID, Camera, Community, Crew, Department, District, Grid, Street

# Children before parents, so deletes never trip a foreign key.
REFERENCE_TABLES_CHILD_FIRST = (Crew, Camera, Grid, Community, Street, District, Department)
GEOMETRY_COLUMNS = ("geom", "home_geom")


def counts(conn: Connection) -> dict[str, int]:
    return {m.__tablename__: conn.scalar(select(func.count()).select_from(m)) for m in REFERENCE_TABLES_CHILD_FIRST}


def district_codes(conn: Connection) -> list[str]:
    return list(conn.scalars(select(District.code).order_by(District.code)))


def clear_reference(conn: Connection) -> None:
    for model in REFERENCE_TABLES_CHILD_FIRST:
        conn.execute(delete(model))


def insert_rows(conn: Connection, model, rows: Iterable[dict[str, Any]], batch: int = 2000) -> int:
    """Bulk insert plain dicts; shapely geometries in ``geom``/``home_geom`` become PostGIS geometries."""
    done = 0
    chunk: list[dict[str, Any]] = []
    for row in rows:
        chunk.append({k: (from_shape(v, srid=SRID) if k in GEOMETRY_COLUMNS else v) for k, v in row.items()})
        if len(chunk) >= batch:
            conn.execute(insert(model), chunk)
            done += len(chunk)
            chunk = []
    if chunk:
        conn.execute(insert(model), chunk)
        done += len(chunk)
    return done
