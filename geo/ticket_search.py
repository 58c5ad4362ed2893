"""SQL of the ticket list (/tickets, its exports, the dispatcher's queue): filters, text search, sort, paging, counts.

Text search is ``LIKE``/``ILIKE '%…%'`` (see like_operator) on the content and the typed address: exactly the
substring the person typed (a Chinese query has no word boundaries, so word-based full-text search would miss 漏水
inside 楼道漏水严重). The GIN trigram indexes of migration 0013 answer it for queries of 3 characters or more; pg_trgm takes no trigram from a
1–2 character query, so PostgreSQL then filters the rows the other conditions leave (every ticket at worst) — still
exact, measured in bench/tickets_list.py.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, text

from geo.tickets import _scope_clause

LIST_COLUMNS = """
    t.id, t.number, t.channel, t.category_code, c.name AS category_name, t.description, t.address,
    t.citizen_name, t.citizen_phone, t.street_code, s.name AS street_name, t.community_code,
    cm.name AS community_name, t.grid_code, t.lead_department_code, d.name AS lead_department_name,
    t.co_department_codes, t.crew_code, t.state, t.priority, t.escalation_level, t.returned_count,
    t.registered_at, t.dispatched_at, t.resolved_at, t.closed_at, t.arrival_due_at, t.on_site_at,
    t.resolve_due_at, t.satisfaction, ST_X(t.geom) AS lon, ST_Y(t.geom) AS lat, t.updated_at,
    ('held' = ANY(t.flags)) AS held,
    (t.resolve_due_at < coalesce(t.resolved_at, t.closed_at, :now)
     AND t.state NOT IN ('merged', 'refused')) AS overdue"""
LIST_FROM = """
    FROM tickets t JOIN categories c ON c.code = t.category_code
    JOIN communities cm ON cm.code = t.community_code JOIN streets s ON s.code = t.street_code
    JOIN departments d ON d.code = t.lead_department_code"""

# Sort keys people choose from; each ends in t.id so pages never overlap or skip rows.
SORTS: dict[str, str] = {
    "registered_desc": "t.registered_at DESC, t.id DESC",
    "registered_asc": "t.registered_at ASC, t.id ASC",
    "due_asc": "t.resolve_due_at ASC, t.id ASC",
    "escalation_desc": "t.escalation_level DESC, t.resolve_due_at ASC, t.id ASC",
    "priority_asc": "t.priority ASC, t.resolve_due_at ASC, t.id ASC",
}
DEFAULT_SORT = "registered_desc"


@dataclass(frozen=True)
class Query:
    """What a list asks for; empty fields filter nothing."""
    states: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    street: str | None = None
    community: str | None = None
    department: str | None = None
    since: date | None = None                 # registered on or after (local date, as the page's date picker)
    until: date | None = None                 # registered on or before
    overdue: bool = False
    escalated: bool = False
    satisfaction: str | None = None           # a SATISFACTION key, or "unrated" (resolved/closed, no rating)
    text: str | None = None                   # a substring of the content or the typed address
    number: str | None = None                 # a ticket number or its beginning
    phone: str | None = None                  # the caller's phone, exactly
    sort: str = DEFAULT_SORT
    extra: dict[str, Any] = field(default_factory=dict)


def like_pattern(fragment: str) -> str:
    """``%fragment%`` with LIKE's own characters taken literally."""
    escaped = fragment.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def like_operator(fragment: str) -> str:
    """LIKE when the text has no letter with a case (Chinese, digits): the same rows as ILIKE, and 5x faster
    where no index helps (ILIKE folds the case of every row's text; measured in bench/tickets_list.py)."""
    return "LIKE" if fragment.lower() == fragment.upper() else "ILIKE"


def number_or_address(find: str | None) -> tuple[str, dict]:
    """(condition on ``t``, params): the ticket's number or typed address holds ``find``; true when it is empty.
    What /work and /supervision narrow their capped lists with, so a ticket beyond the first rows is found."""
    if not find:
        return "true", {}
    return f"(t.number LIKE :find OR t.address {like_operator(find)} :find)", {"find": like_pattern(find)}


