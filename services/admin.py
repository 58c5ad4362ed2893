"""System administration (/admin, issue 11) besides the categories (services/admin_rules.py): users and roles,
units and their crews, API keys, standard answers.

Each function takes the principal who acts and asks workorders/policy.py first (``users``, ``api_keys``, ``rules``),
whoever calls; each change is an audit entry under that principal, written in the change's own transaction where
the underlying service lets us (identity and api_keys write their own). A password or a key is returned once, to be
shown once: only its hash is stored.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Iterable

from geo import api_keys as key_db
from geo import catalogue as catalogue_db
from geo import ticket_search as answer_db
from geo import users as user_db
from geo.db import get_engine
from services import api_keys, audit, identity
from workorders import policy
from workorders.errors import FieldError
from workorders.search import search_text
from workorders.units import check_answer, check_crew, check_department

SCOPE_KEYS = ("department", "street", "community", "crew")
USER_LIMIT = 500           # users the list shows (its search box reaches the others)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


# ------------------------------------------------------------------------------------------------ users

def users(principal: policy.Principal | None, find: str | None = None) -> list[dict]:
    """The users /admin lists (the first USER_LIMIT, active first by name); ``find``: only those whose username or
    name holds it, so any user is reached."""
    policy.require(principal, "users")
    find = search_text(find)
    with get_engine().connect() as conn:
        rows = user_db.list_users(conn, USER_LIMIT, find=find)
    return [{**r, "role_names": [policy.ROLES.get(x, x) for x in r["roles"]],
             "scope": r["department_name"] or r["street_name"] or r["community_name"] or r["crew_code"] or ""}
            for r in rows]


def create_user(principal: policy.Principal | None, username: str, roles: Iterable[str], *,
                display_name: str | None = None, scopes: dict[str, str | None] | None = None) -> tuple[str, str]:
    """(username, its one-time password): identity.create_user's rules, in the administrator's name."""
    policy.require(principal, "users")
    chosen = {k: (v or "").strip() or None for k, v in (scopes or {}).items() if k in SCOPE_KEYS}
    roles = list(roles or [])
    for role in roles:           # the CLI's words are "--department"; a person at the form reads the field's name
        scope = policy.ROLE_SCOPE.get(role)
        if scope and not chosen.get(scope):
            raise FieldError(scope, f"{policy.ROLES[role]}角色需要填写{identity.SCOPE_NAMES[scope]}")
    created, password = identity.create_user(username, roles, display_name=display_name or None,
                                             scopes=chosen, by=principal)
    return created.name, password


def disable_user(principal: policy.Principal | None, username: str) -> None:
    policy.require(principal, "users")
    if (username or "").strip().lower() == principal.name.lower():
        raise FieldError("username", "不能停用自己的账户")
    identity.disable_user((username or "").strip(), by=principal)


# ------------------------------------------------------------------------------------------------ API keys

def keys(principal: policy.Principal | None) -> list[dict]:
    policy.require(principal, "api_keys")
    with get_engine().connect() as conn:
        return key_db.list_api_keys(conn)


def create_key(principal: policy.Principal | None, name: str, scopes: Iterable[str] | None = None, *,
               department: str | None = None, crew: str | None = None) -> str:
    """The new key itself (shown once). Inputs are checked here so the person reads zh-CN, naming the field."""
    policy.require(principal, "api_keys")
    name = (name or "").strip()
    if not name or len(name) > api_keys.MAX_NAME:
        raise FieldError("name", f"名称：应为 1–{api_keys.MAX_NAME} 个字符")
    chosen = [s for s in (scopes or []) if s]
    unknown = [s for s in chosen if s not in policy.KEY_SCOPES]
    if unknown:
        raise FieldError("scopes", f"权限范围：未知 {', '.join(unknown)}（可选：{', '.join(policy.KEY_SCOPES)}）")
    department, crew = (department or "").strip() or None, (crew or "").strip() or None
    with get_engine().connect() as conn:
        if key_db.api_key_name_taken(conn, name):
            raise FieldError("name", f"名称：已有名为 {name} 的密钥")
        if department and not key_db.department_exists(conn, department):
            raise FieldError("department", f"绑定单位：没有单位 {department!r}")
        if crew and key_db.crew_kind(conn, crew) is None:
            raise FieldError("crew", f"绑定力量：没有处置力量 {crew!r}")
    key = api_keys.create_api_key(name, crew, scopes=chosen, department_code=department)
    audit.record("api_key_created", actor=principal, target=f"api_key:{name}",
                 detail={"scopes": sorted(chosen or policy.DEFAULT_KEY_SCOPES), "department": department,
                         "crew": crew})
    return key


def revoke_key(principal: policy.Principal | None, name: str) -> None:
    policy.require(principal, "api_keys")
    if not api_keys.set_active((name or "").strip(), False):
        raise FieldError("name", f"没有名为 {name} 的密钥")
    audit.record("api_key_revoked", actor=principal, target=f"api_key:{(name or '').strip()}")


# ------------------------------------------------------------------------------------------------ units and crews

def departments(principal: policy.Principal | None) -> list[dict]:
    policy.require(principal, "rules")
    with get_engine().connect() as conn:
        return catalogue_db.departments(conn)


def add_department(principal: policy.Principal | None, values: dict[str, Any]) -> str:
    """A new unit (承办单位): the category editor, users, keys and 转办 offer it at once; its crews are added below."""
    policy.require(principal, "rules")
    row = check_department(values)
    with get_engine().begin() as conn:
        if key_db.department_exists(conn, row["code"]):
            raise FieldError("code", f"编码：已有单位 {row['code']}")
        if not catalogue_db.insert_department(conn, row):
            raise FieldError("name", f"单位名称：已有单位名为 {row['name']}")
        audit.record("department_created", actor=principal, target=f"department:{row['code']}", conn=conn,
                     detail={"name": row["name"], "kind": row["kind"]})
    return row["code"]


def crews(principal: policy.Principal | None, department: str | None) -> list[dict]:
    policy.require(principal, "rules")
    if not department:
        return []
    with get_engine().connect() as conn:
        return catalogue_db.crews_of(conn, department)


def crew_kinds(principal: policy.Principal | None) -> list[str]:
    policy.require(principal, "rules")
    with get_engine().connect() as conn:
        return [k for k in catalogue_db.crew_kinds(conn) if k != "网格员"]


def add_crew(principal: policy.Principal | None, values: dict[str, Any]) -> str:
    """A new crew of a unit, available at its home grid: the map and dispatch see it at once."""
    policy.require(principal, "rules")
    row = check_crew(values)
    with get_engine().begin() as conn:
        if not key_db.department_exists(conn, row["department_code"]):
            raise FieldError("department_code", f"所属单位：没有单位 {row['department_code']!r}")
        if not catalogue_db.grid_exists(conn, row["home_grid"]):
            raise FieldError("home_grid", f"驻地网格编码：没有网格 {row['home_grid']!r}")
        if not catalogue_db.insert_crew(conn, row):
            raise FieldError("code", f"编码：已有处置力量 {row['code']}")
        audit.record("crew_created", actor=principal, target=f"crew:{row['code']}", conn=conn,
                     detail={"department": row["department_code"], "kind": row["kind"], "members": row["members"]})
    return row["code"]


# ------------------------------------------------------------------------------------------------ 常用答复

def answers(principal: policy.Principal | None) -> list[dict]:
    """Every standard answer, the inactive ones too (the editor's list)."""
    policy.require(principal, "rules")
    with get_engine().connect() as conn:
        return answer_db.standard_answers(conn, None, include_inactive=True)


def save_answer(principal: policy.Principal | None, answer_id: int | None, values: dict[str, Any]) -> int:
    """Insert (``answer_id`` None) or update a standard answer; /hotline lists the active ones at once."""
    policy.require(principal, "rules")
    row = check_answer(values)
    with get_engine().begin() as conn:
        if row["category_code"] and row["category_code"] not in {c for c, _ in
                                                                   answer_db.filter_options(conn)["categories"]}:
            raise FieldError("category_code", f"事项类别：没有类别 {row['category_code']!r}")
        saved = answer_db.save_standard_answer(conn, answer_id, {**row, "updated_by": principal.label,
                                                                 "updated_at": utcnow()})
        if saved is None:
            raise FieldError("id", f"没有常用答复 {answer_id}")
        audit.record("standard_answer_saved", actor=principal, target=f"standard_answer:{saved}", conn=conn,
                     detail={"title": row["title"], "active": row["active"]})
    return saved
