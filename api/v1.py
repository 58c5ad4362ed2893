"""REST JSON API under /api/v1 (thin: validate → services → JSON). Described by /api/v1/openapi.json.

Who may call what: reads of tickets and supervisions, transitions, supervision actions and alarms need an API key
(X-API-Key header or api_key parameter); categories, address suggestions, the citizen's evaluation (the link's
token is the credential) and the OpenAPI document are open; filing a ticket is open for the ``api``/``web``
channels (see api/intake.py for the channel rules).

Idempotency-Key: POST /tickets and POST /alarms store it (scope = the key's name, or "anonymous"): the same key
with the same body answers 200 with the first answer's ticket, another body answers 422. The other POSTs accept
the header and store nothing (a transition repeated is refused by the state table anyway).
"""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, Flask, Response, current_app, request
from werkzeug.exceptions import HTTPException

from api import alarms, render
from api.auth import Caller, optional_caller, register_cli, required_caller
from api.errors import ApiError, json_response, jsonify_stray_errors, register_error_handlers
from api.inputs import (MAX_CODE, bad, idempotency_key, json_body, json_object, only_fields, query_code,
                        query_int, query_list, query_time, text, transition_data,
                        unknown_query_params)
from api.intake import new_ticket_from
from api.openapi import document
from geo import tickets as ticket_db
from geo.api_keys import crew_kind
from geo.db import get_engine
from services import tickets as service
from settings import get_settings
from workorders.states import ACTIONS, STATES

PREFIX = "/api/v1"
blueprint = Blueprint("api_v1", __name__, url_prefix=PREFIX)
register_error_handlers(blueprint)

ANONYMOUS_SCOPE = "anonymous"
MAX_LIST = 500
MAX_BIGINT = 2 ** 63 - 1
LIST_PARAMS = ("state", "category", "channel", "street", "grid", "community", "department", "phone", "since",
               "until", "limit", "offset")


def _scope(caller: Caller | None) -> str:
    return caller.name if caller else ANONYMOUS_SCOPE


# ------------------------------------------------------------------------------------------------ open reads

@blueprint.get("/openapi.json")
def openapi_document() -> Response:
    return json_response(document())


@blueprint.get("/categories")
def list_categories() -> Response:
    with get_engine().connect() as conn:
        catalogue = service.categories(conn)
    return json_response({"categories": [render.category_json(c) for c in catalogue.values()]})


@blueprint.get("/places")
def suggest_places() -> Response:
    unknown_query_params(("q", "limit"))
    query = (request.args.get("q") or "").strip()
    if not query:
        raise bad("q", "请输入要查找的地址 q")
    if len(query) > 100:
        raise bad("q", "地址查询不能超过 100 字")
    limit = query_int("limit", 8, 1, 50)
    with get_engine().connect() as conn:
        places = ticket_db.search_places(conn, query, limit=limit)
    return json_response({"places": [render.place_json(p) for p in places]})


# ------------------------------------------------------------------------------------------------ tickets

@blueprint.post("/tickets")
def create_ticket() -> Response:
    caller = optional_caller()
    new = new_ticket_from(json_body(), caller)
    key = idempotency_key()
    created = service.create_ticket(new, idempotency=(_scope(caller), key) if key else None)
    ticket = created.ticket
    duplicates = created.duplicates if created.created else _possible_duplicates(ticket)
    body = {"ticket": render.ticket_json(ticket), "duplicates": [render.duplicate_json(d) for d in duplicates]}
    if created.created:
        return json_response(body, 201, {"Location": f"{PREFIX}/tickets/{ticket['number']}"})
    return json_response(body, 200, {"Idempotent-Replayed": "true"})


def _possible_duplicates(ticket: dict) -> list[dict]:
    """An idempotent replay answers like the first time: the open look-alikes near the ticket."""
    settings = get_settings()
    since = ticket["registered_at"] - timedelta(hours=settings.duplicate_window_hours)
    with get_engine().connect() as conn:
        return ticket_db.open_tickets_near(conn, ticket["category_code"], ticket["lon"], ticket["lat"],
                                           settings.duplicate_radius_m, since, exclude_id=ticket["id"])


@blueprint.get("/tickets")
def list_tickets() -> Response:
    required_caller()
    unknown_query_params(LIST_PARAMS)
    with get_engine().connect() as conn:
        categories = set(service.categories(conn))
        filters = _list_filters(categories)
        limit, offset = query_int("limit", 50, 1, MAX_LIST), query_int("offset", 0, 0, 10_000_000)
        rows = ticket_db.list_tickets(conn, filters, limit=limit, offset=offset)
    return json_response({"tickets": [render.ticket_json(t) for t in rows], "limit": limit, "offset": offset,
                          "next_offset": offset + limit if len(rows) == limit else None})


def _list_filters(categories: set[str]) -> dict:
    since, until = query_time("since"), query_time("until")
    if since and until and since >= until:
        raise bad("until", "until 须晚于 since")
    phone = "".join(ch for ch in (request.args.get("phone") or "") if ch.isdigit())
    if request.args.get("phone") and not 5 <= len(phone) <= 15:
        raise bad("phone", "电话号码无效")
    return {"state": query_list("state", set(STATES)), "category": query_list("category", categories),
            "channel": query_list("channel", set(service.CHANNELS)), "street": query_code("street"),
            "grid": query_code("grid"), "community": query_code("community"),
            "department": query_code("department"), "phone": phone or None, "since": since, "until": until}


