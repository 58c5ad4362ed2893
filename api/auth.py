"""Who is calling the API: the key presented (X-API-Key header or api_key parameter) → services.api_keys, with the
HTTP answers (401 no or unknown key, 403 revoked); and the Flask CLI that issues and revokes keys.

`flask --app app:server create-api-key NAME [--crew CODE]` prints the key on its last line (only its sha256 is
stored); `revoke-api-key NAME` deactivates it.
"""
from __future__ import annotations

import click
from flask import Flask, request

from api.errors import ApiError
from services.api_keys import Caller, RevokedKey, UnknownKey, create_api_key, identify, set_active

HEADER = "X-API-Key"
QUERY_PARAM = "api_key"


def presented_key() -> str | None:
    key = request.headers.get(HEADER) or request.args.get(QUERY_PARAM)
    return key.strip() if key and key.strip() else None


def _caller(key: str) -> Caller:
    try:
        return identify(key)
    except UnknownKey:
        raise ApiError(401, "invalid_api_key", "API 密钥无效 (unknown API key)", HEADER) from None
    except RevokedKey as revoked:
        raise ApiError(403, "api_key_revoked", f"API 密钥 {revoked.name} 已停用 (this key was revoked)",
                       HEADER) from None


def optional_caller() -> Caller | None:
    """The caller when a key is presented (a bad key is still refused), None for an anonymous request."""
    key = presented_key()
    return _caller(key) if key else None


def required_caller() -> Caller:
    key = presented_key()
    if key is None:
        raise ApiError(401, "missing_api_key", f"需要 API 密钥：请在请求头 {HEADER} 中提供 (an API key is required)",
                       HEADER)
    return _caller(key)


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
