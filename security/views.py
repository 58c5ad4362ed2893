"""Sign-in and sign-out over plain HTTP, and the audit log's CSV download.

``/login`` is a server-rendered form that works without JavaScript: ``POST /login`` with ``username`` and
``password`` answers 303 to the role's home page (or ``next``, when it is a page of this site the user may open)
with the session cookie; a refusal answers the form again with the reason (200 — a form, not an HTTP challenge;
429 with Retry-After when the account is locked, the address must wait or the rate limit is reached). ``POST /logout`` (with the session's token) ends the session.
"""
from __future__ import annotations

from flask import Blueprint, Flask, Response, current_app, g, redirect, render_template_string, request

from security import csrf, limits
from security.next_url import safe_next
from security.pages import page_of_path
from security.sessions import current_principal, sign_in, sign_out
from services import audit, identity
from workorders import policy
from workorders.errors import FieldError

blueprint = Blueprint("identity", __name__, static_folder="static", static_url_path="/identity-static")

PAGE = """<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }} · 铁东区 96715</title><link rel="stylesheet" href="/identity-static/login.css"></head>
<body class="login-body"><main class="login-card" role="main">
<div class="login-brand"><span class="login-mark">96715</span><div><h1 class="login-title">铁东区 96715 指挥中心</h1>
<div class="login-sub">有事请找我 · 工作人员{{ title }}</div></div></div>
{% if notice %}<p class="login-notice" role="status">{{ notice }}</p>{% endif %}
{% if error %}<p class="login-error" role="alert" id="login-error">{{ error }}</p>{% endif %}
{% block body %}{% endblock %}
</main></body></html>"""

LOGIN = PAGE.replace("{% block body %}{% endblock %}", """
<form method="post" action="/login" class="login-form" id="login-form">
<input type="hidden" name="csrf_token" value="{{ token }}"><input type="hidden" name="next" value="{{ next or '' }}">
<label for="username">用户名</label>
<input id="username" name="username" value="{{ username }}" autocomplete="username" required autofocus maxlength="64">
<label for="password">密码</label>
<input id="password" name="password" type="password" autocomplete="current-password" required maxlength="128">
<button type="submit" id="login-submit">登录</button>
</form>
<p class="login-foot">群众反映问题请访问 <a href="/report">我要反映</a>，查询办理进度请访问 <a href="/track">进度查询</a>。</p>""")

FORBIDDEN = PAGE.replace("{% block body %}{% endblock %}", """
<p>您的账户（{{ who }}）不能打开这个页面。如需开通，请联系系统管理员。</p>
<p class="login-foot"><a href="{{ home }}">返回我的首页</a></p>""")

NOTICES = {"signed_out": "您已退出登录。", "expired": "长时间未操作，已自动退出，请重新登录。",
           "password": "密码已修改，请用新密码登录。"}


def _login_page(status: int = 200, error: str | None = None, username: str = "", next_path: str | None = None,
                notice: str | None = None, retry_after: int | None = None) -> Response:
    body = render_template_string(LOGIN, title="登录", error=error, notice=notice, username=username,
                                  next=next_path, token=csrf.token())
    response = Response(body, status=status, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    if retry_after:
        response.headers["Retry-After"] = str(retry_after)
    return response


def forbidden_page(principal) -> Response:
    body = render_template_string(FORBIDDEN, title="无权访问", error="无权访问此页面", notice=None,
                                  who=f"{principal.label}，{'、'.join(principal.role_names())}",
                                  home=policy.home_page(principal))
    return Response(body, status=403, mimetype="text/html")


def landing(principal, next_path: str | None) -> str:
    """``next`` when it is a page the user may open, else the role's home page."""
    target = safe_next(next_path)
    if target:
        page = page_of_path(current_app.extensions["dash_app"], target.split("?")[0])
        if page is not None and policy.may_open(principal, page) and policy.page_rule(page) != policy.PUBLIC:
            return target
    return policy.home_page(principal)


@blueprint.get("/login")
def login_form():
    next_path = safe_next(request.args.get("next"))
    principal = current_principal()
    if principal is not None:
        return redirect(landing(principal, next_path), 303)
    notice = "expired" if getattr(g, "session_expired", False) or request.args.get("expired") else None
    notice = notice or next((k for k in ("signed_out", "password") if request.args.get(k)), None)
    return _login_page(next_path=next_path, notice=NOTICES.get(notice or ""))


@blueprint.post("/login")
def login():
    username = (request.form.get("username") or "").strip()[:64]
    next_path = safe_next(request.form.get("next"))
    try:
        limits.hit("login")
    except limits.RateLimited as error:
        return _login_page(429, f"登录尝试过于频繁，请 {error.retry_after} 秒后再试", username, next_path,
                           retry_after=error.retry_after)
    try:
        principal, stamp = identity.authenticate(username, request.form.get("password") or "", request.remote_addr)
    except identity.SignInRefused as refused:
        locked = refused.reason in ("account_locked", "address_slowed")
        return _login_page(429 if locked else 200, refused.message, username, next_path,
                           retry_after=refused.retry_after or None)
    sign_in(principal, stamp)
    csrf.token()
    return redirect(landing(principal, next_path), 303)


@blueprint.post("/logout")
def logout():
    principal = current_principal()
    if principal is not None:
        audit.record("sign_out", actor=principal, target=f"user:{principal.name}")
    sign_out()
    return redirect("/login?signed_out=1", 303)


@blueprint.get("/audit/export.csv")
def audit_export():
    principal = policy.require(current_principal(), "audit")
    try:
        filters = audit.parse_filters(request.args)
    except FieldError as bad:
        return Response(f"{bad.field}: {bad.message}", status=400, mimetype="text/plain")
    rows = audit.search(filters, limit=audit.EXPORT_LIMIT)
    audit.record("audit_export", actor=principal, target="audit_log",
                 detail={k: str(v) for k, v in vars(filters).items() if v is not None} | {"rows": len(rows)})
    return Response(audit.export_csv(rows, principal), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="audit-log.csv"',
                             "Cache-Control": "no-store"})


def install(server: Flask) -> None:
    server.register_blueprint(blueprint)
