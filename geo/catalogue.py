"""SQL of the category catalogue's versions (migration 0023) and of what the admin screen edits beside it: units,
their crews, streets. ``categories`` holds each category's current version; ``category_versions`` all of them."""
from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, text

CATEGORY_FIELDS = "name, complexity, priority, lead_department_code, rules"


def category_version_row(conn: Connection, code: str, version: int) -> dict | None:
    row = conn.execute(text(f"""SELECT category_code AS code, version, {CATEGORY_FIELDS} FROM category_versions
                                WHERE category_code = :code AND version = :version"""),
                       {"code": code, "version": version}).mappings().first()
    return dict(row) if row else None


def current_category_for_update(conn: Connection, code: str) -> dict | None:
    """The current version of a category, locked until the caller's transaction ends: two editors saving the same
    category one after the other get versions n+1 and n+2, never two n+1."""
    row = conn.execute(text(f"SELECT code, version, {CATEGORY_FIELDS} FROM categories WHERE code = :code FOR UPDATE"),
                       {"code": code}).mappings().first()
    return dict(row) if row else None


def store_version(conn: Connection, row: dict[str, Any], *, version: int, valid_from: datetime | None,
                  changed_at: datetime, changed_by: str, source: str, changes: list[dict]) -> None:
    """The category's new current row and its version, in the caller's transaction. ``valid_from`` None: in force
    since ever (a category's first version: a history written later with past registration times finds it)."""
    params = {**row, "version": version, "rules": json.dumps(row["rules"], ensure_ascii=False)}
    conn.execute(text("""
        INSERT INTO categories (code, name, complexity, priority, lead_department_code, rules, version)
        VALUES (:code, :name, :complexity, :priority, :lead_department_code, CAST(:rules AS jsonb), :version)
        ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, complexity = EXCLUDED.complexity,
          priority = EXCLUDED.priority, lead_department_code = EXCLUDED.lead_department_code,
          rules = EXCLUDED.rules, version = EXCLUDED.version"""), params)
    conn.execute(text("""
        INSERT INTO category_versions (category_code, version, name, complexity, priority, lead_department_code,
                                       rules, valid_from, changed_at, changed_by, source, changes)
        VALUES (:code, :version, :name, :complexity, :priority, :lead_department_code, CAST(:rules AS jsonb),
                COALESCE(CAST(:valid_from AS timestamptz), '-infinity'), :changed_at, :changed_by, :source, CAST(:changes AS jsonb))"""),
        {**params, "valid_from": valid_from, "changed_at": changed_at, "changed_by": changed_by, "source": source,
         "changes": json.dumps(changes, ensure_ascii=False, default=str)})


def category_versions(conn: Connection, code: str) -> list[dict]:
    """Every version of a category, newest first, with the number of tickets registered under each."""
    return [dict(r) for r in conn.execute(text(f"""
        SELECT v.version, v.{CATEGORY_FIELDS.replace(', ', ', v.')}, v.valid_from, v.changed_at, v.changed_by,
               v.source, v.changes,
               (SELECT count(*) FROM tickets t WHERE t.category_code = v.category_code
                  AND t.category_version = v.version) AS tickets
        FROM category_versions v WHERE v.category_code = :code ORDER BY v.version DESC"""),
        {"code": code}).mappings()]


def category_list(conn: Connection) -> list[dict]:
    """The current categories with their lead unit's name and their latest change."""
    return [dict(r) for r in conn.execute(text("""
        SELECT c.code, c.name, c.complexity, c.priority, c.lead_department_code, d.name AS lead_department_name,
               c.rules, c.version, v.changed_at, v.changed_by, v.source
        FROM categories c JOIN departments d ON d.code = c.lead_department_code
        LEFT JOIN category_versions v ON v.category_code = c.code AND v.version = c.version
        ORDER BY c.code""")).mappings()]


# ------------------------------------------------------------------------------------------------ units, streets

