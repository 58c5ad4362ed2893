"""Screenshot a page in headless Chromium: python scripts/screenshot.py URL OUT.png [--zoom Z --lon X --lat Y]
[--user NAME --password PASSWORD] (signs in at /login first; `make run` prints the demo users)."""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from selenium.common.exceptions import WebDriverException  # noqa: E402
from harness.browser import exact_viewport, sign_in_as, start_chromium, wait_for_js  # noqa: E402

WAIT_FOR_MAP = """
const gd = document.querySelector('.js-plotly-plot');
return !!(gd && gd._fullLayout && gd._fullLayout.map && gd._fullLayout.map._subplot);
"""


def zoom(driver, args) -> None:
    if args.zoom is not None:
        driver.execute_script("""
            const gd = document.querySelector('.js-plotly-plot');
            Plotly.relayout(gd, {'map.zoom': arguments[0], 'map.center': {lon: arguments[1], lat: arguments[2]}});
        """, args.zoom, args.lon, args.lat)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("out")
    parser.add_argument("--width", type=int, default=1920)
    parser.add_argument("--height", type=int, default=1080)
    parser.add_argument("--zoom", type=float)
    parser.add_argument("--lon", type=float)
    parser.add_argument("--lat", type=float)
    parser.add_argument("--click", nargs=2, type=float, metavar=("LON", "LAT"), help="click here (opens a panel)")
    parser.add_argument("--press", action="append", default=[], metavar="CSS",
                        help="click this element before the shot (repeatable, in order)")
    parser.add_argument("--scroll", metavar="CSS", help="scroll this element to the top before the shot "
                                                        "(a block far down a long page)")
    parser.add_argument("--live", action="store_true",
                        help="wait until the live layers have drawn what the snapshot holds")
    parser.add_argument("--user", help="sign in as this user first")
    parser.add_argument("--password")
    args = parser.parse_args()
    driver = start_chromium(args.width, args.height)
    try:
        exact_viewport(driver, args.width, args.height)
        if args.user:
            parts = urlsplit(args.url)
            sign_in_as(driver, f"{parts.scheme}://{parts.netloc}", args.user, args.password,
                       next_path=parts.path + (f"?{parts.query}" if parts.query else ""))
        driver.get(args.url)
        try:
            wait_for_js(driver, WAIT_FOR_MAP, seconds=30, what="a map")
        except (AssertionError, WebDriverException):
            pass            # a page without a map (or too busy to answer the probe in time) is shot as it is
        zoom(driver, args)
        time.sleep(4)
        if args.live:
            wait_for_js(driver, "return !!(window.liveMap && window.liveMap.renders > 0 && "
                                "!window.liveMap.awaitingSnapshot);", seconds=60, what="the live layers")
            zoom(driver, args)          # a figure Dash redrew meanwhile is back at the district view
            time.sleep(3)
        for selector in args.press:
            driver.execute_script("document.querySelector(arguments[0]).click()", selector)
            time.sleep(3)
        if args.scroll:
            driver.execute_script("document.querySelector(arguments[0]).scrollIntoView({block: 'start'})", args.scroll)
            time.sleep(2)
        if args.click:
            from harness.mapclick import click_lonlat
            click_lonlat(driver, *args.click, zoom=args.zoom or 15.5)
            time.sleep(3)
        driver.save_screenshot(args.out)
        for entry in driver.get_log("browser"):
            print(entry["level"], entry["message"][:300])
    finally:
        driver.quit()


if __name__ == "__main__":
    main()
