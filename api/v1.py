"""REST JSON API under /api/v1 (thin: validate → services.tickets → JSON)."""
from __future__ import annotations

from flask import Blueprint, Flask

blueprint = Blueprint("api_v1", __name__, url_prefix="/api/v1")


def register(server: Flask) -> None:
    server.register_blueprint(blueprint)
