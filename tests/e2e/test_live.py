"""The live command center in headless Chromium: a ticket posted through the API appears on an open map,
dispatching in one browser updates a second, the wall shows no personal data (not even masked), and the page's memory
stays bounded through many updates."""
from __future__ import annotations

import uuid
import json
import time
import urllib.request

import pytest
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.common.by import By
from sqlalchemy import text

from harness.browser import console_errors, sign_in, start_chromium, wait_for_js
from harness.mapclick import click_lonlat
from harness.servers import free_port, start_app
from harness.waiting import poll, wait_until
from screens import ids
from tests.e2e.live_helpers import create_ticket_direct, open_live, post_ticket
from workorders.policy import system_principal as sp

SIGNED_IN_AS = "dispatcher"           # the map is theirs; the wall's tests sign in as the wall


def click_when_there(driver, css: str, timeout: float = 15) -> None:
    """Click an element of the panel; the panel may re-render under the click (a live update), so retry."""
    wait_until(lambda: driver.find_element(By.CSS_SELECTOR, css).click() or True, f"a click on {css}",
               seconds=timeout, step=0.3, ignoring=(NoSuchElementException, StaleElementReferenceException))


def ticket_state(driver, number: str):
    return driver.execute_script(
        "const t = window.liveMap.tickets.get(arguments[0]); return t ? t.state : null;", number)


# The tickets the map was given: the clustered source and the stand-outs (priority 1, breached) drawn on their own.
LIVE_FEATURES = """function liveFeatures() {
    return ['live-tickets', 'live-standout'].flatMap(id => {
        const src = window.liveMap.map.getSource(id);
        return src ? src.serialize().data.features : [];
    });
}
"""


def painted(driver, number: str) -> bool:
    """The ticket is in the MapLibre source drawn on the map, with its number as the feature id."""
    return driver.execute_script(LIVE_FEATURES + """
        return liveFeatures().some(f => f.properties.id === arguments[0]) &&
               window.liveMap.paintedAt.has(arguments[0]);""", number)


@pytest.fixture
def free_water_crew(engine):
    """A water crew able to take the ticket: the shared test database keeps crews that earlier runs sent out."""
    with engine.begin() as conn:
        return conn.execute(text("""UPDATE crews SET status = 'available' WHERE code = (
                                        SELECT code FROM crews WHERE department_code = 'water' ORDER BY code LIMIT 1)
                                    RETURNING code""")).scalar_one()


def test_a_new_ticket_appears_on_an_open_map(app_url, browser, inner_point):
    open_live(browser, app_url + "/")
    number = create_ticket_direct(inner_point[1], inner_point[2])
    poll(lambda: painted(browser, number), seconds=20, step=0.2)
    assert painted(browser, number)
    assert console_errors(browser) == []


PAINTED_STATE = LIVE_FEATURES + """const f = liveFeatures().find(f => f.properties.id === arguments[0]);
return f ? f.properties.state : null;"""


def test_a_ticket_open_before_the_page_loaded_changes_colour_and_then_leaves_the_map(app_url, browser, inner_point):
    """The snapshot and the stream once wrote times differently ('T' vs ' ') and the browser compared strings:
    every same-day update of a ticket that came with the snapshot lost against the snapshot's older copy."""
    from services.tickets import transition
    number = create_ticket_direct(inner_point[1], inner_point[2])
    open_live(browser, app_url + "/")
    wait_until(lambda: browser.execute_script(PAINTED_STATE, number) == "registered",
               "the ticket painted as registered from the snapshot", seconds=20)
    transition(number, "dispatch", sp("调度员"))
    wait_until(lambda: browser.execute_script(PAINTED_STATE, number) == "dispatched",
               "the open map paints the ticket as dispatched (amber)", seconds=20)
    for action in ("accept", "resolve"):
        transition(number, action, sp("调度员"))
    wait_until(lambda: browser.execute_script(PAINTED_STATE, number) is None
               and not browser.execute_script("return window.liveMap.tickets.has(arguments[0]);", number),
               "the resolved ticket leaves the open map", seconds=20)
    assert console_errors(browser) == []


