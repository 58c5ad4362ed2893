"""Who is calling the API: the key presented in the X-API-Key header → services.api_keys, with the HTTP answers
(401 no or unknown key, 403 revoked, 400 a key in the URL); and the Flask CLI that issues and revokes keys.

A key is never taken from a URL of /api/v1 (``?api_key=…`` is refused with 400): URLs end up in proxy and server
logs, browser histories and Referer headers. (Open311 keeps its ``api_key`` parameter: its spec says so.)

The caller acts as its key's principal (``Caller.principal``): the services decide with the policy what its scopes
and bindings allow, so a view only passes it on.

`flask --app app:server create-api-key NAME [--scope S]… [--department CODE] [--crew CODE]` prints the key on its
last line (only its sha256 is stored; without --scope the key gets intake and read); `revoke-api-key NAME`
deactivates it.
"""
from __future__ import annotations

import click
from flask import Blueprint, Flask, g, request

from api.errors import ApiError, error_response
from services import audit
from services.api_keys import Caller, RevokedKey, UnknownKey, create_api_key, identify, set_active
from workorders import policy

HEADER = "X-API-Key"
QUERY_PARAM = "api_key"


def refuse_key_in_url() -> None:
    """before_request of /api/v1: a key in the query string is refused before anything reads it."""
    if QUERY_PARAM in request.args:
        raise ApiError(400, "api_key_in_url", f"API 密钥不能放在 URL 中（会留在日志和浏览器历史里）：请改用请求头 "
                       f"{HEADER} (send the key in the {HEADER} header, never in the URL)", QUERY_PARAM)


def presented_key() -> str | None:
    key = request.headers.get(HEADER)
    return key.strip() if key and key.strip() else None


def _caller(key: str) -> Caller:
    try:
        caller = identify(key)
    except UnknownKey:
        raise ApiError(401, "invalid_api_key", "API 密钥无效 (unknown API key)", HEADER) from None
    except RevokedKey as revoked:
        raise ApiError(403, "api_key_revoked", f"API 密钥 {revoked.name} 已停用 (this key was revoked)",
                       HEADER) from None
    g.api_principal = caller.principal          # who a refusal further in is recorded against
    return caller


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


def refused(error: policy.Forbidden):
    """A service refused the key (a scope it lacks, a ticket outside its binding): 403, written to the audit log."""
    audit.record("access_denied", actor=g.get("api_principal"), target=f"right:{error.right}", outcome="denied",
                 detail={"method": request.method, "path": request.path})
    return error_response(403, "forbidden", f"{error.message}（API 密钥的权限范围不足）", HEADER)


def install(blueprint: Blueprint) -> None:
    blueprint.before_request(refuse_key_in_url)
    blueprint.register_error_handler(policy.Forbidden, refused)


# ------------------------------------------------------------------------------------------------ Flask CLI

def register_cli(server: Flask) -> None:
    @server.cli.command("create-api-key")
    @click.argument("name")
    @click.option("--scope", "scopes", multiple=True, type=click.Choice(sorted(policy.KEY_SCOPES)),
                  help="what the key may do (repeat for several; default: intake and read)")
    @click.option("--department", default=None, help="bind the key to a department: only its tickets")
    @click.option("--crew", "crew", default=None, help="bind the key to a crew (a grid worker's phone: 网格员)")
    def create_api_key_command(name: str, scopes: tuple[str, ...], department: str | None,
                               crew: str | None) -> None:
        """Create an API key NAME and print it (once) on the last line."""
        audit.set_origin(audit.CLI)
        try:
            key = create_api_key(name, crew, scopes=scopes, department_code=department)
        except ValueError as error:
            raise click.ClickException(str(error)) from None
        chosen = sorted(scopes) if scopes else sorted(policy.DEFAULT_KEY_SCOPES)
        bound = "".join(f" bound to {kind} {code}" for kind, code in (("department", department), ("crew", crew))
                        if code)
        audit.record("api_key_created", actor="cli", target=f"api_key:{name}",
                     detail={"scopes": chosen, "department": department, "crew": crew})
        click.echo(f"API key {name!r} ({', '.join(chosen)}){bound} created; it is shown only now, store it safely:")
        click.echo(key)

    @server.cli.command("revoke-api-key")
    @click.argument("name")
    def revoke_api_key_command(name: str) -> None:
        """Deactivate the API key NAME (its requests are then refused with 403)."""
        audit.set_origin(audit.CLI)
        if not set_active(name, False):
            raise click.ClickException(f"no API key named {name!r}")
        audit.record("api_key_revoked", actor="cli", target=f"api_key:{name}")
        click.echo(f"API key {name!r} revoked")
