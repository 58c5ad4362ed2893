"""The rights matrix: every server-side Dash callback and every Flask route of the real app, called as every role
and as nobody, must be refused (401/403) exactly where the policy says so.

Nothing here is a hand list of callbacks or routes: both are read from the app (``app.callback_map``,
``server.url_map``) when the tests are collected, so a new callback or route appears here by itself. What each one
expects is derived from the policy — ``policy.PAGES`` (who opens a page), ``gate.COMPONENT_PAGES`` (which page a
callback's outputs belong to) and ``policy.DATA_ENDPOINTS`` (which right a data endpoint needs) — plus the
explicit tables of exceptions below. A callback or route that none of them covers fails with a message that says
what to add.

Refused means 401 (nobody) or 403 (a role without the right); anything else counts as "ran" (200, 204 for a
PreventUpdate, a 400 for an empty body; a callback that cannot take a null input answers 500 — it ran). Callback
bodies are well formed, as Dash's renderer sends them, with every input and state null (a pattern-matching ALL
input: no components).
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass

import pytest

from harness.signing_in import csrf_headers
from tests.integration.dash_requests import router_body, started_dash_app
from workorders import policy

NOBODY = "nobody"
WHO = (NOBODY, *policy.ROLES)
EVERYONE = frozenset(WHO)
ROLES = frozenset(policy.ROLES)

# ------------------------------------------------------------------------------------------------ exceptions

# Routes anyone may call, signed in or not (Flask endpoint names). The gate keeps its own list
# (security/gate.py PUBLIC_ENDPOINTS); a route made public there must be made public here too, on purpose.
PUBLIC_ENDPOINTS = frozenset({
    "static", "_dash_assets.static", "identity.static",
    "/_dash-component-suites/<string:package_name>/<path:fingerprinted_path>", "/_dash-layout",
    "/_dash-dependencies", "/_reload-hash", "/_favicon.ico",
    "healthz", "map_glyphs", "map_style_json", "identity.login_form", "identity.login", "identity.logout",
    "healthz_database",     # issue 12: the outage banner's probe, says only whether PostgreSQL answers
})
# Routes whose right depends on the object asked for (security/gate.py OBJECT_ENDPOINTS): the gate lets them
# through and the view asks the policy about that object. Here with an object that does not exist: nobody is
# refused (401, whether it exists or not), a signed-in user is told it does not exist (404).
OBJECT_ENDPOINTS = frozenset({"media.photo"})
PAGE_ENDPOINTS = frozenset({"/", "/<path:path>"})     # Dash's index: the page at the path decides (policy.PAGES)
# Pages served by Flask views (security/gate.py SERVER_PAGES): endpoint → its path in policy.PAGES.
SERVER_PAGES = {"mobile.home": "/m", "mobile.tasks": "/m"}
CALLBACK_ENDPOINT = "/_dash-update-component"          # the callbacks' own matrix below
NO_PAGE = "/no-such-page"                              # a path that is no page: Dash's 404 for a signed-in user

# The API-key doors (/api/v1, Open311). Which of their routes need a key is theirs to say; here: nobody without
# a key is refused by those that need one, and not by the open ones. Key scopes: tests/integration/test_api_keys.py.
KEY_REQUIRED = frozenset({
    ("api_v1.list_tickets", "GET"), ("api_v1.read_ticket", "GET"), ("api_v1.transition_ticket", "POST"),
    ("api_v1.list_supervisions", "GET"), ("api_v1.act_on_supervision", "POST"), ("api_v1.raise_alarm", "POST"),
    ("api_v1.add_ticket_photos", "POST"),           # a ticket's photos (services/media.py)
    ("api_v1.crew_position", "POST"),               # issue 10: "a position is accepted only from … a key"
    ("open311.requests", "POST"),                   # Open311: a submission needs its api_key
    # issue 11, handling (services/handling.py): extensions, their decision, hold, resume, co-handling answers
    ("api_v1.request_extension", "POST"), ("api_v1.decide_extension", "POST"), ("api_v1.hold_ticket", "POST"),
    ("api_v1.resume_ticket", "POST"), ("api_v1.answer_assist", "POST"),
})
KEY_OPTIONAL = frozenset({
    ("api_v1.openapi_document", "GET"), ("api_v1.list_categories", "GET"), ("api_v1.suggest_places", "GET"),
    ("api_v1.create_ticket", "POST"),               # anonymous intake (rate-limited)
    ("api_v1.evaluate", "POST"),                    # the citizen's evaluation link
    *((("api_v1.unknown_path", m) for m in ("GET", "POST", "PUT", "PATCH", "DELETE"))),
    ("open311.services", "GET"), ("open311.service_definition", "GET"), ("open311.requests", "GET"),
    ("open311.one_request", "GET"), ("open311.token", "GET"), ("open311.unknown", "GET"), ("open311.unknown", "POST"),
})
KEY_BLUEPRINTS = ("api_v1", "open311")
# Known holes that belong to another change; each is an expected failure (strict: it must fail until fixed).
KEY_HOLES: dict[tuple[str, str], str] = {}

# Callbacks whose outputs are no page's components, by the set of their output components.
ROUTER_OUTPUTS = frozenset({"_pages_content", "_pages_store"})
CALLBACK_EXCEPTIONS: dict[frozenset[str], frozenset[str]] = {
    # The pages router runs for anyone: each page's layout refuses for itself (test_the_router_* below).
    ROUTER_OUTPUTS: EVERYONE,
}
# Callbacks of a page that need a right beyond opening it (the page shows figures to more roles than may act).
CALLBACK_EXCEPTIONS[frozenset({"mediation-download"})] = frozenset(
    role for role, rights in policy.ROLE_RIGHTS.items() if "mediation" in rights)
CALLBACK_EXCEPTIONS[frozenset({"risk-download"})] = frozenset(
    role for role, rights in policy.ROLE_RIGHTS.items() if "risk_assessment" in rights)
CALLBACK_EXCEPTIONS[frozenset({"petitions-download"})] = frozenset(
    role for role, rights in policy.ROLE_RIGHTS.items() if "petitions" in rights)
CALLBACK_EXCEPTIONS[frozenset({"resources-download"})] = frozenset(
    role for role, rights in policy.ROLE_RIGHTS.items() if "resources" in rights)

# Example values for the variables of a route, so that every route can be called.
EXAMPLES = {"fmt": "json", "path": "no-such-page", "number": "20260101-000001", "token": "x", "code": "WATER-01",
            "fontstack": "Open Sans", "start": "0", "end": "255", "filename": "shell.css", "package_name": "dash",
            "fingerprinted_path": "dash.js", "rest": "x", "anything": "x", "service_code": "water",
            "service_request_id": "1", "supervision_id": "1",
            "photo_id": "0" * 32, "ext": "jpg"}
EXAMPLES["extension_id"] = "1"          # issue 11: POST /api/v1/extensions/<id>/decision


class NoExpectation(AssertionError):
    """A callback or route the matrix has no expectation for: the message says what to add."""


# ------------------------------------------------------------------------------------------------ expectations

def page_audience(page: str) -> frozenset[str]:
    """Who may open ``page`` (a registered path template), read from ``policy.PAGES``."""
    if page not in policy.PAGES:
        raise NoExpectation(f"page {page} has no rule: add it to policy.PAGES (workorders/policy.py)")
    rule = policy.PAGES[page]
    if rule == policy.PUBLIC:
        return EVERYONE
    if rule == policy.SIGNED_IN:
        return ROLES
    return frozenset(rule)


def right_holders(right: str) -> frozenset[str]:
    return frozenset(role for role, rights in policy.ROLE_RIGHTS.items() if right in rights)


def component_of(component_id: str) -> str:
    """A plain id as it is; a pattern-matching id by its ``type``."""
    return json.loads(component_id)["type"] if component_id.startswith("{") else component_id


def output_parts(output_key: str) -> list[tuple[str, str]]:
    """(component id, property) of each output in a callback's key; ``@hash`` of duplicate outputs dropped."""
    from dash._utils import split_callback_id
    parts = split_callback_id(output_key)
    return [(p["id"], p["property"].split("@")[0]) for p in (parts if isinstance(parts, list) else [parts])]