def departments(conn: Connection) -> list[dict]:
    """Every unit with its crews counted (grid workers apart: they are the grid center's 932)."""
    return [dict(r) for r in conn.execute(text("""
        SELECT d.code, d.name, d.kind, d.resident_in_center, d.phone,
               count(w.code) AS crews, coalesce(sum(w.members), 0) AS members
        FROM departments d LEFT JOIN crews w ON w.department_code = d.code
        GROUP BY d.code ORDER BY d.kind, d.code""")).mappings()]


def insert_department(conn: Connection, row: dict[str, Any]) -> bool:
    """A new unit; False when its code or its name is taken."""
    return conn.execute(text("""
        INSERT INTO departments (code, name, kind, resident_in_center, phone)
        SELECT :code, :name, :kind, :resident_in_center, :phone
        WHERE NOT EXISTS (SELECT 1 FROM departments WHERE name = :name)
        ON CONFLICT (code) DO NOTHING RETURNING code"""), row).first() is not None


def crews_of(conn: Connection, department: str, limit: int = 200) -> list[dict]:
    return [dict(r) for r in conn.execute(text("""
        SELECT code, name, kind, members, status, grid_code FROM crews WHERE department_code = :d
        ORDER BY code LIMIT :n"""), {"d": department, "n": limit}).mappings()]


def insert_crew(conn: Connection, row: dict[str, Any]) -> bool:
    """A new crew based at the representative point of ``home_grid``; False when the code is taken."""
    return conn.execute(text("""
        INSERT INTO crews (code, name, department_code, kind, members, status, grid_code, home_geom, geom)
        SELECT :code, :name, :department_code, :kind, :members, 'available', NULL, p, p
        FROM (SELECT ST_PointOnSurface(geom) AS p FROM grids WHERE code = :home_grid) g
        ON CONFLICT (code) DO NOTHING RETURNING code"""), row).first() is not None


def crew_kinds(conn: Connection) -> list[str]:
    return list(conn.execute(text("SELECT DISTINCT kind FROM crews ORDER BY kind")).scalars())


def streets(conn: Connection) -> list[tuple[str, str]]:
    return [(c, n) for c, n in conn.execute(text("SELECT code, name FROM streets ORDER BY code"))]


def grid_exists(conn: Connection, code: str) -> bool:
    return conn.execute(text("SELECT 1 FROM grids WHERE code = :c"), {"c": code}).first() is not None


def place_names(conn: Connection, grid_code: str) -> dict[str, str]:
    """The names of a grid, its community and its street."""
    row = conn.execute(text("""
        SELECT g.name AS grid, cm.name AS community, s.name AS street FROM grids g
        JOIN communities cm ON cm.code = g.community_code JOIN streets s ON s.code = cm.street_code
        WHERE g.code = :g"""), {"g": grid_code}).mappings().first()
    return dict(row) if row else {"grid": grid_code, "community": "", "street": ""}


def catalogue_history(conn: Connection) -> tuple[str, list[dict]]:
    """The catalogue's stamp (migration 0029) and every row intake may choose from, read together: each version
    (with its ``valid_from``) and each category row as it stands (``version`` and ``valid_from`` None), for
    workorders.catalogue.rows_in_force to pick those in force at a time."""
    rows = [dict(r) for r in conn.execute(text(f"""
        SELECT (SELECT stamp::text FROM catalogue_stamp) AS stamp, category_code AS code, version, valid_from,
               {CATEGORY_FIELDS}
        FROM category_versions
        UNION ALL
        SELECT (SELECT stamp::text FROM catalogue_stamp), code, NULL, NULL, {CATEGORY_FIELDS} FROM categories
        """)).mappings()]
    stamp = rows[0]["stamp"] if rows else catalogue_stamp(conn)
    return stamp, [{k: v for k, v in r.items() if k != "stamp"} for r in rows]


def catalogue_stamp(conn: Connection) -> str:
    return conn.execute(text("SELECT stamp::text FROM catalogue_stamp")).scalar_one()
