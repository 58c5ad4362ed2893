"""The live command center in headless Chromium: a ticket posted through the API appears on an open map,
dispatching in one browser updates a second, the wall shows masked personal data only, and the page's memory
stays bounded through many updates."""
from __future__ import annotations

import json
import time
import urllib.request
import uuid

import pytest
from selenium.webdriver.common.by import By
from sqlalchemy import text

from screens import ids
from tests.e2e.browser import start_chromium
from tests.e2e.mapclick import click_lonlat, wait_for_map
from tests.e2e.test_command_map import console_errors

LIVE_READY = "return !!(window.liveMap && window.liveMap.map && window.liveMap.connected);"


def wait_until(driver, script: str, timeout: float = 20, *args):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = driver.execute_script(script, *args)
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for: {script}")


def open_live(driver, url: str) -> None:
    driver.get(url)
    wait_for_map(driver)
    wait_until(driver, LIVE_READY, 30)


def ticket_state(driver, number: str):
    return driver.execute_script(
        "const t = window.liveMap.tickets.get(arguments[0]); return t ? t.state : null;", number)


def painted(driver, number: str) -> bool:
    """The ticket is in the MapLibre source drawn on the map, with its number as the feature id."""
    return driver.execute_script("""
        const src = window.liveMap.map.getSource('live-tickets');
        const data = src && src.serialize().data;
        return !!(data && data.features.some(f => f.properties.id === arguments[0]) &&
                  window.liveMap.paintedAt.has(arguments[0]));""", number)


@pytest.fixture(scope="module")
def inner_point(engine):
    with engine.connect() as conn:
        return conn.execute(text("""SELECT code, ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom))
                                    FROM grids ORDER BY ST_Area(geom) DESC LIMIT 1""")).one()


def post_ticket(app_url: str, lon: float, lat: float, **extra) -> str:
    body = json.dumps({"category": "water_leak", "description": f"e2e 漏水 {uuid.uuid4().hex[:6]}", "lon": lon,
                       "lat": lat, "citizen_name": "李明华", "citizen_phone": "13812345678", **extra}).encode()
    request = urllib.request.Request(app_url + "/api/v1/tickets", data=body, method="POST",
                                     headers={"Content-Type": "application/json",
                                              "X-API-Key": extra.pop("api_key", "") if "api_key" in extra else ""})
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.loads(answer.read())["ticket"]["number"]


def create_ticket_direct(lon: float, lat: float) -> str:
    from services.tickets import NewTicket, create_ticket
    return create_ticket(NewTicket(channel="hotline", category="water_leak", description="e2e 漏水", lon=lon,
                                   lat=lat, citizen_name="李明华", citizen_phone="13812345678")).ticket["number"]


def test_a_new_ticket_appears_on_an_open_map(app_url, browser, inner_point):
    open_live(browser, app_url + "/")
    number = create_ticket_direct(inner_point[1], inner_point[2])
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not painted(browser, number):
        time.sleep(0.2)
    assert painted(browser, number)
    assert console_errors(browser) == []


def test_dispatch_in_one_browser_updates_another(app_url, browser, inner_point):
    second = start_chromium(1400, 900)
    try:
        open_live(browser, app_url + "/")
        open_live(second, app_url + "/")
        number = create_ticket_direct(inner_point[1], inner_point[2])
        for driver in (browser, second):
            wait_until(driver, "return window.liveMap.tickets.has(arguments[0]);", 20, number)
        click_lonlat(browser, inner_point[1], inner_point[2], zoom=15)
        wait_until(browser, f"return document.getElementById('{ids.PANEL}').innerText.includes('待办工单');", 15)  # noqa: E501
        row = browser.find_element(By.CSS_SELECTOR, f"[id*='\"number\":\"{number}\"']")
        row.click()
        wait_until(browser, f"return !!document.querySelector(\"[id*='{ids.ASSIGN}'][id*='{number}']\");", 15)
        browser.find_element(By.CSS_SELECTOR, f"[id*='{ids.ASSIGN}'][id*='{number}']").click()
        wait_until(browser, f"return document.getElementById('{ids.PANEL}').innerText.includes('已派单');", 15)
        wait_until(second, "const t = window.liveMap.tickets.get(arguments[0]); return t && t.state === 'dispatched';",
                   20, number)
        assert ticket_state(second, number) == "dispatched"
        assert console_errors(browser) == [] and console_errors(second) == []
    finally:
        second.quit()


def test_the_wall_shows_masked_personal_data_only(app_url, browser, inner_point):
    create_ticket_direct(inner_point[1], inner_point[2])
    browser.set_window_size(1920, 1080)
    browser.get(app_url + "/wall")
    wait_until(browser, f"const el = document.getElementById('{ids.WALL_TICKER}'); return el && el.innerText.length;", 30)
    page = browser.find_element(By.TAG_NAME, "body").text
    assert "李*" in page and "138****5678" in page
    assert "李明华" not in page and "13812345678" not in page
    html = browser.page_source
    assert "李明华" not in html and "13812345678" not in html
    assert console_errors(browser) == []