def test_dispatch_in_one_browser_updates_another(app_url, browser, inner_point, free_water_crew):
    second = start_chromium(1400, 900)
    try:
        sign_in(second, app_url, "dispatcher")
        open_live(browser, app_url + "/")
        open_live(second, app_url + "/")
        number = create_ticket_direct(inner_point[1], inner_point[2])
        for driver in (browser, second):
            wait_for_js(driver, "return window.liveMap.tickets.has(arguments[0]);", number, seconds=20)
        click_lonlat(browser, inner_point[1], inner_point[2], zoom=15)
        wait_for_js(browser, f"return document.getElementById('{ids.PANEL}').innerText.includes('待办工单');", seconds=15)  # noqa: E501
        click_when_there(browser, f"[id*='\"number\":\"{number}\"']")
        click_when_there(browser, f"[id*='{ids.ASSIGN}'][id*='{number}']")
        wait_for_js(browser, f"return document.getElementById('{ids.PANEL}').innerText.includes('已派单');", seconds=15)
        wait_for_js(second, "const t = window.liveMap.tickets.get(arguments[0]); return t && t.state === 'dispatched';",
                    number, seconds=20)
        assert ticket_state(second, number) == "dispatched"
        assert console_errors(browser) == [] and console_errors(second) == []
    finally:
        second.quit()


@pytest.mark.signed_in_as("wall")
def test_the_wall_shows_no_personal_data_not_even_masked(app_url, browser, inner_point):
    create_ticket_direct(inner_point[1], inner_point[2])
    browser.set_window_size(1920, 1080)
    browser.get(app_url + "/wall")
    wait_for_js(browser, f"const el = document.getElementById('{ids.WALL_TICKER}'); return el && el.innerText.length;",
                seconds=30)
    page = browser.find_element(By.TAG_NAME, "body").text
    assert "李*" not in page and "138****5678" not in page
    assert "李明华" not in page and "13812345678" not in page
    html = browser.page_source
    assert "李明华" not in html and "13812345678" not in html
    assert console_errors(browser) == []


PLOTLY_REQUESTS = """return performance.getEntriesByType('resource').filter(e => /plotly[^/]*\\.min\\.js/.test(e.name))
                            .map(e => e.name + ' ' + e.startTime);"""
FIRST_UPDATE_REQUEST = """return performance.getEntriesByType('resource')
    .filter(e => e.name.includes('_dash-update-component')).map(e => e.startTime)[0];"""


WALL_CREWS = """const shown = window.liveMap.map.getSource('live-crews').serialize().data.features.map(f => f.properties);
return {known: window.liveMap.crews.size, shown: shown.length,
        idleWorkers: shown.filter(p => p.worker === 1 && p.status === 'available').length,
        offDuty: shown.filter(p => p.status === 'off_duty').length};"""


@pytest.mark.signed_in_as("wall")
def test_the_wall_starts_our_plotly_build_before_its_layout_arrives_and_shows_the_crews_that_matter(app_url, browser):
    browser.get(app_url + "/wall")
    wait_for_js(browser, "return !!(window.liveMap && window.liveMap.renders > 0 && window.liveMap.map.loaded());",
                seconds=60)
    plotly = browser.execute_script(PLOTLY_REQUESTS)
    assert len(plotly) == 1 and "/assets/vendor/plotly-command-" in plotly[0]
    assert float(plotly[0].split()[-1]) < browser.execute_script(FIRST_UPDATE_REQUEST)
    # Grid workers idling in their cells and off-duty crews stay on the dispatch map, not on the wall.
    crews = browser.execute_script(WALL_CREWS)
    assert crews["idleWorkers"] == 0 and crews["offDuty"] == 0 and 0 < crews["shown"] < crews["known"]
    assert console_errors(browser) == []


def test_a_page_without_a_map_does_not_fetch_plotly(app_url, browser):
    browser.get(app_url + "/track")
    wait_for_js(browser, "return !!document.querySelector('#react-entry-point input');", seconds=30)
    time.sleep(1)
    assert browser.execute_script(PLOTLY_REQUESTS) == []


