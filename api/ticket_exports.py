"""The ticket list as a file: GET /tickets/export.csv and /tickets/export.xlsx with the list's filters as arguments
(those of /tickets; services.ticket_list.parse_query). Bad input answers 400 with the message in Chinese."""
from __future__ import annotations

from flask import Blueprint, Flask, Response, jsonify, request

from security.sessions import current_principal
from services import ticket_list
from workorders.errors import FieldError
from workorders.policy import Forbidden

blueprint = Blueprint("ticket_exports", __name__)

MIMETYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@blueprint.get("/tickets/export.<fmt>")
def export(fmt: str):
    if fmt not in MIMETYPES:
        return _refused("format", f"导出格式应为 {' / '.join(MIMETYPES)}", 404)
    try:
        made = ticket_list.export(current_principal(), ticket_list.parse_query(request.args), fmt)
    except FieldError as bad:
        return _refused(bad.field, bad.message)
    except Forbidden as refused:
        return jsonify(error={"code": "forbidden", "message": refused.message, "field": None}), 403
    return Response(made.body, mimetype=MIMETYPES[fmt], headers={
        "Content-Disposition": f'attachment; filename="{made.filename}"', "Cache-Control": "no-store"})


def _refused(field: str, message: str, status: int = 400):
    code = "not_found" if status == 404 else "bad_request"
    return jsonify(error={"code": code, "message": message, "field": field}), status


def register(server: Flask) -> None:
    server.register_blueprint(blueprint)
