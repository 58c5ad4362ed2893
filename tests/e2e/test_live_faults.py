"""The live map in headless Chromium when the servers behind it fail (issue 12): the dashboard process killed under
an open map, and Redis cut in the middle of a burst of intakes. The page is never reloaded by the test: a marker
set on ``window`` before the fault must still be there after it (a reload would have cleared it).

What catches the page up (assets/livefeed.js, assets/livemap.js): the browser's one EventSource reconnects by itself,
jittered, sending the last stream id it saw (Last-Event-ID); the server resumes the stream from there, so the page
gets what was published meanwhile without reloading its snapshot (``liveMap.snapshots`` stays as it was).
"""
from __future__ import annotations

import time
import uuid

import pytest
from sqlalchemy import text

from harness.browser import console_errors, sign_in, start_chromium, wait_for_js
from harness.servers import free_port, start_app, stop
from harness.waiting import wait_until
from tests.e2e.live_helpers import create_ticket_direct, open_live

MARKER = "window.__faultMarker"
SET_MARKER = MARKER + " = arguments[0];"
GET_MARKER = "return " + MARKER + " || null;"
HAS = "return window.liveMap.tickets.has(arguments[0]);"

# The tickets in the MapLibre sources drawn on the map (clustered, and the stand-outs drawn on their own), by id.
DRAWN_IDS = """return ['live-tickets', 'live-standout'].flatMap(id => {
    const src = window.liveMap.map.getSource(id);
    return src ? src.serialize().data.features.map(f => f.properties.id) : [];
});"""


def drawn(driver) -> list[str]:
    return driver.execute_script(DRAWN_IDS)


def painted_all(driver, numbers) -> bool:
    """Every one of ``numbers`` is in the page's tickets and in a drawn source."""
    ids = set(drawn(driver))
    return all(n in ids for n in numbers) and driver.execute_script(
        "return arguments[0].every(n => window.liveMap.tickets.has(n));", list(numbers))


# --------------------------------------------------------------------------- 1. the dashboard process killed


@pytest.fixture
def own_app(engine, database_url):
    """A dashboard process of this test only (the session's app must not be the one killed); yields a starter that
    (re)starts it on one fixed port, and the running process is stopped at the end."""
    port = free_port()
    procs = []

    def start():
        procs.append(start_app(database_url, port))
        return procs[-1]

    yield f"http://127.0.0.1:{port}", start
    for proc in procs:
        if proc.poll() is None:
            stop(proc)


def test_a_killed_dashboard_process_comes_back_and_the_open_map_catches_up_without_reload(own_app, inner_point):
    """kill -9 of the app under an open map (as the OOM killer or a crash would): no orderly close of the feed.
    Tickets registered while it is down (through the services: they wait in the outbox, as no relay runs) and after
    a new process started on the same port both reach the page, which was never reloaded."""
    url, start = own_app
    lon, lat = inner_point[1], inner_point[2]
    app = start()
    driver = start_chromium(1400, 900)
    try:
        sign_in(driver, url, "dispatcher")
        open_live(driver, url + "/")
        before = create_ticket_direct(lon, lat)
        wait_for_js(driver, HAS, before, seconds=20, what="a ticket before the kill")
        snapshots = driver.execute_script("return window.liveMap.snapshots;")
        marker = uuid.uuid4().hex
        driver.execute_script(SET_MARKER, marker)

        app.kill()                                   # SIGKILL: the process cannot close anything
        app.wait(10)
        wait_for_js(driver, "return window.liveMap.connected === false;", seconds=30,
                    what="the page to notice the dead connection")
        during = [create_ticket_direct(lon, lat) for _ in range(3)]

        start()                                      # a new process on the same port (its relay drains the outbox)
        after = create_ticket_direct(lon, lat)
        wait_until(lambda: painted_all(driver, during + [after]), "the tickets of the outage and after it painted",
                   seconds=60)
        assert driver.execute_script(GET_MARKER) == marker           # the same page: never reloaded
        assert driver.execute_script("return window.liveMap.snapshots;") == snapshots   # caught up from its cursor
        assert driver.execute_script("return window.liveMap.connected;") is True
        assert driver.execute_script(HAS, before)
        ids = drawn(driver)
        assert len(ids) == len(set(ids))
        # The kill itself makes the browser log the broken event stream, and a Dash callback in flight at that
        # moment is refused by the dead process; neither is a script of ours failing.
        assert [m for m in console_errors(driver) if "/live/events" not in m
                and "net::ERR_CONNECTION_REFUSED" not in m] == []
    finally:
        driver.quit()


# --------------------------------------------------------------------------- 2. Redis cut in the middle of a burst

BURST, CUT_AT = 1000, 300


