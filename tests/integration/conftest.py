"""Fixtures the integration tests share: the one Dash app of the test run and signed-in test clients per role."""
from __future__ import annotations

import pytest

ROUTER = ".._pages_content.children..._pages_store.data.."     # the output key of Dash's pages router


def started_dash_app():
    """The product's Dash app, with the page router registered (Dash adds it at the first request)."""
    from app import app as dash_app
    dash_app.server.test_client().get("/login")
    return dash_app


@pytest.fixture(scope="session")
def dash_app(engine):
    return started_dash_app()


@pytest.fixture(scope="session")
def role_clients(dash_app):
    """``{"nobody": an anonymous client, role: a client signed in as a new user holding only that role, …}`` for
    every role of the policy, made once per test run (signing in costs an argon2 hash per user)."""
    from tests.signing_in import signed_in_client
    from workorders.policy import ROLES
    clients = {"nobody": dash_app.server.test_client()}
    clients.update({role: signed_in_client(dash_app.server, role) for role in ROLES})
    return clients


def router_body(path: str) -> dict:
    """The pages router's request for the page at ``path``, as Dash's renderer sends it."""
    return {"output": ROUTER, "outputs": [{"id": "_pages_content", "property": "children"},
                                          {"id": "_pages_store", "property": "data"}],
            "inputs": [{"id": "_pages_location", "property": "pathname", "value": path},
                       {"id": "_pages_location", "property": "search", "value": ""}],
            "changedPropIds": ["_pages_location.pathname"], "state": []}
