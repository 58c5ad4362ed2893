"""Bytes to an open map (issue 12): what one live update costs on the wire with 1,000, 10,000 and 100,000 open
tickets (target ≤ 2 KB, the same for all three), and what a browser downloads to (re)build its map: the snapshot,
plain and gzip-compressed, and a reconnect that catches up from its last event id.

    python -m bench live-bytes [--levels 1000,10000,100000] [--updates 20] [--missed 50]

A dashboard (`python app.py`, relay inside) against the environment's database; a signed-in dispatcher's
session reads /live/snapshot and holds /live/events, as the map's script does. For each level, bulk open tickets
(harness/bulk_tickets.py, removed afterwards) bring the open count up to it; then ``--updates`` tickets are
posted one after the other through /api/v1, each awaited on the stream, and the bytes of the event that carried it
counted (the SSE frame as sent: id, event and data lines); then the stream is closed, ``--missed`` tickets are
posted, and a reconnect with Last-Event-ID is read until it has them all. Writes
bench/results/live-bytes-<time>.{json,md}.
"""
from __future__ import annotations

import argparse
import gzip
import http.client
import json
import os
import statistics
import time
from datetime import datetime, timezone


from bench import whole_numbers
from bench.live_clustered import open_count
from bench.live_latency import RESULTS, inner_points, post_ticket, start_app
from geo.db import get_engine
from harness import bulk_tickets
from harness.servers import free_port, stop
from harness.signing_in import session_cookie

PREFIX = "BBYT"             # + the level's index: each level's bulk numbers start at 1 again
LEVELS = (1_000, 10_000, 100_000)
READ_TIMEOUT_S = 30


def snapshot(port: int, cookie: str) -> dict:
    """The snapshot as the browser gets it (gzip; timed with its build: each process keeps one a second) and as
    plain bytes (the same build again); its cursor and ticket count."""
    sizes = {}
    body = b""
    for encoding in ("gzip", "identity"):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        started = time.perf_counter()
        conn.request("GET", "/live/snapshot", headers={"Cookie": cookie, "Accept-Encoding": encoding})
        answer = conn.getresponse()
        raw = answer.read()
        sizes[encoding] = {"bytes": len(raw), "ms": round((time.perf_counter() - started) * 1000, 1),
                           "content_encoding": answer.getheader("Content-Encoding") or "identity"}
        body = gzip.decompress(raw) if answer.getheader("Content-Encoding") == "gzip" else raw
        conn.close()
    data = json.loads(body)
    return {"sizes": sizes, "cursor": data["cursor"], "tickets": len(data["tickets"]["rows"])}


class Stream:
    """/live/events read frame by frame (frames end with a blank line), counting the bytes of each."""

    def __init__(self, port: int, cookie: str, cursor: str | None = None, last_event_id: str | None = None):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=READ_TIMEOUT_S)
        path = "/live/events" + (f"?cursor={cursor}" if cursor and not last_event_id else "")
        headers = {"Cookie": cookie, "Accept": "text/event-stream"}
        if last_event_id:
            headers["Last-Event-ID"] = last_event_id
        self.conn.request("GET", path, headers=headers)
        self.answer = self.conn.getresponse()
        if self.answer.status != 200:
            raise SystemExit(f"/live/events answered {self.answer.status}: {self.answer.read()[:200]!r}")
        self.last_id: str | None = None

    def frame(self) -> tuple[str, dict, int]:
        """The next frame: its event type, its data (parsed), its size in bytes."""
        size, event, data = 0, "message", ""
        while True:
            line = self.answer.fp.readline()
            if not line:
                raise SystemExit("the live stream ended")
            size += len(line)
            text_ = line.decode("utf-8").rstrip("\n")
            if text_ == "":
                if data or event != "message":
                    return event, (json.loads(data) if data else {}), size
                continue
            name, _, value = text_.partition(": ")
            if name == "id":
                self.last_id = value
            elif name == "event":
                event = value
            elif name == "data":
                data += value

    def until(self, numbers: set[str]) -> list[int]:
        """Read batches until every ticket of ``numbers`` arrived; the sizes of the batch frames read."""
        sizes = []
        deadline = time.monotonic() + READ_TIMEOUT_S
        while numbers and time.monotonic() < deadline:
            event, data, size = self.frame()
            if event != "batch":
                continue
            sizes.append(size)
            numbers -= {row[0] for row in data.get("tickets", {}).get("rows", [])}
        if numbers:
            raise SystemExit(f"{len(numbers)} tickets never arrived on the stream")
        return sizes

    def close(self) -> None:
        self.conn.close()


