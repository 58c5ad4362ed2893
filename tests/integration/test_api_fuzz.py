"""schemathesis against the API's own OpenAPI document (issue 12, hostile input): every operation, inputs generated
from the schema — valid ones and ones the schema forbids — through the real Flask app on a real PostGIS. No answer
is a 5xx, every answer matches what the document says (status codes, content type, body schema, headers).

The tickets it manages to register are its own (registered by its key) and are deleted afterwards."""
from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from sqlalchemy import text

from tests.fresh import unique

EXAMPLES_PER_OPERATION = 12          # enough to reach every field's edge; the whole run stays under a minute


@pytest.fixture(scope="module")
def fuzz_key(engine):
    from services.api_keys import create_api_key
    from tests.integration.conftest import _drop_key
    name = unique("test-fuzz")
    yield name, create_api_key(name, None, scopes=("intake", "read", "transitions"))
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM tickets WHERE registered_by = :name"), {"name": name})
    _drop_key(name)


@pytest.fixture(scope="module")
def api_schema(engine):
    from app import app as dash_app
    dash_app.server.test_client().get("/healthz")
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", dash_app.server)


# Not checked: that every schema-valid request is accepted. Part of what a valid ticket is cannot be said in JSON
# Schema — one of a point, an address or a grid code; a department or crew code that exists — so a schema-valid
# request may rightly get 400 (with its field named). Everything else is checked, invalid input rejected included.
NOT_CHECKED = [schemathesis.checks.positive_data_acceptance]


def operations(schema):
    for result in schema.get_all_operations():
        yield result.ok()


# schemathesis' own pytest plugin (4.32) does not run under pytest 9; its strategies are driven by Hypothesis here.
def test_no_operation_answers_5xx_or_off_its_schema(api_schema, fuzz_key):
    # identity: Flask-Compress would otherwise answer gzip, which schemathesis' in-process transport does not undo.
    headers = {"X-API-Key": fuzz_key[1], "Accept-Encoding": "identity"}
    failures, tried = [], []
    for operation in operations(api_schema):
        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, suppress_health_check=list(HealthCheck),
                  derandomize=True, database=None)
        @given(case=operation.as_strategy())
        def call(case):
            case.call_and_validate(headers=headers, excluded_checks=NOT_CHECKED)
        tried.append(operation.label)
        try:
            call()
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as error:      # every operation is tried (FailureGroup is a BaseExceptionGroup)
            failures.append(f"{operation.label}: {str(error)[:600]}")
    assert len(tried) >= 10, tried
    assert failures == [], "\n\n".join(failures)
