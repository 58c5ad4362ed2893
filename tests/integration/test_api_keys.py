"""`flask --app app:server create-api-key NAME [--crew CODE]` in a real subprocess, and the key it prints."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from geo.api_keys import delete_api_key
from geo.db import get_engine
from tests.conftest import ROOT
from tests.fresh import unique
from tests.integration.api_helpers import ticket_body


def flask_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "flask", "--app", "app:server", *args], cwd=ROOT,
                          env=os.environ.copy(), capture_output=True, text=True, timeout=300)


@pytest.fixture
def key_names():
    names: list[str] = []
    yield names
    with get_engine().begin() as conn:
        for name in names:
            delete_api_key(conn, name)


def test_create_api_key_prints_a_working_key_on_its_last_line(client, key_names):
    name = unique("test-cli")
    key_names.append(name)
    done = flask_cli("create-api-key", name)
    assert done.returncode == 0, done.stderr
    key = done.stdout.strip().splitlines()[-1]
    assert key.startswith("td_") and len(key) > 40
    assert client.get("/api/v1/tickets?limit=1", headers={"X-API-Key": key}).status_code == 200
    assert client.get("/api/v1/tickets?limit=1", headers={"X-API-Key": key + "x"}).status_code == 401

    again = flask_cli("create-api-key", name)
    assert again.returncode != 0 and "exists already" in again.stderr

    revoked = flask_cli("revoke-api-key", name)
    assert revoked.returncode == 0
    assert client.get("/api/v1/tickets?limit=1", headers={"X-API-Key": key}).status_code == 403


def test_a_key_bound_to_a_grid_worker_files_as_that_worker(client, key_names, worker_crew, spot):
    name = unique("test-cli-worker")
    key_names.append(name)
    done = flask_cli("create-api-key", name, "--crew", worker_crew["code"])
    assert done.returncode == 0, done.stderr
    key = done.stdout.strip().splitlines()[-1]
    answer = client.post("/api/v1/tickets", json=ticket_body(spot, media_url="https://photos.example/3.jpg"),
                         headers={"X-API-Key": key})
    assert answer.status_code == 201
    assert answer.get_json()["ticket"]["registered_by"] == worker_crew["code"]


def test_a_key_for_an_unknown_crew_is_refused():
    done = flask_cli("create-api-key", unique("test-cli"), "--crew", "NO-SUCH-CREW")
    assert done.returncode != 0 and "no crew 'NO-SUCH-CREW'" in done.stderr
