"""Users: creating them, their passwords, signing in and the principal a session stands for.

Passwords are argon2id hashes (argon2-cffi's defaults, rehashed when those change). A password change or a
disabled user ends every session of that user: sessions carry the user's ``session_stamp``, which both bump.
Every step that matters is written to the audit log.
"""
from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from geo import users as db
from geo.db import transaction
from services import audit, login_throttle
from settings import get_settings
from workorders.errors import FieldError
from workorders.policy import ROLE_SCOPE, ROLES, Principal, missing_scopes

HASHER = PasswordHasher()
USERNAME = re.compile(r"^[A-Za-z0-9_.-]{2,64}$")
MIN_PASSWORD, MAX_PASSWORD = 10, 128
# No 0/O, 1/l/I: demo and reset passwords are read off a terminal and typed again.
PASSWORD_ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
SCOPE_TABLES = {"department": "departments", "street": "streets", "community": "communities", "crew": "crews"}
SCOPE_NAMES = {"department": "承办单位", "street": "街道", "community": "社区", "crew": "处置力量"}
# Verifying against this when the name is unknown takes as long as a real check: timing tells nothing.
_DUMMY_HASH = HASHER.hash(secrets.token_urlsafe(16))


class IdentityError(FieldError):
    """A user, role, scope or password that cannot be used; ``field`` names the input at fault."""


@dataclass(frozen=True)
class SignInRefused(Exception):
    reason: str               # "bad_credentials" | "disabled" | "account_locked" | "address_slowed"
    message: str
    retry_after: int = 0


def now() -> datetime:
    return datetime.now(timezone.utc)


def generate_password(length: int = 16) -> str:
    return "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(length))


def check_password_rules(password: str, username: str) -> None:
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise IdentityError("password", f"密码长度应为 {MIN_PASSWORD}–{MAX_PASSWORD} 个字符")
    if password.strip().lower() == username.strip().lower():
        raise IdentityError("password", "密码不能与用户名相同")


def principal_of(row: dict) -> Principal:
    return Principal(id=row["id"], name=row["username"], display_name=row["display_name"],
                     roles=frozenset(row["roles"]), department_code=row["department_code"],
                     street_code=row["street_code"], community_code=row["community_code"],
                     crew_code=row["crew_code"], grid_code=row.get("crew_grid_code"))


# ------------------------------------------------------------------------------------------------ users

def create_user(username: str, roles: list[str], *, display_name: str | None = None,
                scopes: dict[str, str | None] | None = None, password: str | None = None,
                by: Principal | str | None = None) -> tuple[Principal, str]:
    """A new active user; returns it with its password (generated unless given). Nothing is written when any
    input is refused."""
    username = (username or "").strip()
    if not USERNAME.match(username):
        raise IdentityError("username", "用户名应为 2–64 个字母、数字或 _ . -")
    roles = list(dict.fromkeys(roles))
    if not roles:
        raise IdentityError("role", f"至少需要一个角色（{', '.join(ROLES)}）")
    unknown = [r for r in roles if r not in ROLES]
    if unknown:
        raise IdentityError("role", f"未知角色 {', '.join(unknown)}（可选：{', '.join(ROLES)}）")
    scopes = {k: (v or None) for k, v in (scopes or {}).items()}
    missing = missing_scopes(roles, scopes)
    if missing:
        needs = [f"{r} 需要 --{ROLE_SCOPE[r]}" for r in roles if ROLE_SCOPE.get(r) in missing]
        raise IdentityError(missing[0], "；".join(needs))
    password = password or generate_password()
    check_password_rules(password, username)
    with transaction() as conn:
        for scope, code in scopes.items():
            if code is not None and not db.existing_codes(conn, SCOPE_TABLES[scope], code):
                raise IdentityError(scope, f"没有{SCOPE_NAMES[scope]} {code!r}")
        if username.lower() in db.usernames(conn):
            raise IdentityError("username", f"用户 {username} 已存在")
        user_id = db.insert_user(conn, username, (display_name or username).strip()[:64], HASHER.hash(password),
                                 roles, scopes, now())
        audit.record("user_created", actor=by, target=f"user:{username}", conn=conn,
                     detail={"roles": roles, **{k: v for k, v in scopes.items() if v}})
        row = db.user_by_id(conn, user_id)
    return principal_of(row), password


def _user(conn, username: str) -> dict:
    row = db.user_by_name(conn, username)
    if row is None:
        raise IdentityError("username", f"没有用户 {username}")
    return row


def set_password(username: str, password: str | None = None, by: Principal | str | None = None) -> str:
    """An administrator's reset: a new password (generated unless given); the user's sessions end, a lock lifts."""
    with transaction() as conn:
        row = _user(conn, username)
        password = password or generate_password()
        check_password_rules(password, row["username"])
        db.set_password_hash(conn, row["id"], HASHER.hash(password), now())
        audit.record("password_set", actor=by, target=f"user:{row['username']}", conn=conn)
    login_throttle.unlock(row["username"])
    return password


