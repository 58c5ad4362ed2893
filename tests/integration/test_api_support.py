"""Fixtures and helpers shared by the API tests (imported by each tests/integration/test_api_*.py).

Everything runs against the real test database through the Flask test client; each test makes its own keys,
phones and devices (unique per run), so tests never depend on what earlier runs left behind.
"""
from __future__ import annotations

import random
import uuid

import pytest

from geo.db import get_engine


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def unique_phone() -> str:
    return "139" + "".join(random.choice("0123456789") for _ in range(8))


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


def ticket_body(spot: dict, **fields) -> dict:
    body = {"category": "road_damage", "description": "胜利路人行道地砖松动，老人易绊倒", "lat": spot["lat"],
            "lon": spot["lon"], "citizen_name": "王建国", "citizen_phone": unique_phone()}
    body.update(fields)
    return {k: v for k, v in body.items() if v is not None}


def error_of(answer) -> dict:
    """The error object of an answer, after checking it has the API's error shape."""
    body = answer.get_json()
    assert answer.mimetype == "application/json", answer.data[:200]
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "field"}, body
    assert body["error"]["message"]
    return body["error"]