def _where(query: Query, now: datetime, timezone: str, scope: dict[str, set[str]] | None) -> tuple[str, dict]:
    parts: list[str] = []
    params: dict[str, Any] = {"now": now, "tz": timezone}
    if query.states:
        parts.append("t.state = ANY(:states)")
        params["states"] = list(query.states)
    if query.categories:
        parts.append("t.category_code = ANY(:categories)")
        params["categories"] = list(query.categories)
    if query.channels:
        parts.append("t.channel = ANY(:channels)")
        params["channels"] = list(query.channels)
    for key, column in (("street", "street_code"), ("community", "community_code")):
        value = getattr(query, key)
        if value:
            parts.append(f"t.{column} = :{key}")
            params[key] = value
    if query.department:
        parts.append("(t.lead_department_code = :department OR :department = ANY(t.co_department_codes))")
        params["department"] = query.department
    if query.since:
        parts.append("t.registered_at >= (CAST(:since AS date)::timestamp AT TIME ZONE :tz)")
        params["since"] = query.since
    if query.until:
        parts.append("t.registered_at < ((CAST(:until AS date) + 1)::timestamp AT TIME ZONE :tz)")
        params["until"] = query.until
    if query.overdue:
        parts.append("t.resolve_due_at < coalesce(t.resolved_at, t.closed_at, :now)"
                     " AND t.state NOT IN ('merged', 'refused')")
    if query.escalated:
        parts.append("t.escalation_level > 0")
    if query.satisfaction == "unrated":
        parts.append("t.satisfaction IS NULL AND t.state IN ('resolved', 'evaluated', 'closed')"
                     " AND t.resolved_at IS NOT NULL")
    elif query.satisfaction:
        parts.append("t.satisfaction = :satisfaction")
        params["satisfaction"] = query.satisfaction
    if query.text:
        operator = like_operator(query.text)
        parts.append(f"(t.description {operator} :text OR t.address {operator} :text)")
        params["text"] = like_pattern(query.text)
    if query.number:
        parts.append("t.number LIKE :number")
        params["number"] = query.number.replace("%", "").replace("_", "") + "%"
    if query.phone:
        parts.append("t.citizen_phone = :phone")
        params["phone"] = query.phone
    if scope is not None:
        clause, scope_params = _scope_clause(scope)
        parts.append(clause)
        params.update(scope_params)
    return (" WHERE " + " AND ".join(parts)) if parts else "", params


def search(conn: Connection, query: Query, *, now: datetime, timezone: str, limit: int, offset: int = 0,
           scope: dict[str, set[str]] | None = None) -> list[dict]:
    """One page of the tickets matching ``query`` (within ``scope``, see geo.tickets.SCOPE_CLAUSES)."""
    where, params = _where(query, now, timezone, scope)
    order = SORTS.get(query.sort, SORTS[DEFAULT_SORT])
    sql = f"SELECT {LIST_COLUMNS} {LIST_FROM} {where} ORDER BY {order} LIMIT :limit OFFSET :offset"
    return [dict(r) for r in conn.execute(text(sql), {**params, "limit": limit, "offset": offset}).mappings()]


def page_keys(conn: Connection, query: Query, *, now: datetime, timezone: str, limit: int, offset: int = 0,
              scope: dict[str, set[str]] | None = None) -> list[tuple]:
    """(number, updated_at, overdue) of the page ``search`` would read: what tells whether it changed."""
    where, params = _where(query, now, timezone, scope)
    order = SORTS.get(query.sort, SORTS[DEFAULT_SORT])
    sql = f"""SELECT t.number, t.updated_at, (t.resolve_due_at < coalesce(t.resolved_at, t.closed_at, :now)
                     AND t.state NOT IN ('merged', 'refused')) AS overdue
              FROM tickets t {where} ORDER BY {order} LIMIT :limit OFFSET :offset"""
    return [tuple(r) for r in conn.execute(text(sql), {**params, "limit": limit, "offset": offset})]


def counts(conn: Connection, query: Query, *, now: datetime, timezone: str,
           scope: dict[str, set[str]] | None = None) -> dict[str, int]:
    """How many tickets match ``query``, by state (the list's counts; their sum is the total)."""
    where, params = _where(query, now, timezone, scope)
    rows = conn.execute(text(f"SELECT t.state, count(*) FROM tickets t {where} GROUP BY t.state"), params)
    return {state: n for state, n in rows}


# 挂起 (services/handling.py): the ticket's clock stands still, so an arrival deadline passing meanwhile is no risk.
HELD = "('held' = ANY(t.flags))"
QUEUE_KIND = f"""CASE WHEN t.state = 'returned' THEN 'returned' WHEN t.state = 'escalated' THEN 'escalated'
                      WHEN t.state IN ('registered', 'reopened') THEN 'dispatch' WHEN {HELD} THEN 'held'
                      ELSE 'arrival' END"""


def _queue_where(at_risk_before: datetime, categories: list[str] | None, street: str | None) -> tuple[str, dict]:
    """What waits for a dispatcher: to dispatch (registered, reopened), returned, escalated, and dispatched tickets
    whose arrival deadline is near or past with nobody on site (held ones among these are of the kind 'held': their
    clock stands still, the deadline moves by the time held when they are resumed)."""
    parts = ["""(t.state IN ('registered', 'reopened', 'returned', 'escalated')
                 OR (t.state IN ('dispatched', 'accepted') AND t.on_site_at IS NULL
                     AND t.arrival_due_at IS NOT NULL AND t.arrival_due_at < :risk))"""]
    params: dict[str, Any] = {"risk": at_risk_before}
    if categories:
        parts.append("t.category_code = ANY(:categories)")
        params["categories"] = categories
    if street:
        parts.append("t.street_code = :street")
        params["street"] = street
    return " AND ".join(parts), params


