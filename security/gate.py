"""The gate at the doors: every request is classified by its Flask endpoint, and every Dash callback by its
identity (its outputs), before anything runs.

- public: /login, /healthz, the map style and glyphs, static files and Dash's own files;
- API-key doors: /api/v1 (and the crews' position POST under it) and Open311 keep their own key rules;
- pages (Dash's index routes): ``policy.PAGES`` decides; nobody → 302 /login?next=…, a signed-in user without the
  role → 403;
- data endpoints (``policy.DATA_ENDPOINTS``): nobody → 401 JSON, a signed-in user without the right → 403 JSON;
- object endpoints (``OBJECT_ENDPOINTS``): the right depends on the object asked for (a photo may be public, or
  belong to a ticket the user may read), so the view asks the policy about that object (services.media) and
  answers 401/403 in the same JSON shape;
- Dash callbacks (POST /_dash-update-component): the callback named by the body's ``output`` is looked up in the
  app's callback map and its output components tell which page it belongs to (``COMPONENT_PAGES``). A callback
  of public pages only runs for anyone; any other needs a user who may open its page. The page router (the
  callback that returns page layouts) runs for anyone: each page's layout checks its own rule
  (security/pages.py). The ``pathname`` in the body is never consulted — the browser writes it.

Anything without a rule is refused: a new endpoint or callback must be given one here (the route and callback
tests fail until it is).
"""
from __future__ import annotations

import json
from dataclasses import dataclass

import dash
from dash._utils import split_callback_id
from flask import Flask, Response, jsonify, redirect, request, session

from security import csrf, limits
from security.next_url import login_url
from security.pages import page_of_path
from security.sessions import current_principal, dash_body
from security.views import forbidden_page
from services import audit
from workorders import policy

PUBLIC_ENDPOINTS = frozenset({
    "static", "_dash_assets.static", "/_dash-component-suites/<string:package_name>/<path:fingerprinted_path>",
    "/_dash-layout", "/_dash-dependencies", "/_reload-hash", "/_favicon.ico",
    "healthz", "healthz_database", "map_glyphs", "map_style_json", "identity.login_form", "identity.login", "identity.logout",
    "identity.static",
})
API_KEY_BLUEPRINTS = frozenset({"api_v1", "open311"})
OBJECT_ENDPOINTS = frozenset({"media.photo"})          # GET /media/<id>.<ext>
PAGE_ENDPOINTS = frozenset({"/", "/<path:path>"})         # Dash's index: every page path
CALLBACK_ENDPOINT = "/_dash-update-component"
# Pages served by Flask views rather than Dash (endpoint → its path in policy.PAGES): judged as pages, so nobody
# is sent to /login and a role without the page gets 403.
SERVER_PAGES: dict[str, str] = {"mobile.home": "/m", "mobile.tasks": "/m"}

# Which page a component belongs to, by its id's prefix (a pattern-matching id by its "type"); first match wins.
COMPONENT_PAGES: tuple[tuple[str, str], ...] = (
    ("hotline-", "/hotline"), ("report-", "/report"), ("track-", "/track"), ("evaluate-", "/evaluate/<token>"),
    ("an-", "/analytics"), ("wall-", "/wall"), ("command-map", "/"), ("map-", "/"), ("grid-panel", "/"),
    ("panel-ticket", "/"), ("assign-crew", "/"), ("live-selected-ticket", "/"), ("audit-", "/audit"),
    ("account-", "/account"),
    ("replay-", "/"),           # the command map in replay mode (/?replay=DAY)
    ("mediation-", "/mediation"),
    ("risk-", "/risk"),
    ("consultation-", "/consultation"),
    ("cpub-", "/consultation/<number>"),        # a session's public page
    ("resources-", "/resources"),
    ("petitions-", "/petitions"),
    ("sup-", "/supervision"),
)
COMPONENT_PAGES = COMPONENT_PAGES + (("tickets-", "/tickets"), ("ticket-detail-", "/tickets/<number>"),
                                     ("queue-", "/"),      # issue 11: the list, one ticket, the map's queue
                                     ("admin-", "/admin"))  # issue 11: 系统管理
COMPONENT_PAGES = COMPONENT_PAGES + (("work-", "/work"),)         # issue 11: 承办工作台
ROUTER_OUTPUTS = frozenset({"_pages_content", "_pages_store"})


@dataclass(frozen=True)
class Rule:
    kind: str                       # public | api_key | page | callback | data | object
    right: str | None = None


def endpoint_rule(endpoint: str | None) -> Rule | None:
    """The rule of a Flask endpoint; None: it has none (and is refused)."""
    if endpoint is None:
        return Rule("public")       # no route matched: Flask answers 404/405 itself
    if endpoint in PUBLIC_ENDPOINTS:
        return Rule("public")
    if endpoint.split(".")[0] in API_KEY_BLUEPRINTS:
        return Rule("api_key")
    if endpoint in PAGE_ENDPOINTS or endpoint in SERVER_PAGES:
        return Rule("page")
    if endpoint == CALLBACK_ENDPOINT:
        return Rule("callback")
    if endpoint in OBJECT_ENDPOINTS:
        return Rule("object")
    right = policy.DATA_ENDPOINTS.get(endpoint) or policy.DATA_ENDPOINTS.get(endpoint.split(".")[0])
    return Rule("data", right) if right else None


