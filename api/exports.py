"""Downloads of statistics: /exports/department-scores.{csv,xlsx} and /exports/statistics.{csv,xlsx}.

Query: ``start``, ``end`` (YYYY-MM-DD, both included; default this year to date); statistics also ``dimension``.
Bad input answers 400 with the message; only aggregates leave here, never personal data. Each file's first line
says who made it and when, and each is an entry of the audit log (services.exports).
"""
from __future__ import annotations

from flask import Blueprint, Flask, Response, jsonify, request

from security.sessions import current_principal
from services import exports, stats

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
        made = exports.department_scores(current_principal(), fmt, request.args.get("start"), request.args.get("end"))
    except stats.StatsError as error:
        return _refused(error.field, error.message)
    return _download(made, fmt)


@blueprint.get("/statistics.<fmt>")
def statistics(fmt: str):
    if fmt not in MIMETYPES:
        return _refused("format", f"导出格式应为 {' / '.join(MIMETYPES)}", 404)
    dimension = request.args.get("dimension", "day")
    try:
        made = exports.statistics(current_principal(), fmt, dimension, request.args.get("start"),
                                  request.args.get("end"))
    except stats.StatsError as error:
        return _refused(error.field, error.message)
    return _download(made, fmt)


def _download(made: exports.Download, fmt: str) -> Response:
    return Response(made.body, mimetype=MIMETYPES[fmt], headers={
        "Content-Disposition": f'attachment; filename="{made.filename}"', "Cache-Control": "no-store"})


def _refused(field: str, message: str, status: int = 400):
    # The API's error shape (api/errors.py): {"error": {"code", "message", "field"}}.
    code = "not_found" if status == 404 else "bad_request"
    return jsonify(error={"code": code, "message": message, "field": field}), status


def register(server: Flask) -> None:
    server.register_blueprint(blueprint)
