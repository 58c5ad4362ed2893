"""The OpenAPI 3.1 description of everything served under /api/v1 (served at /api/v1/openapi.json).

The request bodies' schemas are generated from the contract's models the views parse with (REQUEST_BODIES), so
what the document says a body may hold is what the checks accept; the paths and the answers are written here.
tests/integration/test_api_openapi.py checks that the paths and methods are exactly the application's routes
under /api/v1 and that every documented body is refused as its schema says.
"""
from __future__ import annotations

from copy import deepcopy
from typing import Any

from workorders.contract import (MAX_IDEMPOTENCY_KEY, Alarm, AssistBody, Contract, CrewPosition, Evaluation,
                                 ExtensionBody, ExtensionDecision, HoldBody, SupervisionAction, TicketBody,
                                 Transition)
from workorders.handling import EXTENSION_STATUSES
from workorders.states import ACTIONS, STATES
from workorders.vocabulary import CHANNELS, SATISFACTION

# The schema name of each request body → the model its view parses it with.
REQUEST_BODIES: dict[str, type[Contract]] = {
    "NewTicket": TicketBody, "Transition": Transition, "Evaluation": Evaluation,
    "SupervisionAction": SupervisionAction, "Alarm": Alarm, "CrewPosition": CrewPosition,
    "ExtensionRequest": ExtensionBody, "ExtensionDecision": ExtensionDecision, "Hold": HoldBody,
    "AssistAnswer": AssistBody,
}
# Codes the services check against their own vocabularies, shown as the enum the document promises.
SERVICE_ENUMS = {("Evaluation", "satisfaction"): list(SATISFACTION)}
KEYED = [{"ApiKeyHeader": []}]       # the header only: a key in the URL is refused (400 api_key_in_url)
OPEN: list = []


def _needs(*scopes: str) -> str:
    """The sentence of an operation's description saying which key scopes it needs (workorders/policy.py)."""
    return f"Needs a key with the scope {' or '.join(scopes)}."


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _error(description: str) -> dict:
    return {"$ref": f"#/components/responses/{description}"}


def _body(schema_name: str) -> dict:
    return {"required": True, "content": {"application/json": {"schema": _ref(schema_name)}}}


def _query(name: str, description: str, schema: dict | None = None) -> dict:
    return {"name": name, "in": "query", "required": False, "description": description,
            "schema": schema or {"type": "string"}}


def _path(name: str, description: str, schema: dict | None = None) -> dict:
    return {"name": name, "in": "path", "required": True, "description": description,
            "schema": schema or {"type": "string"}}


IDEMPOTENCY = {"$ref": "#/components/parameters/IdempotencyKey"}
NULLABLE_STRING = {"type": ["string", "null"]}
NULLABLE_TIME = {"type": ["string", "null"], "format": "date-time"}

