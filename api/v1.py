"""REST JSON API under /api/v1 (thin: parse → a service → JSON). Described by /api/v1/openapi.json.

Bodies are the contract's models (workorders.contract); every read and write is one call of services/.
Who may call what: reads of tickets and supervisions, transitions, supervision actions, alarms and crews'
positions need an API key in the X-API-Key header (never in the URL: ``?api_key=`` is refused with 400), and the
key's scopes and binding (services decide, with workorders/policy.py: ``read`` to read, ``transitions`` to move a
ticket — a department's key only its own —, ``intake`` to file, ``positions`` or the crew's own key for a
position); categories, address suggestions, the citizen's evaluation (the link's token is the credential) and
the OpenAPI document are open; filing a ticket is open for the ``api``/``web`` channels (see api/intake.py for
the channel rules).

Idempotency-Key: POST /tickets and POST /alarms store it (scope = the key's name, or "anonymous"): the same key
with the same body answers 200 with the first answer's ticket, another body answers 422. The other POSTs accept
the header and store nothing (a transition repeated is refused by the state table anyway).
"""
from __future__ import annotations

from flask import Blueprint, Flask, Response, current_app, request
from werkzeug.exceptions import HTTPException

from api import render
from api import auth
from api.auth import optional_caller, register_cli, required_caller
from api.errors import ApiError, invalid, json_response, jsonify_stray_errors, register_error_handlers
from api.inputs import (bad, body_of, idempotency_key, json_body, query_code, query_int, query_list, query_time,
                        unknown_query_params)
from api.intake import new_ticket_from
from api.openapi import document
from services import alarms, catalogue, handling, live, media, ticket_reads
from services import tickets as service
from services.api_keys import Caller
from settings import get_settings
from workorders.contract import (Alarm, AssistBody, CrewPosition, Evaluation, ExtensionBody, ExtensionDecision,
                                 HoldBody, IntakeError, Phone, SupervisionAction, Transition, checked, phone_digits)
from workorders.states import STATES
from workorders.vocabulary import CHANNELS

PREFIX = "/api/v1"
blueprint = Blueprint("api_v1", __name__, url_prefix=PREFIX)
register_error_handlers(blueprint)
auth.install(blueprint)

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
    return json_response({"categories": [render.category_json(c) for c in catalogue.categories().values()]})


@blueprint.get("/places")
def suggest_places() -> Response:
    unknown_query_params(("q", "limit"))
    query = (request.args.get("q") or "").strip()
    if not query:
        raise bad("q", "请输入要查找的地址 q")
    if len(query) > 100:
        raise bad("q", "地址查询不能超过 100 字")
    places = catalogue.search_places(query, limit=query_int("limit", 8, 1, 50))
    return json_response({"places": [render.place_json(p) for p in places]})


# ------------------------------------------------------------------------------------------------ tickets

@blueprint.post("/tickets")
def create_ticket() -> Response:
    caller = optional_caller()
    new = new_ticket_from(json_body(), caller)
    key = idempotency_key()
    created = service.create_ticket(new, caller.principal if caller else None,
                                    idempotency=(_scope(caller), key) if key else None)
    ticket = created.ticket
    # Other people's tickets near a point are no business of an anonymous caller (as on /report): with a distance
    # each, a few posts would place them to the metre.
    offered = created.duplicates if caller else []
    body = {"ticket": render.ticket_json(ticket), "duplicates": [render.duplicate_json(d) for d in offered]}
    if created.created:
        return json_response(body, 201, {"Location": f"{PREFIX}/tickets/{ticket['number']}"})
    return json_response(body, 200, {"Idempotent-Replayed": "true"})


@blueprint.get("/tickets")
def list_tickets() -> Response:
    caller = required_caller()
    unknown_query_params(LIST_PARAMS)
    filters = _list_filters(set(catalogue.categories()))
    limit, offset = query_int("limit", 50, 1, MAX_LIST), query_int("offset", 0, 0, 10_000_000)
    rows = ticket_reads.tickets_for(caller.principal, filters, limit=limit, offset=offset)
    return json_response({"tickets": [render.ticket_json(t) for t in rows], "limit": limit, "offset": offset,
                          "next_offset": offset + limit if len(rows) == limit else None})


def _list_filters(categories: set[str]) -> dict:
    since, until = query_time("since"), query_time("until")
    if since and until and since >= until:
        raise bad("until", "until 须晚于 since")
    return {"state": query_list("state", set(STATES)), "category": query_list("category", categories),
            "channel": query_list("channel", set(CHANNELS)), "street": query_code("street"),
            "grid": query_code("grid"), "community": query_code("community"),
            "department": query_code("department"), "phone": _phone_digits(), "since": since, "until": until}


def _phone_digits() -> str | None:
    """The citizen's phone of the filter as its digits (the contract's rule for a phone)."""
    raw = (request.args.get("phone") or "").strip()
    if not raw:
        return None
    try:
        return phone_digits(checked(Phone, raw, "phone"))
    except IntakeError as error:
        raise invalid(error) from None


@blueprint.get("/tickets/<number>")
def read_ticket(number: str) -> Response:
    caller = required_caller()
    ticket, events = ticket_reads.ticket_for(caller.principal, number)
    return json_response({"ticket": render.ticket_json(ticket), "events": [render.event_json(e) for e in events],
                          "photos": [render.photo_json(p, _base_url()) for p in media.photos_of(ticket)]})


