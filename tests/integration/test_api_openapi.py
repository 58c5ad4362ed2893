"""The OpenAPI document at /api/v1/openapi.json describes exactly the routes served under /api/v1."""
from __future__ import annotations

import re

from api.v1 import PREFIX, UNKNOWN_ENDPOINT
from tests.integration.test_api_support import api_key, auth, client, error_of, key_name  # noqa: F401

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


# ------------------------------------------------------------------------------------------------ bodies

def _resolved(document: dict, schema: dict) -> dict:
    ref = schema.get("$ref")
    return _resolved(document, document["components"]["schemas"][ref.rsplit("/", 1)[-1]]) if ref else schema


def _value_schema(prop: dict) -> dict:
    """A property's schema for a present value (the non-null branch of an optional field)."""
    branches = [b for b in prop.get("anyOf", [prop]) if b.get("type") != "null"]
    return {**prop, **branches[0]} if branches else prop


def violations(schema: dict) -> list[tuple[str, dict]]:
    """(field, body) pairs the document says must be refused naming that field."""
    found = [("not_in_the_schema", {"not_in_the_schema": 1})] if schema.get("additionalProperties") is False else []
    for name, prop in schema["properties"].items():
        value = _value_schema(prop)
        if "maxLength" in value:
            found.append((name, {name: "x" * (value["maxLength"] + 1)}))
        if "enum" in value:
            found.append((name, {name: "not-one-of-them"}))
        if "maximum" in value:
            found.append((name, {name: value["maximum"] + 1}))
        if "minimum" in value:
            found.append((name, {name: value["minimum"] - 1}))
        if value.get("type") in ("number", "integer", "object"):
            found.append((name, {name: "text"}))
        if value.get("type") == "string":
            found.append((name, {name: 12}))
    return found


def test_every_documented_body_is_refused_as_its_schema_says(client, auth):
    """The request schemas are generated from the contract's models; this holds them against what each route
    really checks, so a view parsing with another model (or a service check the schema forgets) fails here."""
    document = client.get("/api/v1/openapi.json").get_json()
    checked = 0
    for path, item in document["paths"].items():
        for method, operation in item.items():
            content = operation.get("requestBody", {}).get("content", {})
            if "application/json" not in content:
                continue                # e.g. a multipart photo upload: tests/integration/test_media.py
            schema = _resolved(document, content["application/json"]["schema"])
            url = PREFIX + re.sub(r"{[^}]+}", "1", path)
            if schema.get("required"):
                answer = client.open(url, method=method.upper(), json={}, headers=auth)
                assert answer.status_code == 400, (path, answer.json)
                assert error_of(answer)["field"] in schema["required"], (path, answer.json)
            for field, body in violations(schema):
                answer = client.open(url, method=method.upper(), json=body, headers=auth)
                assert (answer.status_code, error_of(answer)["field"]) == (400, field), (path, body, answer.json)
                checked += 1
    assert checked > 40
