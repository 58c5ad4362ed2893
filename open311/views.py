"""Open311 GeoReport v2 endpoints under /open311/v2, each in .xml (the spec's required format) and .json.

Thin: check the format and jurisdiction, call open311.backend, serialise. Errors of every kind — ours, a bad
format, an unknown path or method under the prefix, even an unexpected failure — answer in the spec's error shape
(<errors><error><code/><description/></error></errors> or a JSON list of {code, description}); where the path
names no usable format (requests.csv, /services) the error is XML, the spec's own format.
"""
from __future__ import annotations

import functools
import logging
from typing import Callable

from flask import Blueprint, Flask, Response, current_app, request
from werkzeug.exceptions import HTTPException

from open311 import backend
from services import outages
from services.media import uploads_from_files
from settings import get_settings
from open311.errors import Open311Error, unavailable
from open311.xml import to_json, to_xml

log = logging.getLogger(__name__)
PREFIX = "/open311/v2"
MIMETYPES = {"xml": "text/xml", "json": "application/json"}

blueprint = Blueprint("open311", __name__, url_prefix=PREFIX)


def render(fmt: str, root: str, content, status: int = 200) -> Response:
    body = to_json(content) if fmt == "json" else to_xml(root, content)
    return Response(body, status=status, content_type=f"{MIMETYPES[fmt]}; charset=utf-8")


def render_error(fmt: str, error: Open311Error) -> Response:
    response = render(fmt if fmt in MIMETYPES else "xml", "errors", error.items(), error.status)
    response.headers.update(error.headers)
    return response


def database_outage(error: Exception) -> Open311Error:
    """PostgreSQL unreachable → the spec's error shape with 503 and Retry-After; any other error is re-raised."""
    if not outages.is_database_outage(error):
        raise error
    outages.note(error, f"Open311 {request.method} {request.path}")
    return unavailable(outages.MESSAGE, outages.retry_after_seconds())


def endpoint(root: str) -> Callable:
    """The route's view returns its content; this adds the format, the jurisdiction check and the error shape."""
    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def answer(fmt: str, **kwargs) -> Response:
            try:
                if fmt not in MIMETYPES:
                    raise Open311Error(404, f"不支持的格式 .{fmt[:20]}（可用：.xml、.json）")
                backend.check_jurisdiction(request.values.get("jurisdiction_id"))
                return render(fmt, root, view(**kwargs))
            except Open311Error as error:
                return render_error(fmt, error)
            except outages.DATABASE_ERRORS as error:
                return render_error(fmt, database_outage(error))
        return answer
    return decorate


@blueprint.get("/services.<fmt>")
@endpoint("services")
def services():
    return backend.services()


@blueprint.get("/services/<service_code>.<fmt>")
@endpoint("service_definition")
def service_definition(service_code: str):
    return backend.definition(service_code)


def base_url() -> str:
    """Where media_url links point: PUBLIC_BASE_URL, else the host the client asked."""
    return get_settings().public_base_url.rstrip("/") or request.host_url.rstrip("/")


@blueprint.route("/requests.<fmt>", methods=["GET", "POST"])
@endpoint("service_requests")
def requests():
    if request.method == "POST":
        # multipart/form-data: every file part is a photo, whatever its name (`media` is the one we document)
        return backend.submit(request.form, request.headers.get("Idempotency-Key"),
                              uploads=uploads_from_files(request.files), base_url=base_url())
    return backend.requests(request.args, base_url=base_url())


@blueprint.get("/requests/<service_request_id>.<fmt>")
@endpoint("service_requests")
def one_request(service_request_id: str):
    return backend.one_request(service_request_id, base_url=base_url())


@blueprint.get("/tokens/<token>.<fmt>")
@endpoint("service_requests")
def token(token: str):
    return backend.token(token)


# ------------------------------------------------------------------------------------------------ stray errors
# The dashboard's page router catches every GET path, so an unknown path under the prefix would otherwise get the
# Dash page (200, HTML). The catch-all below is more specific than Dash's and answers in the spec's shape; the
# hook after it covers the methods no route here takes (PUT, DELETE …), which fail in routing before any view.

def _path_format() -> str:
    last = request.path.rsplit("/", 1)[-1]
    return last.rsplit(".", 1)[-1] if "." in last else "xml"


def _methods_elsewhere() -> list[str]:
    """Methods another Open311 route takes for this path (POST to services.json: GET only → 405, not 404)."""
    adapter = current_app.url_map.bind_to_environ(request.environ)
    found = []
    for method in ("GET", "POST"):
        try:
            endpoint, _ = adapter.match(method=method)
        except HTTPException:
            continue
        if endpoint.startswith(blueprint.name + ".") and endpoint != f"{blueprint.name}.unknown":
            found.append(method)
    return found


def _unknown_path_or_method(allowed: list[str]) -> Response:
    if allowed:
        response = render_error(_path_format(), Open311Error(405, f"{request.path} 不接受 {request.method}"))
        response.headers["Allow"] = ", ".join(sorted(allowed))
        return response
    return render_error(_path_format(),
                        Open311Error(404, f"没有这个接口：{request.path}（格式须为 .xml 或 .json）"))


@blueprint.route("/", methods=["GET", "POST"], defaults={"anything": ""})
@blueprint.route("/<path:anything>", methods=["GET", "POST"])
def unknown(anything: str) -> Response:
    return _unknown_path_or_method(_methods_elsewhere())


@blueprint.before_app_request
def routing_errors_in_spec_shape():
    failure = request.routing_exception
    if failure is None or not (request.path == PREFIX or request.path.startswith(PREFIX + "/")):
        return None
    if getattr(failure, "code", None) not in (404, 405):
        return None                         # e.g. a redirect to the canonical URL: let Flask answer
    return _unknown_path_or_method(_methods_elsewhere())


@blueprint.errorhandler(HTTPException)
def http_error(error: HTTPException) -> Response:
    # e.g. a form too large to parse: still the spec's shape, with its own status.
    return render_error(_path_format(), Open311Error(error.code or 400, error.description or error.name))


@blueprint.errorhandler(Exception)
def unexpected_error(error: Exception) -> Response:
    log.exception("Open311 %s %s failed", request.method, request.path)
    return render_error(_path_format(), Open311Error(500, "服务器内部错误，请稍后重试"))


def register(server: Flask) -> None:
    server.register_blueprint(blueprint)
