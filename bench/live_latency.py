"""Live-map latency: a ticket POSTed through the API → painted on an already open map, at 10 events/s, with the
932 cells, 11,000 cameras and 2,000 open tickets on the map; our coalesced MapLibre layer against the plain
approach (one Plotly update per event), side by side in one run. Also the wall screen's first paint.

Run by `make bench` against its own database (tiedong_bench). Numbers: medians and p95 of each round, and the
ratio of the medians, plus the raw samples in bench/results/.
"""
from __future__ import annotations

import json
import os
import random
import statistics
import subprocess
import sys
import time
import urllib.request
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402

from geo.db import get_engine  # noqa: E402
from harness import servers  # noqa: E402
from harness.browser import carry_session, start_chromium, wait_for_js  # noqa: E402
from harness.mapclick import wait_for_map  # noqa: E402
from harness.servers import free_port  # noqa: E402
from harness.signing_in import session_cookie  # noqa: E402
from services.tickets import NewTicket, create_ticket  # noqa: E402
from workorders.policy import system_principal  # noqa: E402

RESULTS = ROOT / "bench" / "results"
OPEN_TICKETS = 2000
RATE_PER_SECOND = 10
EVENTS_PER_ROUND = 100
ROUNDS = 2                        # coalesced, plain, coalesced, plain: interleaved against drift
CATEGORIES = ["water_leak", "heating_cold", "power_fault", "sanitation", "road_damage", "noise", "streetlight"]

# The plain approach, injected by the bench (not product code): the open tickets as a Plotly trace and one
# Plotly update (extendTraces, what a Dash Patch does) per event, nothing merged.
PLAIN_CLIENT = """
(async function () {
  const gd = document.querySelector('#command-map .js-plotly-plot');
  const snap = await (await fetch('/live/snapshot')).json();
  const rows = table => table.rows.map(r => Object.fromEntries(table.fields.map((f, i) => [f, r[i]])));
  const open = rows(snap.tickets);
  await Plotly.addTraces(gd, {type: 'scattermap', name: 'tickets', mode: 'markers', hoverinfo: 'skip',
    lon: open.map(t => t.lon), lat: open.map(t => t.lat), ids: open.map(t => t.number),
    marker: {size: 8, color: '#ff5a5f'}});
  const idx = gd.data.length - 1;
  const map = gd._fullLayout.map._subplot.map;
  const plain = window.__plain = {paintedAt: {}, ready: false};
  const es = new EventSource('/live/events?cursor=' + encodeURIComponent(snap.cursor));
  es.addEventListener('batch', function (e) {
    for (const t of rows(JSON.parse(e.data).tickets)) {
      if (t.state !== 'registered') continue;
      Plotly.extendTraces(gd, {lon: [[t.lon]], lat: [[t.lat]], ids: [[t.number]]}, [idx]).then(function () {
        map.once('idle', function () { plain.paintedAt[t.number] = Date.now(); });
      });
    }
  });
  es.onopen = function () { plain.ready = true; };
})();
"""


def inner_points(n: int, seed: int = 7) -> list[tuple[float, float]]:
    """Points where people live: inside grids, weighted to small (dense) cells."""
    with get_engine().connect() as conn:
        rows = conn.execute(text("""
            SELECT ST_X(p), ST_Y(p) FROM (
              SELECT (ST_Dump(ST_GeneratePoints(geom, 3, :seed))).geom AS p FROM grids
              ORDER BY ST_Area(geom) LIMIT 600) q"""), {"seed": seed}).all()
    rng = random.Random(seed)
    return [rows[rng.randrange(len(rows))] for _ in range(n)]


def ensure_open_tickets(target: int) -> int:
    with get_engine().connect() as conn:
        have = conn.execute(text("""SELECT count(*) FROM tickets
                                    WHERE state NOT IN ('resolved','evaluated','closed','merged','refused')""")).scalar()
    missing = max(target - have, 0)
    rng = random.Random(1)
    for i, (lon, lat) in enumerate(inner_points(missing, seed=11)):
        create_ticket(NewTicket(channel="hotline", category=rng.choice(CATEGORIES), description="基准测试：存量工单",
                                lon=lon, lat=lat), system_principal("bench"))
    return have + missing


