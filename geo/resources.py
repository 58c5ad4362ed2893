"""SQL of social forces (migration 0025): resources and the grid cells they cover, coverage gaps, the counts by
street, and the elders of the one-key phones (the registry of geo/devices.py, read here by place)."""
from __future__ import annotations

import json
from typing import Any, Iterable, Sequence

from sqlalchemy import Connection, text

RESOURCE_COLUMNS = """r.id, r.code, r.kind, r.name, r.street_code, r.community_code, r.members, r.leader, r.phone,
    r.note, r.source, r.updated_at, s.name AS street, c.name AS community,
    ARRAY(SELECT rg.grid_code FROM social_resource_grids rg WHERE rg.resource_id = r.id ORDER BY rg.grid_code)
        AS grid_codes"""
RESOURCE_FROM = """social_resources r LEFT JOIN streets s ON s.code = r.street_code
    LEFT JOIN communities c ON c.code = r.community_code"""
FILTERS = {"street": "r.street_code = :street", "community": "r.community_code = :community",
           "kinds": "r.kind = ANY(:kinds)", "code": "r.code = :code", "source": "r.source = :source",
           "grid": "EXISTS (SELECT 1 FROM social_resource_grids rg WHERE rg.resource_id = r.id AND rg.grid_code = :grid)"}
ELDER_FILTERS = {"street": "c.street_code = :street", "community": "g.community_code = :community",
                 "grid": "d.grid_code = :grid"}
ELDER_FROM = """elder_devices d JOIN grids g ON g.code = d.grid_code JOIN communities c ON c.code = g.community_code
    JOIN streets s ON s.code = c.street_code"""


def _where(filters: dict[str, Any], known: dict[str, str]) -> tuple[str, dict]:
    given = {k: v for k, v in filters.items() if v not in (None, "", (), [])}
    clauses = [known[k] for k in given]
    params = {k: list(v) if isinstance(v, (tuple, set)) else v for k, v in given.items()}
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


# ------------------------------------------------------------------------------------------------ writing

def has_resources(conn: Connection) -> bool:
    return bool(conn.execute(text("SELECT EXISTS (SELECT 1 FROM social_resources)")).scalar())


def insert_resources_bulk(conn: Connection, rows: Sequence[dict]) -> int:
    """Many resources in two statements (the seed): the rows, then their covered cells; codes come numbered."""
    if not rows:
        return 0
    fields = ("code", "kind", "name", "street_code", "community_code", "members", "leader", "phone", "note",
              "source", "created_by", "updated_at")
    arrays = {f: [r.get(f) for r in rows] for f in fields}
    ids = dict(conn.execute(text("""
        INSERT INTO social_resources (code, kind, name, street_code, community_code, members, leader, phone, note,
                                      source, created_by, updated_at)
        SELECT * FROM unnest(CAST(:code AS text[]), CAST(:kind AS text[]), CAST(:name AS text[]),
                             CAST(:street_code AS text[]), CAST(:community_code AS text[]), CAST(:members AS int[]),
                             CAST(:leader AS text[]), CAST(:phone AS text[]), CAST(:note AS text[]),
                             CAST(:source AS text[]), CAST(:created_by AS text[]), CAST(:updated_at AS timestamptz[]))
        RETURNING code, id"""), arrays).all())
    pairs = [(ids[r["code"]], g) for r in rows for g in r["grid_codes"]]
    conn.execute(text("""INSERT INTO social_resource_grids (resource_id, grid_code)
                         SELECT * FROM unnest(CAST(:ids AS bigint[]), CAST(:grids AS text[]))"""),
                 {"ids": [p[0] for p in pairs], "grids": [p[1] for p in pairs]})
    conn.execute(text("SELECT setval('social_resources_code_seq', :n)"), {"n": len(rows)})
    return len(rows)


def insert_resource(conn: Connection, row: dict) -> str:
    """One resource (a form, an import row); numbered here: its group's prefix + the next running count."""
    resource_id, code = conn.execute(text("""
        INSERT INTO social_resources (code, kind, name, street_code, community_code, members, leader, phone, note,
                                      source, created_by, updated_at)
        VALUES (:prefix || lpad(nextval('social_resources_code_seq')::text, 5, '0'), :kind, :name, :street_code,
                :community_code, :members, :leader, :phone, :note, :source, :created_by, :updated_at)
        RETURNING id, code"""), row).one()
    replace_grids(conn, resource_id, row["grid_codes"])
    return code


def update_resource(conn: Connection, resource_id: int, row: dict) -> None:
    conn.execute(text("""
        UPDATE social_resources SET kind = :kind, name = :name, street_code = :street_code,
               community_code = :community_code, members = :members, leader = :leader, phone = :phone, note = :note,
               updated_at = :updated_at WHERE id = :id"""), {**row, "id": resource_id})
    replace_grids(conn, resource_id, row["grid_codes"])


