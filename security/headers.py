"""What every response says about itself, and what every request may be.

- Host allow-list (``ALLOWED_HOSTS``, Flask's TRUSTED_HOSTS): a page on another name that resolves to this
  machine (DNS rebinding against a 127.0.0.1 install) gets 400 before any route runs.
- Request bodies above ``MAX_REQUEST_BYTES`` are 413 on every route but those that take photo uploads
  (``UPLOAD_ENDPOINTS``: ``MAX_UPLOAD_REQUEST_BYTES``). Werkzeug refuses a larger Content-Length at once; a
  chunked body (no Content-Length) it only cuts off where the limit is, so it is read here, at most one byte
  past the limit, and refused when it goes past. The limit is set per request, before anything reads the body.
- Content-Security-Policy: scripts only from this origin plus the hashes of Dash's inline scripts
  (``app.csp_hashes()``: the renderer and the clientside callbacks); MapLibre's workers from blob: URLs; styles
  inline (Plotly and MapLibre write <style> elements); images and map tiles from this origin, data:/blob: URLs
  and the optional basemap's host; no framing (``frame-ancestors 'none'`` and ``X-Frame-Options: DENY``).
"""
from __future__ import annotations

from urllib.parse import urlsplit

import dash
from flask import Flask, Response, request
from werkzeug.exceptions import RequestEntityTooLarge

from settings import get_settings


def allowed_hosts() -> list[str]:
    return [h.strip() for h in get_settings().allowed_hosts.split(",") if h.strip()]


def _basemap_origin() -> str:
    url = get_settings().basemap_tile_url
    if not url:
        return ""
    parts = urlsplit(url.replace("{", "").replace("}", ""))
    return f" {parts.scheme}://{parts.netloc}" if parts.scheme in ("http", "https") and parts.netloc else ""


class ContentSecurityPolicy:
    """The policy string; the hashes are taken again whenever Dash gained inline scripts (the pages router adds
    its clientside callback at the first request)."""

    def __init__(self, app: dash.Dash):
        self.app, self._count, self._value = app, -1, ""

    def value(self) -> str:
        hashes = self.app.csp_hashes()
        if len(hashes) != self._count:
            tiles = _basemap_origin()
            self._count = len(hashes)
            self._value = "; ".join([
                "default-src 'self'",
                "script-src 'self' " + " ".join(hashes),
                "style-src 'self' 'unsafe-inline'",
                f"img-src 'self' data: blob:{tiles}",
                "font-src 'self' data:",
                f"connect-src 'self'{tiles}",
                "worker-src 'self' blob:",
                "child-src 'self' blob:",
                "object-src 'none'",
                "base-uri 'self'",
                "form-action 'self'",
                "frame-ancestors 'none'",
            ])
        return self._value


# Routes that take photo uploads: a multipart POST to them may reach MAX_UPLOAD_REQUEST_BYTES; every other
# request (a form-encoded Open311 POST included) keeps MAX_REQUEST_BYTES.
UPLOAD_ENDPOINTS = frozenset({"open311.requests", "api_v1.add_ticket_photos", "mobile.report", "mobile.resolve",
                              "work.reply"})


def body_limit(endpoint: str | None) -> int:
    settings = get_settings()
    if endpoint in UPLOAD_ENDPOINTS and request.method == "POST" and request.mimetype == "multipart/form-data":
        return max(settings.max_upload_request_bytes, settings.max_request_bytes)
    return settings.max_request_bytes


def refuse_large_bodies() -> None:
    limit = body_limit(request.endpoint)
    # One byte of room: Werkzeug stops reading a chunked body there, and the check below sees it went past.
    request.max_content_length = limit + 1
    if request.content_length is not None:
        if request.content_length > limit:
            raise RequestEntityTooLarge()
    elif "wsgi.input_terminated" in request.environ and len(request.get_data(cache=True)) > limit:
        raise RequestEntityTooLarge()


def install(app: dash.Dash) -> None:
    server: Flask = app.server
    server.config["TRUSTED_HOSTS"] = allowed_hosts()
    # The default for requests that never reach refuse_large_bodies; it sets each request's own limit.
    server.config["MAX_CONTENT_LENGTH"] = get_settings().max_request_bytes + 1
    server.before_request(refuse_large_bodies)
    policy = ContentSecurityPolicy(app)

    @server.after_request
    def security_headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", policy.value())
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response
