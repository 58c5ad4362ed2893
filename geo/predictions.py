"""SQL of predictions (migration 0019): the tickets' lives the risk model learns from, the stored models, the risks."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Iterable

from sqlalchemy import Connection, text

from workorders.states import OPEN_STATES

if TYPE_CHECKING:
    import pandas as pd

LIFE_COLUMNS = """t.id, t.number, t.category_code, COALESCE(t.variant, '') AS variant, t.channel,
    t.lead_department_code, t.complexity, t.priority, t.state, t.registered_at, t.dispatched_at, t.on_site_at,
    t.resolved_at, t.arrival_due_at, t.resolve_due_at"""
NOT_WORK = "('merged', 'refused')"       # never handled: neither in the load nor in the rates
OPEN = "(" + ", ".join(f"'{state}'" for state in sorted(OPEN_STATES)) + ")"
HELD = "('held' = ANY(t.flags))"           # 挂起 (services/handling.py): the clock stands still, no risk to score


def _frame(conn: Connection, sql: str, params: dict) -> "pd.DataFrame":
    import pandas as pd     # only the model's processes need it
    result = conn.execute(text(sql), params)
    return pd.DataFrame(result.fetchall(), columns=list(result.keys()))


def ticket_lives(conn: Connection, until: datetime) -> "pd.DataFrame":
    """Every handled ticket registered before ``until``: what the model learns from."""
    return _frame(conn, f"""SELECT {LIFE_COLUMNS} FROM tickets t
        WHERE t.registered_at < :until AND t.state NOT IN {NOT_WORK} ORDER BY t.registered_at""", {"until": until})


def recent_and_open(conn: Connection, now: datetime, days: int = 30) -> "pd.DataFrame":
    """The open tickets and those resolved in the last ``days``: enough to count each unit's load and rate now
    (``held``: whether the ticket's clock stands still now)."""
    return _frame(conn, f"""SELECT {LIFE_COLUMNS}, {HELD} AS held FROM tickets t
        WHERE t.state IN {OPEN} OR t.resolved_at >= :since""",
        {"since": now - timedelta(days=days)})


def save_model(conn: Connection, kind: str, version: str, trained_at: datetime, use: str, metrics: str,
               blob: bytes) -> int:
    return conn.execute(text("""
        INSERT INTO prediction_models (kind, version, trained_at, use, metrics, model)
        VALUES (:kind, :version, :trained_at, :use, CAST(:metrics AS jsonb), :model) RETURNING id"""),
        {"kind": kind, "version": version, "trained_at": trained_at, "use": use, "metrics": metrics,
         "model": blob}).scalar()


def latest_versions(conn: Connection) -> dict[str, str]:
    return {r.kind: r.version for r in conn.execute(text("""
        SELECT DISTINCT ON (kind) kind, version FROM prediction_models ORDER BY kind, id DESC"""))}


def model_blob(conn: Connection, version: str) -> bytes | None:
    return conn.execute(text("SELECT model FROM prediction_models WHERE version = :v"), {"v": version}).scalar()


def model_summaries(conn: Connection) -> list[dict]:
    return [dict(r) for r in conn.execute(text("""
        SELECT DISTINCT ON (kind) kind, version, trained_at, use, metrics FROM prediction_models
        ORDER BY kind, id DESC""")).mappings()]


def replace_risks(conn: Connection, rows: Iterable[dict], scored_at: datetime) -> int:
    """The sweep's answer for every open ticket not held; rows of tickets no longer open, or held, go."""
    rows = list(rows)
    conn.execute(text(f"""DELETE FROM ticket_risk r USING tickets t
        WHERE t.id = r.ticket_id AND (t.state NOT IN {OPEN} OR {HELD})"""))
    if rows:
        conn.execute(text("""
            INSERT INTO ticket_risk (ticket_id, arrival_p, resolve_p, arrival_version, resolve_version, scored_at)
            VALUES (:ticket_id, :arrival_p, :resolve_p, :arrival_version, :resolve_version, :scored_at)
            ON CONFLICT (ticket_id) DO UPDATE SET arrival_p = EXCLUDED.arrival_p, resolve_p = EXCLUDED.resolve_p,
                arrival_version = EXCLUDED.arrival_version, resolve_version = EXCLUDED.resolve_version,
                scored_at = EXCLUDED.scored_at"""), [{**r, "scored_at": scored_at} for r in rows])
    return len(rows)


def risks_by_number(conn: Connection, numbers: list[str]) -> dict[str, dict]:
    """The stored chances of these tickets; none of a held one (scored before its hold, not since)."""
    return {r["number"]: dict(r) for r in conn.execute(text(f"""
        SELECT t.number, r.arrival_p, r.resolve_p, r.arrival_version, r.resolve_version, r.scored_at
        FROM ticket_risk r JOIN tickets t ON t.id = r.ticket_id WHERE t.number = ANY(:numbers) AND NOT {HELD}"""),
        {"numbers": numbers}).mappings()}


def riskiest_open(conn: Connection, limit: int = 20, now: datetime | None = None) -> list[dict]:
    """Open tickets by the larger of their two chances to be late, highest first; with ``now``, only those whose
    deadlines are still ahead (the ones a person can still save)."""
    ahead = """AND t.resolve_due_at > :now AND (t.arrival_due_at IS NULL OR t.on_site_at IS NOT NULL
               OR t.arrival_due_at > :now)""" if now else ""
    return [dict(r) for r in conn.execute(text(f"""
        SELECT t.number, t.category_code, c.name AS category_name, t.street_code, s.name AS street_name,
               t.lead_department_code, d.name AS lead_department_name, t.state, t.arrival_due_at, t.resolve_due_at,
               r.arrival_p, r.resolve_p, GREATEST(COALESCE(r.arrival_p, 0), COALESCE(r.resolve_p, 0)) AS p
        FROM ticket_risk r JOIN tickets t ON t.id = r.ticket_id
        LEFT JOIN categories c ON c.code = t.category_code LEFT JOIN streets s ON s.code = t.street_code
        LEFT JOIN departments d ON d.code = t.lead_department_code
        WHERE t.state IN {OPEN} AND NOT {HELD} {ahead} ORDER BY p DESC, t.resolve_due_at LIMIT :n"""),
        {"n": limit, "now": now}).mappings()]


def daily_cell_counts(conn: Connection, since: datetime, until: datetime, tz: str) -> "pd.DataFrame":
    """Tickets per grid cell, local day and category registered in [since, until) (merged duplicates left out)."""
    return _frame(conn, """
        SELECT grid_code, (registered_at AT TIME ZONE :tz)::date AS day, category_code, count(*)::int AS n
        FROM tickets WHERE registered_at >= :since AND registered_at < :until AND state <> 'merged'
        GROUP BY 1, 2, 3""", {"since": since, "until": until, "tz": tz})


def first_ticket_at(conn: Connection) -> datetime | None:
    return conn.execute(text("SELECT min(registered_at) FROM tickets")).scalar()


def grid_names(conn: Connection) -> list[dict]:
    return [dict(r) for r in conn.execute(text("""
        SELECT g.code, g.name, c.name AS community, s.name AS street FROM grids g
        JOIN communities c ON c.code = g.community_code JOIN streets s ON s.code = c.street_code ORDER BY g.code"""))
        .mappings()]
