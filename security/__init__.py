"""The HTTP side of identity and security: sessions, sign-in pages, the gate at the doors, CSRF, rate limits,
headers and the user CLI. ``install(app)`` wires all of it into the Dash app's Flask server, once every page,
callback and blueprint is registered. Rights themselves are decided in workorders/policy.py.

Order matters: sessions (and the idle timeout) before the gate, the gate before the rate limits.
"""
from __future__ import annotations

import dash
from flask import request
from werkzeug.middleware.proxy_fix import ProxyFix

from security import cli, csrf, gate, headers, limits, outages, pages, sessions, views
from services import audit
from settings import get_settings


def _remember_origin() -> None:
    audit.set_origin(audit.Origin(request.remote_addr, request.headers.get("User-Agent")))


def install(app: dash.Dash) -> None:
    server = app.server
    server.extensions["dash_app"] = app
    hops = get_settings().forwarded_hops
    if hops:
        server.wsgi_app = ProxyFix(server.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    headers.install(app)
    outages.install(server)
    server.before_request(_remember_origin)
    sessions.install(server)
    views.install(server)
    gate.install(app)
    limits.install(server)
    csrf.install(server)
    pages.install()
    cli.register(server)
