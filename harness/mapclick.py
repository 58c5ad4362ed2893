"""Drive a Plotly map in the browser: wait for it, find traces, project lon/lat to pixels, click a cell."""
from __future__ import annotations

import time

from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By

from harness.browser import wait_for_js

GRAPH = "#command-map .js-plotly-plot"


def map_ready(graph: str = GRAPH) -> str:
    """A script that is true once the map of the Plotly graph ``graph`` (a CSS selector) has loaded its style."""
    return f"""
const gd = document.querySelector('{graph}');
return !!(gd && gd._fullLayout && gd._fullLayout.map && gd._fullLayout.map._subplot
          && gd._fullLayout.map._subplot.map && gd._fullLayout.map._subplot.map.loaded());
"""


def wait_for_map(driver, timeout: float = 60, graph: str = GRAPH) -> None:
    wait_for_js(driver, map_ready(graph), seconds=timeout, what="the map to finish loading")


def trace_sizes(driver) -> dict[str, int]:
    """Points (or polygons) per trace name, as the browser holds them."""
    return driver.execute_script(f"""
        const gd = document.querySelector('{GRAPH}');
        const out = {{}};
        for (const t of gd.data) out[t.name] = (t.locations || t.lon || []).filter(v => v !== null).length;
        return out;""")



def click_lonlat(driver, lon: float, lat: float, zoom: float = 15.5) -> None:
    """Centre the map on the point, let it settle, then click the pixel where it is drawn."""
    driver.execute_script(f"""
        const gd = document.querySelector('{GRAPH}');
        return Plotly.relayout(gd, {{'map.center': {{lon: arguments[0], lat: arguments[1]}}, 'map.zoom': arguments[2]}});
    """, lon, lat, zoom)
    time.sleep(1.5)
    x, y = driver.execute_script(f"""
        const gd = document.querySelector('{GRAPH}');
        const map = gd._fullLayout.map._subplot.map;
        const p = map.project([arguments[0], arguments[1]]);
        const box = map.getCanvas().getBoundingClientRect();
        return [p.x + box.left, p.y + box.top];""", lon, lat)
    body = driver.find_element(By.TAG_NAME, "body")
    size = body.size
    ActionChains(driver).move_to_element_with_offset(body, int(x - size["width"] / 2),
                                                     int(y - size["height"] / 2)).pause(0.4).click().perform()