def replace_grids(conn: Connection, resource_id: int, grid_codes: Sequence[str]) -> None:
    conn.execute(text("DELETE FROM social_resource_grids WHERE resource_id = :id"), {"id": resource_id})
    conn.execute(text("""INSERT INTO social_resource_grids (resource_id, grid_code)
                         SELECT :id, unnest(CAST(:grids AS text[]))"""), {"id": resource_id, "grids": list(grid_codes)})


def resources_by_codes(conn: Connection, codes: Iterable[str]) -> dict[str, dict]:
    rows = conn.execute(text(f"SELECT {RESOURCE_COLUMNS} FROM {RESOURCE_FROM} WHERE r.code = ANY(:codes)"),
                        {"codes": list(codes)}).mappings()
    return {r["code"]: dict(r) for r in rows}


def grid_units(conn: Connection, grid_codes: Iterable[str]) -> dict[str, dict]:
    """The street and community of each existing grid among ``grid_codes`` (a missing code is not a key)."""
    rows = conn.execute(text("""SELECT g.code, g.community_code, c.street_code FROM grids g
        JOIN communities c ON c.code = g.community_code WHERE g.code = ANY(:codes)"""), {"codes": list(grid_codes)})
    return {r.code: {"community_code": r.community_code, "street_code": r.street_code} for r in rows}


# ------------------------------------------------------------------------------------------------ reading

def list_resources(conn: Connection, filters: dict[str, Any], limit: int = 50, offset: int = 0) -> list[dict]:
    where, params = _where(filters, FILTERS)
    return [dict(r) for r in conn.execute(text(f"""
        SELECT {RESOURCE_COLUMNS} FROM {RESOURCE_FROM}{where}
        ORDER BY r.id LIMIT :limit OFFSET :offset"""),
        {**params, "limit": limit, "offset": offset}).mappings()]


def kind_counts(conn: Connection, filters: dict[str, Any]) -> dict[str, dict]:
    """Per kind: how many resources and how many people in them."""
    where, params = _where(filters, FILTERS)
    return {r.kind: {"count": r.n, "members": int(r.members)} for r in conn.execute(text(
        f"SELECT r.kind, count(*) AS n, sum(r.members) AS members FROM social_resources r{where} GROUP BY r.kind"),
        params)}


def counts_by_street(conn: Connection, kinds: Sequence[str], patrol: str, volunteers: str) -> list[dict]:
    """Per street: resources of each kind (``kind_<i>`` in the order of ``kinds``), volunteers in teams, elders on
    the registry, and its grid cells without a patrol post or a volunteer team."""
    per_kind = ", ".join(f"count(r.id) FILTER (WHERE r.kind = :k{i}) AS kind_{i}" for i in range(len(kinds)))
    params = {f"k{i}": k for i, k in enumerate(kinds)}
    return [dict(r) for r in conn.execute(text(f"""
        WITH per_street AS (
            SELECT r.street_code, {per_kind},
                   coalesce(sum(r.members) FILTER (WHERE r.kind = :volunteers), 0) AS volunteer_members
            FROM social_resources r GROUP BY r.street_code),
        elders AS (
            SELECT c.street_code, count(*) AS elders FROM elder_devices d JOIN grids g ON g.code = d.grid_code
            JOIN communities c ON c.code = g.community_code GROUP BY c.street_code),
        gaps AS ({_COVERAGE})
        SELECT s.code, s.name, {", ".join(f"coalesce(p.kind_{i}, 0) AS kind_{i}" for i in range(len(kinds)))},
               coalesce(p.volunteer_members, 0) AS volunteer_members, coalesce(e.elders, 0) AS elders,
               (SELECT count(*) FROM gaps WHERE gaps.street_code = s.code
                   AND NOT (gaps.has_patrol AND gaps.has_volunteers)) AS gap_grids,
               (SELECT count(*) FROM gaps WHERE gaps.street_code = s.code) AS grids
        FROM streets s LEFT JOIN per_street p ON p.street_code = s.code LEFT JOIN elders e ON e.street_code = s.code
        ORDER BY s.code"""), {**params, "patrol": patrol, "volunteers": volunteers}).mappings()]


# Every grid cell with whether a patrol post and a volunteer team cover it.
_COVERAGE = """
    SELECT g.code, g.name, g.community_code, c.street_code,
           EXISTS (SELECT 1 FROM social_resource_grids rg JOIN social_resources r ON r.id = rg.resource_id
                   WHERE rg.grid_code = g.code AND r.kind = :patrol) AS has_patrol,
           EXISTS (SELECT 1 FROM social_resource_grids rg JOIN social_resources r ON r.id = rg.resource_id
                   WHERE rg.grid_code = g.code AND r.kind = :volunteers) AS has_volunteers
    FROM grids g JOIN communities c ON c.code = g.community_code"""