def start_app(port: int, cwd: Path = ROOT) -> subprocess.Popen:
    """The dashboard of checkout ``cwd`` on ``port``, healthy (its relay caught up) before anything is timed."""
    # One address posts 10 tickets/s without a key: the anonymous-intake limit would stop the bench, not measure.
    limits = {"RATE_LIMIT_ANONYMOUS_INTAKE": "1000000/hour", "RATE_LIMIT_LOGIN": "100000/hour"}
    return servers.start_app(None, port, limits, cwd=cwd, log=RESULTS / f"bench-app-{port}.log", healthy_only=True)


def post_ticket(url: str, lon: float, lat: float, category: str) -> str:
    body = json.dumps({"category": category, "description": "基准测试：实时工单", "lon": lon, "lat": lat}).encode()
    request = urllib.request.Request(url + "/api/v1/tickets", data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.loads(answer.read())["ticket"]["number"]


def open_map(driver, url: str, mode: str) -> None:
    if mode == "coalesced":
        driver.get(url + "/")
        wait_for_js(driver, "return !!(window.liveMap && window.liveMap.map && window.liveMap.connected "
                            "&& window.liveMap.renders > 0);", seconds=60, what="the coalesced map to get ready")
    else:
        driver.get(url + "/?live=off")
        wait_for_map(driver)
        driver.execute_script(PLAIN_CLIENT)
        wait_for_js(driver, "return !!(window.__plain && window.__plain.ready);", seconds=60,
                    what="the plain map to get ready")
    time.sleep(3)   # let the first full draw settle before timing


def painted_at(driver, mode: str, numbers: list[str]) -> dict[str, float]:
    script = ("return Object.fromEntries(arguments[0].filter(n => window.liveMap.paintedAt.has(n))"
              ".map(n => [n, window.liveMap.paintedAt.get(n)]));") if mode == "coalesced" else (
             "return Object.fromEntries(arguments[0].filter(n => n in window.__plain.paintedAt)"
             ".map(n => [n, window.__plain.paintedAt[n]]));")
    return driver.execute_script(script, numbers)


def run_round(driver, url: str, mode: str, points: list[tuple[float, float]]) -> dict:
    open_map(driver, url, mode)
    posted: dict[str, float] = {}
    start = time.monotonic()
    for i, (lon, lat) in enumerate(points):
        time.sleep(max(0.0, start + i / RATE_PER_SECOND - time.monotonic()))
        t0 = time.time() * 1000
        posted[post_ticket(url, lon, lat, CATEGORIES[i % len(CATEGORIES)])] = t0
    deadline = time.monotonic() + 60
    painted: dict[str, float] = {}
    while time.monotonic() < deadline:
        painted = painted_at(driver, mode, list(posted))
        if len(painted) == len(posted):
            break
        time.sleep(0.5)
    latencies = sorted((painted[n] - posted[n]) / 1000 for n in painted)
    heap = driver.execute_script("return performance.memory ? performance.memory.usedJSHeapSize : null;")
    return {"mode": mode, "events": len(posted), "painted": len(painted), "latencies_s": latencies,
            "median_s": statistics.median(latencies) if latencies else None,
            "p95_s": latencies[int(0.95 * (len(latencies) - 1))] if latencies else None,
            "js_heap_bytes": heap}


# Injected before the page's own scripts: notes (ms since navigation start) when each stage of the wall's first
# paint is reached, polling every 10 ms in the page itself so a busy main thread cannot hide the moment.
WALL_MILESTONES = """
window.__wall = {};
(function poll() {
  const m = window.__wall, now = Math.round(performance.now());
  const mark = (k, v) => { if (v && !(k in m)) m[k] = now; };
  const gd = document.querySelector('#wall-map .js-plotly-plot');
  const sub = gd && gd._fullLayout && gd._fullLayout.map && gd._fullLayout.map._subplot;
  mark('header', document.querySelector('.wall-header'));
  mark('tiles', document.querySelector('#wall-tiles .tile'));
  mark('map_created', sub && sub.map);
  mark('map_loaded', sub && sub.map && sub.map.loaded());
  mark('live_painted', window.liveMap && window.liveMap.renders > 0);
  mark('done', 'tiles' in m && 'live_painted' in m && sub && sub.map.loaded());
  if (!('done' in m)) setTimeout(poll, 10);
})();
"""
WALL_STAGES = ("header", "tiles", "map_created", "map_loaded", "live_painted", "done")


def wall_first_paint(url: str, repeats: int = 5, session: str | None = None) -> list[dict]:
    """Per load, ms from navigation start to each stage; `done` = map loaded with its live layers painted and the
    KPI tiles filled (a fresh browser profile each time: nothing cached; ``session``: the wall's cookie)."""
    loads = []
    for _ in range(repeats):
        driver = start_chromium(1920, 1080)
        try:
            if session:
                carry_session(driver, url, session)
            driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": WALL_MILESTONES})
            driver.get(url + "/wall")
            try:
                wait_for_js(driver, "return !!(window.__wall && window.__wall.done);", seconds=60)
            except AssertionError:
                continue        # a load that never finished is left out (the report counts the loads)
            loads.append(driver.execute_script("return window.__wall;"))
        finally:
            driver.quit()
    return loads


def wall_summary(loads: list[dict]) -> str:
    medians = {k: statistics.median(load[k] for load in loads) / 1000 for k in WALL_STAGES}
    stages = ", ".join(f"{k} {v:.2f}" for k, v in medians.items())
    done = sorted(load["done"] / 1000 for load in loads)
    return (f"/wall first paint (map loaded + live layers painted + tiles): median {medians['done']:.2f} s, "
            f"slowest {done[-1]:.2f} s over {len(loads)} loads; stage medians (s): {stages}")


def summary(rounds: list[dict], wall: list[dict]) -> str:
    lines = ["| round | mode | events | painted | median (s) | p95 (s) |",
             "| --- | --- | --- | --- | --- | --- |"] if rounds else []
    for i, r in enumerate(rounds, 1):
        lines.append(f"| {i} | {r['mode']} | {r['events']} | {r['painted']} | "
                     f"{r['median_s']:.2f} | {r['p95_s']:.2f} |" if r["median_s"] is not None else
                     f"| {i} | {r['mode']} | {r['events']} | 0 | — | — |")
    pooled = {m: sorted(x for r in rounds if r["mode"] == m for x in r["latencies_s"]) for m in ("coalesced", "plain")}
    stats = {m: (statistics.median(v), v[int(0.95 * (len(v) - 1))]) for m, v in pooled.items() if v}
    if len(stats) == 2:
        lines.append("")
        lines.append(f"pooled: coalesced median {stats['coalesced'][0]:.2f} s, p95 {stats['coalesced'][1]:.2f} s; "
                     f"plain median {stats['plain'][0]:.2f} s, p95 {stats['plain'][1]:.2f} s; "
                     f"ratio of medians plain/coalesced {stats['plain'][0] / stats['coalesced'][0]:.1f}×, "
                     f"of p95 {stats['plain'][1] / stats['coalesced'][1]:.1f}×")
    if wall:
        lines.append(wall_summary(wall))
    return "\n".join(lines)


def main(which: str = "all") -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    open_count = ensure_open_tickets(OPEN_TICKETS)
    port = free_port()
    app = start_app(port)
    url = f"http://127.0.0.1:{port}"
    rounds: list[dict] = []
    wall: list[dict] = []
    try:
        session = session_cookie(url, "dispatcher", "wall")
        if which in ("live", "all"):
            driver = start_chromium(1600, 1000)
            try:
                carry_session(driver, url, session)
                points = inner_points(EVENTS_PER_ROUND * ROUNDS * 2, seed=int(time.time()))
                for r in range(ROUNDS):
                    for mode in ("coalesced", "plain"):
                        chunk = points[:EVENTS_PER_ROUND]
                        points = points[EVENTS_PER_ROUND:]
                        rounds.append(run_round(driver, url, mode, chunk))
                        print(f"round {len(rounds)} {mode}: median {rounds[-1]['median_s']} p95 {rounds[-1]['p95_s']}",
                              flush=True)
            finally:
                driver.quit()
        if which in ("wall", "all"):
            wall = wall_first_paint(url, session=session)
    finally:
        app.terminate()
        app.wait(10)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    report = summary(rounds, wall)
    meta = {"when": stamp, "open_tickets_before": open_count, "rate_per_s": RATE_PER_SECOND,
            "events_per_round": EVENTS_PER_ROUND, "cpu_count": os.cpu_count(), "rounds": rounds,
            "wall_first_paint_ms": wall}
    (RESULTS / f"live-{stamp}.json").write_text(json.dumps(meta, indent=1))
    (RESULTS / f"live-{stamp}.md").write_text(f"# Live map latency, {stamp}\n\n{report}\n")
    print(report)