@blueprint.get("/tickets/<number>")
def read_ticket(number: str) -> Response:
    required_caller()
    ticket, events = service.history(number)
    return json_response({"ticket": render.ticket_json(ticket), "events": [render.event_json(e) for e in events]})


@blueprint.post("/tickets/<number>/transitions")
def transition_ticket(number: str) -> Response:
    caller = required_caller()
    body = json_body()
    only_fields(body, ("action", "reason", "department", "crew", "data"))
    action = text(body, "action", required=True, max_len=MAX_CODE)
    if action not in ACTIONS:
        raise bad("action", f"未知操作 {action!r}（可选：{', '.join(ACTIONS)}）")
    reason = text(body, "reason")
    if ACTIONS[action].needs_reason and reason is None:
        raise bad("reason", f"{ACTIONS[action].label}（{action}）须说明理由 reason")
    data = transition_data(action, json_object(body, "data"))
    department, crew = text(body, "department", max_len=MAX_CODE), text(body, "crew", max_len=MAX_CODE)
    _check_references(department, crew)
    done = service.transition(number, action, caller.actor, reason=reason, department=department, crew=crew,
                              data=data)
    return json_response({"ticket": render.ticket_json(done.ticket), "notice": done.notice})


def _check_references(department: str | None, crew: str | None) -> None:
    """A department or crew that does not exist is the caller's typo (400), not a state conflict."""
    if not (department or crew):
        return
    with get_engine().connect() as conn:
        if department and department not in ticket_db.department_codes(conn):
            raise bad("department", f"没有部门 {department!r}")
        if crew and crew_kind(conn, crew) is None:
            raise bad("crew", f"没有队伍 {crew!r}")


# ------------------------------------------------------------------------------------------------ citizens

@blueprint.post("/evaluations/<token>")
def evaluate(token: str) -> Response:
    body = json_body()
    only_fields(body, ("satisfaction", "comment"))
    satisfaction = text(body, "satisfaction", required=True, max_len=MAX_CODE)
    comment = text(body, "comment")
    if len(token) > 64:
        raise service.NotFound("评价链接无效")
    ticket = service.evaluate(token, satisfaction, comment)
    return json_response({"evaluation": render.evaluated_json(ticket)})


# ------------------------------------------------------------------------------------------------ supervision

@blueprint.get("/supervisions")
def list_supervisions() -> Response:
    required_caller()
    unknown_query_params(("all",))
    show_all = (request.args.get("all") or "").lower() in ("1", "true", "yes")
    with get_engine().connect() as conn:
        rows = ticket_db.supervision_list(conn, open_only=not show_all)
    return json_response({"supervisions": [render.supervision_json(r) for r in rows]})


@blueprint.post(f"/supervisions/<int(max={MAX_BIGINT}):supervision_id>/actions")
def act_on_supervision(supervision_id: int) -> Response:
    caller = required_caller()
    body = json_body()
    only_fields(body, ("note",))
    note = text(body, "note", required=True)
    action_id = service.supervise(supervision_id, caller.actor, note)
    return json_response({"action": {"id": action_id, "supervision_id": supervision_id, "actor": caller.actor,
                                     "note": note.strip()}}, 201)


# ------------------------------------------------------------------------------------------------ 一键通

@blueprint.post("/alarms")
def raise_alarm() -> Response:
    caller = required_caller()
    body = json_body()
    only_fields(body, ("device_id", "category"))
    device_id = text(body, "device_id", required=True, max_len=64).strip()
    key = idempotency_key()
    alarm = alarms.raise_alarm(device_id, text(body, "category", max_len=MAX_CODE), registered_by=caller.actor,
                               idempotency=(_scope(caller), key) if key else None)
    body = {"ticket": render.ticket_json(alarm.ticket)}
    if alarm.created:
        return json_response(body, 201, {"Location": f"{PREFIX}/tickets/{alarm.ticket['number']}"})
    return json_response(body, 200)


# ------------------------------------------------------------------------------------------------ the rest

UNKNOWN_ENDPOINT = "api_v1.unknown_path"
ANY_METHOD = ("GET", "POST", "PUT", "PATCH", "DELETE")


@blueprint.route("/", methods=ANY_METHOD, endpoint="unknown_path", defaults={"rest": ""})
@blueprint.route("/<path:rest>", methods=ANY_METHOD, endpoint="unknown_path")
def unknown_path(rest: str) -> Response:
    """Without this, the dashboard's catch-all page would answer an unknown API path with 200 and HTML."""
    allowed = _methods_served(request.path)
    if allowed:
        raise ApiError(405, "method_not_allowed", f"{request.path} 不接受 {request.method}（可用：{', '.join(allowed)}）",
                       headers={"Allow": ", ".join(allowed)})
    raise ApiError(404, "not_found", f"没有这个接口：{request.method} {request.path}（接口说明：{PREFIX}/openapi.json）")


def _methods_served(path: str) -> list[str]:
    """Methods another /api/v1 route serves at ``path`` (this catch-all matches every method, so a wrong
    method on a real route arrives here and must still be told 405)."""
    adapter = current_app.url_map.bind_to_environ(request.environ)
    allowed = []
    for method in ANY_METHOD:
        try:
            rule, _ = adapter.match(path, method=method, return_rule=True)
        except HTTPException:
            continue
        if rule.endpoint != UNKNOWN_ENDPOINT and rule.rule.startswith(PREFIX + "/"):
            allowed.append(method)
    return allowed


def register(server: Flask) -> None:
    server.register_blueprint(blueprint)
    jsonify_stray_errors(server, PREFIX)
    register_cli(server)