RESULT_SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object", "required": ["error"],
        "properties": {"error": {"type": "object", "required": ["code", "message"], "properties": {
            "code": {"type": "string", "examples": ["invalid", "missing_api_key", "api_key_in_url", "forbidden",
                                                          "transition_refused"]},
            "message": {"type": "string"},
            "field": {**NULLABLE_STRING, "description": "the input at fault, when there is one"}}}},
    },
    "Ticket": {
        "type": "object", "description": "A work order as the API shows it (times ISO 8601 with offset).",
        "required": ["number", "state", "channel", "category_code", "priority", "registered_at"],
        "additionalProperties": True,
        "properties": {
            "number": {"type": "string", "examples": ["20261126-000123"]},
            "state": {"type": "string", "enum": list(STATES)},
            "state_label": {"type": "string"},
            "channel": {"type": "string", "enum": list(CHANNELS)},
            "channel_label": {"type": "string"},
            "category_code": {"type": "string"}, "category_name": {"type": "string"},
            "variant": NULLABLE_STRING, "description": {"type": "string"},
            "lon": {"type": "number"}, "lat": {"type": "number"},
            "grid_code": {"type": "string"}, "grid_name": {"type": "string"},
            "community_code": {"type": "string"}, "community_name": {"type": "string"},
            "street_code": {"type": "string"}, "street_name": {"type": "string"},
            "address": NULLABLE_STRING, "citizen_name": NULLABLE_STRING, "citizen_phone": NULLABLE_STRING,
            "priority": {"type": "integer"}, "complexity": {"type": "string"},
            "lead_department_code": {"type": "string"}, "lead_department_name": {"type": "string"},
            "co_department_codes": {"type": "array", "items": {"type": "string"}},
            "crew_code": NULLABLE_STRING, "escalation_level": {"type": "integer"},
            "flags": {"type": "array", "items": {"type": "string"}},
            "media_url": NULLABLE_STRING, "attributes": {"type": "object"}, "source_ref": NULLABLE_STRING,
            "registered_by": NULLABLE_STRING, "related_number": NULLABLE_STRING,
            "merged_into_number": NULLABLE_STRING,
            "registered_at": {"type": "string", "format": "date-time"},
            "updated_at": {"type": "string", "format": "date-time"},
            "arrival_due_at": NULLABLE_TIME, "resolve_due_at": {"type": "string", "format": "date-time"},
            "dispatched_at": NULLABLE_TIME, "accepted_at": NULLABLE_TIME, "on_site_at": NULLABLE_TIME,
            "resolved_at": NULLABLE_TIME, "evaluated_at": NULLABLE_TIME, "closed_at": NULLABLE_TIME,
            "satisfaction": {"type": ["string", "null"], "enum": [*SATISFACTION, None]},
            "allowed_actions": {"type": "array", "items": {"type": "string", "enum": list(ACTIONS)}},
        },
    },
    "Duplicate": {
        "type": "object", "description": "an open ticket of the same category close by and recent (offered to "
                                         "callers with a key; address: its street and grid, never a typed one)",
        "properties": {"number": {"type": "string"}, "state": {"type": "string"},
                       "category_code": {"type": "string"}, "address": NULLABLE_STRING,
                       "registered_at": {"type": "string", "format": "date-time"}, "metres": {"type": "number"}},
    },
    "Created": {
        "type": "object", "required": ["ticket", "duplicates"],
        "properties": {"ticket": _ref("Ticket"), "duplicates": {"type": "array", "items": _ref("Duplicate")}},
    },
    "Event": {
        "type": "object",
        "properties": {"at": {"type": "string", "format": "date-time"}, "actor": {"type": "string"},
                       "action": {"type": "string"}, "from_state": NULLABLE_STRING, "to_state": NULLABLE_STRING,
                       "reason": NULLABLE_STRING, "data": {"type": "object"}},
    },
    "TicketWithHistory": {
        "type": "object", "required": ["ticket", "events"],
        "properties": {"ticket": _ref("Ticket"), "events": {"type": "array", "items": _ref("Event")},
                       "photos": {"type": "array", "items": _ref("Photo")}},
    },
    "Photo": {
        "type": "object", "description": "A stored photo: re-encoded, without EXIF (no GPS position) or other "
                                         "metadata; GET its url with the same API key.",
        "required": ["id", "url", "content_type"],
        "properties": {"id": {"type": "string", "pattern": "^[0-9a-f]{32}$"},
                       "url": {"type": "string", "examples": ["https://host/media/0123456789abcdef0123456789abcdef.jpg"]},
                       "content_type": {"type": "string", "enum": ["image/jpeg", "image/png"]},
                       "width": {"type": "integer"}, "height": {"type": "integer"}, "bytes": {"type": "integer"},
                       "public": {"type": "boolean"}, "source": {"type": "string"},
                       "uploaded_by": {"type": "string"}, "created_at": {"type": "string", "format": "date-time"}},
    },
    "PhotoUpload": {
        "type": "object", "required": ["media"],
        "description": "One or more image files (JPEG, PNG, WebP); every file part counts whatever its name.",
        "properties": {"media": {"type": "array", "items": {"type": "string", "contentMediaType": "image/*"}}},
    },
    "TicketList": {
        "type": "object", "required": ["tickets", "limit", "offset"],
        "properties": {"tickets": {"type": "array", "items": _ref("Ticket")}, "limit": {"type": "integer"},
                       "offset": {"type": "integer"},
                       "next_offset": {"type": ["integer", "null"], "description": "null on the last page"}},
    },
    "Transitioned": {
        "type": "object", "required": ["ticket"],
        "properties": {"ticket": _ref("Ticket"),
                       "notice": {**NULLABLE_STRING,
                                  "description": "resolve: that the citizen gets the rating SMS (its link is theirs)"}},
    },
    "Category": {
        "type": "object",
        "properties": {"code": {"type": "string"}, "name": {"type": "string"}, "complexity": {"type": "string"},
                       "priority": {"type": "integer"}, "departments": {"type": "array", "items": {"type": "string"}},
                       "arrival_minutes": {"type": ["integer", "null"]}, "resolve_hours": {"type": ["integer", "null"]},
                       "default_variant": NULLABLE_STRING,
                       "variants": {"type": "array", "items": {"type": "object", "properties": {
                           "code": {"type": "string"}, "name": {"type": "string"}}}}},
    },
    "Place": {
        "type": "object",
        "properties": {"name": {"type": "string"}, "kind": {"type": "string"}, "grid_code": {"type": "string"},
                       "lon": {"type": "number"}, "lat": {"type": "number"}},
    },
    "Evaluated": {
        "type": "object",
        "properties": {"evaluation": {"type": "object", "properties": {
            "number": {"type": "string"}, "state": {"type": "string"}, "state_label": {"type": "string"},
            "satisfaction": {"type": "string"}, "evaluated_at": {"type": "string", "format": "date-time"}}}},
    },
    "Supervision": {
        "type": "object",
        "properties": {"id": {"type": "integer"}, "level": {"type": "integer"}, "unit": {"type": "string"},
                       "person": NULLABLE_STRING, "reason": {"type": "string"},
                       "created_at": {"type": "string", "format": "date-time"}, "closed_at": NULLABLE_TIME,
                       "number": {"type": "string"}, "state": {"type": "string"},
                       "resolve_due_at": {"type": "string", "format": "date-time"},
                       "category_name": {"type": "string"}, "actions": {"type": "integer"}},
    },
    "Extension": {
        "type": "object", "description": "申请延期: pending until a supervisor or the district decides; approved, the "
                                         "ticket's resolve_due_at becomes requested_due_at",
        "properties": {"id": {"type": "integer"}, "number": {"type": "string"},
                       "status": {"type": "string", "enum": list(EXTENSION_STATUSES)},
                       "reason": {"type": "string"}, "previous_due_at": {"type": "string", "format": "date-time"},
                       "requested_due_at": {"type": "string", "format": "date-time"},
                       "requested_by": {"type": "string"}, "requested_at": {"type": "string", "format": "date-time"},
                       "decided_by": NULLABLE_STRING, "decided_at": NULLABLE_TIME, "decision_note": NULLABLE_STRING,
                       "resolve_due_at": {"type": "string", "format": "date-time",
                                          "description": "the ticket's resolution deadline now"}},
    },
    "HoldRecord": {
        "type": "object", "description": "挂起: the clock stops; on resume the deadlines move by counted_seconds "
                                         "(the time held, at most HOLD_MAX_HOURS)",
        "properties": {"id": {"type": "integer"}, "number": {"type": "string"}, "reason": {"type": "string"},
                       "held_by": {"type": "string"}, "held_at": {"type": "string", "format": "date-time"},
                       "ends_at": {**NULLABLE_TIME, "description": "when it stops counting (the sweep resumes it)"},
                       "resumed_by": NULLABLE_STRING, "resumed_at": NULLABLE_TIME,
                       "counted_seconds": {"type": ["number", "null"]},
                       "resolve_due_at": {"type": "string", "format": "date-time"},
                       "arrival_due_at": NULLABLE_TIME},
    },
    "Assist": {
        "type": "object", "description": "a co-handling unit's answer (协办答复)",
        "properties": {"id": {"type": "integer"}, "number": {"type": "string"},
                       "department_code": {"type": "string"}, "department_name": {"type": "string"},
                       "answer": {"type": "string"}, "answered_by": {"type": "string"},
                       "answered_at": {"type": "string", "format": "date-time"}},
    },
}