@pytest.fixture
def app_behind_redis_proxy(database_url):
    """A dashboard process whose every Redis connection (relay, live hub, sessions) goes through a TcpProxy, on a
    database of its own (the session's app, on the test database, would publish this test's tickets around the
    cut) and a stream of its own. Yields (url, proxy, scratch engine, direct Redis client, stream, dispatcher)."""
    import redis

    from etl.reference import load_reference_and_catalogue
    from geo.db import make_engine
    from settings import get_settings
    from tests.conftest import scratch_database
    from tests.e2e.test_live_resilience import dispatcher_in
    from tests.tcp_proxy import TcpProxy

    redis_url = get_settings().redis_url
    direct = redis.Redis.from_url(redis_url)
    where = direct.connection_pool.connection_kwargs
    stream = f"test:live-faults:{uuid.uuid4().hex[:8]}"
    with scratch_database(database_url, "redisburst") as url, \
            TcpProxy(where.get("port", 6379), where.get("host", "127.0.0.1")) as proxy:
        engine = make_engine(url)
        load_reference_and_catalogue(engine=engine, quiet=True)
        port = free_port()
        app = start_app(url, port, {"REDIS_URL": proxy.url(redis_url), "EVENT_STREAM": stream})
        try:
            yield f"http://127.0.0.1:{port}", proxy, engine, direct, stream, dispatcher_in(url, redis_url)
        finally:
            stop(app)
            engine.dispose()
            direct.delete(stream)


def intake(engine, n: int, grid: str) -> str:
    from services.tickets import NewTicket, create_ticket
    from workorders.policy import system_principal
    return create_ticket(NewTicket(channel="hotline", category="water_leak", description=f"突发漏水 {n}",
                                   grid_code=grid, citizen_name="王小明", citizen_phone="13812341234"),
                         system_principal("压力测试"), engine=engine).ticket["number"]


def test_redis_cut_mid_burst_every_ticket_is_painted_exactly_once(app_behind_redis_proxy):
    """1,000 intakes; at the 300th the app's relay has a batch of XADDs executed by Redis whose reply never comes
    back, and Redis stays away: that batch is on the stream twice once Redis is back (at-least-once). The open map
    shows the outage, keeps its state, and after the restore holds each of the 1,000 tickets once — in its tickets
    Map and in the features drawn — without a reload."""
    from harness.browser import sign_in_as
    url, proxy, engine, direct, stream, (username, password) = app_behind_redis_proxy
    with engine.connect() as conn:
        grids = conn.execute(text("SELECT code FROM grids ORDER BY code LIMIT 20")).scalars().all()
    driver = start_chromium(1400, 900)
    try:
        sign_in_as(driver, url, username, password)        # signing in needs Redis (its lockout counters)
        open_live(driver, url + "/")
        snapshots = driver.execute_script("return window.liveMap.snapshots;")
        marker = uuid.uuid4().hex
        driver.execute_script(SET_MARKER, marker)

        numbers = []
        started = time.monotonic()
        for n in range(BURST):
            if n == CUT_AT:
                proxy.cut_when(b"XADD", after_reply=True)
            numbers.append(intake(engine, n, grids[n % len(grids)]))
        wait_until(proxy.tripped.is_set, "the cut inside a batch of XADDs")
        wait_for_js(driver, "return window.liveMap.live === false || window.liveMap.connected === false;",
                    seconds=30, what="the page to hear that Redis is away")
        shown = driver.execute_script("return window.liveMap.tickets.size;")
        # What the relay had published before the cut (it may trail the intakes by a few) stays on the map.
        assert 0 < shown < BURST

        burst_s = time.monotonic() - started
        proxy.restore()
        restored = time.monotonic()
        wait_until(lambda: painted_all(driver, numbers), f"all {BURST} tickets painted", seconds=90, step=0.5)
        caught_up_s = time.monotonic() - restored
        wait_for_js(driver, "return window.liveMap.live === true && window.liveMap.connected === true;",
                    seconds=30, what="the feed live again")

        ids = drawn(driver)
        assert sorted(ids) == sorted(numbers)              # each drawn once, none missing, nothing else
        assert driver.execute_script("return window.liveMap.tickets.size;") == BURST
        assert driver.execute_script(GET_MARKER) == marker
        assert driver.execute_script("return window.liveMap.snapshots;") == snapshots
        published = [fields[b"event_id"] for _, fields in direct.xrange(stream)]
        repeated = len(published) - len(set(published))
        assert repeated >= 1                               # the page was sent a batch twice, and drew it once
        print(f"\n{BURST} intakes in {burst_s:.1f} s, {shown} on the map at the cut, {repeated} events on the "
              f"stream twice, all painted {caught_up_s:.1f} s after the restore")
    finally:
        driver.quit()