@blueprint.post("/tickets/<number>/photos")
def add_ticket_photos(number: str) -> Response:
    """multipart/form-data, one or more image files (part name ``media``; any file part counts)."""
    caller = required_caller()
    if request.mimetype != "multipart/form-data":
        raise ApiError(415, "unsupported_media_type", "须以 multipart/form-data 上传图片（文件部分名 media）")
    photos = media.add_photos(number, media.uploads_from_files(request.files), caller.principal, source="api")
    return json_response({"photos": [render.photo_json(p, _base_url()) for p in photos]}, 201)


def _base_url() -> str:
    return get_settings().public_base_url.rstrip("/") or request.host_url.rstrip("/")


@blueprint.post("/tickets/<number>/transitions")
def transition_ticket(number: str) -> Response:
    caller = required_caller()
    move = body_of(Transition)
    catalogue.check_references(department=move.department, crew=move.crew)
    done = service.transition(number, move.action, caller.principal, reason=move.reason,
                              department=move.department, crew=move.crew, data=move.data)
    return json_response({"ticket": render.ticket_json(done.ticket), "notice": done.notice})


# ------------------------------------------------------------------------------------------------ citizens

@blueprint.post("/evaluations/<token>")
def evaluate(token: str) -> Response:
    rating = body_of(Evaluation)
    if len(token) > 64:
        raise service.NotFound("评价链接无效")
    ticket = service.evaluate(token, rating.satisfaction, rating.comment)
    return json_response({"evaluation": render.evaluated_json(ticket)})


# ------------------------------------------------------------------------------------------------ supervision

@blueprint.get("/supervisions")
def list_supervisions() -> Response:
    caller = required_caller()
    unknown_query_params(("all",))
    show_all = (request.args.get("all") or "").lower() in ("1", "true", "yes")
    rows = ticket_reads.supervisions(caller.principal, open_only=not show_all)
    return json_response({"supervisions": [render.supervision_json(r) for r in rows]})


@blueprint.post(f"/supervisions/<int(max={MAX_BIGINT}):supervision_id>/actions")
def act_on_supervision(supervision_id: int) -> Response:
    caller = required_caller()
    note = body_of(SupervisionAction).note
    action_id = service.supervise(supervision_id, caller.principal, note)
    return json_response({"action": {"id": action_id, "supervision_id": supervision_id, "actor": caller.actor,
                                     "note": note.strip()}}, 201)


# ------------------------------------------------------------------------------------------------ handling

@blueprint.post("/tickets/<number>/extensions")
def request_extension(number: str) -> Response:
    caller = required_caller()
    asked = body_of(ExtensionBody)
    row = handling.request_extension(caller.principal, number, asked.reason, asked.new_due)
    return json_response({"extension": render.extension_json(row)}, 201)


@blueprint.post(f"/extensions/<int(max={MAX_BIGINT}):extension_id>/decision")
def decide_extension(extension_id: int) -> Response:
    caller = required_caller()
    decision = body_of(ExtensionDecision)
    row = handling.decide_extension(caller.principal, extension_id, decision.approve, decision.note)
    return json_response({"extension": render.extension_json(row)})


@blueprint.post("/tickets/<number>/hold")
def hold_ticket(number: str) -> Response:
    caller = required_caller()
    row = handling.hold(caller.principal, number, body_of(HoldBody).reason)
    return json_response({"hold": render.hold_json(row)}, 201)


@blueprint.post("/tickets/<number>/resume")
def resume_ticket(number: str) -> Response:
    """No body (an empty JSON object is accepted too)."""
    caller = required_caller()
    if request.get_data(cache=True).strip() and json_body():
        raise bad(None, "恢复办理不需要请求体（可为空或 {}）")
    row = handling.resume(caller.principal, number)
    return json_response({"hold": render.hold_json(row)})


@blueprint.post("/tickets/<number>/assists")
def answer_assist(number: str) -> Response:
    caller = required_caller()
    answer = body_of(AssistBody)
    row = handling.answer_assist(caller.principal, number, answer.department, answer.text)
    return json_response({"assist": render.assist_json(row)}, 201)


# ------------------------------------------------------------------------------------------------ 一键通

@blueprint.post("/alarms")
def raise_alarm() -> Response:
    caller = required_caller()
    press = body_of(Alarm)
    key = idempotency_key()
    alarm = alarms.raise_alarm(press.device_id, caller.principal, press.category,
                               idempotency=(_scope(caller), key) if key else None)
    body = {"ticket": render.ticket_json(alarm.ticket)}
    if alarm.created:
        return json_response(body, 201, {"Location": f"{PREFIX}/tickets/{alarm.ticket['number']}"})
    return json_response(body, 200)


# ------------------------------------------------------------------------------------------------ crews

@blueprint.post("/crews/<code>/position")
def crew_position(code: str) -> Response:
    """A crew's mobile client (or a fleet tracker): its position goes to the live map. Only the crew's own key or a
    key with the ``positions`` scope: a forged position would send dispatchers after a crew that is elsewhere."""
    caller = required_caller()
    where = body_of(CrewPosition)
    entry = live.report_position(code, where.lon, where.lat, where.at, where.speed_kmh, principal=caller.principal)
    return json_response({"crew": code, "stream_id": entry}, 202)


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
