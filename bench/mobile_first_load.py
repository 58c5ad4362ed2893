"""Bytes a grid worker's phone receives for the first load of /m and /m/tasks (cold cache, fresh profile), as
Chromium counts them (Resource Timing ``transferSize``: headers and compressed bodies), beside the command map.

    python bench/mobile_first_load.py http://127.0.0.1:8050 --user U --password P [--runs 3]

Writes bench/results/mobile-first-load-<time>.md.
"""
from __future__ import annotations

import argparse
import statistics
import sys
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from harness.browser import sign_in_as, start_chromium, wait_for_js  # noqa: E402

BYTES = """const nav = performance.getEntriesByType('navigation')[0];
const res = performance.getEntriesByType('resource');
return {page: nav.transferSize, total: nav.transferSize + res.reduce((s, r) => s + r.transferSize, 0),
        requests: 1 + res.length, names: res.map(r => r.name.replace(location.origin, '') + ' ' + r.transferSize)};"""


def first_load(base: str, path: str, user: str, password: str) -> dict:
    """One cold load of ``path`` in a fresh profile (signed in first, through /login without loading ``path``)."""
    driver = start_chromium(390, 844)
    try:
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                               {"width": 390, "height": 844, "deviceScaleFactor": 3, "mobile": True})
        sign_in_as(driver, base, user, password, next_path="/account")
        driver.execute_cdp_cmd("Network.enable", {})
        driver.execute_cdp_cmd("Network.clearBrowserCache", {})
        driver.get(base + path)
        wait_for_js(driver, "return document.readyState === 'complete';", what="the page loaded")
        return driver.execute_script(BYTES)
    finally:
        driver.quit()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("base")
    parser.add_argument("--user", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--compare", default="/account", help="a Dash page of the same user, for comparison")
    args = parser.parse_args()
    lines = [f"# /m first load ({datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, {args.runs} cold loads each)", "",
             "| page | bytes transferred (median) | of which the HTML | requests |", "| --- | --- | --- | --- |"]
    detail = []
    for path in ("/m", "/m/tasks", args.compare):
        loads = [first_load(args.base, path, args.user, args.password) for _ in range(args.runs)]
        lines.append(f"| `{path}` | {statistics.median(l['total'] for l in loads):,.0f} | "
                     f"{statistics.median(l['page'] for l in loads):,.0f} | {loads[0]['requests']} |")
        detail += [f"- `{path}`: " + ", ".join(loads[0]["names"])]
    text = "\n".join(lines + ["", "Resources of the first load:"] + detail) + "\n"
    out = Path(__file__).resolve().parent / "results" / f"mobile-first-load-{datetime.now(timezone.utc):%Y%m%dT%H%M%SZ}.md"
    out.write_text(text, encoding="utf-8")
    print(text)
    print(out)


if __name__ == "__main__":
    main()
