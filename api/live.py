"""The live feed over HTTP: snapshot and server-sent events (crews report positions through /api/v1).

The gate lets only principals with ``live_feed`` in; what each gets is its variant (services.live.live_variant).
"""
from __future__ import annotations

from flask import Blueprint, Flask, Response, jsonify, request, stream_with_context

from security.sessions import current_principal
from services import live

blueprint = Blueprint("live", __name__)


@blueprint.get("/live/snapshot")
def snapshot():
    # JSON of the compact wire form (services.live); Flask-Compress (Dash's compress=True) compresses it.
    variant = live.live_variant(current_principal())
    return Response(live.snapshot_json(variant), mimetype="application/json", headers={"Cache-Control": "no-store"})


@blueprint.get("/live/events")
def events():
    # EventSource sends back the last id it saw on reconnect; a first connection passes the snapshot's cursor.
    cursor = live.decode_cursor(request.headers.get("Last-Event-ID") or request.args.get("cursor"))
    variant = live.live_variant(current_principal())
    return Response(stream_with_context(live.sse_messages(cursor, variant=variant)), mimetype="text/event-stream",
                    headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


def register(server: Flask) -> None:
    server.register_blueprint(blueprint)
