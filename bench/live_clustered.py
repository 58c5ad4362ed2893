"""Live-map latency with the map loaded: 10,000 open tickets (clustered by MapLibre), a ticket POSTed through the
API → painted on an already open dispatch map, at 1 and at 10 events/s (issue 15). Some crews are on jobs, so the
lines from crews to their tickets are rebuilt as their tickets change.

`python -m bench live-clustered [EVENTS_AT_1] [EVENTS_AT_10]` against the database of the environment; the bulk
tickets it adds (harness/bulk_tickets.py) are removed afterwards. Writes bench/results/live-latency-clustered-*.{json,md}.
"""
from __future__ import annotations

import json
import os
import statistics
import time
from datetime import datetime, timezone

from sqlalchemy import text

from bench.live_latency import (CATEGORIES, RESULTS, inner_points, open_map, painted_at, post_ticket, start_app)
from geo.db import get_engine
from harness.browser import carry_session, start_chromium
from harness.servers import free_port
from harness.signing_in import session_cookie
from harness import bulk_tickets

OPEN_TICKETS = 10_000
PREFIX = "BULKLAT"               # its own prefix: removing it never touches another load's tickets


def open_count() -> int:
    with get_engine().connect() as conn:
        return conn.execute(text("""SELECT count(*) FROM tickets
                                    WHERE state NOT IN ('resolved','evaluated','closed','merged','refused')""")).scalar()


CREWS_ON_JOBS = 40


def send_crews(engine) -> list[str]:
    """Department crews that are free go out to bulk tickets waiting in 'dispatched' (as a dispatch would leave
    them: the ticket names the crew, the crew is en route), so that the map keeps lines to redraw."""
    with engine.begin() as conn:
        return list(conn.execute(text("""
            WITH free AS (SELECT code, row_number() OVER (ORDER BY code) AS n FROM crews
                          WHERE status = 'available' AND grid_code IS NULL LIMIT :n),
                 jobs AS (SELECT id, row_number() OVER (ORDER BY number) AS n FROM tickets
                          WHERE number LIKE :p AND state = 'dispatched' LIMIT :n),
                 sent AS (UPDATE tickets t SET crew_code = f.code FROM jobs j JOIN free f ON f.n = j.n
                          WHERE t.id = j.id RETURNING f.code AS crew_code)
            UPDATE crews c SET status = 'en_route' FROM sent WHERE c.code = sent.crew_code RETURNING c.code"""),
            {"n": CREWS_ON_JOBS, "p": PREFIX + "%"}).scalars())


def free_crews(engine, codes: list[str]) -> None:
    with engine.begin() as conn:
        conn.execute(text("UPDATE crews SET status = 'available' WHERE code = ANY(:c)"), {"c": codes})


def run_rate(driver, url: str, rate: float, points: list[tuple[float, float]]) -> dict:
    """Post ``points`` as tickets at ``rate`` per second to the open map and collect when each was painted."""
    open_map(driver, url, "coalesced")
    posted: dict[str, float] = {}
    start = time.monotonic()
    for i, (lon, lat) in enumerate(points):
        time.sleep(max(0.0, start + i / rate - time.monotonic()))
        t0 = time.time() * 1000
        posted[post_ticket(url, lon, lat, CATEGORIES[i % len(CATEGORIES)])] = t0
    deadline = time.monotonic() + 60
    painted: dict[str, float] = {}
    while time.monotonic() < deadline:
        painted = painted_at(driver, "coalesced", list(posted))
        if len(painted) == len(posted):
            break
        time.sleep(0.5)
    latencies = sorted((painted[n] - posted[n]) / 1000 for n in painted)
    stats = driver.execute_script("""const m = window.liveMap;
        return {tickets: m.tickets.size, clusters: m.clusters || 0, lines: m.jobs.size,
                render_ms: m.renderMs.slice().sort((a, b) => a - b)};""")
    return {"rate_per_s": rate, "events": len(posted), "painted": len(painted), "latencies_s": latencies,
            "p50_s": statistics.median(latencies) if latencies else None,
            "p95_s": latencies[int(0.95 * (len(latencies) - 1))] if latencies else None, **stats}


def summary(rounds: list[dict], on_map: int) -> str:
    lines = [f"{on_map:,} open tickets on the map (clustered), 932 cells + 11,000 cameras; dispatch map `/`, "
             "headless Chromium, software WebGL, a shared 2-core machine.", "",
             "| events/s | events | painted | p50 (s) | p95 (s) | tickets on map | crews on jobs | render p50 (ms) |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in rounds:
        renders = r["render_ms"]
        render = f"{statistics.median(renders):.0f}" if renders else "—"
        p50 = f"{r['p50_s']:.2f}" if r["p50_s"] is not None else "—"
        p95 = f"{r['p95_s']:.2f}" if r["p95_s"] is not None else "—"
        lines.append(f"| {r['rate_per_s']:g} | {r['events']} | {r['painted']} | {p50} | {p95} | {r['tickets']:,} | "
                     f"{r['lines']} | {render} |")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    at_one = int(argv[0]) if argv else 60
    at_ten = int(argv[1]) if len(argv) > 1 else 200
    RESULTS.mkdir(parents=True, exist_ok=True)
    engine = get_engine()
    bulk_tickets.remove(engine, PREFIX)          # what an interrupted run left
    added = bulk_tickets.add_open_tickets(engine, max(OPEN_TICKETS - open_count(), 0), prefix=PREFIX)
    sent: list[str] = []
    app = None
    rounds: list[dict] = []
    try:
        sent = send_crews(engine)
        port = free_port()
        app = start_app(port)
        url = f"http://127.0.0.1:{port}"
        session = session_cookie(url, "dispatcher")
        driver = start_chromium(1600, 1000)
        try:
            carry_session(driver, url, session)
            points = inner_points(at_one + at_ten, seed=int(time.time()))
            for rate, chunk in ((1, points[:at_one]), (10, points[at_one:])):
                rounds.append(run_rate(driver, url, rate, chunk))
                print(f"{rate}/s: p50 {rounds[-1]['p50_s']} p95 {rounds[-1]['p95_s']} "
                      f"({rounds[-1]['painted']}/{rounds[-1]['events']})", flush=True)
        finally:
            driver.quit()
        on_map = max(r["tickets"] for r in rounds)
    finally:
        if app is not None:
            app.terminate()
            app.wait(10)
        bulk_tickets.remove(engine, PREFIX)
        free_crews(engine, sent)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    report = summary(rounds, on_map)
    meta = {"when": stamp, "bulk_added": added, "cpu_count": os.cpu_count(), "load_average": os.getloadavg(),
            "rounds": rounds}
    (RESULTS / f"live-latency-clustered-{stamp}.json").write_text(json.dumps(meta, indent=1))
    (RESULTS / f"live-latency-clustered-{stamp}.md").write_text(
        f"# Live map latency with clustering, {stamp}\n\n`python -m bench live-clustered`\n\n{report}\n\n"
        f"Load average during the run: {os.getloadavg()[0]:.1f}.\n")
    print(report)
    return 0
