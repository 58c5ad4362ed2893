"""The live map in headless Chromium when the servers behind it fail (issue 12): the dashboard process killed under
an open map, and Redis cut in the middle of a burst of intakes. The page is never reloaded by the test: a marker
set on ``window`` before the fault must still be there after it (a reload would have cleared it).

What catches the page up (assets/livefeed.js, assets/livemap.js): the browser's one EventSource reconnects by itself,
jittered, sending the last stream id it saw (Last-Event-ID); the server resumes the stream from there, so the page
gets what was published meanwhile without reloading its snapshot (``liveMap.snapshots`` stays as it was).
"""
from __future__ import annotations

import os
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
        # The kill itself makes the browser log the broken event stream; no script of ours failed.
        assert [m for m in console_errors(driver) if "/live/events" not in m] == []
    finally:
        driver.quit()
