"""Sessions through Flask-Login: the signed cookie holds the user's id and session stamp, nothing else of theirs.

- The secret key: ``SECRET_KEY``; in development, when unset, one generated once and kept in var/secret_key (so
  sessions survive a restart); in production a missing key stops the app at start-up.
- Cookies: HttpOnly, SameSite=Lax, Secure when the request came over HTTPS (or ``APP_ENV=production``).
- Idle timeout: a session that did nothing for ``SESSION_IDLE_MINUTES`` is signed out. Timer ticks
  (``n_intervals``) and the live feed do not count as doing something. The wall's kiosk session never times
  out and outlives a browser restart. A grid worker's phone session (a user who is nothing but ``grid_worker``)
  lasts ``GRID_WORKER_SESSION_DAYS`` without use and outlives a browser restart too: they sign in once.
"""
from __future__ import annotations

import os
import secrets
import time
from datetime import timedelta

from flask import Flask, g, request, session
from flask.sessions import SecureCookieSessionInterface
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user

from services import audit, identity
from settings import get_settings
from workorders.policy import Principal

KIOSK_LIFETIME = timedelta(days=400)       # the longest a browser keeps a cookie
SEEN_KEY, KIOSK_KEY = "seen", "kiosk"
PHONE_KEY = "phone"                         # a grid worker's long phone session
SEEN_RESOLUTION_S = 30                      # refresh "last seen" at most this often (fewer cookie rewrites)


class ConfigurationError(RuntimeError):
    """A setting the app cannot start without."""


def secret_key() -> str:
    s = get_settings()
    if s.secret_key:
        if len(s.secret_key) < 32:
            raise ConfigurationError("SECRET_KEY must be at least 32 characters (e.g. python -c "
                                     "'import secrets; print(secrets.token_urlsafe(48))')")
        return s.secret_key
    if s.app_env != "development":
        raise ConfigurationError("SECRET_KEY is not set: APP_ENV=production needs a SECRET_KEY of at least 32 "
                                 "characters (sessions are signed with it); there is no default")
    path = s.var_dir / "secret_key"
    path.parent.mkdir(parents=True, exist_ok=True)
    try:        # exclusive create: of several workers starting at once, one writes the key and all read it
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_urlsafe(48))
    for _ in range(50):
        key = path.read_text().strip()
        if key:
            return key
        time.sleep(0.1)
    raise ConfigurationError(f"{path} is empty: delete it to have a new key generated")


class SessionInterface(SecureCookieSessionInterface):
    def get_cookie_secure(self, app: Flask) -> bool:
        return request.is_secure or get_settings().app_env == "production"


class SessionUser(UserMixin):
    """Flask-Login's view of a principal. Its id carries the session stamp, so a password change or a disabled
    account ends the sessions signed in before."""

    def __init__(self, principal: Principal, stamp: int):
        self.principal, self.stamp = principal, stamp

    def get_id(self) -> str:
        return f"{self.principal.id}:{self.stamp}"


def _load(user_id: str) -> SessionUser | None:
    try:
        uid, stamp = (int(part) for part in user_id.split(":"))
    except ValueError:
        return None
    principal = identity.principal_for_session(uid, stamp)
    return SessionUser(principal, stamp) if principal else None


def current_principal() -> Principal | None:
    """The signed-in principal of this request, or None."""
    user = current_user
    return user.principal if user and user.is_authenticated else None


def sign_in(principal: Principal, stamp: int) -> None:
    session.clear()                       # nothing of an earlier session survives into this one
    login_user(SessionUser(principal, stamp))
    session.permanent = principal.is_kiosk
    session[KIOSK_KEY] = principal.is_kiosk
    if is_phone_session(principal):
        session.permanent = True
        session[PHONE_KEY] = True
    session[SEEN_KEY] = int(time.time())


def is_phone_session(principal: Principal) -> bool:
    """A grid worker on their phone: a user with that role and no other (a desk role keeps the short timeout)."""
    return principal.kind == "user" and principal.roles == frozenset({"grid_worker"})


def idle_limit_seconds() -> float:
    settings = get_settings()
    if session.get(PHONE_KEY):
        return settings.grid_worker_session_days * 86400
    return settings.session_idle_minutes * 60


def sign_out() -> None:
    logout_user()
    session.clear()


def _is_activity() -> bool:
    """Whether this request is the person doing something (not a timer tick or the live feed reconnecting)."""
    if request.path.startswith("/live/"):
        return False
    if request.path.endswith("/_dash-update-component"):
        changed = dash_body().get("changedPropIds") or []
        return not changed or not all(str(p).endswith(".n_intervals") for p in changed)
    return True


def _expire_idle_sessions() -> None:
    if "_user_id" not in session or session.get(KIOSK_KEY):
        return
    now = int(time.time())
    seen = session.get(SEEN_KEY, 0)
    if now - seen > idle_limit_seconds():
        principal = current_principal()
        sign_out()
        g.session_expired = True
        if principal:
            audit.record("session_expired", actor=principal, target=f"user:{principal.name}",
                         detail={"idle_minutes": round((now - seen) / 60, 1)})
        return
    if now - seen >= SEEN_RESOLUTION_S and _is_activity():
        session[SEEN_KEY] = now


def install(server: Flask) -> None:
    server.secret_key = secret_key()
    server.session_interface = SessionInterface()
    server.config.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
                         SESSION_COOKIE_NAME="td_session", PERMANENT_SESSION_LIFETIME=KIOSK_LIFETIME,
                         SESSION_REFRESH_EACH_REQUEST=False)
    manager = LoginManager()
    manager.session_protection = "basic"
    manager.user_loader(_load)
    manager.init_app(server)
    server.before_request(_expire_idle_sessions)


def dash_body() -> dict:
    """The JSON body of a Dash callback request (cached by Flask after the first read)."""
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else {}

