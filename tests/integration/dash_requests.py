"""Calling the Dash app as its renderer does, from tests: the app with its page router, the router's request and
a callback's."""
from __future__ import annotations

ROUTER = ".._pages_content.children..._pages_store.data.."     # the output key of Dash's pages router


def started_dash_app():
    """The product's Dash app, with the page router registered (Dash adds it at the first request)."""
    from app import app as dash_app
    dash_app.server.test_client().get("/login")
    return dash_app


def router_body(path: str) -> dict:
    """The pages router's request for the page at ``path``, as Dash's renderer sends it."""
    return {"output": ROUTER, "outputs": [{"id": "_pages_content", "property": "children"},
                                          {"id": "_pages_store", "property": "data"}],
            "inputs": [{"id": "_pages_location", "property": "pathname", "value": path},
                       {"id": "_pages_location", "property": "search", "value": ""}],
            "changedPropIds": ["_pages_location.pathname"], "state": []}


def callback_body(output: str, inputs: list[dict] | None = None) -> dict:
    """A callback request as Dash's renderer sends it (pattern-matching outputs matching nothing)."""
    from dash._utils import split_callback_id
    parts = split_callback_id(output)
    outputs = [[] if p["id"].startswith("{") else {"id": p["id"], "property": p["property"].split("@")[0]}
               for p in (parts if isinstance(parts, list) else [parts])]
    return {"output": output, "outputs": outputs if isinstance(parts, list) else outputs[0],
            "inputs": inputs or [], "state": [], "changedPropIds": [f"{i['id']}.{i['property']}" for i in inputs or []]}
