"""PostgreSQL cut under a running dashboard (`python app.py`, its DATABASE_URL through tests/tcp_proxy.py): the
doors answer 503 with Retry-After — not 500, not a hang —, nothing is half-written, and the same request works
again as soon as the database is back, without restarting anything.

The checks of what was (not) written read the database directly, not through the proxy.
"""
from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
import uuid
import xml.etree.ElementTree as ET
from urllib.parse import urlencode

import pytest
from sqlalchemy import text

from harness.servers import free_port, start_app, stop
from harness.signing_in import session_cookie
from settings import get_settings
from tests.integration.api_helpers import add_api_key
from tests.tcp_proxy import TcpProxy

HTTP_TIMEOUT_S = 25          # a request that hangs fails the test here instead of passing late


@pytest.fixture(scope="module")
def proxy(engine, database_url):
    with TcpProxy(get_settings_port(database_url)) as tcp:
        yield tcp


def get_settings_port(database_url: str) -> int:
    from sqlalchemy.engine import make_url
    return make_url(database_url).port or 5432


@pytest.fixture(scope="module")
def app_url(proxy, database_url):
    """The dashboard with the database behind the proxy; no worker threads (they would only add log lines)."""
    port = free_port()
    proc = start_app(proxy.url(database_url), port, {"RUN_RELAY_IN_APP": "false"})
    yield f"http://127.0.0.1:{port}"
    stop(proc)


@pytest.fixture(autouse=True)
def restored(proxy):
    """Every test starts and ends with the database reachable."""
    proxy.restore()
    yield
    proxy.restore()


@pytest.fixture(scope="module")
def spot(engine) -> tuple[float, float]:
    with engine.connect() as conn:
        return tuple(conn.execute(text("""SELECT ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom))
                                          FROM grids ORDER BY code LIMIT 1""")).one())


@pytest.fixture(scope="module")
def open311_key(engine):
    run = uuid.uuid4().hex[:8]
    key, name = f"outage-{run}-live", f"outage-test-{run}"
    add_api_key(engine, name, key)
    yield key
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM api_keys WHERE name = :n"), {"n": name})


def request(url: str, method: str = "GET", body: bytes | None = None, headers: dict | None = None):
    """(status, headers, body bytes, seconds) of one HTTP request; an error status is an answer too."""
    started = time.monotonic()
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=HTTP_TIMEOUT_S) as answer:
            return answer.status, answer.headers, answer.read(), time.monotonic() - started
    except urllib.error.HTTPError as answer:
        return answer.code, answer.headers, answer.read(), time.monotonic() - started


def post_ticket(app_url: str, body: dict, key: str | None = None):
    headers = {"Content-Type": "application/json", **({"Idempotency-Key": key} if key else {})}
    return request(f"{app_url}/api/v1/tickets", "POST", json.dumps(body, ensure_ascii=False).encode(), headers)


def ticket_body(spot, description: str) -> dict:
    return {"category": "noise", "description": description, "lon": spot[0], "lat": spot[1],
            "citizen_name": "王建国", "citizen_phone": "13800001234"}


def written(engine, description: str) -> dict[str, int]:
    """What the database holds of tickets with this description: tickets, their events, their outbox rows."""
    with engine.connect() as conn:
        return dict(conn.execute(text("""
            SELECT count(DISTINCT t.id) AS tickets, count(DISTINCT e.id) AS events,
                   (SELECT count(*) FROM outbox o WHERE o.payload -> 'ticket' ->> 'number' = ANY(array_agg(t.number)))
                     AS outbox
            FROM tickets t LEFT JOIN ticket_events e ON e.ticket_id = t.id
            WHERE t.description = :d"""), {"d": description}).mappings().one())


def idempotency_rows(engine, key: str) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM idempotency_keys WHERE key = :k"), {"k": key}).scalar()


def assert_outage_answer(status: int, headers, seconds: float) -> None:
    assert status == 503
    assert int(headers["Retry-After"]) == get_settings().outage_retry_after_seconds
    assert seconds < HTTP_TIMEOUT_S


# ------------------------------------------------------------------------------------------------ tests

def test_intake_during_a_cut_is_503_with_retry_after_and_the_same_post_after_restore_is_201(
        app_url, proxy, engine, spot):
    description = f"断库期间的诉求 {uuid.uuid4().hex[:8]}"
    key = f"outage-{uuid.uuid4().hex}"
    body = ticket_body(spot, description)
    assert post_ticket(app_url, ticket_body(spot, f"断库之前 {uuid.uuid4().hex[:6]}"))[0] == 201   # pool warm

    proxy.cut("reset")
    status, headers, raw, seconds = post_ticket(app_url, body, key)
    assert_outage_answer(status, headers, seconds)
    error = json.loads(raw)["error"]
    assert error["code"] == "database_unavailable" and error["field"] is None
    assert "数据连接中断" in error["message"] and "Database temporarily unavailable" in error["message"]

    proxy.restore()                                   # nothing restarted: the pool reconnects by itself
    assert written(engine, description) == {"tickets": 0, "events": 0, "outbox": 0}
    assert idempotency_rows(engine, key) == 0         # the key went down with the transaction: a retry is new
    status, headers, raw, _ = post_ticket(app_url, body, key)
    assert status == 201, raw[:300]
    again = post_ticket(app_url, body, key)
    assert again[0] == 200 and again[1]["Idempotent-Replayed"] == "true"
    assert written(engine, description) == {"tickets": 1, "events": 1, "outbox": 1}


