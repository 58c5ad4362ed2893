"""/m: the grid worker's phone. Plain HTML forms (they work without JavaScript but for the location), one small
script (mobile/static/mobile.js: location, photo shrinking before upload, the position while on a task, a light
check for new tasks) and one stylesheet; no Dash, no plotly.js, so the first load is a few kilobytes.

- ``GET /m``: report a problem (category, text, photo from the camera, location); ``GET /m/tasks``: my tasks.
  Both are pages (security/gate.py SERVER_PAGES → policy.PAGES["/m"]): nobody → /login, other roles → 403.
- ``POST /m/report``, ``POST /m/tasks/<number>/arrive``, ``POST /m/tasks/<number>/resolve``: forms, answered with
  303 back to the page (so a reload never posts twice) or the page again with the reason (400/403/404/409).
- ``POST /m/position`` (JSON ``{lon, lat[, datum, speed_kmh]}``) → 202; ``GET /m/tasks/version`` → the tasks'
  fingerprint, polled every 30 s (a few bytes instead of the district's live stream on a phone's link).
"""
from __future__ import annotations

import hashlib
import uuid

from flask import Blueprint, Flask, Response, jsonify, redirect, render_template, request

from security import csrf
from security.sessions import current_principal
from services import media
from services import mobile as service
from services.tickets import IntakeError, NotFound
from workorders import policy
from workorders.clock import local_minute
from workorders.states import STATES, TransitionRefused

blueprint = Blueprint("mobile", __name__, url_prefix="/m", template_folder="templates",
                      static_folder="static", static_url_path="/static")
STATIC_MAX_AGE = 86_400


def _page(template: str, status: int = 200, **values) -> Response:
    principal = current_principal()
    body = render_template(f"mobile/{template}", principal=principal, token=csrf.token(), states=STATES,
                           minute=local_minute, grid=principal.grid_code if principal else None, **values)
    response = Response(body, status=status, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    return response


def _home(status: int = 200, errors: dict | None = None, values: dict | None = None) -> Response:
    principal = current_principal()
    return _page("report.html", status, categories=service.report_categories(principal), errors=errors or {},
                 values=values or {}, form_key=uuid.uuid4().hex, reported=request.args.get("reported"),
                 task_count=len(service.my_tasks(principal)), on_task=service.has_task(principal))


def _tasks(status: int = 200, error: str | None = None, notice: str | None = None) -> Response:
    tasks = service.my_tasks(current_principal())
    return _page("tasks.html", status, tasks=tasks, error=error, notice=notice, on_task=bool(tasks),
                 version=_version(tasks))


def _version(tasks: list[dict]) -> str:
    text = "|".join(f"{t['number']}:{t['state']}:{t['updated_at'].isoformat()}" for t in tasks)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@blueprint.get("")
def home() -> Response:
    return _home()


@blueprint.post("/report")
def report() -> Response:
    principal = current_principal()
    form = service.Report(request.form.get("category"), request.form.get("description"),
                          request.form.get("lon"), request.form.get("lat"), request.form.get("datum"),
                          (request.form.get("form_key") or "")[:64] or None)
    values = {k: request.form.get(k) or "" for k in ("category", "description", "lon", "lat", "datum")}
    try:
        ticket = service.report(principal, form, media.uploads_from_files(request.files))
    except service.ReportInvalid as invalid:
        return _home(400, invalid.errors, values)
    except media.MediaError as bad:
        return _home(400, {"photo": bad.message}, values)
    except IntakeError as bad:
        return _home(400, {"location" if bad.field in ("lat", "lon", "location", "grid_code") else bad.field:
                           bad.message}, values)
    except policy.Forbidden as refused:
        return _home(403, {"location": refused.message}, values)
    except media.StorageUnavailable:
        return _home(503, {"photo": "照片暂时无法保存，请稍后重试"}, values)
    return redirect(f"/m?reported={ticket['number']}", 303)


@blueprint.get("/tasks")
def tasks() -> Response:
    done = request.args.get("done")
    number = request.args.get("n", "")[:40]
    notice = {"arrive": f"已到场：{number}", "resolve": f"已办结：{number}，群众将收到评价短信"}.get(done or "")
    return _tasks(notice=notice)


def _task_action(number: str, action: str, run) -> Response:
    try:
        run()
    except NotFound as missing:
        return _tasks(404, str(missing))
    except policy.Forbidden as refused:
        return _tasks(403, refused.message)
    except TransitionRefused:
        return _tasks(409, f"工单 {number} 当前状态不能{ {'arrive': '到场', 'resolve': '办结'}[action]}，请刷新")
    except media.MediaError as bad:
        return _tasks(400, bad.message)
    except IntakeError as bad:
        return _tasks(400, bad.message)
    except media.StorageUnavailable:
        return _tasks(503, "照片暂时无法保存，请稍后重试")
    return redirect(f"/m/tasks?done={action}&n={number}", 303)


@blueprint.post("/tasks/<number>/arrive")
def arrive(number: str) -> Response:
    return _task_action(number, "arrive", lambda: service.arrive(current_principal(), number))


@blueprint.post("/tasks/<number>/resolve")
def resolve(number: str) -> Response:
    uploads = media.uploads_from_files(request.files)
    return _task_action(number, "resolve", lambda: service.resolve(current_principal(), number,
                                                                   request.form.get("reply"), uploads))


@blueprint.get("/tasks/version")
def tasks_version() -> Response:
    tasks = service.my_tasks(current_principal())
    response = jsonify(version=_version(tasks), count=len(tasks))
    response.headers["Cache-Control"] = "no-store"
    return response


def _json_error(status: int, code: str, message: str, field: str | None = None) -> Response:
    response = jsonify(error={"code": code, "message": message, "field": field})
    response.status_code = status
    return response


@blueprint.post("/position")
def position() -> Response:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return _json_error(400, "bad_body", "请求体应为 JSON 对象 {lon, lat}")
    speed = body.get("speed_kmh")
    if speed is not None and (not isinstance(speed, (int, float)) or isinstance(speed, bool) or not 0 <= speed < 400):
        speed = None          # a phone's speed is a hint; a wrong one is dropped, not the position
    try:
        service.send_position(current_principal(), body.get("lon"), body.get("lat"), body.get("datum"), speed)
    except service.NotOnTask as idle:
        return _json_error(409, "not_on_task", idle.message, idle.field)
    except IntakeError as bad:
        return _json_error(400, "bad_request", bad.message, bad.field)
    except NotFound as missing:
        return _json_error(404, "not_found", str(missing))
    return Response(status=202)


@blueprint.after_request
def _cache_static(response: Response) -> Response:
    if request.endpoint == "mobile.static":
        response.headers["Cache-Control"] = f"public, max-age={STATIC_MAX_AGE}"
    return response


def register(server: Flask) -> None:
    server.register_blueprint(blueprint)