# ------------------------------------------------------------------------------------------------ callbacks

def _component_name(component_id: str) -> str:
    """A plain id as it is; a pattern-matching id ``{"type": …, "index": …}`` by its type."""
    if component_id.startswith("{"):
        try:
            return str(json.loads(component_id).get("type", ""))
        except ValueError:
            return ""
    return component_id


def callback_outputs(output_key: str) -> list[tuple[str, str]]:
    """(component, property) of each output named in a callback's key (``..a.children...b.data..``)."""
    parts = split_callback_id(output_key)
    parts = parts if isinstance(parts, list) else [parts]
    return [(_component_name(p["id"]), p["property"].split("@")[0]) for p in parts]


def component_page(name: str) -> str | None:
    for prefix, page in COMPONENT_PAGES:
        if name.startswith(prefix):
            return page
    return None


def callback_pages(output_key: str) -> frozenset[str] | str | None:
    """"router" for the pages router; else the pages the callback's outputs belong to; None when any output
    belongs to no known page (the callback has no rule)."""
    names = {name for name, _ in callback_outputs(output_key)}
    if names and names <= ROUTER_OUTPUTS:
        return "router"
    pages = {component_page(n) for n in names}
    return None if not names or None in pages else frozenset(pages)


def may_run(principal, pages: frozenset[str]) -> bool:
    return all(policy.may_open(principal, p) for p in pages)


# ------------------------------------------------------------------------------------------------ answers

def json_refusal(status: int, code: str, message: str) -> Response:
    response = jsonify(error={"code": code, "message": message, "field": None})
    response.status_code = status
    return response


def _denied(principal, what: str, status: int = 403) -> Response:
    audit.record("access_denied", actor=principal, target=what, outcome="denied",
                 detail={"method": request.method, "path": request.path})
    if status == 401:
        return json_refusal(401, "sign_in_required", "请先登录（会话可能已超时）")
    return json_refusal(403, "forbidden", "没有权限访问")


def refused_page(principal, path: str) -> Response:
    audit.record("access_denied", actor=principal, target=f"page:{path}", outcome="denied",
                 detail={"method": request.method, "path": request.full_path.rstrip("?")})
    return forbidden_page(principal)


# ------------------------------------------------------------------------------------------------ the gate

def cross_site_refusal(error: csrf.CrossSiteRefused) -> Response:
    audit.record("access_denied", actor=current_principal(), target=f"path:{request.path}", outcome="denied",
                 detail={"reason": error.reason, "method": request.method})
    return json_refusal(403, "cross_site_request", "拒绝来自其他站点的请求（CSRF）")


def check_request(app: dash.Dash) -> Response | None:
    """before_request. Answers (rather than raises) its refusals: a blueprint's catch-all error handler must not
    turn them into something else."""
    rule = endpoint_rule(request.endpoint)
    try:
        csrf.check(signed_in="_user_id" in session)
    except csrf.CrossSiteRefused as error:
        return cross_site_refusal(error)
    if rule is None:
        return _denied(current_principal(), f"endpoint:{request.endpoint}")
    if rule.kind in ("public", "api_key", "object"):
        return None
    principal = current_principal()
    if rule.kind == "page":
        page = SERVER_PAGES.get(request.endpoint) or page_of_path(app, request.path)
        if page is not None and policy.page_rule(page) == policy.PUBLIC:
            return None
        if principal is None:
            return redirect(login_url(request.full_path.rstrip("?")))
        if page is not None and not policy.may_open(principal, page):
            return refused_page(principal, page)
        return None
    if rule.kind == "data":
        if principal is None:
            return _denied(None, f"endpoint:{request.endpoint}", 401)
        if not policy.can(principal, rule.right):
            return _denied(principal, f"endpoint:{request.endpoint}")
        return None
    return _check_callback(app, principal)


def _check_callback(app: dash.Dash, principal) -> Response | None:
    output = dash_body().get("output")
    if not isinstance(output, str) or app.callback_map.get(output, {}).get("callback") is None:
        return json_refusal(400, "unknown_callback", "未知的回调")     # none, or one that runs in the browser
    pages = callback_pages(output)
    if pages is None:
        return _denied(principal, f"callback:{output[:150]}")
    if pages != "router" and not all(policy.page_rule(p) == policy.PUBLIC for p in pages):
        if principal is None:
            return _denied(None, f"callback:{output[:150]}", 401)
        if not may_run(principal, pages):
            return _denied(principal, f"callback:{output[:150]}")
    name = limits.callback_limit(callback_outputs(output))
    if name:
        try:
            limits.hit(name)
        except limits.RateLimited as error:
            return limits.too_many_requests(error)
    return None


def install(app: dash.Dash) -> None:
    server: Flask = app.server

    @server.before_request
    def gate():
        return check_request(app)

    server.register_error_handler(limits.RateLimited, limits.too_many_requests)    # a limit hit further in

    @server.errorhandler(policy.Forbidden)
    def forbidden(error: policy.Forbidden):
        # A service (or a view) refused: 401 for nobody, 403 for a principal without the right.
        if isinstance(error, policy.SignInRequired):
            return json_refusal(401, "sign_in_required", error.message)
        audit.record("access_denied", actor=current_principal(), target=f"right:{error.right}", outcome="denied",
                     detail={"method": request.method, "path": request.path})
        return json_refusal(403, "forbidden", error.message)
