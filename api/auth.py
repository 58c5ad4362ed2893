"""API keys: who is calling, and the Flask CLI that issues and revokes keys.

A key is shown once, when created (`flask --app app:server create-api-key NAME [--crew CODE]` prints it on its
last line); the database keeps only its sha256. A key bound to a crew of kind 网格员 is a grid worker's phone.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timezone

import click
from flask import Flask, request
from sqlalchemy.engine import Engine

from api.errors import ApiError
from geo import api_keys as db
from geo.db import get_engine

HEADER = "X-API-Key"
QUERY_PARAM = "api_key"
GRID_WORKER_KIND = "网格员"
MAX_NAME = 64          # the name is the idempotency scope (idempotency_keys.scope is 64 characters)
KEY_PREFIX = "td_"


@dataclass(frozen=True)
class Caller:
    """The holder of a valid, active key."""
    name: str
    crew_code: str | None = None
    crew_kind: str | None = None
    crew_grid_code: str | None = None

    @property
    def is_grid_worker(self) -> bool:
        return self.crew_code is not None and self.crew_kind == GRID_WORKER_KIND

    @property
    def actor(self) -> str:
        """Who is written into a ticket's history: the worker's crew, else the integration's key name."""
        return self.crew_code or self.name


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def new_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def create_api_key(name: str, crew_code: str | None = None, engine: Engine | None = None) -> str:
    """Store a new key under ``name`` and return the key itself (the only time it exists in clear)."""
    name = (name or "").strip()
    if not name or len(name) > MAX_NAME:
        raise ValueError(f"the key name must be 1–{MAX_NAME} characters")
    key = new_key()
    with (engine or get_engine()).begin() as conn:
        if db.api_key_name_taken(conn, name):
            raise ValueError(f"an API key named {name!r} exists already (revoke-api-key it, or pick another name)")
        if crew_code is not None and db.crew_kind(conn, crew_code) is None:
            raise ValueError(f"no crew {crew_code!r}")
        db.insert_api_key(conn, name, hash_key(key), crew_code, datetime.now(timezone.utc))
    return key


def set_active(name: str, active: bool, engine: Engine | None = None) -> bool:
    with (engine or get_engine()).begin() as conn:
        return db.set_api_key_active(conn, name, active)


def presented_key() -> str | None:
    key = request.headers.get(HEADER) or request.args.get(QUERY_PARAM)
    return key.strip() if key and key.strip() else None


def identify(key: str) -> Caller:
    """The caller behind ``key``; 401 for a key nobody issued, 403 for a revoked one."""
    with get_engine().connect() as conn:
        row = db.api_key_by_hash(conn, hash_key(key))
    if row is None:
        raise ApiError(401, "invalid_api_key", "API 密钥无效 (unknown API key)", HEADER)
    if not row["active"]:
        raise ApiError(403, "api_key_revoked", f"API 密钥 {row['name']} 已停用 (this key was revoked)", HEADER)
    return Caller(row["name"], row["crew_code"], row["crew_kind"], row["crew_grid_code"])


def optional_caller() -> Caller | None:
    """The caller when a key is presented (a bad key is still refused), None for an anonymous request."""
    key = presented_key()
    return identify(key) if key else None


def required_caller() -> Caller:
    key = presented_key()
    if key is None:
        raise ApiError(401, "missing_api_key", f"需要 API 密钥：请在请求头 {HEADER} 中提供 (an API key is required)",
                       HEADER)
    return identify(key)


# ------------------------------------------------------------------------------------------------ Flask CLI

def register_cli(server: Flask) -> None:
    @server.cli.command("create-api-key")
    @click.argument("name")
    @click.option("--crew", "crew", default=None, help="bind the key to a crew (a grid worker's phone: 网格员)")
    def create_api_key_command(name: str, crew: str | None) -> None:
        """Create an API key NAME and print it (once) on the last line."""
        try:
            key = create_api_key(name, crew)
        except ValueError as error:
            raise click.ClickException(str(error)) from None
        click.echo(f"API key {name!r}" + (f" bound to crew {crew}" if crew else "") +
                   " created; it is shown only now, store it safely:")
        click.echo(key)

    @server.cli.command("revoke-api-key")
    @click.argument("name")
    def revoke_api_key_command(name: str) -> None:
        """Deactivate the API key NAME (its requests are then refused with 403)."""
        if not set_active(name, False):
            raise click.ClickException(f"no API key named {name!r}")
        click.echo(f"API key {name!r} revoked")
