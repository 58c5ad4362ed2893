"""The shell of a signed-in user's page (pure: a principal and a page in, Dash components out): who is signed in,
in which role, the role's links and sign-out.

Three sizes: a slim bar above desk pages; a small chip in the map's free lower-left corner (the map keeps the
screen); a faint mark in a corner of the wall (the wall keeps its full-screen look).
"""
from __future__ import annotations

from dash import dcc, html

from services.outages import BANNER as OUTAGE_BANNER
from workorders.policy import Principal, home_page, navigation

CHROME = {"/": "chip", "/wall": "mark"}       # every other page gets the bar


def _sign_out(csrf_token: str, label: str = "退出") -> html.Form:
    # A plain form POST (with the session's token): it works even where the page's scripts do not.
    return html.Form([
        dcc.Input(type="hidden", name="csrf_token", value=csrf_token, id="shell-csrf"),
        html.Button(label, type="submit", className="shell-signout", id="shell-signout"),
    ], method="POST", action="/logout", className="shell-signout-form")


def _links(principal: Principal, path: str) -> list:
    return [html.A(name, href=href, className="shell-link active" if href == path else "shell-link")
            for href, name in navigation(principal)]


def _who(principal: Principal) -> html.Span:
    return html.Span([html.Span(principal.label, className="shell-name"),
                      html.Span("、".join(principal.role_names()), className="shell-role")],
                     className="shell-who", id="shell-user", title=principal.name)


def shell(principal: Principal, path: str, csrf_token: str) -> html.Div:
    chrome = CHROME.get(path, "bar")
    if chrome == "mark":
        return html.Div([html.Span(principal.label, className="shell-name", id="shell-user", title=principal.name),
                         _sign_out(csrf_token, "×")], className="shell shell-mark")
    if chrome == "chip":
        return html.Div([_who(principal), html.Nav(_links(principal, path), className="shell-nav"),
                         _sign_out(csrf_token)], className="shell shell-chip")
    return html.Div([
        html.A("96715", href=home_page(principal), className="shell-brand"),
        html.Nav(_links(principal, path), className="shell-nav"),
        html.Div([_who(principal), html.A("修改密码", href="/account", className="shell-link"),
                  _sign_out(csrf_token)], className="shell-end"),
    ], className="shell shell-bar")


def refusal(principal: Principal | None, home: str) -> html.Div:
    """What a page shows to someone who may not see it."""
    return html.Div([
        html.H1("无权访问此页面", className="page-title"),
        html.P("您的账户角色不能打开这个页面。如需开通，请联系系统管理员。" if principal else "请先登录。"),
        html.A("返回我的首页" if principal else "登录", href=home if principal else "/login", className="btn-primary"),
    ], className="card shell-refusal")


def outage_banner() -> html.Div:
    """The 数据连接中断 banner: in the app's layout around every page (so it is there even when the page itself
    could not be rendered), hidden until assets/outage.js sees a callback answer 503 database_unavailable, and
    hidden again when /healthz/database answers. Shown by a class on <html>, which Dash never re-renders."""
    return html.Div([html.Span("⚠", className="shell-outage-icon", **{"aria-hidden": "true"}),
                     html.Span(OUTAGE_BANNER, className="shell-outage-text")],
                    id="shell-outage", className="shell-outage", role="alert", **{"aria-live": "assertive"})