def page_of_component(name: str) -> str | None:
    from security.gate import COMPONENT_PAGES
    return next((page for prefix, page in COMPONENT_PAGES if name.startswith(prefix)), None)


def callback_audience(output_key: str) -> frozenset[str]:
    """Who may run the callback: everyone who may open every page its outputs belong to."""
    names = frozenset(component_of(c) for c, _ in output_parts(output_key))
    if names in CALLBACK_EXCEPTIONS:
        return CALLBACK_EXCEPTIONS[names]
    audience = EVERYONE
    for name in sorted(names):
        page = page_of_component(name)
        if page is None:
            raise NoExpectation(
                f"callback {output_key!r}: output component {name!r} belongs to no page. Add its id prefix to "
                f"COMPONENT_PAGES in security/gate.py (and the page to policy.PAGES), or, if it is no page's, "
                f"an entry to CALLBACK_EXCEPTIONS in {__name__.replace('.', '/')}.py")
        audience &= page_audience(page)
    return audience


@dataclass(frozen=True)
class Route:
    endpoint: str
    method: str
    path: str
    template: str = ""                   # a page's registered path

    @property
    def blueprint(self) -> str:
        return self.endpoint.split(".")[0]


def route_kind(route: Route) -> str:
    """public | page | object | key | data | callback, or NoExpectation."""
    if route.endpoint in PUBLIC_ENDPOINTS:
        return "public"
    if route.endpoint in PAGE_ENDPOINTS or route.endpoint in SERVER_PAGES:
        return "page"
    if route.endpoint in OBJECT_ENDPOINTS:
        return "object"
    if route.endpoint == CALLBACK_ENDPOINT:
        return "callback"
    if route.blueprint in KEY_BLUEPRINTS:
        if (route.endpoint, route.method) not in KEY_REQUIRED | KEY_OPTIONAL:
            raise NoExpectation(f"{route.method} {route.path} ({route.endpoint}) has no expectation: add it to "
                                f"KEY_REQUIRED or KEY_OPTIONAL in {__name__.replace('.', '/')}.py")
        return "key"
    if data_right(route) is not None:
        return "data"
    raise NoExpectation(
        f"{route.method} {route.path} ({route.endpoint}) has no expectation: a data endpoint needs its right in "
        f"policy.DATA_ENDPOINTS (workorders/policy.py); a route anyone may call goes into PUBLIC_ENDPOINTS in "
        f"security/gate.py and in {__name__.replace('.', '/')}.py")