def body_schema(name: str, model: type[Contract]) -> dict[str, Any]:
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    schema.pop("title", None)
    for (body, field), values in SERVICE_ENUMS.items():
        if body == name:
            schema["properties"][field]["enum"] = values
    return schema


SCHEMAS: dict[str, Any] = {**RESULT_SCHEMAS,
                           **{name: body_schema(name, model) for name, model in REQUEST_BODIES.items()}}

RESPONSES = {
    "BadRequest": _json(_ref("Error"), "bad input: the message says what and `field` names it (code "
                                       "api_key_in_url: a key in the URL, which every path refuses)"),
    "Unauthorized": _json(_ref("Error"), "no API key, or a key nobody issued"),
    "Forbidden": _json(_ref("Error"), "a revoked key, a key without the scope the operation needs, or a key "
                                      "bound to a department or crew acting on another unit's ticket or crew"),
    "NotFound": _json(_ref("Error"), "no such ticket, token, supervision or device"),
    "Conflict": _json(_ref("Error"), "the transition table does not allow this action in the ticket's state"),
    "UnsupportedMediaType": _json(_ref("Error"), "the body is not declared application/json"),
    "PayloadTooLarge": _json(_ref("Error"), "the body is larger than 256 KB"),
    "IdempotencyConflict": _json(_ref("Error"), "this Idempotency-Key was used before with another body"),
    "ServiceUnavailable": _json(_ref("Error"), "the photo store cannot write (disk full): try again later"),
    "HandlingConflict": _json(_ref("Error"), "the ticket's state or records forbid it now: not in handling, a "
                                             "request already pending or decided, already held or not held, "
                                             "the hold limit reached"),
}