def test_a_cut_inside_the_intake_transaction_leaves_nothing_half_written(app_url, proxy, engine, spot):
    """The connection dies right when the writing statement is sent (geo.intake.register, prepared: its PREPARE
    or its EXECUTE), after the transaction read the place and the catalogue's stamp. Its counter, ticket, event
    and outbox row are one statement: none is written; the client learns 503, not 201."""
    description = f"事务中断的诉求 {uuid.uuid4().hex[:8]}"
    key = f"outage-{uuid.uuid4().hex}"
    body = ticket_body(spot, description)
    proxy.cut_when(b"intake_register_")
    status, headers, _, seconds = post_ticket(app_url, body, key)
    assert proxy.tripped.is_set()                     # it was cut there, not earlier
    assert_outage_answer(status, headers, seconds)

    proxy.restore()
    assert written(engine, description) == {"tickets": 0, "events": 0, "outbox": 0}
    assert idempotency_rows(engine, key) == 0
    status, _, raw, _ = post_ticket(app_url, body, key)
    assert status == 201, raw[:300]
    assert written(engine, description) == {"tickets": 1, "events": 1, "outbox": 1}


def test_a_database_that_takes_connections_but_never_answers_is_a_503_within_the_connect_timeout(
        app_url, proxy, spot):
    proxy.cut("stall")
    status, headers, raw, seconds = post_ticket(app_url, ticket_body(spot, f"无应答 {uuid.uuid4().hex[:8]}"))
    assert_outage_answer(status, headers, seconds)
    # libpq's connect_timeout, not TCP's minutes: a few seconds at most (the margin is for a loaded machine).
    assert seconds < get_settings().database_connect_timeout_seconds + 10
    assert json.loads(raw)["error"]["code"] == "database_unavailable"


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_open311_post_during_a_cut_answers_503_in_the_spec_error_shape(app_url, proxy, open311_key, spot, engine,
                                                                       fmt):
    description = f"Open311 断库 {uuid.uuid4().hex[:8]}"
    form = urlencode({"api_key": open311_key, "service_code": "noise", "lat": spot[1], "long": spot[0],
                      "description": description}).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    proxy.cut("reset")
    status, answer_headers, raw, seconds = request(f"{app_url}/open311/v2/requests.{fmt}", "POST", form, headers)
    assert_outage_answer(status, answer_headers, seconds)
    if fmt == "json":
        assert answer_headers["Content-Type"].startswith("application/json")
        [item] = json.loads(raw)
        code, text_ = item["code"], item["description"]
    else:
        root = ET.fromstring(raw)
        assert root.tag == "errors"
        code, text_ = int(root.findtext("error/code")), root.findtext("error/description")
    assert code == 503 and "数据连接中断" in text_

    proxy.restore()
    status, _, raw, _ = request(f"{app_url}/open311/v2/requests.{fmt}", "POST", form, headers)
    assert status == 200, raw[:300]
    assert written(engine, description)["tickets"] == 1


def test_a_signed_in_page_during_a_cut_says_so_and_the_probe_follows_the_database(app_url, proxy):
    cookie = session_cookie(app_url, "operator")
    assert request(f"{app_url}/healthz/database")[0] == 200
    proxy.cut("reset")
    status, headers, raw, seconds = request(f"{app_url}/tickets", headers={"Cookie": cookie, "Accept": "text/html"})
    assert_outage_answer(status, headers, seconds)
    page = raw.decode()
    assert 'id="outage-page"' in page and "数据连接中断" in page and "Traceback" not in page
    probe = request(f"{app_url}/healthz/database")
    assert probe[0] == 503 and json.loads(probe[2])["database"] == "unavailable"

    proxy.restore()
    assert request(f"{app_url}/healthz/database")[0] == 200
    assert request(f"{app_url}/tickets", headers={"Cookie": cookie, "Accept": "text/html"})[0] == 200


def test_the_pool_asks_libpq_for_its_time_limits(engine):
    with engine.connect() as conn:
        dsn = conn.connection.dbapi_connection.get_dsn_parameters()
    s = get_settings()
    assert dsn["connect_timeout"] == str(s.database_connect_timeout_seconds)
    assert dsn["tcp_user_timeout"] == str(s.database_tcp_timeout_seconds * 1000)
    assert dsn["keepalives"] == "1"


GREEN_CONNECT = """
import sys, time, psycopg2
from geo.green import patch_psycopg
patch_psycopg(3)
started = time.monotonic()
try:
    psycopg2.connect(sys.argv[1])
except psycopg2.OperationalError as error:
    print(f"{error} after {time.monotonic() - started:.1f} s")
    sys.exit(0)
sys.exit("connected to a server that never answers")
"""


def test_under_gevent_a_connect_to_a_server_that_never_answers_still_times_out(proxy, database_url):
    """gunicorn's gevent workers drive psycopg2 through a wait callback, and libpq applies no connect_timeout to
    that polled connect: with psycogreen's own callback this connect hangs for minutes. geo/green.py keeps it."""
    import subprocess
    import sys
    from harness.servers import ROOT
    proxy.cut("stall")
    done = subprocess.run([sys.executable, "-c", GREEN_CONNECT, proxy.url(database_url)], cwd=ROOT,
                          capture_output=True, text=True, timeout=HTTP_TIMEOUT_S)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.startswith("timeout expired")