def data_right(route: Route) -> str | None:
    return policy.DATA_ENDPOINTS.get(route.endpoint) or policy.DATA_ENDPOINTS.get(route.blueprint)


def route_audience(route: Route) -> frozenset[str]:
    kind = route_kind(route)
    if kind == "public":
        return EVERYONE
    if kind == "page":
        return ROLES if route.template == NO_PAGE else page_audience(route.template)
    if kind == "object":
        return ROLES
    return right_holders(data_right(route))


# ------------------------------------------------------------------------------------------------ the app's own

def example_path(rule: str) -> str:
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", lambda m: EXAMPLES[m.group(1)], rule)


def page_paths() -> list[tuple[str, str]]:
    """(path to request, registered template) of every Dash page, and one path that is no page."""
    import dash
    pages = [(p.get("path_template") or p["path"]) for p in dash.page_registry.values()]
    return [(example_path(t), t) for t in sorted(pages)] + [(NO_PAGE, NO_PAGE)]


def app_routes(server) -> list[Route]:
    """Every route × method of the url_map; Dash's index stands for each page it serves."""
    routes = []
    for rule in sorted(server.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if rule.endpoint == "/<path:path>":
                continue                           # the pages below, "/" included
            if rule.endpoint == "/":
                routes += [Route(rule.endpoint, method, path, template) for path, template in page_paths()]
            else:
                routes.append(Route(rule.endpoint, method, example_path(rule.rule), SERVER_PAGES.get(rule.endpoint, "")))
    return routes


def server_callbacks(dash_app) -> list[str]:
    return sorted(k for k, v in dash_app.callback_map.items() if v.get("callback") is not None)


def readable(output_key: str) -> str:
    """The first output as ``component.property`` (a pattern-matching one as ``type[ALL]``), ``+N`` for more."""
    parts = output_parts(output_key)
    component, prop = parts[0]
    if component.startswith("{"):
        parsed = json.loads(component)
        component = parsed.pop("type") + "[" + ",".join(str(v[0] if isinstance(v, list) else v)
                                                       for v in parsed.values()) + "]"
    return f"{component}.{prop}" + (f"+{len(parts) - 1}" if len(parts) > 1 else "")


# The route fixtures and the kinds of route each one takes.
ROUTE_FIXTURES = {"guarded_route": ("page", "data", "object"), "public_route": ("public",), "key_route": ("key",),
                  "unruled_route": ("unknown",)}


def pytest_generate_tests(metafunc):
    """Parametrise from the app itself: its callback map, its url_map and its pages."""
    wanted = set(metafunc.fixturenames)
    if not wanted & {"callback_key", "router_page", *ROUTE_FIXTURES}:
        return
    dash_app = started_dash_app()
    if "callback_key" in wanted:
        keys = server_callbacks(dash_app)
        metafunc.parametrize("callback_key", keys, ids=[f"callback:{readable(k)}" for k in keys])
    if "router_page" in wanted:
        pages = [p for p in page_paths() if p[1] != NO_PAGE]
        metafunc.parametrize("router_page", pages, ids=[f"router:{path}" for path, _ in pages])
    for name in wanted & set(ROUTE_FIXTURES):
        chosen = [r for r in app_routes(dash_app.server)
                  if r.endpoint != CALLBACK_ENDPOINT and _kind_or_unknown(r) in ROUTE_FIXTURES[name]]
        metafunc.parametrize(name, chosen, ids=[_route_id(r) for r in chosen])
    if "who" in wanted:
        metafunc.parametrize("who", WHO, ids=[f"as-{w}" for w in WHO])


def _kind_or_unknown(route: Route) -> str:
    try:
        return route_kind(route)
    except NoExpectation:
        return "unknown"


def _route_id(route: Route) -> str:
    return f"{'page' if route.template else 'endpoint'}:{route.method} {route.path}"


# ------------------------------------------------------------------------------------------------ requests

def empty_value(dependency: dict):
    """What the renderer sends for an input or state with no value: null; a pattern-matching ALL that matches
    no component: an empty list."""
    if not dependency["id"].startswith("{"):
        return {"id": dependency["id"], "property": dependency["property"], "value": None}
    wildcards = {str(v) for v in json.loads(dependency["id"]).values() if isinstance(v, list)}
    assert wildcards == {"['ALL']"}, f"add a body for the wildcard(s) {wildcards} of {dependency['id']}"
    return []


def callback_request(dash_app, output_key: str) -> dict:
    """``POST /_dash-update-component`` for ``output_key`` as Dash's renderer writes it, every value null."""
    declared = dash_app.callback_map[output_key]
    outputs = [[] if c.startswith("{") else {"id": c, "property": p} for c, p in output_parts(output_key)]
    return {"output": output_key, "outputs": outputs if output_key.startswith("..") else outputs[0],
            "inputs": [empty_value(d) for d in declared["inputs"]],
            "state": [empty_value(d) for d in declared["state"]], "changedPropIds": []}


def refused(status: int) -> bool:
    return status in (401, 403)


def assert_outcome(answer, who: str, allowed: bool, what: str) -> None:
    status = answer.status_code
    if allowed:
        assert not refused(status), f"{what} as {who}: refused ({status}) but the policy allows it"
    elif who == NOBODY:
        assert status == 401, f"{what} as nobody: {status}, want 401 (sign in first)"
    else:
        assert status == 403, f"{what} as {who}: {status}, want 403 (the policy refuses it)"


# ------------------------------------------------------------------------------------------------ the matrix

def test_callback(dash_app, role_clients, callback_key, who):
    allowed = who in callback_audience(callback_key)
    client = role_clients[who]
    answer = client.post(CALLBACK_ENDPOINT, json=callback_request(dash_app, callback_key), headers=csrf_headers(client))
    assert_outcome(answer, who, allowed, f"callback {readable(callback_key)}")


def test_route(role_clients, guarded_route, who):
    route = guarded_route
    client = role_clients[who]
    answer = client.open(route.path, method=route.method, headers=csrf_headers(client))
    try:
        allowed = who in route_audience(route)
        if route_kind(route) == "page" and who == NOBODY and not allowed:
            assert answer.status_code == 302 and answer.headers["Location"].startswith("/login"), (
                f"page {route.path} as nobody: {answer.status_code}, want 302 to /login")
        else:
            assert_outcome(answer, who, allowed, f"{route.method} {route.path}")
    finally:
        answer.close()                                  # /live/events streams until closed


def test_public_route_runs_for_nobody(role_clients, public_route):
    route = public_route
    answer = role_clients[NOBODY].open(route.path, method=route.method)
    assert not refused(answer.status_code), f"{route.method} {route.path}: {answer.status_code} for nobody"
    answer.close()


def test_api_key_route_without_a_key(role_clients, key_route, request):
    route = key_route
    hole = KEY_HOLES.get((route.endpoint, route.method))
    if hole:
        request.applymarker(pytest.mark.xfail(reason=hole, strict=True))
    answer = role_clients[NOBODY].open(route.path, method=route.method, json={})
    needs_key = (route.endpoint, route.method) in KEY_REQUIRED
    assert refused(answer.status_code) == needs_key, (
        f"{route.method} {route.path} without a key: {answer.status_code}, "
        f"want {'401/403' if needs_key else 'no refusal'}")


def test_route_without_an_expectation(unruled_route):
    route_kind(unruled_route)                               # raises NoExpectation, saying what to add


def test_every_route_and_callback_has_an_expectation(dash_app):
    """The collected matrix covers the app: nothing is left out because it matched no table."""
    for route in app_routes(dash_app.server):
        if route_kind(route) in ("public", "page", "data"):
            route_audience(route)
    for key in server_callbacks(dash_app):
        callback_audience(key)


def test_a_callback_of_no_page_has_no_expectation_and_the_message_says_what_to_add():
    with pytest.raises(NoExpectation, match="COMPONENT_PAGES in security/gate.py"):
        callback_audience("..brand-new-widget.children...hotline-history.children..")
    with pytest.raises(NoExpectation, match="policy.DATA_ENDPOINTS"):
        route_kind(Route("reports.download", "GET", "/reports/download"))
    with pytest.raises(NoExpectation, match="KEY_REQUIRED or KEY_OPTIONAL"):
        route_kind(Route("api_v1.delete_ticket", "DELETE", "/api/v1/tickets/1"))


# ------------------------------------------------------------------------------------------------ the router

def test_the_router_gives_each_page_only_to_its_audience(role_clients, router_page, who):
    """The router runs for anyone (the body names the page); the layout of each page refuses in the answer."""
    path, template = router_page
    client = role_clients[who]
    answer = client.post(CALLBACK_ENDPOINT, json=router_body(path), headers=csrf_headers(client))
    assert answer.status_code == 200
    content = json.dumps(answer.get_json(), ensure_ascii=False)
    sent_to_login = '"shell-redirect"' in content and "/login" in content
    refusal = "无权访问此页面" in content
    if who in page_audience(template):
        assert not sent_to_login and not refusal, f"{path} as {who}: the page refused, the policy allows it"
    elif who == NOBODY:
        assert sent_to_login and len(content) < 1000, f"{path} as nobody: want only a redirect to /login"
    else:
        assert refusal, f"{path} as {who}: the page was served, the policy refuses it"