def test_a_ticket_posted_through_the_api_is_found_by_its_number(app_url, browser, inner_point):
    open_live(browser, app_url + "/")
    number = post_ticket(app_url, inner_point[1], inner_point[2])
    wait_for_js(browser, "return window.liveMap.paintedAt.has(arguments[0]);", number, seconds=20)
    assert painted(browser, number)


@pytest.fixture
def crew_key(engine):
    """The key of WATER-02's own tracker (a position is accepted only from the crew's key or a positions key)."""
    from geo.api_keys import delete_api_key
    from services.api_keys import create_api_key
    name = f"e2e-water-02-{uuid.uuid4().hex[:8]}"
    yield create_api_key(name, "WATER-02")
    with engine.begin() as conn:
        delete_api_key(conn, name)


def test_a_crew_position_moves_the_crew_on_every_open_map(app_url, browser, inner_point, crew_key):
    open_live(browser, app_url + "/")
    body = json.dumps({"lon": inner_point[1], "lat": inner_point[2]}).encode()
    request = urllib.request.Request(app_url + "/api/v1/crews/WATER-02/position", data=body, method="POST",
                                     headers={"Content-Type": "application/json", "X-API-Key": crew_key})
    assert urllib.request.urlopen(request, timeout=10).status == 202
    wait_for_js(browser, """const c = window.liveMap.crews.get('WATER-02');
                            return c && Math.abs(c.lon - arguments[0]) < 1e-6 && Math.abs(c.lat - arguments[1]) < 1e-6;""",
                inner_point[1], inner_point[2], seconds=20)


def test_a_browser_that_reconnects_catches_up_or_reloads(engine, database_url, browser, inner_point):
    """The dashboard process dies and comes back: the browser resumes from its last event id; when the stream
    no longer holds that id, it reloads the open tickets from PostGIS."""
    from events.bus import get_redis
    from events.relay import Relay
    from settings import get_settings
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    app = start_app(database_url, port)
    try:
        open_live(browser, url + "/")
        app.terminate()
        app.wait(10)
        missed = create_ticket_direct(inner_point[1], inner_point[2])     # while no dashboard runs
        app = start_app(database_url, port)                                # its relay publishes the backlog
        wait_for_js(browser, "return window.liveMap.tickets.has(arguments[0]);", missed, seconds=30)
        snapshots_before = browser.execute_script("return window.liveMap.snapshots;")

        app.terminate()
        app.wait(10)
        trimmed_away = create_ticket_direct(inner_point[1], inner_point[2])
        Relay(engine=engine).drain()                                   # published, then trimmed away unseen
        get_redis().xtrim(get_settings().event_stream, maxlen=0)
        app = start_app(database_url, port)
        wait_for_js(browser, "return window.liveMap.tickets.has(arguments[0]);", trimmed_away, seconds=30)
        assert browser.execute_script("return window.liveMap.snapshots;") == snapshots_before + 1
    finally:
        app.terminate()
        app.wait(10)


def test_a_map_left_open_through_1000_updates_does_not_grow_without_bound(app_url, engine):
    """JS heap after a forced GC, measured after 200 updates and again after 1,000 more: the live layers hold
    what is open now and bounded logs, so the heap must settle, not climb with every update."""
    from datetime import datetime, timezone

    from events.bus import get_redis, publish_position
    driver = start_chromium(1600, 1000, extra_flags=("--js-flags=--expose-gc",))
    with engine.connect() as conn:
        crews = [r[0] for r in conn.execute(text("SELECT code FROM crews WHERE grid_code IS NULL ORDER BY code"))]
        points = conn.execute(text("""SELECT ST_X(p), ST_Y(p) FROM (SELECT (ST_Dump(ST_GeneratePoints(geom, 400, 3))).geom p
                                      FROM districts) q""")).all()
    r = get_redis()

    def updates(n: int, offset: int) -> None:
        for i in range(n):
            lon, lat = points[(offset + i) % len(points)]
            publish_position(r, crews[(offset + i) % len(crews)], lon, lat, datetime.now(timezone.utc))
            if i % 10 == 9:
                time.sleep(0.05)          # ~150 updates/s: many arrive together, as on a busy evening

    def heap_after_gc() -> int:
        time.sleep(2)
        driver.execute_script("window.gc(); window.gc();")
        return driver.execute_script("return performance.memory.usedJSHeapSize;")

    try:
        sign_in(driver, app_url, "dispatcher")
        open_live(driver, app_url + "/")
        updates(200, 0)
        wait_for_js(driver, "return window.liveMap.batches > 0;", seconds=20)
        settled = heap_after_gc()
        updates(1000, 200)
        time.sleep(3)
        grown = heap_after_gc()
        logs = driver.execute_script("return [window.liveMap.paintedAt.size, window.liveMap.receivedAt.size, "
                                     "window.liveMap.renderMs.length];")
    finally:
        driver.quit()
    print(f"JS heap after GC: {settled / 1e6:.1f} MB after 200 updates, {grown / 1e6:.1f} MB after 1,200")
    assert grown - settled < 15e6
    assert logs[0] <= 2000 and logs[1] <= 2000 and logs[2] <= 200


