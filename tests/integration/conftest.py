"""Fixtures the integration tests share: the one Dash app of the test run and signed-in test clients per role; for
the API tests (test_api_*.py) the Flask client, keys, a grid worker's key and a spot; the tickets a module made
(refused at its end); a point on the edge two grids share.

API tests run against the real test database through the Flask test client; each test makes its own keys,
phones and devices (unique per run), so tests never depend on what earlier runs left behind. A module that
defines a fixture of the same name (its own ``client``, ``spot`` …) uses its own.
"""
from __future__ import annotations

import pytest

from workorders.policy import system_principal
from sqlalchemy import text

from geo.db import get_engine
from services.tickets import transition
from tests.fresh import unique
from tests.integration.dash_requests import started_dash_app
from workorders.states import TransitionRefused


@pytest.fixture(scope="session")
def dash_app(engine):
    return started_dash_app()


@pytest.fixture(scope="session")
def role_clients(dash_app):
    """``{"nobody": an anonymous client, role: a client signed in as a new user holding only that role, …}`` for
    every role of the policy, made once per test run (signing in costs an argon2 hash per user)."""
    from harness.signing_in import signed_in_client
    from workorders.policy import ROLES
    clients = {"nobody": dash_app.server.test_client()}
    clients.update({role: signed_in_client(dash_app.server, role) for role in ROLES})
    return clients


@pytest.fixture(scope="module")
def client(engine):
    from app import server
    return server.test_client()


# What the API tests' integration key may do: everything but report positions (tests of scopes make their own).
INTEGRATION_SCOPES = ("intake", "read", "transitions")
# A grid worker's phone: as the migration of existing keys gives it (0010_api_key_scopes).
WORKER_SCOPES = ("intake", "transitions", "positions")


def _key(name: str, crew: str | None = None, scopes=INTEGRATION_SCOPES) -> str:
    from services.api_keys import create_api_key
    return create_api_key(name, crew, scopes=scopes)


def _drop_key(name: str) -> None:
    from geo.api_keys import delete_api_key
    with get_engine().begin() as conn:
        delete_api_key(conn, name)


@pytest.fixture(scope="module")
def key_name(engine) -> str:
    return unique("test-integration")


@pytest.fixture(scope="module")
def api_key(key_name) -> str:
    """A fresh integration key (its name is the idempotency scope, so scopes never collide across runs)."""
    key = _key(key_name)
    yield key
    _drop_key(key_name)


@pytest.fixture(scope="module")
def auth(api_key) -> dict[str, str]:
    return {"X-API-Key": api_key}


@pytest.fixture(scope="module")
def worker_crew(engine) -> dict:
    from geo.api_keys import grid_worker_crew
    with engine.connect() as conn:
        return grid_worker_crew(conn)


@pytest.fixture(scope="module")
def worker_auth(worker_crew) -> dict[str, str]:
    """A grid worker's phone: a key bound to a crew of kind 网格员."""
    name = unique("test-worker")
    yield {"X-API-Key": _key(name, worker_crew["code"], WORKER_SCOPES)}
    _drop_key(name)


@pytest.fixture(scope="module")
def spot(client) -> dict:
    """A point inside the district (a numbered building of the gazetteer), found through the API itself."""
    places = client.get("/api/v1/places?q=胜利路12号").get_json()["places"]
    return places[0]


@pytest.fixture(scope="module")
def created(engine):
    """Numbers of the tickets the tests made; refused at the end so nothing stays open."""
    numbers: list[str] = []
    yield numbers
    for number in numbers:
        try:
            transition(number, "refuse", system_principal("open311-tests"), reason="测试工单")
        except TransitionRefused:
            pass            # already resolved/closed by its test


@pytest.fixture(scope="module")
def shared_edge_point(engine) -> tuple[str, str, float, float]:
    """(a, b, lon, lat): a vertex of grid a's outline that grid b covers too (a < b), i.e. on an edge they share."""
    with engine.connect() as conn:
        return tuple(conn.execute(text("""
            SELECT a.code, b.code, ST_X(p), ST_Y(p) FROM grids a JOIN grids b
              ON a.code < b.code AND ST_Touches(a.geom, b.geom),
              LATERAL ST_PointN(ST_Boundary(ST_GeometryN(a.geom, 1)), 1) AS p
            WHERE ST_Covers(b.geom, p) AND ST_Covers(a.geom, p) LIMIT 1""")).one())
