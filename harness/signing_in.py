"""Signing in as a person would: a user made through the identity service, then POST /login.

Used by the integration tests (Flask's test client), the browser tests (a real Chromium at /login) and the
benchmarks (a session cookie of a running server)."""
from __future__ import annotations

import uuid

from services import identity
from services.identity import DEMO_USERS
from workorders.policy import ROLE_SCOPE

CSRF_COOKIE, CSRF_HEADER = "_csrf_token", "X-CSRFToken"


def demo_scopes() -> dict[str, str | None]:
    from geo.db import transaction
    from geo.users import demo_scopes as scopes
    with transaction() as conn:
        return scopes(conn)


def make_user(*roles: str, **scopes: str | None) -> tuple[str, str]:
    """A new user with ``roles`` (scoped roles get the demo scopes unless given); returns (username, password)."""
    defaults = demo_scopes() if any(r in ROLE_SCOPE for r in roles) else {}
    for role in roles:
        scope = ROLE_SCOPE.get(role)
        if scope and not scopes.get(scope):
            scopes[scope] = defaults[scope]
    username = f"t-{'-'.join(r.replace('_', '') for r in roles)}-{uuid.uuid4().hex[:8]}"
    _, password = identity.create_user(username, list(roles), scopes=scopes or None, by="test",
                                       display_name=dict((r, d) for r, _, d in DEMO_USERS).get(roles[0]))
    return username, password


def sign_in(client, username: str, password: str) -> None:
    answer = client.post("/login", data={"username": username, "password": password})
    assert answer.status_code == 303, answer.get_data(as_text=True)[:300]


def signed_in_client(server, *roles: str):
    """A test client with a session of a new user holding ``roles``."""
    client = server.test_client()
    sign_in(client, *make_user(*roles))
    return client


def csrf_headers(client) -> dict[str, str]:
    cookie = client.get_cookie(CSRF_COOKIE)
    return {CSRF_HEADER: cookie.value} if cookie else {}


def session_cookie(base_url: str, *roles: str) -> str:
    """A ``Cookie`` header value of a session signed in at a running server ``base_url`` (any process of the same
    deployment accepts it: they share the secret key)."""
    import http.client
    from urllib.parse import urlencode, urlsplit
    username, password = make_user(*roles)
    where = urlsplit(base_url)
    conn = http.client.HTTPConnection(where.hostname, where.port, timeout=30)
    conn.request("POST", "/login", urlencode({"username": username, "password": password}),
                 {"Content-Type": "application/x-www-form-urlencoded"})
    answer = conn.getresponse()
    assert answer.status == 303, answer.read()[:300]
    cookies = [h.split(";")[0] for h in answer.headers.get_all("Set-Cookie")]
    conn.close()
    return "; ".join(cookies)
