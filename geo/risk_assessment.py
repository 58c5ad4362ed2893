"""SQL of stability risk assessment (migration 0021): projects with their area, their risk factors, and what lies
inside an area (grids, their open work orders and open mediation cases, counted by PostGIS)."""
from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, text

OPEN_TICKET = "t.state NOT IN ('closed', 'merged', 'refused', 'resolved', 'evaluated')"
PROJECT_COLUMNS = """p.id, p.number, p.name, p.kind, p.street_code, s.name AS street, p.grid_codes, p.methods, p.level,
    p.decision, p.outcome, p.assessed_on, p.source, (SELECT count(*) FROM risk_factors f WHERE f.project_id = p.id)
    AS factors"""
PROJECT_FROM = "risk_projects p LEFT JOIN streets s ON s.code = p.street_code"
FILTERS = {"street": "p.street_code = :street", "level": "p.level = :level", "decision": "p.decision = :decision",
           "number": "p.number = :number", "source": "p.source = :source", "year": "extract(year FROM p.assessed_on) = :year"}


def has_projects(conn: Connection) -> bool:
    return bool(conn.execute(text("SELECT EXISTS (SELECT 1 FROM risk_projects)")).scalar())


def _where(filters: dict[str, Any]) -> tuple[str, dict]:
    used = {k: v for k, v in filters.items() if v not in (None, "")}
    return (" WHERE " + " AND ".join(FILTERS[k] for k in used)) if used else "", used


def grid_streets(conn: Connection, grid_codes: list[str]) -> dict[str, str]:
    """Each known grid of ``grid_codes`` with its street (unknown codes are missing from the answer)."""
    return {r.code: r.street_code for r in conn.execute(text("""
        SELECT g.code, c.street_code FROM grids g JOIN communities c ON c.code = g.community_code
        WHERE g.code = ANY(:codes)"""), {"codes": list(grid_codes)})}


def insert_project(conn: Connection, project: dict, factors: list[dict]) -> str:
    """One project, its area the union of its grid cells, numbered ``R`` + the assessment year + a running count;
    then its factors in order. Returns the number."""
    row = conn.execute(text("""
        INSERT INTO risk_projects (number, name, kind, street_code, grid_codes, geom, methods, level, decision, outcome,
                                   assessed_on, source, created_by)
        SELECT 'R' || to_char(CAST(:assessed_on AS date), 'YYYY') || '-' ||
               lpad(nextval('risk_projects_number_seq')::text, 5, '0'),
               :name, :kind, :street_code, CAST(:grid_codes AS varchar[]),
               ST_Multi(ST_UnaryUnion(ST_Collect(g.geom))), CAST(:methods AS text[]), :level, :decision, :outcome,
               :assessed_on, :source, :created_by
        FROM grids g WHERE g.code = ANY(CAST(:grid_codes AS varchar[]))
        RETURNING id, number"""), project).one()
    if factors:
        conn.execute(text("""INSERT INTO risk_factors (project_id, position, factor, analysis, measures)
                             VALUES (:project_id, :position, :factor, :analysis, :measures)"""),
                     [{**f, "project_id": row.id, "position": i + 1} for i, f in enumerate(factors)])
    return row.number


def list_projects(conn: Connection, filters: dict[str, Any], limit: int = 100, offset: int = 0) -> list[dict]:
    where, params = _where(filters)
    return [dict(r) for r in conn.execute(text(f"""
        SELECT {PROJECT_COLUMNS} FROM {PROJECT_FROM}{where}
        ORDER BY p.assessed_on DESC, p.id DESC LIMIT :limit OFFSET :offset"""),
        {**params, "limit": limit, "offset": offset}).mappings()]


def level_counts(conn: Connection, filters: dict[str, Any]) -> dict[str, int]:
    where, params = _where(filters)
    return {r.level: r.n for r in conn.execute(text(
        f"SELECT p.level, count(*) AS n FROM risk_projects p{where} GROUP BY p.level"), params)}


def decision_counts(conn: Connection, filters: dict[str, Any]) -> dict[str, int]:
    where, params = _where(filters)
    return {r.decision: r.n for r in conn.execute(text(
        f"SELECT p.decision, count(*) AS n FROM risk_projects p{where} GROUP BY p.decision"), params)}


