"""Downloads of statistics: /exports/department-scores.{csv,xlsx} and /exports/statistics.{csv,xlsx}.

Query: ``start``, ``end`` (YYYY-MM-DD, both included; default this year to date); statistics also ``dimension``.
Bad input answers 400 with the message; only aggregates leave here, never personal data.
"""
from __future__ import annotations

from flask import Blueprint, Flask, Response, jsonify, request

from services import stats

blueprint = Blueprint("exports", __name__, url_prefix="/exports")

MIMETYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@blueprint.get("/department-scores.<fmt>")
def department_scores(fmt: str):
    if fmt not in MIMETYPES:
        return _refused("format", f"导出格式应为 {' / '.join(MIMETYPES)}", 404)
    try:
        window = stats.make_window(request.args.get("start"), request.args.get("end"))
        rows = stats.department_scores(window=window)
        body = stats.export_scores(rows, fmt, title=f"部门考核 {window.label}")
    except stats.StatsError as error:
        return _refused(error.field, error.message)
    return _download(body, fmt, stats.export_filename("department-scores", window, fmt))


@blueprint.get("/statistics.<fmt>")
def statistics(fmt: str):
    if fmt not in MIMETYPES:
        return _refused("format", f"导出格式应为 {' / '.join(MIMETYPES)}", 404)
    dimension = request.args.get("dimension", "day")
    try:
        window = stats.make_window(request.args.get("start"), request.args.get("end"))
        rows = stats.statistics(dimension, window)
        body = stats.export_statistics(rows, dimension, fmt, title=f"工单统计 {window.label}")
    except stats.StatsError as error:
        return _refused(error.field, error.message)
    return _download(body, fmt, stats.export_filename(f"statistics-{dimension}", window, fmt))


def _download(body: bytes, fmt: str, filename: str) -> Response:
    return Response(body, mimetype=MIMETYPES[fmt], headers={
        "Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"})


def _refused(field: str, message: str, status: int = 400):
    # The API's error shape (api/errors.py): {"error": {"code", "message", "field"}}.
    code = "not_found" if status == 404 else "bad_request"
    return jsonify(error={"code": code, "message": message, "field": field}), status


def register(server: Flask) -> None:
    server.register_blueprint(blueprint)
