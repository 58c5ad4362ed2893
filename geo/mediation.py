"""SQL of dispute mediation (migration 0020): organisations, mediators, cases, and the figures read from them."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Iterable

from sqlalchemy import Connection, text

CASE_COLUMNS = """d.id, d.number, d.kind, d.summary, d.parties, d.grid_code, d.street_code, d.community_code,
    d.org_code, o.name AS org,
    d.mediator_id, m.name AS mediator, d.sessions, d.outcome, d.agreement, d.source, d.opened_at, d.closed_at,
    t.number AS ticket_number, s.name AS street, g.name AS grid"""
CASE_FROM = """disputes d JOIN mediation_orgs o ON o.code = d.org_code LEFT JOIN mediators m ON m.id = d.mediator_id
    LEFT JOIN tickets t ON t.id = d.ticket_id LEFT JOIN streets s ON s.code = d.street_code
    LEFT JOIN grids g ON g.code = d.grid_code"""
FILTERS = {"street": "d.street_code = :street", "community": "d.community_code = :community", "kind": "d.kind = :kind",
           "org": "d.org_code = :org", "outcome": "d.outcome = :outcome", "open": "d.outcome IS NULL",
           "number": "d.number = :number", "source": "d.source = :source"}


def has_organisations(conn: Connection) -> bool:
    return bool(conn.execute(text("SELECT EXISTS (SELECT 1 FROM mediation_orgs)")).scalar())


def insert_organisations(conn: Connection, rows: list[dict]) -> None:
    conn.execute(text("""INSERT INTO mediation_orgs (code, name, level, sector, street_code, community_code)
                         VALUES (:code, :name, :level, :sector, :street_code, :community_code)"""), rows)


def insert_mediators(conn: Connection, rows: list[dict]) -> list[int]:
    conn.execute(text("INSERT INTO mediators (name, org_code, phone) VALUES (:name, :org_code, :phone)"), rows)
    return [r.id for r in conn.execute(text("SELECT id FROM mediators ORDER BY id"))]


def insert_cases(conn: Connection, rows: list[dict]) -> list[str]:
    """Cases one by one (a form, an import), numbered here: ``M`` + the local opening day + a running count; their
    numbers, in order (each row's grid must exist)."""
    statement = text("""
        INSERT INTO disputes (number, kind, summary, parties, grid_code, street_code, community_code, org_code, mediator_id,
                              sessions, outcome, agreement, ticket_id, source, opened_at, closed_at, created_by)
        SELECT 'M' || to_char(:opened_at AT TIME ZONE 'Asia/Shanghai', 'YYYYMMDD') || '-' ||
               lpad(nextval('disputes_number_seq')::text, 6, '0'),
               :kind, :summary, :parties, :grid_code, c.street_code, c.code, :org_code, :mediator_id, :sessions,
               :outcome, :agreement, :ticket_id, :source, :opened_at, :closed_at, :created_by
        FROM grids g JOIN communities c ON c.code = g.community_code
        WHERE g.code = :grid_code
        RETURNING number""")
    return [conn.execute(statement, row).scalar_one() for row in rows]


CASE_FIELDS = ("kind", "summary", "parties", "grid_code", "org_code", "mediator_id", "sessions", "outcome",
               "agreement", "source", "opened_at", "closed_at", "created_by")


def insert_cases_bulk(conn: Connection, rows: list[dict]) -> int:
    """Many cases in one statement (the seed): the same numbering, the columns passed as arrays."""
    if not rows:
        return 0
    arrays = {f: [r.get(f) for r in rows] for f in CASE_FIELDS}
    conn.execute(text("""
        INSERT INTO disputes (number, kind, summary, parties, grid_code, street_code, community_code, org_code, mediator_id,
                              sessions, outcome, agreement, source, opened_at, closed_at, created_by)
        SELECT 'M' || to_char(u.opened_at AT TIME ZONE 'Asia/Shanghai', 'YYYYMMDD') || '-' ||
               lpad(nextval('disputes_number_seq')::text, 6, '0'),
               u.kind, u.summary, u.parties, u.grid_code, c.street_code, c.code, u.org_code, u.mediator_id, u.sessions,
               u.outcome, u.agreement, u.source, u.opened_at, u.closed_at, u.created_by
        FROM unnest(CAST(:kind AS text[]), CAST(:summary AS text[]), CAST(:parties AS text[]),
                    CAST(:grid_code AS text[]), CAST(:org_code AS text[]), CAST(:mediator_id AS bigint[]),
                    CAST(:sessions AS int[]), CAST(:outcome AS text[]), CAST(:agreement AS text[]),
                    CAST(:source AS text[]), CAST(:opened_at AS timestamptz[]), CAST(:closed_at AS timestamptz[]),
                    CAST(:created_by AS text[]))
             AS u(kind, summary, parties, grid_code, org_code, mediator_id, sessions, outcome, agreement, source,
                  opened_at, closed_at, created_by)
        JOIN grids g ON g.code = u.grid_code JOIN communities c ON c.code = g.community_code
        ORDER BY u.opened_at"""), arrays)
    return len(rows)


def reference_rows(conn: Connection) -> dict[str, list[dict]]:
    """What the seed stands on: streets, communities and grids, in code order."""
    return {name: [dict(r) for r in conn.execute(text(sql)).mappings()] for name, sql in {
        "streets": "SELECT code, name FROM streets ORDER BY code",
        "communities": "SELECT code, name, street_code FROM communities ORDER BY code",
        "grids": "SELECT code, community_code FROM grids ORDER BY code"}.items()}


def known_codes(conn: Connection) -> tuple[dict[str, tuple[str, str]], set[str]]:
    """Every grid with its (street, community), and every organisation's code."""
    grids = {r.code: (r.street_code, r.community_code) for r in conn.execute(text("""
        SELECT g.code, c.street_code, g.community_code
        FROM grids g JOIN communities c ON c.code = g.community_code"""))}
    orgs = {r[0] for r in conn.execute(text("SELECT code FROM mediation_orgs"))}
    return grids, orgs


def _where(filters: dict[str, Any]) -> tuple[str, dict]:
    clauses = [FILTERS[k] for k, v in filters.items() if v not in (None, "", False)]
    params = {k: v for k, v in filters.items() if v not in (None, "", False) and k != "open"}
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def list_cases(conn: Connection, filters: dict[str, Any], limit: int = 50, offset: int = 0) -> list[dict]:
    where, params = _where(filters)
    return [dict(r) for r in conn.execute(text(f"""
        SELECT {CASE_COLUMNS} FROM {CASE_FROM}{where}
        ORDER BY d.outcome IS NOT NULL, d.opened_at DESC, d.id DESC LIMIT :limit OFFSET :offset"""),
        {**params, "limit": limit, "offset": offset}).mappings()]


def outcome_counts(conn: Connection, filters: dict[str, Any]) -> dict[str | None, int]:
    where, params = _where(filters)
    return {r.outcome: r.n for r in conn.execute(text(
        f"SELECT d.outcome, count(*) AS n FROM disputes d{where} GROUP BY d.outcome"), params)}


def kind_counts(conn: Connection, filters: dict[str, Any]) -> dict[str, int]:
    """Cases by kind, the most frequent first."""
    where, params = _where(filters)
    return {r.kind: r.n for r in conn.execute(text(
        f"SELECT d.kind, count(*) AS n FROM disputes d{where} GROUP BY d.kind ORDER BY n DESC, d.kind"), params)}


def _street_of_area(area: dict[str, Any]) -> tuple[str, dict]:
    """The streets a reader's area (``{}``, ``{"street": …}`` or ``{"community": …}``) lies in, as a clause on
    ``s.code``."""
    if area.get("street"):
        return " WHERE s.code = :street", {"street": area["street"]}
    if area.get("community"):
        return " WHERE s.code = (SELECT street_code FROM communities WHERE code = :community)", \
            {"community": area["community"]}
    return "", {}


def counts_by_street(conn: Connection, area: dict[str, Any] | None = None) -> list[dict]:
    """Each street's cases and, from its screening rounds, the disputes resolved ahead and hazards removed; within a
    reader's ``area`` only (a street's staff: their street's row; a community's: their street's row counting their
    community alone)."""
    area = area or {}
    rounds = screenings_by_street(conn, area)
    empty = {"resolved_ahead": 0, "hazards_removed": 0}
    where, params = _street_of_area(area)
    community = " AND d.community_code = :community" if area.get("community") else ""
    return [{**dict(r), **rounds.get(r["code"], empty)} for r in conn.execute(text(f"""
        SELECT s.code, s.name, count(d.id) AS cases, count(d.id) FILTER (WHERE d.outcome IS NULL) AS open,
               count(d.id) FILTER (WHERE d.outcome = '调解成功') AS success,
               count(d.id) FILTER (WHERE d.outcome IS NOT NULL) AS closed
        FROM streets s LEFT JOIN disputes d ON d.street_code = s.code{community}{where}
        GROUP BY s.code, s.name ORDER BY s.code"""), params).mappings()]


def open_case_points(conn: Connection, area: dict[str, Any] | None = None, limit: int = 5000) -> list[dict]:
    """Open cases (of a reader's ``area``) at their grid cell's centre (a dispute has no address worth mapping)."""
    where, params = _where({**(area or {}), "open": True})
    return [dict(r) for r in conn.execute(text(f"""
        SELECT d.number, d.kind, d.grid_code, ST_X(ST_PointOnSurface(g.geom)) AS lon,
               ST_Y(ST_PointOnSurface(g.geom)) AS lat
        FROM disputes d JOIN grids g ON g.code = d.grid_code{where}
        ORDER BY d.opened_at DESC LIMIT :n"""), {**params, "n": limit}).mappings()]


ORG_AREA = {"street": "o.street_code = :street",
            # a community's committee, and the sector organisations of its street
            "community": """(o.community_code = :community OR (o.community_code IS NULL AND o.street_code =
                             (SELECT street_code FROM communities WHERE code = :community)))"""}


def organisations(conn: Connection, area: dict[str, Any] | None = None) -> list[dict]:
    """The organisations of a reader's ``area`` (all for ``{}``) with their mediator counts."""
    used = {k: v for k, v in (area or {}).items() if k in ORG_AREA and v}
    where = (" WHERE " + " AND ".join(ORG_AREA[k] for k in used)) if used else ""
    return [dict(r) for r in conn.execute(text(f"""
        SELECT o.code, o.name, o.level, o.sector, o.street_code, o.community_code, count(m.id) AS mediators
        FROM mediation_orgs o LEFT JOIN mediators m ON m.org_code = o.code{where}
        GROUP BY o.code ORDER BY o.level, o.code"""), used).mappings()]


def mediators_of(conn: Connection, org_code: str) -> list[dict]:
    """An organisation's mediators, by name."""
    return [dict(r) for r in conn.execute(text("""
        SELECT id, name FROM mediators WHERE org_code = :o ORDER BY name, id"""), {"o": org_code}).mappings()]


def mediator(conn: Connection, mediator_id: int) -> dict | None:
    row = conn.execute(text("""SELECT m.id, m.name, m.org_code, o.name AS org FROM mediators m
        JOIN mediation_orgs o ON o.code = m.org_code WHERE m.id = :id"""), {"id": mediator_id}).mappings().first()
    return dict(row) if row else None


def case_of_ticket(conn: Connection, ticket_id: int) -> dict | None:
    row = conn.execute(text(f"SELECT {CASE_COLUMNS} FROM {CASE_FROM} WHERE d.ticket_id = :t"),
                       {"t": ticket_id}).mappings().first()
    return dict(row) if row else None


def street_org_of_grid(conn: Connection, grid_code: str) -> str | None:
    """The street-level organisation of the grid's community (the one a neighbour dispute goes to first)."""
    return conn.execute(text("""
        SELECT o.code FROM grids g JOIN mediation_orgs o ON o.community_code = g.community_code
        WHERE g.code = :g ORDER BY o.code LIMIT 1"""), {"g": grid_code}).scalar()


def close_case(conn: Connection, case_id: int, outcome: str, agreement: str | None, sessions: int,
               at: datetime) -> bool:
    return conn.execute(text("""
        UPDATE disputes SET outcome = :outcome, agreement = :agreement, sessions = GREATEST(sessions, :sessions),
               closed_at = :at WHERE id = :id AND outcome IS NULL"""),
        {"id": case_id, "outcome": outcome, "agreement": agreement, "sessions": sessions, "at": at}).rowcount == 1


def export_rows(conn: Connection, filters: dict[str, Any]) -> Iterable[dict]:
    where, params = _where(filters)
    return [dict(r) for r in conn.execute(text(f"""
        SELECT {CASE_COLUMNS} FROM {CASE_FROM}{where} ORDER BY d.opened_at, d.id"""), params).mappings()]


def grid_units(conn: Connection, grid_code: str) -> dict:
    row = conn.execute(text("""SELECT c.code AS community_code, c.street_code FROM grids g
        JOIN communities c ON c.code = g.community_code WHERE g.code = :g"""), {"g": grid_code}).mappings().first()
    return dict(row) if row else {"community_code": None, "street_code": None}


def mediator_ids_by_org(conn: Connection) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for r in conn.execute(text("SELECT org_code, id FROM mediators ORDER BY id")):
        out.setdefault(r.org_code, []).append(r.id)
    return out


# ------------------------------------------------------------------------------------------------ screening rounds

SCREENING_FILTERS = {"street": "r.street_code = :street", "community": "r.community_code = :community",
                     "source": "r.source = :source", "since": "r.screened_on >= :since"}


def has_screenings(conn: Connection) -> bool:
    return bool(conn.execute(text("SELECT EXISTS (SELECT 1 FROM mediation_screenings)")).scalar())


def insert_screenings(conn: Connection, rows: list[dict]) -> int:
    """Rounds with their community's street looked up here (a form or an import names the community only)."""
    if not rows:
        return 0
    conn.execute(text("""
        INSERT INTO mediation_screenings (street_code, community_code, screened_on, disputes_found, disputes_resolved,
                                          hazards_found, hazards_removed, note, source, created_by)
        SELECT c.street_code, c.code, :screened_on, :disputes_found, :disputes_resolved, :hazards_found,
               :hazards_removed, :note, :source, :created_by
        FROM communities c WHERE c.code = :community_code"""), rows)
    return len(rows)


def screening_exists(conn: Connection, community_code: str, screened_on) -> bool:
    return bool(conn.execute(text("""SELECT EXISTS (SELECT 1 FROM mediation_screenings
        WHERE community_code = :c AND screened_on = :d)"""), {"c": community_code, "d": screened_on}).scalar())


def screening_totals(conn: Connection, filters: dict[str, Any]) -> dict[str, int]:
    where, used = _screening_where(filters)
    row = conn.execute(text(f"""
        SELECT count(*) AS rounds, coalesce(sum(disputes_found), 0) AS disputes_found,
               coalesce(sum(disputes_resolved), 0) AS disputes_resolved,
               coalesce(sum(hazards_found), 0) AS hazards_found, coalesce(sum(hazards_removed), 0) AS hazards_removed
        FROM mediation_screenings r{where}"""), used).mappings().one()
    return {k: int(v) for k, v in row.items()}


def _screening_where(filters: dict[str, Any]) -> tuple[str, dict]:
    used = {k: v for k, v in filters.items() if k in SCREENING_FILTERS and v not in (None, "")}
    return (" WHERE " + " AND ".join(SCREENING_FILTERS[k] for k in used)) if used else "", used


def screenings_by_street(conn: Connection, area: dict[str, Any] | None = None) -> dict[str, dict[str, int]]:
    where, params = _screening_where(area or {})
    return {r.street_code: {"resolved_ahead": int(r.resolved), "hazards_removed": int(r.removed)}
            for r in conn.execute(text(f"""
        SELECT r.street_code, sum(r.disputes_resolved) AS resolved, sum(r.hazards_removed) AS removed
        FROM mediation_screenings r{where} GROUP BY r.street_code"""), params)}


def community_streets(conn: Connection) -> dict[str, str]:
    return {r.code: r.street_code for r in conn.execute(text("SELECT code, street_code FROM communities"))}


def screening_rows(conn: Connection, filters: dict[str, Any], latest: int | None = None) -> list[dict]:
    """The rounds ``filters`` select, oldest first (an export); with ``latest``, that many of the newest, newest
    first (the page's list)."""
    where, used = _screening_where(filters)
    order = "r.screened_on DESC, r.community_code LIMIT :latest" if latest else "r.screened_on, r.community_code"
    return [dict(r) for r in conn.execute(text(f"""
        SELECT r.community_code, c.name AS community, r.screened_on, r.disputes_found, r.disputes_resolved,
               r.hazards_found, r.hazards_removed, r.note, r.source
        FROM mediation_screenings r JOIN communities c ON c.code = r.community_code{where}
        ORDER BY {order}"""), {**used, "latest": latest}).mappings()]
