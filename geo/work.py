"""SQL of the handling unit's workplace (/work): its queues with counts, one queue's rows by deadline, the unit's
crews (for 转派), and a fingerprint of what the page shows (the page refreshes only when it changes).

The queues' rules are workorders/work.py's; each is one SQL condition here, so a count and its rows never differ.
``scope`` is policy.ticket_scope's (None: every ticket; see geo.tickets.SCOPE_CLAUSES)."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, text

from geo.ticket_search import number_or_address
from geo.tickets import _scope_clause
from workorders import work as rules


def _in(states: tuple[str, ...]) -> str:
    return "(" + ", ".join(f"'{s}'" for s in states) + ")"


ARRIVAL_PENDING = "(t.arrival_due_at IS NOT NULL AND t.on_site_at IS NULL)"
LATE = f"(t.resolve_due_at <= :now OR ({ARRIVAL_PENDING} AND t.arrival_due_at <= :now))"
HELD = f"t.state IN {_in(rules.HELD_STATES)}"
QUEUE_CLAUSES: dict[str, str] = {
    "incoming": f"(t.state IN {_in(rules.INCOMING_STATES)} AND t.accepted_at IS NULL)",
    "working": f"t.state IN {_in(rules.WORKING_STATES)}",
    "due_soon": f"({HELD} AND NOT {LATE} AND (t.resolve_due_at <= :soon"
                f" OR ({ARRIVAL_PENDING} AND t.arrival_due_at <= :soon)))",
    "overdue": f"({HELD} AND {LATE})",
    "done": f"(t.state IN {_in(rules.DONE_STATES)} AND t.resolved_at >= :since)",
}
assert set(QUEUE_CLAUSES) == set(rules.QUEUES)
# Everything any queue can hold: the one filter the counts and the fingerprint read through.
ANY_QUEUE = f"({HELD} OR {QUEUE_CLAUSES['done']})"
DEADLINE = f"CASE WHEN {ARRIVAL_PENDING} THEN t.arrival_due_at ELSE t.resolve_due_at END"
ORDERS = {"done": "t.resolved_at DESC, t.id DESC"}       # the others: the deadline they race against, soonest first

ROW_COLUMNS = """
    t.id, t.number, t.category_code, c.name AS category_name, t.address, t.grid_code, g.name AS grid_name,
    t.community_code, cm.name AS community_name, t.street_code, s.name AS street_name, t.lead_department_code,
    d.name AS lead_department_name, t.co_department_codes, t.state, t.priority, t.escalation_level, t.crew_code,
    w.name AS crew_name, t.registered_at, t.dispatched_at, t.accepted_at, t.on_site_at, t.resolved_at,
    t.arrival_due_at, t.resolve_due_at, t.updated_at"""
ROW_FROM = """
    FROM tickets t JOIN categories c ON c.code = t.category_code JOIN grids g ON g.code = t.grid_code
    JOIN communities cm ON cm.code = t.community_code JOIN streets s ON s.code = t.street_code
    JOIN departments d ON d.code = t.lead_department_code LEFT JOIN crews w ON w.code = t.crew_code"""


def _params(now: datetime) -> dict[str, Any]:
    return {"now": now, "soon": now + rules.DUE_SOON, "since": now - timedelta(days=rules.DONE_DAYS)}


def _scoped(scope: dict[str, set[str]] | None) -> tuple[str, dict]:
    if scope is None:
        return "true", {}
    return _scope_clause(scope)


def _count_row(conn: Connection, scope: dict[str, set[str]] | None, now: datetime) -> dict:
    where, params = _scoped(scope)
    counts = ", ".join(f"count(*) FILTER (WHERE {clause}) AS {key}" for key, clause in QUEUE_CLAUSES.items())
    return dict(conn.execute(text(f"""SELECT {counts}, count(*) AS total, max(t.updated_at) AS latest
                                      FROM tickets t WHERE {where} AND {ANY_QUEUE}"""),
                             {**params, **_params(now)}).mappings().one())


def queue_counts(conn: Connection, scope: dict[str, set[str]] | None, now: datetime) -> dict[str, int]:
    """How many tickets each queue holds now (one scan of the unit's tickets)."""
    row = _count_row(conn, scope, now)
    return {key: int(row[key]) for key in QUEUE_CLAUSES}


def queue_rows(conn: Connection, scope: dict[str, set[str]] | None, queue: str, now: datetime,
               limit: int, find: str | None = None) -> list[dict]:
    """One queue's tickets, by the deadline each races against (已办结: the latest resolved first); with ``find``
    only those whose number or address holds it (a queue longer than ``limit`` shows its first rows only)."""
    where, params = _scoped(scope)
    found, found_params = number_or_address(find)
    order = ORDERS.get(queue, f"{DEADLINE} ASC, t.id ASC")
    sql = f"""SELECT {ROW_COLUMNS} {ROW_FROM} WHERE {where} AND {QUEUE_CLAUSES[queue]} AND {found}
              ORDER BY {order} LIMIT :limit"""
    return [dict(r) for r in conn.execute(text(sql), {**params, **found_params, **_params(now), "limit": limit})
            .mappings()]


def queue_state(conn: Connection, scope: dict[str, set[str]] | None, now: datetime) -> tuple[dict[str, int], str]:
    """The counts, and a fingerprint that changes whenever a ticket of the queues changes or moves between them
    (the counts and the newest change), from the one scan."""
    row = _count_row(conn, scope, now)
    counts = {key: int(row[key]) for key in QUEUE_CLAUSES}
    latest = row["latest"].isoformat() if row["latest"] else ""
    return counts, f"{row['total']}|{latest}|" + ",".join(str(v) for v in counts.values())


# ------------------------------------------------------------------------------------------------ crews

# A unit's own crews: a department's crews; a street's or community's grid workers and auxiliary police (the
# crews based in its grids: a grid worker by its grid, the others by the grid of their home point).
CREW_SCOPE_CLAUSES = {
    "department": "w.department_code = ANY(:crew_department)",
    "street": "(w.kind = ANY(:place_kinds) AND p.street_code = ANY(:crew_street))",
    "community": "(w.kind = ANY(:place_kinds) AND p.community_code = ANY(:crew_community))",
}
CREW_FROM = """FROM crews w JOIN departments d ON d.code = w.department_code
    LEFT JOIN LATERAL (SELECT gp.community_code, gp.street_code FROM grid_places gp WHERE gp.grid_code = w.grid_code
                       UNION ALL
                       SELECT ga.community_code, ga.street_code FROM grid_at(w.home_geom) ga WHERE w.grid_code IS NULL
                       LIMIT 1) p ON true"""


def _crew_scope(scope: dict[str, set[str]] | None) -> tuple[str, dict]:
    if scope is None:
        return "true", {}
    parts = [CREW_SCOPE_CLAUSES[k] for k in sorted(scope) if k in CREW_SCOPE_CLAUSES and scope[k]]
    params: dict[str, Any] = {f"crew_{k}": sorted(v) for k, v in scope.items() if k in CREW_SCOPE_CLAUSES}
    params["place_kinds"] = list(rules.PLACE_CREW_KINDS)
    return ("(" + " OR ".join(parts) + ")" if parts else "false"), params


def unit_crews(conn: Connection, scope: dict[str, set[str]] | None, limit: int = 300) -> list[dict]:
    """The crews a unit may send (转派): available first, then by name."""
    where, params = _crew_scope(scope)
    return [dict(r) for r in conn.execute(text(f"""
        SELECT w.code, w.name, w.kind, w.status, w.department_code, d.name AS department {CREW_FROM}
        WHERE {where} ORDER BY w.status <> 'available', w.code LIMIT :limit"""), {**params, "limit": limit})
        .mappings()]


def unit_crew(conn: Connection, scope: dict[str, set[str]] | None, code: str) -> dict | None:
    """The crew ``code`` when it is one of the unit's, else None."""
    where, params = _crew_scope(scope)
    row = conn.execute(text(f"""SELECT w.code, w.name, w.kind, w.status {CREW_FROM} WHERE w.code = :code
                                AND {where}"""), {**params, "code": code}).mappings().first()
    return dict(row) if row else None
