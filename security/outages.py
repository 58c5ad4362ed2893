"""PostgreSQL away while a person uses the dashboard: every door outside the APIs answers 503 with Retry-After
instead of a stack trace (the APIs map it themselves: api/errors.py, open311/views.py).

- A Dash callback (POST /_dash-update-component) and any other JSON or data request: the JSON error shape with
  code ``database_unavailable``. assets/outage.js sees it and shows the 数据连接中断 banner of the layout
  (screens/shell.py), probes /healthz/database and takes the banner away when the database answers again.
- A page (GET of HTML, e.g. the first load of /tickets while the session's user cannot be read): a small page
  saying so, which reloads itself after Retry-After.
Which errors count as an outage is services/outages.py's decision; any other error keeps its 500.
"""
from __future__ import annotations

from flask import Flask, Response, jsonify, request
from jinja2 import Environment

from security.views import PAGE
from services import outages

OUTAGE_PAGE = PAGE.replace("工作人员{{ title }}", "{{ title }}").replace("<title>", '<meta http-equiv="refresh" content="{{ retry }}"><title>').replace(
    "{% block body %}{% endblock %}", """
<p class="login-error" role="alert" id="outage-page">{{ message }}</p>
<p>数据库恢复后本页将自动重新加载（约 {{ retry }} 秒后重试）。您刚才的操作如未完成，请在恢复后重新提交。</p>
<p class="login-foot"><a href="">立即重试</a></p>""")
# Rendered outside Flask's template context: its context processors would read the signed-in user — from the
# database that is away.
_TEMPLATE = Environment(autoescape=True).from_string(OUTAGE_PAGE)


def _wants_page() -> bool:
    if request.method != "GET" or request.path.endswith("/_dash-update-component"):
        return False
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "text/html"


def database_unavailable(error: Exception) -> Response:
    if not outages.is_database_outage(error):
        raise error
    outages.note(error, f"{request.method} {request.path}")
    if _wants_page():
        body = _TEMPLATE.render(title="数据连接中断", message=outages.BANNER, retry=outages.retry_after_seconds(),
                                notice=None, error=None)
        response = Response(body, status=503, mimetype="text/html")
    else:
        response = jsonify(error={"code": outages.CODE, "message": outages.MESSAGE, "field": None})
        response.status_code = 503
    response.headers.update(outages.headers())
    return response


def database_probe() -> Response:
    """GET /healthz/database: whether the database answers now (the banner's probe; public, no session read)."""
    reachable, ms = outages.database_reachable()
    response = jsonify(database="ok" if reachable else "unavailable", ms=round(ms, 1))
    response.status_code = 200 if reachable else 503
    response.headers["Cache-Control"] = "no-store"
    if not reachable:
        response.headers.update(outages.headers())
    return response


def install(server: Flask) -> None:
    for database_error in outages.DATABASE_ERRORS:
        server.register_error_handler(database_error, database_unavailable)
    server.add_url_rule("/healthz/database", "healthz_database", database_probe, methods=["GET"])
