"""Every Dash page's layout becomes a function of the signed-in user.

Dash's pages router is one callback that returns whichever page the request body names, so the rule must hold
inside the layout itself: each registered layout is wrapped here, once, at start-up. The wrapper checks
``policy.PAGES`` for the page it belongs to (not for the path the body claims), counts look-ups against their
rate limit, and puts the shell (screens/shell.py) around the page of a signed-in user. Layouts that take
``principal`` get it.
"""
from __future__ import annotations

import inspect
from typing import Callable

import dash
from dash import dcc, html
from dash._pages import _path_to_page

from screens.shell import refusal, shell
from security import csrf, limits
from security.next_url import login_url
from security.sessions import current_principal
from services import audit
from workorders import policy


def page_of_path(app: dash.Dash, path: str) -> str | None:
    """The registered path (template) of the Dash page at ``path``, or None for no page."""
    page, _ = _path_to_page(app.strip_relative_path(path))
    if not page:
        return None
    return page.get("path_template") or page["path"]


def _rate_limited(error: limits.RateLimited) -> html.Div:
    return html.Div(html.Div(f"查询过于频繁，请 {error.retry_after} 秒后再试", className="notice", role="alert"),
                    className="public-main")


def guarded(path: str, layout: Callable | object) -> Callable:
    wants_principal = callable(layout) and "principal" in inspect.signature(layout).parameters

    def layout_for_user(**kwargs):
        principal = current_principal()
        if not policy.may_open(principal, path):
            if principal is None:
                return dcc.Location(id="shell-redirect", href=login_url(path), refresh=True)
            audit.record("access_denied", actor=principal, target=f"page:{path}", outcome="denied",
                         detail={"via": "router"})
            return html.Div([shell(principal, path, csrf.token()), refusal(principal, policy.home_page(principal))],
                            className="shell-page")
        if path in limits.PAGE_LIMITS:
            try:
                limits.hit(limits.PAGE_LIMITS[path])
            except limits.RateLimited as error:
                return _rate_limited(error)
        if wants_principal:
            kwargs["principal"] = principal
        content = layout(**kwargs) if callable(layout) else layout
        if principal is None:
            return content
        return html.Div([shell(principal, path, csrf.token()), content], className=f"shell-page shell-page-"
                        f"{'bar' if path not in ('/', '/wall') else 'overlay'}")

    return layout_for_user


def install() -> None:
    for page in dash.page_registry.values():
        path = page.get("path_template") or page["path"]
        page["layout"] = guarded(path, page["layout"])
