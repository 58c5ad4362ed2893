"""The OpenAPI document at /api/v1/openapi.json describes exactly the routes served under /api/v1."""
from __future__ import annotations

import re

from api.v1 import PREFIX, UNKNOWN_ENDPOINT
from tests.integration.test_api_support import client  # noqa: F401

DOCUMENTED_METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE"}


def served_operations() -> set[tuple[str, str]]:
    """(OpenAPI path, method) of every route of the application under /api/v1 (any blueprint)."""
    from app import server
    operations = set()
    for rule in server.url_map.iter_rules():
        if not rule.rule.startswith(PREFIX + "/") or rule.endpoint == UNKNOWN_ENDPOINT:
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule[len(PREFIX):])
        operations |= {(path, method.lower()) for method in rule.methods & DOCUMENTED_METHODS}
    return operations


def test_every_route_is_documented_and_every_documented_route_is_served(client):
    document = client.get("/api/v1/openapi.json").get_json()
    documented = {(path, method) for path, item in document["paths"].items() for method in item}
    assert served_operations() == documented


def test_the_document_is_openapi_3_1_and_its_references_resolve(client):
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["openapi"].startswith("3.1") and document["servers"] == [{"url": "/api/v1"}]
    text = str(document)
    for ref in set(re.findall(r"'\$ref': '#/([^']+)'", text)):
        node = document
        for part in ref.split("/"):
            assert part in node, f"dangling $ref #/{ref}"
            node = node[part]
    for path, item in document["paths"].items():
        names = set(re.findall(r"{([^}]+)}", path))
        for method, operation in item.items():
            params = {p["name"] for p in operation.get("parameters", []) if p.get("in") == "path"}
            assert params == names, (path, method)
            assert operation["responses"], (path, method)


def test_operation_ids_are_unique(client):
    document = client.get("/api/v1/openapi.json").get_json()
    ids = [op["operationId"] for item in document["paths"].values() for op in item.values()]
    assert len(ids) == len(set(ids))
