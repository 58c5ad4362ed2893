"""Several dashboard processes at once, as deployed (Dockerfile, docker-compose.yml): `gunicorn -c gunicorn.conf.py
app:server` (gevent workers) with 2 workers beside a second, separate `python app.py`, with the workers (relay, position ingester,
escalation sweep) as processes of their own. A ticket taken by either is streamed to the live clients of both and is
in the snapshot of both: no state lives only in one process's memory."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from contextlib import ExitStack

import pytest
from sqlalchemy import text

from harness.servers import free_port, start_app, stop, wait_healthy
from harness.signing_in import session_cookie
from harness.waiting import poll
from tests.conftest import ROOT
from tests.sse import StreamReader, ticket_numbers

CATEGORY = "sanitation"


def post_ticket(url: str, lon: float, lat: float) -> str:
    body = json.dumps({"category": CATEGORY, "description": "多进程测试：楼下垃圾无人清运", "lon": lon, "lat": lat})
    request = urllib.request.Request(url + "/api/v1/tickets", data=body.encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=15) as answer:
        return json.loads(answer.read())["ticket"]["number"]


def snapshot(url: str, cookie: str) -> dict:
    with urllib.request.urlopen(urllib.request.Request(url + "/live/snapshot", headers={"Cookie": cookie}),
                                timeout=15) as answer:
        return json.loads(answer.read())


@pytest.fixture
def inner_points(engine):
    with engine.connect() as conn:
        return conn.execute(text("""SELECT ST_X(p), ST_Y(p) FROM (
            SELECT (ST_Dump(ST_GeneratePoints(geom, 8, (random() * 1000000)::int))).geom p
            FROM districts) q""")).all()


def test_a_ticket_taken_by_any_process_reaches_the_live_clients_of_all(engine, database_url, inner_points):
    env = {**os.environ, "DATABASE_URL": database_url, "RUN_RELAY_IN_APP": "false"}
    with ExitStack() as cleanup:
        gunicorn_port, plain_port = free_port(), free_port()
        web = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "app:server"], cwd=ROOT,
            env={**env, "HOST": "127.0.0.1", "PORT": str(gunicorn_port), "GUNICORN_WORKERS": "2"},
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        cleanup.callback(stop, web)
        for worker in ("relay", "positions", "escalate"):
            process = subprocess.Popen([sys.executable, "-m", "workers", worker], cwd=ROOT, env=env,
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            cleanup.callback(stop, process)
        plain = start_app(database_url, plain_port, {"RUN_RELAY_IN_APP": "false"})
        cleanup.callback(stop, plain)
        urls = [f"http://127.0.0.1:{gunicorn_port}", f"http://127.0.0.1:{plain_port}"]
        wait_healthy(urls[0], web)

        cookie = session_cookie(urls[1], "dispatcher")        # the live feed is for the map's users
        readers = [StreamReader(url, snapshot(url, cookie)["cursor"], cookie) for url in urls for _ in range(2)]
        for reader in readers:
            reader.start()
        time.sleep(1)
        numbers = {post_ticket(urls[i % 2], lon, lat) for i, (lon, lat) in enumerate(inner_points)}
        assert len(numbers) == len(inner_points)

        poll(lambda: all(numbers <= r.numbers for r in readers), seconds=30, step=0.2)
        for reader in readers:
            assert reader.error is None, reader.error
            assert numbers <= reader.numbers, f"missing on a stream of {reader.request.full_url}"
        for url in urls:
            for _ in range(3):          # several requests: under gunicorn they land on either worker
                assert numbers <= ticket_numbers(snapshot(url, cookie))