def measure_level(port: int, cookie: str, index: int, level: int, updates: int, missed: int, points) -> dict:
    engine = get_engine()
    added = bulk_tickets.add_open_tickets(engine, max(level - open_count(), 0), prefix=f"{PREFIX}{index}")
    time.sleep(1.2)                               # the snapshot is kept a second per process: not the last level's
    snap = snapshot(port, cookie)
    stream = Stream(port, cookie, cursor=snap["cursor"])
    url = f"http://127.0.0.1:{port}"
    per_update = []
    for i in range(updates):
        lon, lat = points[i % len(points)]
        number = post_ticket(url, lon, lat, "sanitation")
        per_update.extend(stream.until({number}))
    last_id = stream.last_id
    stream.close()
    numbers = {post_ticket(url, *points[(updates + i) % len(points)], "sanitation") for i in range(missed)}
    again = Stream(port, cookie, last_event_id=last_id)
    catch_up = again.until(set(numbers))
    again.close()
    return {"level": level, "open_tickets": open_count(), "bulk_added": added, "snapshot": snap["sizes"],
            "snapshot_tickets": snap["tickets"], "updates": len(per_update),
            "update_bytes_median": statistics.median(per_update), "update_bytes_max": max(per_update),
            "reconnect_missed": missed, "reconnect_bytes": sum(catch_up), "reconnect_frames": len(catch_up)}


def run(levels: tuple[int, ...], updates: int, missed: int) -> dict:
    engine = get_engine()
    bulk_tickets.remove(engine, PREFIX)           # what an interrupted run left
    port = free_port()
    app = start_app(port)
    rows = []
    try:
        cookie = session_cookie(f"http://127.0.0.1:{port}", "dispatcher")
        points = inner_points(updates + missed, seed=41)
        for index, level in enumerate(sorted(levels)):
            rows.append(measure_level(port, cookie, index, level, updates, missed, points))
            print(rows[-1], flush=True)
    finally:
        stop(app)
        bulk_tickets.remove(engine, PREFIX)
    same = max(r["update_bytes_max"] for r in rows) - min(r["update_bytes_median"] for r in rows)
    return {"when": datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ"), "load_average": round(os.getloadavg()[0], 2),
            "rows": rows, "target_bytes": 2048,
            "target_met": all(r["update_bytes_max"] <= 2048 for r in rows), "spread_bytes": same}


def markdown(r: dict) -> str:
    lines = [f"# Bytes to an open map per live update, and to (re)build it ({r['when']})", "",
             "A signed-in dispatcher's /live/snapshot and /live/events against `python app.py`; each update is one "
             "ticket posted through /api/v1 and awaited on the stream (the whole SSE frame counted). A reconnect "
             "gives its Last-Event-ID after tickets were posted while it was away. Target (issue 12): ≤ 2,048 bytes "
             f"per update, the same at every level — {'met' if r['target_met'] else 'missed'}; load average "
             f"{r['load_average']}.", "",
             "| open tickets | update bytes (median / max) | snapshot bytes (plain) | snapshot bytes (gzip) | "
             "snapshot ms (gzip, built) | tickets in the snapshot | reconnect: bytes for N missed |",
             "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    return "\n".join(lines + [_table_row(row) for row in r["rows"]]) + "\n"


def _table_row(row: dict) -> str:
    snap = row["snapshot"]
    return (f"| {row['open_tickets']:,} | {row['update_bytes_median']:,.0f} / {row['update_bytes_max']:,} | "
            f"{snap['identity']['bytes']:,} | {snap['gzip']['bytes']:,} | {snap['gzip']['ms']} | "
            f"{row['snapshot_tickets']:,} | {row['reconnect_bytes']:,} for {row['reconnect_missed']} |")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench live-bytes")
    parser.add_argument("--levels", type=whole_numbers, default=LEVELS, help="open tickets, comma-separated")
    parser.add_argument("--updates", type=int, default=20)
    parser.add_argument("--missed", type=int, default=50)
    args = parser.parse_args(argv)
    if args.updates < 1 or args.missed < 1:
        parser.error("--updates and --missed: at least 1")
    result = run(args.levels, args.updates, args.missed)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"live-bytes-{result['when']}.json").write_text(json.dumps(result, indent=1) + "\n")
    (RESULTS / f"live-bytes-{result['when']}.md").write_text(markdown(result))
    print(markdown(result))
    return 0
