"""Memory over a long, busy run: does anything grow with time or with the number of events?

The dashboard process as `make run` starts it (relay, position ingester and escalation sweep in-process), the
simulator at high speed (days of tickets and crew movements compressed into minutes) and a wall screen left open
in headless Chromium. Every SAMPLE_S seconds: the dashboard's and the simulator's RSS, threads and open files;
Redis memory and stream lengths; the wall's JS heap after a forced GC; rows of tickets, crew tracks and outbox, and
events added to the streams. With short TRACK_RETENTION_DAYS / OUTBOX_RETENTION_DAYS / RETENTION_EVERY_SECONDS in
the environment it shows the pruning at work as well. Reported: each series at the start of the second half and at the end, and the dashboard's RSS slope
over the second half (least squares) per hour and per 10,000 events. The first half is warm-up (caches, pools).

    python -m bench soak [MINUTES]      (default 20; `make bench` does not run it)
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402

from bench.live_latency import start_app  # noqa: E402
from events.bus import get_redis, live_streams  # noqa: E402
from geo.db import get_engine  # noqa: E402
from harness.browser import carry_session, start_chromium, wait_for_js  # noqa: E402
from harness.servers import free_port  # noqa: E402
from harness.signing_in import session_cookie  # noqa: E402
from settings import get_settings  # noqa: E402

RESULTS = ROOT / "bench" / "results"
SAMPLE_S = 20
# 12 simulated hours per real minute: a 20-minute run covers ten days of the district's requests.
SIMULATOR = ["--speed", "720", "--rate", "40", "--max-posts", "20", "--human-wait", "5", "--no-resume"]


def process_stats(pid: int) -> dict:
    status = Path(f"/proc/{pid}/status").read_text()
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    return {"rss_mb": int(fields["VmRSS"].split()[0]) / 1024, "threads": int(fields["Threads"]),
            "fds": len(os.listdir(f"/proc/{pid}/fd"))}


def redis_stats(r) -> dict:
    out = {"used_mb": r.info("memory")["used_memory"] / 2**20}
    for stream in live_streams():
        try:
            info = r.xinfo_stream(stream)
            out[stream] = {"length": info["length"], "added": info.get("entries-added")}
        except Exception:  # noqa: BLE001 - a stream not created yet
            out[stream] = {"length": 0, "added": 0}
    return out


def heap_mb(driver) -> float:
    driver.execute_script("window.gc(); window.gc();")
    return driver.execute_script("return performance.memory.usedJSHeapSize;") / 1e6


def rows_in_db() -> dict:
    with get_engine().connect() as conn:
        return {table: conn.execute(text(f"SELECT count(*) FROM {table}")).scalar()
                for table in ("tickets", "crew_tracks", "outbox")}


def slope_per_hour(times_s: list[float], values: list[float]) -> float:
    return statistics.linear_regression(times_s, values).slope * 3600 if len(times_s) > 2 else float("nan")


def sample(start: float, app, simulator, r, driver) -> dict:
    row = {"t_s": round(time.monotonic() - start, 1), "app": process_stats(app.pid), "redis": redis_stats(r),
           **rows_in_db(), "wall_heap_mb": round(heap_mb(driver), 2)}
    if simulator.poll() is None:
        row["simulator"] = process_stats(simulator.pid)
    row["events"] = sum(v["added"] or 0 for k, v in row["redis"].items() if isinstance(v, dict))
    return row


def report(rows: list[dict], minutes: float) -> str:
    half = [row for row in rows if row["t_s"] >= rows[-1]["t_s"] / 2]
    first, last = half[0], rows[-1]
    t = [row["t_s"] for row in half]
    rss = [row["app"]["rss_mb"] for row in half]
    slope = slope_per_hour(t, rss)
    events = last["events"] - first["events"]
    per_10k = (rss[-1] - rss[0]) / events * 10_000 if events else float("nan")
    lines = [f"{minutes:.0f} min, {len(rows)} samples, {last['tickets'] - rows[0]['tickets']:,} tickets created, "
             f"{last['events'] - rows[0]['events']:,} stream events; second half from t={first['t_s']:.0f} s:",
             "", "| series | start of 2nd half | end |", "| --- | --- | --- |"]

    def line(name: str, a, b) -> None:
        lines.append(f"| {name} | {a} | {b} |")

    line("dashboard RSS (MB)", f"{first['app']['rss_mb']:.1f}", f"{last['app']['rss_mb']:.1f}")
    line("dashboard threads", first["app"]["threads"], last["app"]["threads"])
    line("dashboard open files", first["app"]["fds"], last["app"]["fds"])
    simulator_alive = [row for row in half if "simulator" in row]     # it stops at the duration, maybe just before
    if simulator_alive:
        line("simulator RSS (MB)", f"{simulator_alive[0]['simulator']['rss_mb']:.1f}",
             f"{simulator_alive[-1]['simulator']['rss_mb']:.1f}")
    line("Redis used memory (MB)", f"{first['redis']['used_mb']:.1f}", f"{last['redis']['used_mb']:.1f}")
    for stream in live_streams():
        line(f"stream {stream} length", first["redis"][stream]["length"], last["redis"][stream]["length"])
    line("wall JS heap after GC (MB)", first["wall_heap_mb"], last["wall_heap_mb"])
    for table in ("crew_tracks", "outbox"):
        if table in first:      # runs before these columns were sampled lack them
            line(f"rows in {table}", f"{first[table]:,}", f"{last[table]:,}")
    redis_per_entry = (last["redis"]["used_mb"] - first["redis"]["used_mb"]) * 1024 / events if events else float("nan")
    lines += ["", f"dashboard RSS slope over the second half: {slope:+.1f} MB/hour; "
                  f"change per 10,000 events: {per_10k:+.2f} MB ({events:,} events in the second half); "
                  f"Redis grows {redis_per_entry:.2f} KB per stream entry until the streams reach their caps"]
    return "\n".join(lines)


def main(minutes: float = 20) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    port = free_port()
    app = start_app(port)
    url = f"http://127.0.0.1:{port}"
    log = open(RESULTS / "soak-simulator.log", "w")
    simulator = subprocess.Popen([sys.executable, "-m", "simulation", *SIMULATOR,
                                  "--duration", str(int(minutes * 60))], cwd=ROOT, stdout=log,
                                 stderr=subprocess.STDOUT)
    driver = start_chromium(1920, 1080, extra_flags=("--js-flags=--expose-gc",))
    r = get_redis()
    rows: list[dict] = []
    try:
        carry_session(driver, url, session_cookie(url, "wall"))
        driver.get(url + "/wall")
        wait_for_js(driver, "return !!(window.liveMap && window.liveMap.renders > 0);", seconds=60,
                    what="the wall to draw its live layers")
        start = time.monotonic()
        while time.monotonic() - start < minutes * 60:
            rows.append(sample(start, app, simulator, r, driver))
            print(json.dumps(rows[-1]), flush=True)
            time.sleep(SAMPLE_S)
        rows.append(sample(start, app, simulator, r, driver))
    finally:
        driver.quit()
        simulator.terminate()
        simulator.wait(30)
        app.terminate()
        app.wait(10)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    settings = get_settings()
    retention = {k: getattr(settings, k) for k in ("track_retention_days", "outbox_retention_days",
                                                    "retention_every_seconds")}
    text_report = f"retention settings: {retention}\n\n" + report(rows, minutes)
    (RESULTS / f"soak-{stamp}.json").write_text(json.dumps({"when": stamp, "simulator": SIMULATOR,
                                                            "sample_s": SAMPLE_S, "retention": retention,
                                                            "rows": rows}, indent=1))
    (RESULTS / f"soak-{stamp}.md").write_text(f"# Soak, {stamp}\n\n{text_report}\n")
    print(text_report)