POST_ERRORS = {"400": _error("BadRequest"), "413": _error("PayloadTooLarge"), "415": _error("UnsupportedMediaType")}
KEY_ERRORS = {"401": _error("Unauthorized"), "403": _error("Forbidden")}

PATHS: dict[str, Any] = {
    "/openapi.json": {"get": {
        "operationId": "openapi", "summary": "This document", "security": OPEN,
        "responses": {"200": {"description": "OpenAPI 3.1", "content": {"application/json": {}}}}}},
    "/categories": {"get": {
        "operationId": "listCategories", "summary": "The category catalogue (事项目录)", "security": OPEN,
        "responses": {"200": _json({"type": "object", "properties": {
            "categories": {"type": "array", "items": _ref("Category")}}}, "categories")}}},
    "/places": {"get": {
        "operationId": "suggestPlaces", "summary": "Address suggestions from the local gazetteer", "security": OPEN,
        "parameters": [{**_query("q", "part of an address, road, community or grid name"), "required": True},
                       _query("limit", "at most this many (1–50, default 8)", {"type": "integer"})],
        "responses": {"200": _json({"type": "object", "properties": {
            "places": {"type": "array", "items": _ref("Place")}}}, "best matches first"),
            "400": _error("BadRequest")}}},
    "/tickets": {
        "post": {
            "operationId": "createTicket", "summary": "File a ticket (any channel but 一键通)",
            "description": "An API key is optional for the api and web channels; a key presented needs the scope "
                           "intake. With an Idempotency-Key, the same key and body answer 200 with the same "
                           "ticket; another body answers 422.",
            "security": [*KEYED, {}], "parameters": [IDEMPOTENCY], "requestBody": _body("NewTicket"),
            "responses": {"201": _json(_ref("Created"), "created (Location: the ticket)"),
                          "200": _json(_ref("Created"), "idempotent replay: the ticket of the first request"),
                          **POST_ERRORS, **KEY_ERRORS, "422": _error("IdempotencyConflict")}},
        "get": {
            "operationId": "listTickets", "summary": "Tickets, newest first, filtered", "security": KEYED,
            "description": _needs("read") + " A key bound to a department lists that department's tickets only, "
                                            "one bound to a crew those of the crew and its grid.",
            "parameters": [
                _query("state", "one or more states, comma-separated", {"type": "string"}),
                _query("category", "one or more category codes, comma-separated"),
                _query("channel", "one or more channels, comma-separated"),
                _query("street", "street code"), _query("grid", "grid code"),
                _query("community", "community code"), _query("department", "lead department code"),
                _query("phone", "the citizen's phone (digits are compared)"),
                _query("since", "registered at or after (ISO 8601 date or date-time; no offset = local time)"),
                _query("until", "registered before (ISO 8601 date or date-time)"),
                _query("limit", "page size, 1–500 (default 50)", {"type": "integer"}),
                _query("offset", "rows to skip (default 0)", {"type": "integer"})],
            "responses": {"200": _json(_ref("TicketList"), "one page"), "400": _error("BadRequest"),
                          **KEY_ERRORS}},
    },
    "/tickets/{number}": {"get": {
        "operationId": "readTicket", "summary": "One ticket with its whole history", "security": KEYED,
        "description": _needs("read") + " A bound key reads only its department's (crew's, grid's) tickets.",
        "parameters": [_path("number", "the ticket number, e.g. 20261126-000123")],
        "responses": {"200": _json(_ref("TicketWithHistory"), "the ticket and its events, oldest first"),
                      "400": _error("BadRequest"), **KEY_ERRORS, "404": _error("NotFound")}}},
    "/tickets/{number}/transitions": {"post": {
        "operationId": "transitionTicket", "summary": "Move a ticket along (dispatch, accept, resolve, merge …)",
        "description": _needs("transitions") + " A key bound to a department moves only that department's "
                       "tickets (lead or co-handling), one bound to a crew those of the crew and its grid. The "
                       "Idempotency-Key header is accepted and not stored (a repeated transition is refused by "
                       "the state table).",
        "security": KEYED, "parameters": [_path("number", "the ticket number"), IDEMPOTENCY],
        "requestBody": _body("Transition"),
        "responses": {"200": _json(_ref("Transitioned"), "the ticket after the transition"), **POST_ERRORS,
                      **KEY_ERRORS, "404": _error("NotFound"), "409": _error("Conflict")}}},
    "/tickets/{number}/photos": {"post": {
        "operationId": "addTicketPhotos", "summary": "Add photos to a ticket (its history shows them)",
        "description": _needs("transitions") + " A bound key: its unit's tickets only. "
                       "multipart/form-data with one or more image files (part name `media`). Each is checked by "
                       "its content (JPEG, PNG, WebP), at most MEDIA_MAX_BYTES and MEDIA_MAX_PIXELS, at most "
                       "MEDIA_MAX_PHOTOS per request, then re-encoded without any metadata. One refused file "
                       "stores none.",
        "security": KEYED, "parameters": [_path("number", "the ticket number")],
        "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": _ref("PhotoUpload")}}},
        "responses": {"201": _json({"type": "object", "properties": {
            "photos": {"type": "array", "items": _ref("Photo")}}}, "the photos stored"),
            **POST_ERRORS, **KEY_ERRORS, "404": _error("NotFound"), "503": _error("ServiceUnavailable")}}},
    "/evaluations/{token}": {"post": {
        "operationId": "evaluate", "summary": "The citizen's rating (the token of the SMS link)",
        "description": "unsatisfied reopens the ticket; satisfied / basically close it. Idempotency-Key accepted, "
                       "not stored.",
        "security": OPEN, "parameters": [_path("token", "the evaluation token"), IDEMPOTENCY],
        "requestBody": _body("Evaluation"),
        "responses": {"200": _json(_ref("Evaluated"), "recorded"), **POST_ERRORS, "404": _error("NotFound"),
                      "409": _error("Conflict")}}},
    "/supervisions": {"get": {
        "operationId": "listSupervisions", "summary": "The supervision list (督办)", "security": KEYED,
        "description": _needs("read") + " Unbound keys only.",
        "parameters": [_query("all", "true: closed supervisions too", {"type": "boolean"})],
        "responses": {"200": _json({"type": "object", "properties": {
            "supervisions": {"type": "array", "items": _ref("Supervision")}}}, "oldest first"),
            "400": _error("BadRequest"), **KEY_ERRORS}}},
    "/supervisions/{supervision_id}/actions": {"post": {
        "operationId": "actOnSupervision", "summary": "Record what was done about a supervision",
        "description": _needs("transitions") + " Idempotency-Key accepted, not stored.", "security": KEYED,
        "parameters": [_path("supervision_id", "the supervision's id", {"type": "integer"}), IDEMPOTENCY],
        "requestBody": _body("SupervisionAction"),
        "responses": {"201": _json({"type": "object", "properties": {"action": {"type": "object"}}}, "recorded"),
                      **POST_ERRORS, **KEY_ERRORS, "404": _error("NotFound")}}},
    "/tickets/{number}/extensions": {"post": {
        "operationId": "requestExtension", "summary": "申请延期: ask for a later resolution deadline",
        "description": _needs("transitions") + " The lead unit's key (bound to the ticket's lead department) or "
                       "an unbound key; the ticket must be in handling (dispatched … joint meeting). new_due must "
                       "be later than the current deadline and now and at most 10 days after registration (plus "
                       "the time the ticket was held). One pending request per ticket (409).",
        "security": KEYED, "parameters": [_path("number", "the ticket number"), IDEMPOTENCY],
        "requestBody": _body("ExtensionRequest"),
        "responses": {"201": _json({"type": "object", "properties": {"extension": _ref("Extension")}},
                                   "pending"), **POST_ERRORS, **KEY_ERRORS, "404": _error("NotFound"),
                      "409": _error("HandlingConflict")}}},
    "/extensions/{extension_id}/decision": {"post": {
        "operationId": "decideExtension", "summary": "批准 / 驳回 an extension (the district)",
        "description": _needs("transitions") + " Unbound keys only (a unit does not approve its own time). "
                       "Approved: the ticket's resolution deadline becomes the one asked for; refused (note "
                       "required): it stays.",
        "security": KEYED, "parameters": [_path("extension_id", "the request's id", {"type": "integer"}),
                                          IDEMPOTENCY],
        "requestBody": _body("ExtensionDecision"),
        "responses": {"200": _json({"type": "object", "properties": {"extension": _ref("Extension")}},
                                   "decided"), **POST_ERRORS, **KEY_ERRORS, "404": _error("NotFound"),
                      "409": _error("HandlingConflict")}}},
    "/tickets/{number}/hold": {"post": {
        "operationId": "holdTicket", "summary": "挂起: stop the ticket's clock",
        "description": _needs("transitions") + " The lead unit's key or an unbound key. While held the ticket is "
                       "neither escalated nor moved; at most HOLD_LIMIT_PER_TICKET holds; one longer than "
                       "HOLD_MAX_HOURS is resumed by the escalation sweep.",
        "security": KEYED, "parameters": [_path("number", "the ticket number"), IDEMPOTENCY],
        "requestBody": _body("Hold"),
        "responses": {"201": _json({"type": "object", "properties": {"hold": _ref("HoldRecord")}}, "held"),
                      **POST_ERRORS, **KEY_ERRORS, "404": _error("NotFound"), "409": _error("HandlingConflict")}}},
    "/tickets/{number}/resume": {"post": {
        "operationId": "resumeTicket", "summary": "恢复办理: end the hold; the deadlines move by the time held",
        "description": _needs("transitions") + " The lead unit's key or an unbound key. No body (or {}).",
        "security": KEYED, "parameters": [_path("number", "the ticket number"), IDEMPOTENCY],
        "responses": {"200": _json({"type": "object", "properties": {"hold": _ref("HoldRecord")}},
                                   "resumed, with the new deadlines"), **POST_ERRORS, **KEY_ERRORS,
                      "404": _error("NotFound"), "409": _error("HandlingConflict")}}},
    "/tickets/{number}/assists": {"post": {
        "operationId": "answerAssist", "summary": "协办答复: a co-handling unit answers its part",
        "description": _needs("transitions") + " A department's key answers for its own unit only; the unit must "
                       "be a co-handling unit of the ticket. The answer is in the ticket's history.",
        "security": KEYED, "parameters": [_path("number", "the ticket number"), IDEMPOTENCY],
        "requestBody": _body("AssistAnswer"),
        "responses": {"201": _json({"type": "object", "properties": {"assist": _ref("Assist")}}, "recorded"),
                      **POST_ERRORS, **KEY_ERRORS, "404": _error("NotFound"), "409": _error("HandlingConflict")}}},
    "/alarms": {"post": {
        "operationId": "raiseAlarm", "summary": "一键通: an elder's one-key phone was pressed",
        "description": _needs("intake") + " A priority-1 ticket (channel elder_phone) at the elder's "
                       "registered home. While the device's ticket is open, further presses answer 200 with that "
                       "ticket. Idempotency-Key as for POST /tickets.",
        "security": KEYED, "parameters": [IDEMPOTENCY], "requestBody": _body("Alarm"),
        "responses": {"201": _json({"type": "object", "properties": {"ticket": _ref("Ticket")}}, "new ticket"),
                      "200": _json({"type": "object", "properties": {"ticket": _ref("Ticket")}},
                                   "the device's open ticket (a repeat press) or an idempotent replay"),
                      **POST_ERRORS, **KEY_ERRORS, "404": _error("NotFound"),
                      "422": _error("IdempotencyConflict")}}},
    "/crews/{code}/position": {"post": {
        "operationId": "reportCrewPosition", "summary": "A crew's mobile client reports its position (live map)",
        "description": "Needs the crew's own key (a key bound to this crew) or a key with the scope positions "
                       "(bound to a department: that department's crews only).",
        "security": KEYED, "parameters": [_path("code", "the crew's code")], "requestBody": _body("CrewPosition"),
        "responses": {"202": _json({"type": "object", "properties": {
            "crew": {"type": "string"}, "stream_id": {"type": "string"}}}, "queued for the live map"),
            **POST_ERRORS, **KEY_ERRORS, "404": _error("NotFound")}}},
}

