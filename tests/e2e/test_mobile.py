"""/m on a phone-sized headless Chromium (390×844, touch, a mobile viewport, the location from the browser's
geolocation): a grid worker's report reaches the dispatcher's open map, and a task dispatched to the worker is
arrived and resolved with a photo from the camera input, the position reported while on it."""
from __future__ import annotations

import io
import os
import tempfile

import pytest
from PIL import Image
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select
from sqlalchemy import text

from events.bus import get_redis, latest_positions
from harness.browser import console_errors, sign_in_as, start_chromium, wait_for_js, wait_in_page
from harness.signing_in import make_user
from harness.waiting import wait_until
from services.tickets import NewTicket, create_ticket, transition
from tests.e2e.live_helpers import open_live
from tests.fresh import unique
from workorders.policy import system_principal

SIGNED_IN_AS = "dispatcher"        # the `browser` fixture: the dispatcher's map; the phone signs in on its own
PHONE = {"width": 390, "height": 844, "deviceScaleFactor": 3, "mobile": True}
SYSTEM = system_principal("mobile-e2e")


@pytest.fixture(scope="module")
def crew(engine) -> dict:
    """A grid worker's crew and a point well inside its grid."""
    with engine.connect() as conn:
        row = conn.execute(text("""
            SELECT c.code, c.grid_code, ST_X(ST_PointOnSurface(g.geom)) AS lon, ST_Y(ST_PointOnSurface(g.geom)) AS lat
            FROM crews c JOIN grids g ON g.code = c.grid_code
            WHERE c.kind = '网格员' ORDER BY c.code LIMIT 1 OFFSET 23""")).mappings().one()
    return dict(row)


def phone_browser(app_url: str, crew: dict):
    """Chromium as a phone at the worker's spot, signed in as that grid worker."""
    driver = start_chromium(390, 844)
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", PHONE)
    driver.execute_cdp_cmd("Emulation.setTouchEmulationEnabled", {"enabled": True, "maxTouchPoints": 5})
    driver.execute_cdp_cmd("Browser.grantPermissions", {"origin": app_url, "permissions": ["geolocation"]})
    driver.execute_cdp_cmd("Emulation.setGeolocationOverride",
                           {"latitude": crew["lat"], "longitude": crew["lon"], "accuracy": 8})
    username, password = make_user("grid_worker", crew=crew["code"])
    sign_in_as(driver, app_url, username, password, next_path="/m")
    wait_for_js(driver, "return !!document.getElementById('m-user');", what="the phone page")
    return driver


@pytest.fixture
def phone(app_url, crew):
    driver = phone_browser(app_url, crew)
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def camera_photo():
    """A camera-sized photo (3000×2000, ~5 MB of noise): the page shrinks it before it leaves the phone."""
    image = Image.frombytes("RGB", (3000, 2000), os.urandom(3000 * 2000 * 3))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=95)
    path = os.path.join(tempfile.mkdtemp(prefix="mobile-e2e-"), "IMG_0001.jpg")
    with open(path, "wb") as f:
        f.write(out.getvalue())
    return path


def painted(driver, number: str) -> bool:
    return driver.execute_script("""
        const src = window.liveMap.map.getSource('live-tickets');
        const data = src && src.serialize().data;
        return !!(data && data.features.some(f => f.properties.id === arguments[0]));""", number)


def photos(engine, number: str) -> list[dict]:
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(text(
            "SELECT p.width, p.height, p.source FROM ticket_photos p JOIN tickets t ON t.id = p.ticket_id "
            "WHERE t.number = :n"), {"n": number}).mappings()]


def state(engine, number: str) -> str:
    with engine.connect() as conn:
        return conn.scalar(text("SELECT state FROM tickets WHERE number = :n"), {"n": number})


def test_a_grid_workers_report_from_the_phone_reaches_the_dispatchers_map(app_url, browser, phone, crew,
                                                                           camera_photo, engine):
    open_live(browser, app_url + "/")
    wait_in_page(lambda: "已定位" in phone.find_element(By.ID, "m-loc-status").text, "the phone's location",
                 seconds=20)
    Select(phone.find_element(By.ID, "m-category")).select_by_value("sanitation")
    phone.find_element(By.ID, "m-description").send_keys(unique("小区门口垃圾堆积"))
    phone.find_element(By.ID, "m-photo").send_keys(camera_photo)
    phone.find_element(By.ID, "m-submit").click()
    wait_until(lambda: phone.find_elements(By.ID, "m-reported"), "the report's receipt", seconds=60)
    number = phone.find_element(By.CSS_SELECTOR, "#m-reported b").text
    wait_until(lambda: painted(browser, number), f"ticket {number} on the dispatcher's map", seconds=30)
    (stored,) = photos(engine, number)
    assert max(stored["width"], stored["height"]) <= 1600 and stored["source"] == "grid_worker"
    with engine.connect() as conn:
        grid = conn.scalar(text("SELECT grid_code FROM tickets WHERE number = :n"), {"n": number})
    assert grid == crew["grid_code"]
    assert console_errors(phone) == [] and console_errors(browser) == []


def test_a_dispatched_task_is_arrived_and_resolved_with_a_photo_from_the_phone(app_url, phone, crew, camera_photo,
                                                                                engine):
    created = create_ticket(NewTicket(channel="hotline", category="sanitation", lon=crew["lon"], lat=crew["lat"],
                                      description=unique("楼道垃圾未清"), citizen_phone="13800000002"), SYSTEM)
    number = created.ticket["number"]
    transition(number, "dispatch", SYSTEM, crew=crew["code"])
    try:
        phone.find_element(By.ID, "m-tab-tasks").click()
        wait_until(lambda: phone.find_elements(By.ID, f"arrive-{number}"), "the task on the phone", seconds=20)
        phone.find_element(By.ID, f"arrive-{number}").click()
        wait_until(lambda: phone.find_elements(By.ID, f"resolve-{number}"), "the task on site", seconds=20)
        assert state(engine, number) == "on_site"
        # On a task: the page reports where the worker is, onto the live positions path.
        wait_in_page(lambda: "位置已上报" in phone.find_element(By.ID, "m-position-status").text,
                     "the position reported", seconds=30)
        latest = latest_positions(get_redis())[crew["code"]]
        assert abs(latest["lon"] - crew["lon"]) < 1e-6 and abs(latest["lat"] - crew["lat"]) < 1e-6
        phone.find_element(By.ID, f"reply-{number}").send_keys("已清运完毕")
        phone.find_element(By.ID, f"photo-{number}").send_keys(camera_photo)
        phone.find_element(By.ID, f"resolve-{number}").click()
        wait_in_page(lambda: "已办结" in phone.find_element(By.ID, "m-notice").text, "the resolve's notice",
                     seconds=60)
        assert number in phone.find_element(By.ID, "m-notice").text
        assert state(engine, number) == "resolved"
        assert len(photos(engine, number)) == 1
        assert console_errors(phone) == []
    finally:
        left = state(engine, number)        # nothing stays open on the worker's crew for the next run
        if left != "resolved":
            transition(number, "resolve" if left == "on_site" else "refuse", SYSTEM, reason="测试工单")
