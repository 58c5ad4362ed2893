"""SQL of API keys: integrations and grid workers' phones. Only the sha256 of a key is ever stored."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, text


def insert_api_key(conn: Connection, name: str, key_hash: str, crew_code: str | None, at: datetime, *,
                   scopes: list[str], department_code: str | None = None) -> int:
    return conn.execute(text("""
        INSERT INTO api_keys (name, key_hash, crew_code, active, created_at, scopes, department_code)
        VALUES (:name, :hash, :crew, true, :at, :scopes, :department) RETURNING id"""),
        {"name": name, "hash": key_hash, "crew": crew_code, "at": at, "scopes": scopes,
         "department": department_code}).scalar()


def department_exists(conn: Connection, code: str) -> bool:
    return bool(conn.scalar(text("SELECT EXISTS (SELECT 1 FROM departments WHERE code = :code)"), {"code": code}))


def api_key_name_taken(conn: Connection, name: str) -> bool:
    return bool(conn.scalar(text("SELECT EXISTS (SELECT 1 FROM api_keys WHERE name = :name)"), {"name": name}))


def api_key_by_hash(conn: Connection, key_hash: str) -> dict | None:
    """The key's holder, with the crew it is bound to (a grid worker's phone) when there is one."""
    row = conn.execute(text("""
        SELECT k.id, k.name, k.active, k.crew_code, w.kind AS crew_kind, w.grid_code AS crew_grid_code,
               k.scopes, k.department_code
        FROM api_keys k LEFT JOIN crews w ON w.code = k.crew_code
        WHERE k.key_hash = :hash"""), {"hash": key_hash}).mappings().first()
    return dict(row) if row else None


def set_api_key_active(conn: Connection, name: str, active: bool) -> bool:
    return conn.execute(text("UPDATE api_keys SET active = :active WHERE name = :name"),
                        {"name": name, "active": active}).rowcount == 1


def delete_api_key(conn: Connection, name: str) -> bool:
    return conn.execute(text("DELETE FROM api_keys WHERE name = :name"), {"name": name}).rowcount == 1


def crew_kind(conn: Connection, code: str) -> str | None:
    """The crew's kind (网格员, 抢修队 …), or None when there is no such crew."""
    return conn.scalar(text("SELECT kind FROM crews WHERE code = :code"), {"code": code})


def grid_worker_crew(conn: Connection) -> dict | None:
    """One grid worker's crew (code, grid_code): tests and demos bind a phone's key to it."""
    row = conn.execute(text(
        "SELECT code, grid_code FROM crews WHERE kind = '网格员' ORDER BY code LIMIT 1")).mappings().first()
    return dict(row) if row else None


def list_api_keys(conn: Connection, limit: int = 500) -> list[dict]:
    """Every key for the admin screen (never its hash), active first, newest first."""
    return [dict(r) for r in conn.execute(text("""
        SELECT k.name, k.active, k.scopes, k.department_code, d.name AS department_name, k.crew_code, k.created_at
        FROM api_keys k LEFT JOIN departments d ON d.code = k.department_code
        ORDER BY k.active DESC, k.created_at DESC, k.name LIMIT :n"""), {"n": limit}).mappings()]
