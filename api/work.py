"""/work's 办结回复 as a multipart POST (assets/work.js sends it): ``POST /work/tickets/<number>/reply`` with the
field ``reply`` and up to MEDIA_MAX_PHOTOS image parts (any name) → services.work.resolve_with_reply. Photos are
too large for a Dash callback's JSON body (MAX_REQUEST_BYTES); this route takes MAX_UPLOAD_REQUEST_BYTES
(security/headers.py UPLOAD_ENDPOINTS). Answers JSON: 200 ``{number, state, message}``; 400 a bad field or photo,
403, 404, 409 a ticket that cannot be resolved now, 503 the photo store cannot write — each with a message in
Chinese, and nothing stored."""
from __future__ import annotations

from dataclasses import replace

from flask import Blueprint, Flask, jsonify, request

from security.sessions import current_principal
from services import media, work
from services.tickets import NotFound
from workorders.errors import FieldError
from workorders.policy import Forbidden
from workorders.states import STATES, TransitionRefused

blueprint = Blueprint("work", __name__)


def _refused(status: int, code: str, message: str, field: str | None = None):
    return jsonify(error={"code": code, "message": message, "field": field}, message=message), status


@blueprint.post("/work/tickets/<number>/reply")
def reply(number: str):
    # Every file part is a photo, whatever the browser named it; a refusal names it 照片（its file name）.
    uploads = [replace(u, field="照片") for u in media.uploads_from_files(request.files)]
    try:
        done = work.resolve_with_reply(current_principal(), number, request.form.get("reply"), uploads)
    except FieldError as bad:
        return _refused(400, "bad_request", bad.message, bad.field)
    except media.MediaError as bad:
        return _refused(400, bad.code, bad.message, bad.field)
    except Forbidden as refused:
        return _refused(403, "forbidden", refused.message)
    except NotFound as missing:
        return _refused(404, "not_found", str(missing))
    except TransitionRefused:
        return _refused(409, "conflict", f"工单 {number} 当前状态不能办结，请刷新")
    except media.StorageUnavailable:
        return _refused(503, "storage_unavailable", "照片暂时无法保存，请稍后重试")
    state = done.ticket["state"]
    return jsonify(number=done.ticket["number"], state=state,
                   message=f"工单 {done.ticket['number']} 已办结，现为“{STATES[state]}”；回复已公开在进度查询页，"
                           "评价短信将发送至群众手机")


def register(server: Flask) -> None:
    server.register_blueprint(blueprint)
