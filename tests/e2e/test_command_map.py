"""The command-center map in headless Chromium: every cell and camera drawn, a click opens the cell's panel,
no request leaves our host and the console stays clean."""
from __future__ import annotations

from urllib.parse import urlsplit

from selenium.webdriver.common.by import By
from sqlalchemy import text

from harness.browser import console_errors
from harness.mapclick import click_lonlat, trace_sizes, wait_for_map
from harness.waiting import poll
from screens import ids

SIGNED_IN_AS = "dispatcher"         # the browser fixture signs in as the role this screen is for


def test_map_draws_every_cell_and_camera_and_a_click_opens_the_panel(app_url, browser, engine):
    browser.get(app_url + "/")
    wait_for_map(browser)
    sizes = trace_sizes(browser)
    assert sizes["grids"] == 932
    assert sizes["cameras"] == 11_000
    with engine.connect() as conn:
        crews = conn.execute(text("SELECT count(*) FROM crews")).scalar()
        code, name, lon, lat = conn.execute(text("""
            SELECT code, name, ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom))
            FROM grids ORDER BY ST_Area(geom) DESC LIMIT 1""")).one()

    # Crews are a live MapLibre layer (assets/livemap.js), every one of them on it.
    poll(lambda: browser.execute_script(
        "return window.liveMap && window.liveMap.crews.size === arguments[0] && window.liveMap.renders > 0;", crews),
        seconds=30, step=0.25)
    assert browser.execute_script("return window.liveMap.crews.size;") == crews

    click_lonlat(browser, lon, lat, zoom=14.5)
    panel = browser.find_element(By.ID, ids.PANEL)
    poll(lambda: code in panel.text, seconds=15, step=0.25)
    assert code in panel.text and name in panel.text and "网格员" in panel.text
    assert "hidden" not in panel.get_attribute("class")

    hosts = browser.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name).concat([location.href]);")
    own = urlsplit(app_url).netloc
    assert {urlsplit(h).netloc for h in hosts if h.startswith("http")} == {own}
    assert console_errors(browser) == []


def test_measure_switch_recolours_cells_in_place(app_url, browser):
    browser.get(app_url + "/")
    wait_for_map(browser)
    browser.find_element(By.CSS_SELECTOR, f"#{ids.MEASURE} input[value='camera_density']").click()
    shows_scale = poll(lambda: browser.execute_script(
        "return document.querySelector('#command-map .js-plotly-plot').data[0].showscale === true;"),
        seconds=15, step=0.25)
    assert shows_scale
    assert trace_sizes(browser)["grids"] == 932
    assert console_errors(browser) == []
