"""SQL of the audit log: rows are only ever added (a trigger refuses UPDATE, DELETE and TRUNCATE)."""
from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import Connection, text

COLUMNS = ("id", "at", "actor", "action", "target", "outcome", "address", "user_agent", "detail")


def insert_entry(conn: Connection, entry: dict) -> int:
    return conn.execute(text("""
        INSERT INTO audit_log (at, user_id, actor, action, target, outcome, address, user_agent, detail)
        VALUES (:at, :user_id, :actor, :action, :target, :outcome, :address, :user_agent, CAST(:detail AS jsonb))
        RETURNING id"""), {**entry, "detail": json.dumps(entry["detail"], ensure_ascii=False)
                           if entry.get("detail") is not None else None}).scalar_one()


def search(conn: Connection, *, since: datetime | None = None, until: datetime | None = None,
           actor: str | None = None, action: str | None = None, outcome: str | None = None,
           target: str | None = None, limit: int = 200, offset: int = 0) -> list[dict]:
    """Entries newest first; text filters match a part of the actor / target, the action from its start."""
    where, params = ["true"], {"limit": limit, "offset": offset}
    if since is not None:
        where.append("at >= :since"), params.update(since=since)
    if until is not None:
        where.append("at < :until"), params.update(until=until)
    if actor:
        where.append("actor ILIKE :actor"), params.update(actor=f"%{_like(actor)}%")
    if action:
        where.append("action LIKE :action"), params.update(action=f"{_like(action)}%")
    if outcome:
        where.append("outcome = :outcome"), params.update(outcome=outcome)
    if target:
        where.append("target ILIKE :target"), params.update(target=f"%{_like(target)}%")
    rows = conn.execute(text(f"""SELECT {', '.join(COLUMNS)} FROM audit_log WHERE {' AND '.join(where)}
                                 ORDER BY at DESC, id DESC LIMIT :limit OFFSET :offset"""), params).mappings()
    return [dict(r) for r in rows]


def actions(conn: Connection) -> list[str]:
    return [r[0] for r in conn.execute(text("SELECT DISTINCT action FROM audit_log ORDER BY action"))]


def _like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