def coverage_gaps(conn: Connection, patrol: str, volunteers: str, street: str | None = None,
                  community: str | None = None) -> list[dict]:
    """The grid cells that lack a patrol post or a volunteer team (or both), with their outline as GeoJSON."""
    rows = conn.execute(text(f"""
        WITH cover AS ({_COVERAGE})
        SELECT cover.*, s.name AS street, cm.name AS community, ST_AsGeoJSON(g.geom, 6) AS outline
        FROM cover JOIN grids g ON g.code = cover.code JOIN streets s ON s.code = cover.street_code
        JOIN communities cm ON cm.code = cover.community_code
        WHERE NOT (cover.has_patrol AND cover.has_volunteers)
          AND (CAST(:street AS text) IS NULL OR cover.street_code = :street)
          AND (CAST(:community AS text) IS NULL OR cover.community_code = :community)
        ORDER BY cover.code"""), {"patrol": patrol, "volunteers": volunteers, "street": street,
                                  "community": community}).mappings()
    return [{**dict(r), "outline": json.loads(r["outline"])} for r in rows]


def export_rows(conn: Connection, filters: dict[str, Any]) -> list[dict]:
    where, params = _where(filters, FILTERS)
    return [dict(r) for r in conn.execute(text(f"""
        SELECT {RESOURCE_COLUMNS} FROM {RESOURCE_FROM}{where} ORDER BY r.code"""), params).mappings()]


def reference_rows(conn: Connection) -> dict[str, list[dict]]:
    """What the seed stands on: streets, communities (with how dense they are) and grids, in code order."""
    return {name: [dict(r) for r in conn.execute(text(sql)).mappings()] for name, sql in {
        "streets": "SELECT code, name FROM streets ORDER BY code",
        "communities": """SELECT c.code, c.name, c.street_code, c.kind, count(g.code) AS grids
                          FROM communities c JOIN grids g ON g.community_code = c.code
                          GROUP BY c.code ORDER BY c.code""",
        "grids": """SELECT g.code, g.community_code, ST_X(ST_PointOnSurface(g.geom)) AS lon,
                           ST_Y(ST_PointOnSurface(g.geom)) AS lat FROM grids g ORDER BY g.code"""}.items()}


# ------------------------------------------------------------------------------------------------ elders

def list_elders(conn: Connection, filters: dict[str, Any], limit: int = 50, offset: int = 0) -> list[dict]:
    where, params = _where(filters, ELDER_FILTERS)
    return [dict(r) for r in conn.execute(text(f"""
        SELECT d.device_id, d.elder_name, d.phone, d.address, d.contact_name, d.contact_phone, d.grid_code,
               g.name AS grid, g.community_code, c.name AS community, c.street_code, s.name AS street
        FROM {ELDER_FROM}{where} ORDER BY c.street_code, d.grid_code, d.device_id LIMIT :limit OFFSET :offset"""),
        {**params, "limit": limit, "offset": offset}).mappings()]


def count_elders(conn: Connection, filters: dict[str, Any]) -> int:
    where, params = _where(filters, ELDER_FILTERS)
    return int(conn.execute(text(f"SELECT count(*) FROM {ELDER_FROM}{where}"), params).scalar())


def devices_without_contact(conn: Connection) -> list[str]:
    return list(conn.scalars(text("SELECT device_id FROM elder_devices WHERE contact_name IS NULL ORDER BY device_id")))


def set_contacts(conn: Connection, rows: Sequence[dict]) -> None:
    """Contacts for devices registered without one (``device_id``, ``contact_name``, ``contact_phone``)."""
    if rows:
        conn.execute(text("""UPDATE elder_devices SET contact_name = :contact_name, contact_phone = :contact_phone
                             WHERE device_id = :device_id AND contact_name IS NULL"""), list(rows))


def grid_choices(conn: Connection, street: str | None = None, community: str | None = None) -> list[dict]:
    """Grid cells a form may cover (code, name, community), within a street or a community when given."""
    return [dict(r) for r in conn.execute(text("""
        SELECT g.code, g.name, c.name AS community FROM grids g JOIN communities c ON c.code = g.community_code
        WHERE (CAST(:street AS text) IS NULL OR c.street_code = :street)
          AND (CAST(:community AS text) IS NULL OR g.community_code = :community)
        ORDER BY g.code"""), {"street": street, "community": community}).mappings()]
