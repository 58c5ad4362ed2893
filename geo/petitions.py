"""SQL of petitions (信访案件) and police stations (派出所), migration 0026: the cases with their links to work orders and
mediation cases, the figures read from them, the stations' areas (unions of grid cells) and the police crews."""
from __future__ import annotations

import json
from typing import Any, Iterable, Sequence

from sqlalchemy import Connection, text

PETITION_COLUMNS = """p.id, p.number, p.petitioner, p.phone, p.kind, p.issue, p.level, p.skipped_level, p.channel,
    p.grid_code, p.street_code, p.lawyer, p.outcome, p.received_at, p.closed_at, p.source, s.name AS street,
    g.name AS grid,
    ARRAY(SELECT t.number FROM petition_tickets pt JOIN tickets t ON t.id = pt.ticket_id
          WHERE pt.petition_id = p.id ORDER BY t.number) AS ticket_numbers,
    ARRAY(SELECT d.number FROM petition_disputes pd JOIN disputes d ON d.id = pd.dispute_id
          WHERE pd.petition_id = p.id ORDER BY d.number) AS dispute_numbers"""
PETITION_FROM = """petitions p LEFT JOIN streets s ON s.code = p.street_code LEFT JOIN grids g ON g.code = p.grid_code"""
FILTERS = {"street": "p.street_code = :street", "kind": "p.kind = :kind", "level": "p.level = :level",
           "outcome": "p.outcome = :outcome", "open": "p.outcome IS NULL", "skipped": "p.skipped_level",
           "number": "p.number = :number", "source": "p.source = :source"}
FLAGS = ("open", "skipped")


def _where(filters: dict[str, Any]) -> tuple[str, dict]:
    given = {k: v for k, v in filters.items() if v not in (None, "", False)}
    clauses = [FILTERS[k] for k in given]
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", {k: v for k, v in given.items() if k not in FLAGS}


# ------------------------------------------------------------------------------------------------ petitions

def has_petitions(conn: Connection) -> bool:
    return bool(conn.execute(text("SELECT EXISTS (SELECT 1 FROM petitions)")).scalar())


def insert_petition(conn: Connection, row: dict) -> str:
    """One petition with its links, numbered here: ``X`` + the local day received + a running count."""
    petition_id, number = conn.execute(text("""
        INSERT INTO petitions (number, petitioner, phone, kind, issue, level, skipped_level, channel, grid_code,
                               street_code, lawyer, outcome, received_at, closed_at, source, created_by)
        SELECT 'X' || to_char(CAST(:received_at AS timestamptz) AT TIME ZONE 'Asia/Shanghai', 'YYYYMMDD') || '-' ||
               lpad(nextval('petitions_number_seq')::text, 6, '0'),
               :petitioner, :phone, :kind, :issue, :level, :skipped_level, :channel, :grid_code, c.street_code,
               :lawyer, :outcome, :received_at, :closed_at, :source, :created_by
        FROM grids g JOIN communities c ON c.code = g.community_code WHERE g.code = :grid_code
        RETURNING id, number"""), row).one()
    link_tickets(conn, {petition_id: row.get("ticket_ids") or []})
    if row.get("dispute_ids"):
        conn.execute(text("""INSERT INTO petition_disputes (petition_id, dispute_id)
                             SELECT :p, unnest(CAST(:ids AS bigint[])) ON CONFLICT DO NOTHING"""),
                     {"p": petition_id, "ids": list(row["dispute_ids"])})
    return number


def ids_of_tickets(conn: Connection, numbers: Iterable[str]) -> dict[str, int]:
    return dict(conn.execute(text("SELECT number, id FROM tickets WHERE number = ANY(:n)"),
                             {"n": list(numbers)}).all())


def ids_of_disputes(conn: Connection, numbers: Iterable[str]) -> dict[str, int]:
    return dict(conn.execute(text("SELECT number, id FROM disputes WHERE number = ANY(:n)"),
                             {"n": list(numbers)}).all())


