"""The live feed over HTTP: snapshot, server-sent events, and crew positions from mobile clients."""
from __future__ import annotations

from datetime import datetime

from flask import Blueprint, Flask, Response, jsonify, request, stream_with_context

from services import live
from services.tickets import IntakeError, NotFound

blueprint = Blueprint("live", __name__)


@blueprint.get("/live/snapshot")
def snapshot():
    # JSON of the compact wire form (services.live); Flask-Compress (Dash's compress=True) compresses it.
    return Response(live.snapshot_json(), mimetype="application/json", headers={"Cache-Control": "no-store"})


@blueprint.get("/live/events")
def events():
    # EventSource sends back the last id it saw on reconnect; a first connection passes the snapshot's cursor.
    cursor = live.decode_cursor(request.headers.get("Last-Event-ID") or request.args.get("cursor"))
    return Response(stream_with_context(live.sse_messages(cursor)), mimetype="text/event-stream",
                    headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


@blueprint.post("/api/v1/crews/<code>/position")
def crew_position(code: str):
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return _error(415 if not request.is_json else 400, "body must be a JSON object {lon, lat[, at, speed_kmh]}")
    try:
        lon, lat = float(body["lon"]), float(body["lat"])
        at = datetime.fromisoformat(body["at"]) if body.get("at") else None
        speed = float(body["speed_kmh"]) if body.get("speed_kmh") is not None else None
    except (KeyError, TypeError, ValueError):
        return _error(400, "lon and lat are required numbers; at is ISO 8601 with offset", "location")
    if at is not None and at.tzinfo is None:
        return _error(400, "at must carry a time-zone offset", "at")
    try:
        entry = live.report_position(code, lon, lat, at, speed)
    except NotFound as missing:
        return _error(404, str(missing))
    except IntakeError as bad:
        return _error(400, bad.message, bad.field)
    return jsonify({"crew": code, "stream_id": entry}), 202


def _error(status: int, message: str, field: str | None = None):
    return jsonify({"error": {"code": status, "message": message, "field": field}}), status


def register(server: Flask) -> None:
    server.register_blueprint(blueprint)
