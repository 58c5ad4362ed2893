"""Every answer of the API is JSON, errors included: {"error": {"code", "message", "field"}}.

Errors raised inside the blueprint's views are mapped here (service errors to their HTTP status). Requests that
never reach a view (an unknown path under /api/v1, a method a route does not take) produce Flask's HTML error
pages; an app-level after_request hook rewrites those into the same JSON shape, so a client never has to parse
HTML — whatever other modules register as error handlers for their own pages.
"""
from __future__ import annotations

import json
import logging
from typing import Any

from flask import Blueprint, Flask, Response, request
from werkzeug.exceptions import HTTPException

from services import outages
from services.media import MediaError, StorageUnavailable
from services.tickets import IdempotencyConflict, IntakeError, NotFound
from workorders.errors import FieldError
from workorders.handling import HandlingConflict
from workorders.states import TransitionRefused

log = logging.getLogger(__name__)

# Machine-readable codes for plain HTTP statuses (the routing layer's own errors).
HTTP_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
              405: "method_not_allowed", 409: "conflict", 413: "payload_too_large", 415: "unsupported_media_type", 503: "unavailable",
              422: "unprocessable", 500: "internal_error"}


class ApiError(Exception):
    """An answer the client caused: HTTP status, a stable code, a human message and the input at fault."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None,
                 headers: dict[str, str] | None = None):
        super().__init__(message)
        self.headers = headers
        self.status = status
        self.code = code
        self.message = message
        self.field = field


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    # ensure_ascii=False: Chinese stays readable in the body (it is UTF-8, as the content type says).
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    return Response(text, status=status, mimetype="application/json", headers=headers)


def error_body(code: str, message: str, field: str | None = None) -> dict:
    return {"error": {"code": code, "message": message, "field": field}}


def error_response(status: int, code: str, message: str, field: str | None = None,
                   headers: dict[str, str] | None = None) -> Response:
    return json_response(error_body(code, message, field), status, headers)


def _api_error(error: ApiError) -> Response:
    return error_response(error.status, error.code, error.message, error.field, error.headers)


def invalid(error: IntakeError) -> ApiError:
    """The API's answer to what the contract or a service refused: 400 naming the first input at fault."""
    return ApiError(400, "invalid", error.message, error.field)


def _intake_error(error: IntakeError) -> Response:
    return _api_error(invalid(error))


def _field_error(error: FieldError) -> Response:
    """A service's own refusal of an input (services/handling.py: a deadline, a reason, a unit): 400 naming it."""
    if isinstance(error, HandlingConflict):      # the ticket's state or records, not the input, forbid it now
        return error_response(409, "conflict", error.message, error.field)
    return error_response(400, "invalid", error.message, error.field)


def _not_found(error: NotFound) -> Response:
    return error_response(404, "not_found", str(error))


def _transition_refused(error: TransitionRefused) -> Response:
    return error_response(409, "transition_refused", str(error))


def _idempotency_conflict(error: IdempotencyConflict) -> Response:
    return error_response(422, "idempotency_conflict", str(error), "Idempotency-Key")


def _http_error(error: HTTPException) -> Response:
    status = error.code or 500
    headers = {"Allow": error.response.headers["Allow"]} if error.response is not None and \
        "Allow" in error.response.headers else None
    return error_response(status, HTTP_CODES.get(status, "error"), error.description or error.name, None, headers)


def _media_error(error: MediaError) -> Response:
    return error_response(400, error.code, error.message, error.field)


def _storage_unavailable(error: StorageUnavailable) -> Response:
    return error_response(503, "storage_unavailable", str(error), None,
                          {"Retry-After": str(error.retry_after_seconds)})


def database_unavailable(error: Exception) -> Response:
    """PostgreSQL unreachable (services/outages.py decides): 503 with Retry-After, the client may send the same
    request again — the transaction it was in rolled back whole. Any other database error stays a 500."""
    if not outages.is_database_outage(error):
        raise error
    outages.note(error, f"{request.method} {request.path}")
    return error_response(503, outages.CODE, outages.MESSAGE, None, outages.headers())


def register_error_handlers(blueprint: Blueprint) -> None:
    for database_error in outages.DATABASE_ERRORS:
        blueprint.register_error_handler(database_error, database_unavailable)
    blueprint.register_error_handler(ApiError, _api_error)
    blueprint.register_error_handler(IntakeError, _intake_error)
    blueprint.register_error_handler(FieldError, _field_error)
    blueprint.register_error_handler(NotFound, _not_found)
    blueprint.register_error_handler(TransitionRefused, _transition_refused)
    blueprint.register_error_handler(IdempotencyConflict, _idempotency_conflict)
    blueprint.register_error_handler(MediaError, _media_error)
    blueprint.register_error_handler(StorageUnavailable, _storage_unavailable)
    blueprint.register_error_handler(HTTPException, _http_error)


def jsonify_stray_errors(server: Flask, prefix: str) -> None:
    """Rewrite non-JSON error pages under ``prefix`` (routing 404/405, an unexpected 500) as JSON errors."""

    @server.after_request
    def _json_errors_under_prefix(response: Response) -> Response:
        if response.status_code < 400 or response.mimetype == "application/json":
            return response
        if not (request.path == prefix or request.path.startswith(prefix + "/")):
            return response
        status = response.status_code
        messages = {404: f"没有这个接口：{request.method} {request.path}",
                    405: f"{request.path} 不接受 {request.method}（可用：{response.headers.get('Allow', '')}）",
                    500: "服务器内部错误，请稍后重试"}
        fresh = error_response(status, HTTP_CODES.get(status, "error"), messages.get(status, response.status))
        if "Allow" in response.headers:
            fresh.headers["Allow"] = response.headers["Allow"]
        return fresh