def known_grids(conn: Connection, codes: Iterable[str]) -> set[str]:
    return set(conn.scalars(text("SELECT code FROM grids WHERE code = ANY(:c)"), {"c": list(codes)}))


def list_petitions(conn: Connection, filters: dict[str, Any], limit: int = 50, offset: int = 0) -> list[dict]:
    where, params = _where(filters)
    return [dict(r) for r in conn.execute(text(f"""
        SELECT {PETITION_COLUMNS} FROM {PETITION_FROM}{where}
        ORDER BY p.outcome IS NOT NULL, p.received_at DESC, p.id DESC LIMIT :limit OFFSET :offset"""),
        {**params, "limit": limit, "offset": offset}).mappings()]


def open_points(conn: Connection, filters: dict[str, Any], limit: int = 2000) -> list[dict]:
    """Open petitions of the filters at their grid cell's centre (the place a petition is about; no address)."""
    where, params = _where({**filters, "open": True, "outcome": None})
    return [dict(r) for r in conn.execute(text(f"""
        SELECT p.number, p.kind, p.level, p.skipped_level, p.grid_code, s.name AS street,
               ST_X(ST_PointOnSurface(g.geom)) AS lon, ST_Y(ST_PointOnSurface(g.geom)) AS lat
        FROM {PETITION_FROM}{where} ORDER BY p.received_at DESC, p.id DESC LIMIT :n"""),
        {**params, "n": limit}).mappings()]


def counts(conn: Connection, filters: dict[str, Any], lawyer_kinds: Sequence[str]) -> dict:
    """How many petitions by outcome (None: open) and by level, how many skipped a level, had a lawyer, of
    the kinds that need one, or link a work order."""
    where, params = _where(filters)
    by_outcome = {r.outcome: r.n for r in conn.execute(text(
        f"SELECT p.outcome, count(*) AS n FROM petitions p{where} GROUP BY p.outcome"), params)}
    by_level = {r.level: r.n for r in conn.execute(text(
        f"SELECT p.level, count(*) AS n FROM petitions p{where} GROUP BY p.level"), params)}
    row = conn.execute(text(f"""
        SELECT count(*) FILTER (WHERE p.skipped_level) AS skipped,
               count(*) FILTER (WHERE p.lawyer IS NOT NULL) AS lawyer,
               count(*) FILTER (WHERE p.kind = ANY(:lawyer_kinds)) AS lawyer_kinds,
               count(*) FILTER (WHERE EXISTS (SELECT 1 FROM petition_tickets pt WHERE pt.petition_id = p.id))
                   AS with_tickets
        FROM petitions p{where}"""), {**params, "lawyer_kinds": list(lawyer_kinds)}).mappings().one()
    return {"by_outcome": by_outcome, "by_level": by_level, **dict(row)}


def counts_by_street(conn: Connection, resolved: Sequence[str]) -> list[dict]:
    return [dict(r) for r in conn.execute(text("""
        SELECT s.code, s.name, count(p.id) AS cases, count(p.id) FILTER (WHERE p.outcome IS NULL) AS open,
               count(p.id) FILTER (WHERE p.outcome = ANY(:resolved)) AS resolved,
               count(p.id) FILTER (WHERE p.outcome IS NOT NULL) AS closed,
               count(p.id) FILTER (WHERE p.skipped_level) AS skipped,
               count(p.id) FILTER (WHERE p.lawyer IS NOT NULL) AS lawyer
        FROM streets s LEFT JOIN petitions p ON p.street_code = s.code GROUP BY s.code, s.name ORDER BY s.code"""),
        {"resolved": list(resolved)}).mappings()]


def close_petition(conn: Connection, number: str, outcome: str, at) -> bool:
    return conn.execute(text("""UPDATE petitions SET outcome = :o, closed_at = :at
                                WHERE number = :n AND outcome IS NULL"""),
                        {"n": number, "o": outcome, "at": at}).rowcount == 1


