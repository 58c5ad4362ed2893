"""SQL of users: who signs in, with which roles and scopes. Passwords only as argon2 hashes."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, text

from geo.ticket_search import like_pattern

USER_COLUMNS = """u.id, u.username, u.display_name, u.password_hash, u.active, u.roles, u.department_code,
    u.street_code, u.community_code, u.crew_code, w.grid_code AS crew_grid_code, u.session_stamp, u.created_at,
    u.password_changed_at, u.last_sign_in_at, u.disabled_at"""
FROM_USERS = "FROM users u LEFT JOIN crews w ON w.code = u.crew_code"


def insert_user(conn: Connection, username: str, display_name: str, password_hash: str, roles: list[str],
                scopes: dict[str, str | None], at: datetime) -> int:
    return conn.execute(text("""
        INSERT INTO users (username, display_name, password_hash, roles, department_code, street_code,
                           community_code, crew_code, created_at, password_changed_at)
        VALUES (:username, :display_name, :hash, :roles, :department, :street, :community, :crew, :at, :at)
        RETURNING id"""), {"username": username, "display_name": display_name, "hash": password_hash,
                           "roles": roles, "at": at, "department": scopes.get("department"),
                           "street": scopes.get("street"), "community": scopes.get("community"),
                           "crew": scopes.get("crew")}).scalar_one()


def user_by_name(conn: Connection, username: str) -> dict | None:
    row = conn.execute(text(f"SELECT {USER_COLUMNS} {FROM_USERS} WHERE lower(u.username) = lower(:name)"),
                       {"name": username}).mappings().first()
    return dict(row) if row else None


def user_by_id(conn: Connection, user_id: int) -> dict | None:
    row = conn.execute(text(f"SELECT {USER_COLUMNS} {FROM_USERS} WHERE u.id = :id"), {"id": user_id}).mappings().first()
    return dict(row) if row else None


def usernames(conn: Connection) -> set[str]:
    return {r[0].lower() for r in conn.execute(text("SELECT username FROM users"))}


def set_password_hash(conn: Connection, user_id: int, password_hash: str, at: datetime) -> None:
    """A new password ends every session signed in with the old one (the stamp they carry no longer matches)."""
    conn.execute(text("""UPDATE users SET password_hash = :hash, password_changed_at = :at,
                                          session_stamp = session_stamp + 1 WHERE id = :id"""),
                 {"id": user_id, "hash": password_hash, "at": at})


def rehash_password(conn: Connection, user_id: int, password_hash: str) -> None:
    """The same password under newer argon2 parameters: sessions stay valid."""
    conn.execute(text("UPDATE users SET password_hash = :hash WHERE id = :id"), {"id": user_id, "hash": password_hash})


def set_active(conn: Connection, user_id: int, active: bool, at: datetime) -> None:
    conn.execute(text("""UPDATE users SET active = :active, disabled_at = CASE WHEN :active THEN NULL ELSE :at END,
                                          session_stamp = session_stamp + 1 WHERE id = :id"""),
                 {"id": user_id, "active": active, "at": at})


def mark_signed_in(conn: Connection, user_id: int, at: datetime) -> None:
    conn.execute(text("UPDATE users SET last_sign_in_at = :at WHERE id = :id"), {"id": user_id, "at": at})


def existing_codes(conn: Connection, table: str, code: str) -> bool:
    """Whether ``code`` exists in the reference table ``table`` (departments, streets, communities, crews)."""
    if table not in ("departments", "streets", "communities", "crews"):
        raise ValueError(f"not a reference table: {table}")
    return bool(conn.scalar(text(f"SELECT EXISTS (SELECT 1 FROM {table} WHERE code = :code)"), {"code": code}))


def demo_scopes(conn: Connection) -> dict[str, str | None]:
    """Scopes for the demo users: a utility (the units that get the most work), the first street, a community in
    it and that community's first grid worker."""
    row = conn.execute(text("""
        SELECT (SELECT code FROM departments WHERE kind = 'utility' ORDER BY code LIMIT 1) AS department,
               s.code AS street, c.code AS community,
               (SELECT w.code FROM crews w JOIN grids g ON g.code = w.grid_code
                WHERE w.kind = '网格员' AND g.community_code = c.code ORDER BY w.code LIMIT 1) AS crew
        FROM streets s JOIN communities c ON c.street_code = s.code
        ORDER BY s.code, c.code LIMIT 1""")).mappings().first()
    return dict(row) if row else {"department": None, "street": None, "community": None, "crew": None}


def list_users(conn: Connection, limit: int = 500, find: str | None = None) -> list[dict]:
    """Every user for the admin screen (no password hash), active first, by name; with ``find`` only those whose
    username or name holds it (the list shows ``limit`` users: this reaches the others)."""
    return [dict(r) for r in conn.execute(text("""
        SELECT u.id, u.username, u.display_name, u.active, u.roles, u.department_code, d.name AS department_name,
               u.street_code, s.name AS street_name, u.community_code, c.name AS community_name, u.crew_code,
               u.created_at, u.last_sign_in_at, u.disabled_at
        FROM users u LEFT JOIN departments d ON d.code = u.department_code
        LEFT JOIN streets s ON s.code = u.street_code LEFT JOIN communities c ON c.code = u.community_code
        WHERE CAST(:find AS text) IS NULL OR u.username ILIKE :find OR u.display_name ILIKE :find
        ORDER BY u.active DESC, u.username LIMIT :n"""),
        {"n": limit, "find": like_pattern(find) if find else None}).mappings()]