def disable_user(username: str, by: Principal | str | None = None) -> None:
    with transaction() as conn:
        row = _user(conn, username)
        db.set_active(conn, row["id"], False, now())
        audit.record("user_disabled", actor=by, target=f"user:{row['username']}", conn=conn)


def change_own_password(principal: Principal, current: str, new: str) -> int:
    """The signed-in user's own change: the current password must be right; every session ends (the new
    session stamp is returned, for the session the change was made in)."""
    with transaction() as conn:
        row = db.user_by_id(conn, principal.id)
    if row is None or not row["active"] or not _verify(row["password_hash"], current or ""):
        audit.record("password_changed", actor=principal, target=f"user:{principal.name}", outcome="failure",
                     detail={"reason": "wrong current password"})
        raise IdentityError("current", "当前密码不正确")
    check_password_rules(new or "", row["username"])
    if new == current:
        raise IdentityError("password", "新密码不能与当前密码相同")
    with transaction() as conn:
        db.set_password_hash(conn, row["id"], HASHER.hash(new), now())
        audit.record("password_changed", actor=principal, target=f"user:{principal.name}", conn=conn)
        return db.user_by_id(conn, row["id"])["session_stamp"]


def principal_for_session(user_id: int, stamp: int) -> Principal | None:
    """The user a session stands for, while that user is active and the session is not older than a password
    change; None otherwise."""
    with transaction() as conn:
        row = db.user_by_id(conn, user_id)
    if row is None or not row["active"] or row["session_stamp"] != stamp:
        return None
    return principal_of(row)


# ------------------------------------------------------------------------------------------------ signing in

def _verify(password_hash: str, password: str) -> bool:
    try:
        return HASHER.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def authenticate(username: str, password: str, address: str | None) -> tuple[Principal, int]:
    """The principal (and its session stamp) for a right name and password; ``SignInRefused`` otherwise.

    Locks and waits are checked before the password, so a locked account cannot be probed. Every attempt is
    audited."""
    username = (username or "").strip()[:64]
    refusal = login_throttle.check(username, address)
    if refusal:
        audit.record("sign_in_failed", actor=username or None, target=f"user:{username}", outcome="denied",
                     detail={"reason": refusal.reason})
        raise SignInRefused(refusal.reason, refusal.message, refusal.retry_after)
    with transaction() as conn:
        row = db.user_by_name(conn, username) if username else None
        good = _verify(row["password_hash"] if row else _DUMMY_HASH, password or "") and row is not None
        if good and row["active"]:
            if HASHER.check_needs_rehash(row["password_hash"]):
                db.rehash_password(conn, row["id"], HASHER.hash(password))
            db.mark_signed_in(conn, row["id"], now())
            principal = principal_of(row)
            audit.record("sign_in", actor=principal, target=f"user:{row['username']}", conn=conn)
    if good and row["active"]:
        login_throttle.succeeded(username, address)
        return principal, row["session_stamp"]
    reason = "disabled" if good else "bad_credentials"
    audit.record("sign_in_failed", actor=row["username"] if row else (username or None),
                 target=f"user:{username}", outcome="failure", detail={"reason": reason})
    if reason == "disabled":
        raise SignInRefused(reason, "该账户已停用，请联系系统管理员")
    lock = login_throttle.failed(username, address)
    if lock:
        raise SignInRefused(lock.reason, lock.message, lock.retry_after)
    raise SignInRefused(reason, "用户名或密码不正确")


# ------------------------------------------------------------------------------------------------ demo users

# One user per role for `make run` (same names every run); scoped roles get the scopes of geo.users.demo_scopes.
DEMO_USERS: tuple[tuple[str, str, str], ...] = (
    ("operator", "demo-operator", "话务员 演示"), ("dispatcher", "demo-dispatcher", "调度员 演示"),
    ("department", "demo-department", "承办单位 演示"), ("street", "demo-street", "街道 演示"),
    ("community", "demo-community", "社区 演示"), ("supervisor", "demo-supervisor", "督办 演示"),
    ("leader", "demo-leader", "领导 演示"), ("wall", "demo-wall", "大屏 演示"),
    ("grid_worker", "demo-grid", "网格员 演示"), ("admin", "demo-admin", "管理员 演示"),
)


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: str
    password: str | None     # None: the user existed before and its password is not in the file


def ensure_demo_users(passwords_file: Path | None = None) -> list[DemoUser]:
    """Create the demo users that do not exist yet; their passwords are kept in ``passwords_file`` (git-ignored,
    under var/) so the list can be shown again on the next run. Existing users keep their passwords."""
    path = passwords_file or get_settings().var_dir / "demo-users.json"
    known = json.loads(path.read_text()) if path.exists() else {}
    with transaction() as conn:
        existing = db.usernames(conn)
        scopes = db.demo_scopes(conn)
    out = []
    for role, username, display in DEMO_USERS:
        if username.lower() not in existing:
            scope = ROLE_SCOPE.get(role)
            _, known[username] = create_user(username, [role], display_name=display, by="make run",
                                             scopes={scope: scopes[scope]} if scope else None)
        out.append(DemoUser(username, role, known.get(username)))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600, exist_ok=True)
    path.write_text(json.dumps(known, indent=1, ensure_ascii=False))
    return out