def export_rows(conn: Connection, filters: dict[str, Any]) -> list[dict]:
    where, params = _where(filters)
    return [dict(r) for r in conn.execute(text(f"""
        SELECT {PETITION_COLUMNS} FROM {PETITION_FROM}{where} ORDER BY p.received_at, p.id"""), params).mappings()]


def seed_links(conn: Connection) -> dict[str, list[int]]:
    """Per street: ids of the mediation cases that did not end in agreement — what a seeded petition may have
    grown from (its work orders are linked once there are tickets: unlinked_skipped, origin_candidates)."""
    disputes: dict[str, list[int]] = {}
    for r in conn.execute(text("""SELECT street_code, id FROM disputes WHERE outcome IN ('未成功', '转诉讼')
                                  ORDER BY street_code, id""")):
        disputes.setdefault(r.street_code, []).append(r.id)
    return disputes


def unlinked_skipped(conn: Connection, source: str) -> list[dict]:
    """The 越级上访 of ``source`` that link no work order, with their community (from their grid cell)."""
    return [dict(r) for r in conn.execute(text("""
        SELECT p.id, p.number, p.kind, p.issue, p.grid_code, g.community_code, p.received_at
        FROM petitions p JOIN grids g ON g.code = p.grid_code
        WHERE p.source = :source AND p.skipped_level
          AND NOT EXISTS (SELECT 1 FROM petition_tickets pt WHERE pt.petition_id = p.id)
        ORDER BY p.id"""), {"source": source}).mappings()]


def origin_candidates(conn: Connection, categories: dict[int, Sequence[str]],
                      states: Sequence[str]) -> dict[int, list[dict]]:
    """Per petition id: the tickets of its community, of one of its ``categories`` and in one of ``states``,
    registered before the petition was received (``id``, ``number``, ``grid_code``, ``category_code``,
    ``registered_at``)."""
    rows = [{"id": int(pid), "categories": list(cats)} for pid, cats in categories.items()]
    out: dict[int, list[dict]] = {pid: [] for pid in categories}
    for r in conn.execute(text("""
            SELECT q.id AS petition_id, t.id, t.number, t.grid_code, t.category_code, t.registered_at
            FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS q(id bigint, categories text[])
            JOIN petitions p ON p.id = q.id
            JOIN grids g ON g.code = p.grid_code
            JOIN tickets t ON t.community_code = g.community_code AND t.category_code = ANY(q.categories)
                          AND t.registered_at < p.received_at AND t.state = ANY(:states)
            ORDER BY q.id, t.registered_at, t.id"""),
            {"rows": json.dumps(rows), "states": list(states)}).mappings():
        out[r["petition_id"]].append({k: r[k] for k in ("id", "number", "grid_code", "category_code", "registered_at")})
    return out


def link_tickets(conn: Connection, links: dict[int, Sequence[int]]) -> int:
    """Petition → ticket links (ids); those already there are left as they are. Returns the links written."""
    pairs = [(int(p), int(t)) for p, ids in links.items() for t in ids]
    if not pairs:
        return 0
    return conn.execute(text("""
        INSERT INTO petition_tickets (petition_id, ticket_id)
        SELECT * FROM unnest(CAST(:p AS bigint[]), CAST(:t AS bigint[])) ON CONFLICT DO NOTHING"""),
        {"p": [p for p, _ in pairs], "t": [t for _, t in pairs]}).rowcount


def reference_rows(conn: Connection) -> dict[str, list[dict]]:
    """What the seed stands on: streets (with their cells and the streets they border) and grids."""
    streets = [dict(r) for r in conn.execute(text("""
        SELECT s.code, s.name,
               ARRAY(SELECT g.code FROM grids g JOIN communities c ON c.code = g.community_code
                     WHERE c.street_code = s.code ORDER BY g.code) AS grid_codes,
               ARRAY(SELECT o.code FROM streets o WHERE o.code <> s.code
                     AND ST_Length(ST_Intersection(ST_Boundary(o.geom), ST_Boundary(s.geom))::geography) > 50
                     ORDER BY o.code) AS neighbours
        FROM streets s ORDER BY s.code""")).mappings()]
    grids = [dict(r) for r in conn.execute(text("""
        SELECT g.code, c.street_code, ST_X(ST_PointOnSurface(g.geom)) AS lon, ST_Y(ST_PointOnSurface(g.geom)) AS lat
        FROM grids g JOIN communities c ON c.code = g.community_code ORDER BY g.code""")).mappings()]
    return {"streets": streets, "grids": grids}


