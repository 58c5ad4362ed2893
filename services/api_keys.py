"""API keys: issuing and revoking them, and who holds a key that is presented.

A key is shown once, when created; the database keeps only its sha256. A key bound to a crew of kind 网格员 is a
grid worker's phone. The same keys open /api/v1 (api/auth.py reads the header and answers 401/403) and Open311
POSTs (open311/backend.py); the Flask CLI commands `create-api-key` / `revoke-api-key` call create/revoke here.

A key has scopes (policy.KEY_SCOPES: intake, transitions, positions, read; intake and read unless told) and may be
bound to a department or a crew: its holder acts as ``Caller.principal``, a ``policy.Principal`` of kind
``api_key``, and the services' own ``policy.require`` decides what it may do (a bound key: only on its unit's
tickets).
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy.engine import Engine

from geo import api_keys as db
from geo.db import get_engine
from workorders import policy

GRID_WORKER_KIND = "网格员"
MAX_NAME = 64          # the name is the idempotency scope (idempotency_keys.scope is 64 characters)
KEY_PREFIX = "td_"


@dataclass(frozen=True)
class Caller:
    """The holder of a valid, active key: who is asking."""
    name: str
    crew_code: str | None = None
    crew_kind: str | None = None
    crew_grid_code: str | None = None
    scopes: frozenset[str] = policy.DEFAULT_KEY_SCOPES
    department_code: str | None = None
    id: int | None = None

    @property
    def is_grid_worker(self) -> bool:
        return self.crew_code is not None and self.crew_kind == GRID_WORKER_KIND

    @property
    def actor(self) -> str:
        """Who is written into a ticket's history: the worker's crew, else the integration's key name."""
        return self.crew_code or self.name

    @property
    def principal(self) -> policy.Principal:
        """The key as the policy sees it: its scopes, bound to its department or crew (and the crew's grid)."""
        return policy.Principal(id=self.id, name=self.name, roles=frozenset(), display_name=self.actor,
                                department_code=self.department_code, crew_code=self.crew_code,
                                grid_code=self.crew_grid_code if self.crew_code else None, kind="api_key",
                                scopes=frozenset(self.scopes))


class UnknownKey(LookupError):
    """Nobody issued this key."""


class RevokedKey(PermissionError):
    """The key was issued to ``name`` and revoked since."""

    def __init__(self, name: str):
        super().__init__(name)
        self.name = name


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def new_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def checked_scopes(scopes) -> frozenset[str]:
    """The scopes asked for (none: ``policy.DEFAULT_KEY_SCOPES``); an unknown one is a ValueError naming it."""
    chosen = frozenset(s.strip() for s in (scopes or ()) if s and s.strip()) or policy.DEFAULT_KEY_SCOPES
    unknown = sorted(chosen - set(policy.KEY_SCOPES))
    if unknown:
        raise ValueError(f"unknown scope {unknown[0]!r} (scopes: {', '.join(policy.KEY_SCOPES)})")
    return chosen


def create_api_key(name: str, crew_code: str | None = None, engine: Engine | None = None, *,
                   scopes=None, department_code: str | None = None) -> str:
    """Store a new key under ``name`` and return the key itself (the only time it exists in clear)."""
    name = (name or "").strip()
    if not name or len(name) > MAX_NAME:
        raise ValueError(f"the key name must be 1–{MAX_NAME} characters")
    chosen = checked_scopes(scopes)
    key = new_key()
    with (engine or get_engine()).begin() as conn:
        if db.api_key_name_taken(conn, name):
            raise ValueError(f"an API key named {name!r} exists already (revoke-api-key it, or pick another name)")
        if crew_code is not None and db.crew_kind(conn, crew_code) is None:
            raise ValueError(f"no crew {crew_code!r}")
        if department_code is not None and not db.department_exists(conn, department_code):
            raise ValueError(f"no department {department_code!r}")
        db.insert_api_key(conn, name, hash_key(key), crew_code, datetime.now(timezone.utc),
                          scopes=sorted(chosen), department_code=department_code)
    return key


def set_active(name: str, active: bool, engine: Engine | None = None) -> bool:
    """Revoke (or restore) the key named ``name``; False when there is none."""
    with (engine or get_engine()).begin() as conn:
        return db.set_api_key_active(conn, name, active)


def identify(key: str) -> Caller:
    """The caller behind ``key``: UnknownKey for a key nobody issued, RevokedKey for a revoked one."""
    with get_engine().connect() as conn:
        row = db.api_key_by_hash(conn, hash_key(key))
    if row is None:
        raise UnknownKey()
    if not row["active"]:
        raise RevokedKey(row["name"])
    return Caller(row["name"], row["crew_code"], row["crew_kind"], row["crew_grid_code"],
                  frozenset(row["scopes"]), row["department_code"], row["id"])


def active_caller(key: str | None) -> Caller | None:
    """The caller behind ``key``, or None for a missing, unknown or revoked key alike."""
    if not key or not key.strip():
        return None
    try:
        return identify(key.strip())
    except (UnknownKey, RevokedKey):
        return None


def key_principal(key: str | None) -> policy.Principal | None:
    """The holder of an active key as a policy Principal (its scopes and binding), or None: for doors that take
    either a signed-in user or a key (GET /media/…)."""
    caller = active_caller(key)
    return caller.principal if caller else None
