"""The dashboard: `python app.py` serves on 127.0.0.1:$PORT; `gunicorn app:server` uses `server`."""
from __future__ import annotations

import importlib
import pkgutil

import dash
from flask import Flask, Response, jsonify, request

from layers.style import GLYPHS_PATH, STYLE_PATH, map_style
from services.health import report as health_report
from settings import get_settings


def add_routes(server: Flask) -> None:
    @server.get("/map-glyphs/<path:fontstack>/<int:start>-<int:end>.pbf")
    def map_glyphs(fontstack: str, start: int, end: int) -> Response:
        # An empty protobuf is a valid, empty glyph range: CJK labels come from local fonts, and the map asks
        # no outside font server.
        return Response(b"", mimetype="application/x-protobuf", headers={"Cache-Control": "max-age=86400"})

    @server.get(STYLE_PATH)
    def map_style_json():
        # Served (not inlined in the figure) so Plotly never sees a changed style object and re-adds its layers;
        # glyph URLs are absolute on the host the browser used.
        settings = get_settings()
        base = request.host_url.rstrip("/")
        return jsonify(map_style(base + GLYPHS_PATH, settings.basemap_tile_url, settings.basemap_attribution))

    @server.get("/healthz")
    def healthz():
        healthy, body = health_report()
        return jsonify(body), 200 if healthy else 503


# Flask blueprints and CLI commands that live beside the dashboard; each module has register(server).
HTTP_MODULES = ("api.v1", "api.live", "open311.views", "api.exports", "api.media")
HTTP_MODULES = HTTP_MODULES + ("api.ticket_exports",)     # issue 11: /tickets/export.csv|.xlsx
HTTP_MODULES = HTTP_MODULES + ("mobile.views",)     # issue 11: /m, the grid worker's phone
HTTP_MODULES = HTTP_MODULES + ("api.work",)         # issue 11: /work's 办结回复 with photos (multipart)


def register_callbacks() -> None:
    """Import every module of callbacks/: each registers its callbacks with Dash's global registry."""
    import callbacks
    for module in sorted(m.name for m in pkgutil.iter_modules(callbacks.__path__)):
        importlib.import_module(f"callbacks.{module}")


def create_app() -> dash.Dash:
    app = dash.Dash(
        __name__, use_pages=True, pages_folder="screens", compress=True, title="铁东区 96715 指挥中心",
        update_title=None,
        # Vendored builds are loaded by the pages that need them (assets/plotly_early.js), not by every page.
        assets_ignore=r"^plotly-command-.*\.js$",
        # Pages hold different components; callbacks of the other pages must not error where theirs are absent.
        suppress_callback_exceptions=True,
        meta_tags=[{"name": "viewport", "content": "width=device-width, initial-scale=1"}])
    app.index_string = app.index_string.replace("<html>", '<html lang="zh-CN">')
    register_callbacks()
    from screens.shell import outage_banner
    app.layout = dash.html.Div([outage_banner(), dash.page_container])
    add_routes(app.server)
    for name in HTTP_MODULES:
        importlib.import_module(name).register(app.server)
    # Sign-in, the gate at every door, CSRF, rate limits, headers: after everything it guards is registered.
    from security import install as install_security
    install_security(app)
    return app


app = create_app()
server = app.server


if __name__ == "__main__":
    settings = get_settings()
    # One-process set-up: the workers (relay, position ingester, escalation sweep) as threads of this process.
    # Deployments and `make run` serve with gunicorn (gunicorn.conf.py) and run `python -m workers …` beside it.
    if settings.run_relay_in_app:
        from workers import start_in_process
        start_in_process()
    app.run(host=settings.host, port=settings.port, debug=settings.debug)