def projects_per_year(conn: Connection) -> dict[int, int]:
    return {int(r.year): r.n for r in conn.execute(text(
        "SELECT extract(year FROM assessed_on) AS year, count(*) AS n FROM risk_projects GROUP BY 1 ORDER BY 1"))}


def project(conn: Connection, number: str) -> dict | None:
    row = conn.execute(text(f"""SELECT {PROJECT_COLUMNS}, ST_AsGeoJSON(p.geom, 6) AS area
        FROM {PROJECT_FROM} WHERE p.number = :n"""), {"n": number}).mappings().first()
    if row is None:
        return None
    out = dict(row)
    out["area"] = json.loads(out["area"])
    out["factor_rows"] = [dict(r) for r in conn.execute(text("""
        SELECT position, factor, analysis, measures FROM risk_factors WHERE project_id = :p ORDER BY position"""),
        {"p": out["id"]}).mappings()]
    return out


def set_outcome(conn: Connection, project_id: int, outcome: str) -> None:
    conn.execute(text("UPDATE risk_projects SET outcome = :o WHERE id = :p"), {"o": outcome, "p": project_id})


def grids_in_area(conn: Connection, project_id: int) -> list[dict]:
    """The grids inside the project's area (more than half of the cell: neighbours that only touch it or overlap
    by a sliver are not), each with its open work orders (their points inside the cell) and open mediation cases,
    and the cell's outline as GeoJSON."""
    return [dict(r, outline=json.loads(r["outline"])) for r in conn.execute(text(f"""
        SELECT g.code, g.name, ST_AsGeoJSON(g.geom, 6) AS outline,
               ST_X(ST_PointOnSurface(g.geom)) AS lon, ST_Y(ST_PointOnSurface(g.geom)) AS lat,
               (SELECT count(*) FROM tickets t WHERE ST_Intersects(t.geom, g.geom) AND {OPEN_TICKET}) AS open_tickets,
               (SELECT count(*) FROM disputes d WHERE d.grid_code = g.code AND d.outcome IS NULL) AS open_disputes
        FROM risk_projects p JOIN grids g ON ST_Intersects(g.geom, p.geom)
        WHERE p.id = :p AND ST_Area(ST_Intersection(g.geom, p.geom)) > 0.5 * ST_Area(g.geom) ORDER BY g.code"""), {"p": project_id}).mappings()]


def export_rows(conn: Connection, filters: dict[str, Any]) -> list[dict]:
    where, params = _where(filters)
    return [dict(r) for r in conn.execute(text(f"""
        SELECT {PROJECT_COLUMNS},
               (SELECT string_agg(f.factor || '：' || coalesce(f.analysis, '') || '：' || coalesce(f.measures, ''),
                                  '；' ORDER BY f.position) FROM risk_factors f WHERE f.project_id = p.id) AS factor_text
        FROM {PROJECT_FROM}{where} ORDER BY p.assessed_on, p.id"""), params).mappings()]


def street_grids(conn: Connection) -> dict[str, list[str]]:
    """Each street's grid codes, in code order (the seed draws project areas from them)."""
    out: dict[str, list[str]] = {}
    for r in conn.execute(text("""SELECT c.street_code, g.code FROM grids g JOIN communities c ON c.code = g.community_code
                                  ORDER BY g.code""")):
        out.setdefault(r.street_code, []).append(r.code)
    return out


def streets(conn: Connection) -> list[dict]:
    return [dict(r) for r in conn.execute(text("SELECT code, name FROM streets ORDER BY code")).mappings()]


def adjacent_grids(conn: Connection, grid_code: str, limit: int) -> list[str]:
    """``grid_code`` and the nearest cells of the same street (a compact area of a few cells)."""
    return [r[0] for r in conn.execute(text("""
        SELECT g.code FROM grids g JOIN communities c ON c.code = g.community_code,
             grids o JOIN communities oc ON oc.code = o.community_code
        WHERE o.code = :g AND c.street_code = oc.street_code
        ORDER BY ST_Distance(ST_Centroid(g.geom), ST_Centroid(o.geom)), g.code LIMIT :n"""),
        {"g": grid_code, "n": limit})]