def queue(conn: Connection, *, now: datetime, at_risk_before: datetime, categories: list[str] | None = None,
          street: str | None = None, limit: int = 200) -> list[dict]:
    """The dispatcher's queue (``_queue_where``), most urgent deadline first; held tickets (no clock) after the rest."""
    where, params = _queue_where(at_risk_before, categories, street)
    sql = f"""SELECT {LIST_COLUMNS} {LIST_FROM} WHERE {where}
              ORDER BY {HELD}, coalesce(CASE WHEN t.on_site_at IS NULL THEN t.arrival_due_at END, t.resolve_due_at),
                       t.id LIMIT :limit"""
    return [dict(r) for r in conn.execute(text(sql), {**params, "now": now, "limit": limit}).mappings()]


def queue_counts(conn: Connection, *, at_risk_before: datetime, categories: list[str] | None = None,
                 street: str | None = None) -> dict[str, int]:
    """How many tickets of each kind the whole queue holds (the list shows at most its limit)."""
    where, params = _queue_where(at_risk_before, categories, street)
    sql = f"SELECT {QUEUE_KIND} AS kind, count(*) AS n FROM tickets t WHERE {where} GROUP BY 1"
    return {row.kind: int(row.n) for row in conn.execute(text(sql), params)}


# ------------------------------------------------------------------------------------------------ standard answers

def standard_answers(conn: Connection, category: str | None = None, include_inactive: bool = False) -> list[dict]:
    """Standard answers (常用答复) for a category (and those for every category), in their order."""
    sql = """SELECT a.id, a.title, a.body, a.category_code, c.name AS category_name, a.sort_order, a.active,
                    a.updated_by, a.updated_at
             FROM standard_answers a LEFT JOIN categories c ON c.code = a.category_code
             WHERE (CAST(:category AS text) IS NULL OR a.category_code IS NULL OR a.category_code = :category)"""
    if not include_inactive:
        sql += " AND a.active"
    return [dict(r) for r in conn.execute(text(sql + " ORDER BY a.sort_order, a.id"),
                                          {"category": category}).mappings()]


def save_standard_answer(conn: Connection, answer_id: int | None, row: dict[str, Any]) -> int | None:
    """Insert (``answer_id`` None) or update one answer; the id, or None when there is no such answer."""
    if answer_id is None:
        return conn.execute(text("""
            INSERT INTO standard_answers (title, body, category_code, sort_order, active, updated_by, updated_at)
            VALUES (:title, :body, :category_code, :sort_order, :active, :updated_by, :updated_at) RETURNING id"""),
            row).scalar()
    return conn.execute(text("""
        UPDATE standard_answers SET title = :title, body = :body, category_code = :category_code,
               sort_order = :sort_order, active = :active, updated_by = :updated_by, updated_at = :updated_at
        WHERE id = :id RETURNING id"""), {**row, "id": answer_id}).scalar()


# ------------------------------------------------------------------------------------------------ follow-up calls

def add_follow_up(conn: Connection, ticket_id: int, at: datetime, operator: str, reached: bool,
                  satisfaction: str | None, note: str | None) -> int:
    return conn.execute(text("""
        INSERT INTO follow_up_calls (ticket_id, at, operator, reached, satisfaction, note)
        VALUES (:t, :at, :operator, :reached, :satisfaction, :note) RETURNING id"""),
        {"t": ticket_id, "at": at, "operator": operator, "reached": reached, "satisfaction": satisfaction,
         "note": note}).scalar()


def follow_ups(conn: Connection, ticket_id: int) -> list[dict]:
    return [dict(r) for r in conn.execute(text("""
        SELECT id, at, operator, reached, satisfaction, note FROM follow_up_calls
        WHERE ticket_id = :t ORDER BY at, id"""), {"t": ticket_id}).mappings()]


def filter_options(conn: Connection) -> dict[str, list[tuple[str, str]]]:
    """(code, name) pairs the list's filters offer: categories, streets, communities (with their street), units."""
    def pairs(sql: str) -> list[tuple[str, str]]:
        return [(code, name) for code, name in conn.execute(text(sql))]
    return {
        "categories": pairs("SELECT code, name FROM categories ORDER BY code"),
        "streets": pairs("SELECT code, name FROM streets ORDER BY code"),
        "communities": pairs("""SELECT c.code, s.name || ' · ' || c.name FROM communities c
                                JOIN streets s ON s.code = c.street_code ORDER BY c.street_code, c.code"""),
        "departments": pairs("SELECT code, name FROM departments ORDER BY name"),
    }