# ------------------------------------------------------------------------------------------------ police stations

def has_stations(conn: Connection) -> bool:
    return bool(conn.execute(text("SELECT EXISTS (SELECT 1 FROM police_stations)")).scalar())


def insert_stations(conn: Connection, rows: Sequence[dict]) -> None:
    """Stations with their area: the union of their cells, made in PostGIS and closed by ±1e-6° (≈ 0.1 m):
    neighbouring cells share their edges only to a few nanodegrees, which leaves slivers and stray parts in a
    plain union."""
    for row in rows:
        conn.execute(text("""
            INSERT INTO police_stations (code, name, street_codes, grid_codes, phone, geom)
            SELECT :code, :name, CAST(:street_codes AS text[]), CAST(:grid_codes AS text[]), :phone,
                   ST_Multi(ST_CollectionExtract(ST_MakeValid(ST_Buffer(ST_Buffer(ST_Union(g.geom), 0.000001, 'join=mitre'),
                                                                          -0.000001, 'join=mitre')), 3))
            FROM grids g WHERE g.code = ANY(:grid_codes)"""), dict(row))


def count_police_crews(conn: Connection, kind: str) -> int:
    return int(conn.execute(text("SELECT count(*) FROM crews WHERE kind = :k"), {"k": kind}).scalar())


def insert_police_crews(conn: Connection, rows: Sequence[dict]) -> None:
    conn.execute(text("""
        INSERT INTO crews (code, name, department_code, kind, grid_code, members, status, home_geom, geom, station_code)
        VALUES (:code, :name, :department_code, :kind, NULL, :members, :status,
                ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), ST_SetSRID(ST_MakePoint(:lon, :lat), 4326),
                :station_code)"""), list(rows))


def assign_stations(conn: Connection, department: str) -> int:
    """Police crews without a station get the station whose area holds their home."""
    return conn.execute(text("""
        UPDATE crews w SET station_code = s.code FROM police_stations s
        WHERE w.department_code = :d AND w.station_code IS NULL AND ST_Covers(s.geom, w.home_geom)"""),
        {"d": department}).rowcount


def stations(conn: Connection, unit_kind: str, auxiliary_kind: str) -> list[dict]:
    """Every station with its streets, cells, police units and auxiliary police (how many, how many on duty)."""
    return [dict(r) for r in conn.execute(text("""
        SELECT s.code, s.name, s.phone, cardinality(s.grid_codes) AS grids,
               ARRAY(SELECT st.name FROM streets st WHERE st.code = ANY(s.street_codes) ORDER BY st.code) AS streets,
               count(w.code) FILTER (WHERE w.kind = :unit) AS units,
               count(w.code) FILTER (WHERE w.kind = :unit AND w.status = 'available') AS units_available,
               count(w.code) FILTER (WHERE w.kind = :aux) AS auxiliary,
               count(w.code) FILTER (WHERE w.kind NOT IN (:unit, :aux)) AS other_police
        FROM police_stations s LEFT JOIN crews w ON w.station_code = s.code
        GROUP BY s.code ORDER BY s.code"""), {"unit": unit_kind, "aux": auxiliary_kind}).mappings()]


def station_outlines(conn: Connection) -> list[dict]:
    rows = conn.execute(text("""SELECT code, name, ST_AsGeoJSON(geom, 6) AS outline,
                                       ST_X(ST_PointOnSurface(geom)) AS lon, ST_Y(ST_PointOnSurface(geom)) AS lat
                                FROM police_stations ORDER BY code""")).mappings()
    return [{**dict(r), "outline": json.loads(r["outline"])} for r in rows]
