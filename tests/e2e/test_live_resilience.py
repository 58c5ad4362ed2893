"""The live feed in headless Chromium when things go wrong: many tabs of one browser, and Redis going away under
open maps (a private redis-server of this test, killed and started again; never the shared one)."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from harness.browser import console_errors, sign_in, sign_in_as, start_chromium, wait_for_js
from harness.servers import free_port, start_app
from harness.waiting import wait_until
from tests.conftest import ROOT
from tests.e2e.live_helpers import create_ticket_direct, open_live, post_ticket
from tests.private_redis import PrivateRedis

HAS = "return window.liveMap.tickets.has(arguments[0]);"
BANNER = """const el = document.getElementById('live-banner');
return el && !el.hidden && el.offsetWidth > 0 ? el.innerText : null;"""
FETCH_HEALTHZ = """const done = arguments[arguments.length - 1];
const started = Date.now();
fetch('/healthz', {cache: 'no-store'}).then(r => done({status: r.status, ms: Date.now() - started}))
                                     .catch(e => done({error: String(e)}));"""


def test_eight_tabs_of_one_browser_share_one_live_connection(app_url, inner_point):
    """A browser keeps at most 6 HTTP/1.1 connections per host across its tabs: with one live connection per tab,
    the 7th tab never got its feed and every further request of that browser waited."""
    driver = start_chromium(1280, 800)
    try:
        sign_in(driver, app_url, "dispatcher")
        tabs = []
        for i in range(8):
            if i:
                driver.switch_to.new_window("tab")
            driver.get(app_url + "/")
            tabs.append(driver.current_window_handle)
        for tab in tabs:
            driver.switch_to.window(tab)
            wait_for_js(driver, "return !!(window.liveMap && window.liveMap.map && window.liveMap.snapshots > 0"
                                " && window.liveMap.connected);", seconds=90, what="every tab's map is live")
        number = create_ticket_direct(inner_point[1], inner_point[2])
        for tab in tabs:
            driver.switch_to.window(tab)
            wait_for_js(driver, HAS, number, seconds=20, what="every tab gets the new ticket")
            assert driver.execute_script("return window.liveMap.shared;") is True
        driver.set_script_timeout(10)
        answer = driver.execute_async_script(FETCH_HEALTHZ)
        assert answer.get("status") == 200, answer
        assert console_errors(driver) == []
    finally:
        driver.quit()


def dispatcher_in(database_url: str, redis_url: str) -> tuple[str, str]:
    """(username, password) of a new dispatcher of that database (the user CLI: a scratch database is not the
    one the test process's services write to)."""
    username = f"t-dispatcher-{uuid.uuid4().hex[:8]}"
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "app:server", "create-user", username,
                           "--role", "dispatcher"], cwd=ROOT, capture_output=True, text=True, check=True,
                          env={**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_url})
    return username, done.stdout.strip().splitlines()[-1]


@pytest.fixture
def app_on_private_redis(database_url):
    """`python app.py` on a Redis of this test and a database of its own: the session's app shares the test
    database, and its relay would publish this test's tickets to the shared Redis instead."""
    from etl.reference import load_reference_and_catalogue
    from geo.db import make_engine
    from tests.conftest import scratch_database
    with scratch_database(database_url, "outage") as url:
        engine = make_engine(url)
        load_reference_and_catalogue(engine=engine, quiet=True)
        engine.dispose()
        server = PrivateRedis(persist=True)
        server.start()
        port = free_port()
        app = start_app(url, port, {"REDIS_URL": server.url})
        try:
            yield f"http://127.0.0.1:{port}", server, dispatcher_in(url, server.url)
        finally:
            app.terminate()
            app.wait(10)
            server.stop()


def wait_banner(driver, shown: bool, seconds: float = 30) -> str | None:
    """Wait until the outage banner is shown (returns its text) or gone."""
    wait_until(lambda: bool(driver.execute_script(BANNER)) == shown,
               f"the outage banner is {'shown' if shown else 'gone'}", seconds=seconds)
    return driver.execute_script(BANNER)


def test_a_redis_outage_is_shown_and_the_map_catches_up_by_itself(app_on_private_redis, inner_point):
    """Redis killed under an open map: the map says so and keeps its state; a browser that opens the map during
    the outage gets the same; when Redis is back with its streams both resume from their cursor (no snapshot
    reload) and show what happened meanwhile. When Redis comes back empty, each reloads the snapshot once."""
    url, server, (username, password) = app_on_private_redis
    first = start_chromium(1600, 1000)
    second = start_chromium(1400, 900)
    try:
        for driver in (first, second):      # signing in needs Redis (the lockout counters); opening a map does not
            sign_in_as(driver, url, username, password)
        open_live(first, url + "/")
        before = post_ticket(url, inner_point[1], inner_point[2])
        wait_for_js(first, HAS, before, seconds=20)
        shown = first.execute_script("return window.liveMap.tickets.size;")
        snapshots = first.execute_script("return window.liveMap.snapshots;")

        server.kill()
        assert "实时数据中断" in wait_banner(first, True)
        first.save_screenshot(str(_screenshots() / "live-outage-banner.png"))
        during = post_ticket(url, inner_point[1], inner_point[2])       # waits in the outbox
        second.get(url + "/")
        wait_for_js(second, "return !!(window.liveMap && window.liveMap.snapshots > 0);", seconds=60)
        wait_banner(second, True)
        assert first.execute_script("return window.liveMap.tickets.size;") == shown     # the last state stays
        assert first.execute_script(HAS, before)

        server.start()                                                     # with its append-only file
        for driver in (first, second):
            wait_for_js(driver, HAS, during, seconds=30, what="the ticket taken during the outage arrives")
            wait_banner(driver, False)
        assert first.execute_script("return window.liveMap.snapshots;") == snapshots
        assert second.execute_script("return window.liveMap.snapshots;") == 1

        server.kill()
        wait_banner(first, True)
        lost = post_ticket(url, inner_point[1], inner_point[2])
        shutil.rmtree(server.dir, ignore_errors=True)                    # Redis comes back without its streams
        Path(server.dir).mkdir()
        server.start()
        wait_for_js(first, HAS, lost, seconds=30)
        wait_banner(first, False)
        assert first.execute_script("return window.liveMap.snapshots;") == snapshots + 1
        assert console_errors(first) == []
    finally:
        first.quit()
        if second:
            second.quit()


def _screenshots() -> Path:
    folder = ROOT / "var" / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder
