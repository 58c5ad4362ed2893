"""Open311 GeoReport v2 endpoints (JSON and XML)."""
from __future__ import annotations

from flask import Blueprint, Flask

blueprint = Blueprint("open311", __name__, url_prefix="/open311/v2")


def register(server: Flask) -> None:
    server.register_blueprint(blueprint)
