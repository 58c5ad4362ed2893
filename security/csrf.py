"""Requests from other sites: a state-changing request (POST, PUT, PATCH, DELETE) is refused with 403 when

1. it says it comes from another origin: ``Origin`` (or, without it, ``Referer``) names another scheme/host/port,
   or ``Sec-Fetch-Site`` says ``cross-site``/``same-site`` — whoever sends it (forms, Dash callbacks, /api,
   Open311); server-to-server clients send none of these and are judged by their API key as before;
2. or it rides on a signed-in session without the session's token: Dash's renderer sends the cookie
   ``_csrf_token`` back as the header ``X-CSRFToken`` (no page code needed), plain forms send the field
   ``csrf_token``. Another site can make a browser send the session cookie, never read the token.

Flask-WTF's CSRFProtect is not used: it would refuse Dash's JSON callbacks unless exempted (plotly/dash#308).
"""
from __future__ import annotations

import hmac
import secrets
from urllib.parse import urlsplit

from flask import Flask, Response, request, session

from settings import get_settings

TOKEN_KEY = "csrf"
COOKIE = "_csrf_token"            # the name Dash's renderer reads (dash.Dash(csrf_token_name=...))
HEADER = "X-CSRFToken"            # the header it sends
FORM_FIELD = "csrf_token"
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class CrossSiteRefused(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def token() -> str:
    """This session's token (made on first use)."""
    if TOKEN_KEY not in session:
        session[TOKEN_KEY] = secrets.token_urlsafe(32)
    return session[TOKEN_KEY]


def _same_origin(url: str) -> bool:
    parts = urlsplit(url)
    own = urlsplit(request.host_url)
    return (parts.scheme, parts.netloc.lower()) == (own.scheme, own.netloc.lower())


def foreign_origin() -> str | None:
    """Why this request looks like it comes from another site, or None."""
    site = request.headers.get("Sec-Fetch-Site")
    if site in ("cross-site", "same-site"):
        return f"Sec-Fetch-Site: {site}"
    origin = request.headers.get("Origin")
    if origin is not None:
        return None if origin != "null" and _same_origin(origin) else f"Origin: {origin}"
    referer = request.headers.get("Referer")
    if referer is not None and not _same_origin(referer):
        return "Referer from another site"
    return None


def presented_token() -> str | None:
    return request.headers.get(HEADER) or (request.form.get(FORM_FIELD) if request.mimetype in (
        "application/x-www-form-urlencoded", "multipart/form-data") else None)


def check(signed_in: bool) -> None:
    """Raise CrossSiteRefused for a state-changing request this module refuses (see the module's text)."""
    if request.method not in UNSAFE:
        return
    foreign = foreign_origin()
    if foreign:
        raise CrossSiteRefused(foreign)
    if signed_in:
        expected, given = session.get(TOKEN_KEY), presented_token()
        if not expected or not given or not hmac.compare_digest(expected, given):
            raise CrossSiteRefused("missing or wrong CSRF token")


def set_cookie(response: Response) -> Response:
    """Hand the session's token to the page as a cookie Dash's renderer can read (not HttpOnly, on purpose)."""
    value = session.get(TOKEN_KEY)
    if value and request.cookies.get(COOKIE) != value:
        response.set_cookie(COOKIE, value, httponly=False, samesite="Strict", path="/",
                            secure=request.is_secure or get_settings().app_env == "production")
    elif not value and COOKIE in request.cookies:
        response.delete_cookie(COOKIE, path="/")
    return response


def install(server: Flask) -> None:
    server.after_request(set_cookie)