CREW_LINE = """const src = window.liveMap.map.getSource('live-crew-lines');
const f = src && src.serialize().data.features.find(f => f.properties.ticket === arguments[0]);
return f ? {crew: f.properties.crew, status: f.properties.status, coordinates: f.geometry.coordinates} : null;"""
CREW_AND_TICKET = """const c = window.liveMap.crews.get(arguments[0]), t = window.liveMap.tickets.get(arguments[1]);
return c && t ? [[c.lon, c.lat], [t.lon, t.lat]] : null;"""


def test_a_crew_sent_to_a_ticket_shows_a_line_to_it_until_the_job_ends(app_url, browser, inner_point,
                                                                        free_water_crew):
    from services.tickets import transition
    open_live(browser, app_url + "/")
    number = create_ticket_direct(inner_point[1], inner_point[2])
    wait_for_js(browser, "return window.liveMap.tickets.has(arguments[0]);", number, seconds=20)
    assert browser.execute_script(CREW_LINE, number) is None          # nobody sent yet: no line
    transition(number, "dispatch", sp("调度员"), crew=free_water_crew)
    wait_until(lambda: browser.execute_script(CREW_LINE, number), "the line from the crew to its ticket", seconds=20)
    line = browser.execute_script(CREW_LINE, number)
    assert line["crew"] == free_water_crew and line["status"] == "en_route"
    ends = browser.execute_script(CREW_AND_TICKET, free_water_crew, number)
    assert line["coordinates"] == ends                                 # from the crew's point to the ticket's
    assert ends[1] == [round(inner_point[1], 6), round(inner_point[2], 6)]
    transition(number, "arrive", sp("调度员"))
    wait_until(lambda: (browser.execute_script(CREW_LINE, number) or {}).get("status") == "on_scene",
               "the line says the crew is on scene", seconds=20)
    transition(number, "resolve", sp("调度员"))
    wait_until(lambda: browser.execute_script(CREW_LINE, number) is None
               and not browser.execute_script("return window.liveMap.tickets.has(arguments[0]);", number),
               "the line goes when the job ends", seconds=20)
    assert console_errors(browser) == []


@pytest.mark.signed_in_as("wall")
def test_the_wall_draws_the_line_too_to_the_ticket_s_public_place(app_url, browser, inner_point, free_water_crew):
    from services.tickets import transition
    browser.set_window_size(1920, 1080)
    browser.get(app_url + "/wall")
    wait_for_js(browser, "return !!(window.liveMap && window.liveMap.renders > 0 && window.liveMap.connected);",
                seconds=60)
    number = create_ticket_direct(inner_point[1], inner_point[2])
    wait_for_js(browser, "return window.liveMap.tickets.has(arguments[0]);", number, seconds=20)
    transition(number, "dispatch", sp("调度员"), crew=free_water_crew)
    wait_until(lambda: browser.execute_script(CREW_LINE, number), "the wall's line from the crew to its ticket",
               seconds=20)
    assert browser.execute_script(CREW_LINE, number)["coordinates"] == \
        browser.execute_script(CREW_AND_TICKET, free_water_crew, number)
    transition(number, "return", sp("调度员"), reason="非本单位职责")
    wait_until(lambda: browser.execute_script(CREW_LINE, number) is None, "a returned ticket's line goes", seconds=20)
    assert console_errors(browser) == []