DOCUMENT: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "铁东区 96715 — work-order API", "version": "1.0.0",
        "description": "Citizen requests (工单) of the Tiedong District 96715 platform: intake from every channel, "
                       "reads with history, transitions, evaluation, supervision and the elders' one-key phones. "
                       "All bodies are JSON; every error is {\"error\": {\"code\", \"message\", \"field\"}}. "
                       "Times are ISO 8601 with offset.",
    },
    "servers": [{"url": "/api/v1"}],
    "security": KEYED,
    "paths": PATHS,
    "components": {
        "schemas": SCHEMAS,
        "responses": RESPONSES,
        "parameters": {"IdempotencyKey": {
            "name": "Idempotency-Key", "in": "header", "required": False,
            "schema": {"type": "string", "maxLength": MAX_IDEMPOTENCY_KEY},
            "description": "a client-chosen key (e.g. a UUID) that makes retrying the POST safe"}},
        "securitySchemes": {
            "ApiKeyHeader": {"type": "apiKey", "in": "header", "name": "X-API-Key",
                             "description": "scopes: intake, transitions, positions, read (`flask --app app:server "
                                            "create-api-key NAME --scope …`); never in the URL"},
        },
    },
}


def document() -> dict[str, Any]:
    return deepcopy(DOCUMENT)
