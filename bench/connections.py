"""Open live connections against intake and page latency: gunicorn as gunicorn.conf.py configures it (gevent
workers, one Redis read per process) beside the gthread set-up it replaces, side by side in one run.

    python -m bench connections [--counts 0,100,1000] [--probes 40] [--before REV] [--sides gevent,gthread]

For each server (after a warm-up of 12 probes, not counted) and each count: open that many `/live/events` connections (as open maps do, from the snapshot's
cursor), then time `GET /healthz` and `POST /api/v1/tickets` one after the other (`--probes` of each, 0.2 s
apart, 10 s timeout; after 5 timeouts in a row the rest count as timeouts too). The outbox relay runs as its own
process, so every posted ticket is fanned out to every open connection: the bench also counts how many of the
open connections received all posted tickets. Server RSS and threads are summed over gunicorn's processes.

``--before REV`` serves the gthread side from that commit (a temporary git worktree), i.e. the code as it was
before the hub; without it both sides run this checkout. Writes bench/results/connections-<time>.{json,md}.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from datetime import datetime, timezone
from pathlib import Path

from services.api_keys import create_api_key
from bench.live_latency import RESULTS, ROOT, free_port, inner_points
from tests.e2e.conftest import wait_healthy
from tests.signing_in import session_cookie

GTHREAD = ["-w", "4", "-k", "gthread", "--threads", "32", "--timeout", "120"]   # the Dockerfile's until now
PROBE_TIMEOUT = 10.0
NUMBER = re.compile(rb"\d{8}-\d{6}")


# ------------------------------------------------------------------------------------------------ servers

def start_server(name: str, cwd: Path, args: list[str], port: int) -> subprocess.Popen:
    env = {**os.environ, "HOST": "127.0.0.1", "PORT": str(port), "RUN_RELAY_IN_APP": "false"}
    log = open(RESULTS / f"bench-connections-{port}.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", *args, "app:server"], cwd=cwd, env=env,
                            stdout=log, stderr=subprocess.STDOUT)
    wait_healthy(f"http://127.0.0.1:{port}", proc, timeout=120)
    return proc


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)


def process_tree(pid: int) -> list[int]:
    children = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    return [pid, *[p for c in children for p in process_tree(int(c))]]


def rss_and_threads(pid: int) -> tuple[float, int]:
    rss, threads = 0, 0
    for p in process_tree(pid):
        try:
            status = Path(f"/proc/{p}/status").read_text()
        except OSError:
            continue
        rss += int(re.search(r"VmRSS:\s+(\d+)", status).group(1))
        threads += int(re.search(r"Threads:\s+(\d+)", status).group(1))
    return rss / 1024, threads


# ------------------------------------------------------------------------------------------------ open maps

class OpenMaps:
    """``count`` open /live/events connections, held by one asyncio loop in a thread (a browser each)."""

    def __init__(self, port: int, cursor: str, count: int, cookie: str):
        self.port, self.cursor, self.count, self.cookie = port, cursor, count, cookie
        self.connected = 0               # TCP connection made (it may still wait in the server's backlog)
        self.served = 0                  # the server answered 200 and streams
        self.received: list[set[bytes]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._main()), daemon=True)

    def __enter__(self) -> "OpenMaps":
        self._thread.start()
        return self

    def __exit__(self, *_):
        self._stop.set()
        self._thread.join(30)

    async def _main(self) -> None:
        gate = asyncio.Semaphore(100)                  # not a thousand SYNs at once
        tasks = [asyncio.create_task(self._one(gate)) for _ in range(self.count)]
        while not self._stop.is_set():
            await asyncio.sleep(0.2)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _one(self, gate: asyncio.Semaphore) -> None:
        async with gate:
            reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
            self.connected += 1
        seen: set[bytes] = set()
        self.received.append(seen)
        path = "/live/events?cursor=" + urllib.request.quote(self.cursor)
        writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n"
                     f"Cookie: {self.cookie}\r\n\r\n".encode())
        try:
            status = await reader.readline()
            if b" 200 " in status:
                self.served += 1
            while True:
                line = await reader.readline()
                if not line:
                    return
                if line.startswith(b"data:"):
                    seen.update(NUMBER.findall(line))
        finally:
            writer.close()

    def settle(self, seconds: float = 45) -> None:
        """Wait until every connection is made and the count of served ones stops growing."""
        deadline, last, still = time.monotonic() + seconds, -1, 0
        while time.monotonic() < deadline:
            if self.connected == self.count and self.served == last:
                still += 1
                if still >= 6 or self.served == self.count:
                    return
            else:
                still = 0
            last = self.served
            time.sleep(0.5)


# ------------------------------------------------------------------------------------------------ probes

def timed(request: urllib.request.Request) -> float | None:
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=PROBE_TIMEOUT) as answer:
            answer.read()
    except (urllib.error.URLError, TimeoutError, ConnectionError, OSError):
        return None
    return (time.perf_counter() - started) * 1000


def probe(url: str, rounds: int, points: list[tuple[float, float]], key: str) -> tuple[dict[str, list], set[bytes]]:
    samples: dict[str, list[float | None]] = {"healthz": [], "post_ticket": []}
    posted: set[bytes] = set()
    misses = 0
    for i in range(rounds):
        if misses >= 5:                                     # starved: the rest would time out as well
            samples["healthz"].append(None)
            samples["post_ticket"].append(None)
            continue
        samples["healthz"].append(timed(urllib.request.Request(url + "/healthz")))
        lon, lat = points[i % len(points)]
        body = json.dumps({"category": "sanitation", "description": "基准测试：连接数", "lon": lon, "lat": lat})
        request = urllib.request.Request(url + "/api/v1/tickets", data=body.encode(), method="POST",
                                         headers={"Content-Type": "application/json", "X-API-Key": key})
        started = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=PROBE_TIMEOUT) as answer:
                posted.add(json.loads(answer.read())["ticket"]["number"].encode())
            samples["post_ticket"].append((time.perf_counter() - started) * 1000)
        except (urllib.error.URLError, TimeoutError, ConnectionError, OSError):
            samples["post_ticket"].append(None)
        misses = misses + 1 if samples["healthz"][-1] is None else 0
        time.sleep(0.2)
    return samples, posted


def summary(values: list[float | None]) -> dict:
    answered = sorted(v for v in values if v is not None)
    timeouts = len(values) - len(answered)
    ranked = answered + [float("inf")] * timeouts               # a timeout is slower than any answer
    p95 = ranked[max(0, int(round(0.95 * len(ranked))) - 1)]
    return {"n": len(values), "timeouts": timeouts, "median_ms": statistics.median(ranked) if ranked else None,
            "p95_ms": p95}


def cursor_of(url: str, cookie: str) -> str:
    request = urllib.request.Request(url + "/live/snapshot", headers={"Cookie": cookie})
    with urllib.request.urlopen(request, timeout=60) as answer:
        return json.loads(answer.read())["cursor"]


def measure(name: str, cwd: Path, args: list[str], counts: list[int], rounds: int, points, key: str) -> list[dict]:
    port = free_port()
    proc = start_server(name, cwd, args, port)
    url = f"http://127.0.0.1:{port}"
    # Open maps are a dispatcher's (the feed needs a session); tickets come from an integration's key, which the
    # anonymous-intake rate limit does not count. An earlier checkout without sign-in ignores both.
    cookie = session_cookie(url, "dispatcher")
    rows = []
    try:
        probe(url, 12, points, key)               # warm-up, not counted: each worker's first requests import and connect
        for count in counts:
            cursor = cursor_of(url, cookie)
            with OpenMaps(port, cursor, count, cookie) as maps:
                maps.settle()
                rss, threads = rss_and_threads(proc.pid)
                samples, posted = probe(url, rounds, points, key)
                time.sleep(5)                                   # fan-out of the last tickets
                complete = sum(1 for seen in maps.received if posted and posted <= seen)
                row = {"server": name, "open": count, "connected": maps.connected, "served": maps.served,
                       "received_all_tickets": complete, "posted": len(posted), "rss_mb": round(rss, 1),
                       "threads": threads, "healthz": summary(samples["healthz"]),
                       "post_ticket": summary(samples["post_ticket"]), "samples": samples}
            rows.append(row)
            print(f"{name:<40} open={count:<5} served={row['served']:<5} healthz p95={row['healthz']['p95_ms']:.0f} ms "
                  f"POST p95={row['post_ticket']['p95_ms']:.0f} ms  all tickets on {complete}/{count}", flush=True)
            time.sleep(3)
    finally:
        stop(proc)
    return rows


def relay() -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "workers", "relay"], cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def run(counts: list[int], rounds: int, before: str | None, sides: tuple[str, ...] = ("gevent", "gthread")) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    points = inner_points(rounds, seed=23)
    tree, rev = ROOT, "this checkout"
    if before:
        tree = Path(tempfile.mkdtemp(prefix="bench-connections-"))
        subprocess.run(["git", "worktree", "add", "--detach", str(tree), before], cwd=ROOT, check=True,
                       capture_output=True)
        rev = subprocess.run(["git", "rev-parse", "--short", before], cwd=ROOT, check=True, capture_output=True,
                             text=True).stdout.strip()
    relay_proc = relay()
    key = create_api_key(f"bench-connections-{datetime.now(timezone.utc):%Y%m%dT%H%M%S%f}")
    try:
        rows = []
        if "gevent" in sides:
            rows += measure("gevent (gunicorn.conf.py, this checkout)", ROOT, ["-c", "gunicorn.conf.py"], counts,
                            rounds, points, key)
        if "gthread" in sides:
            rows += measure(f"gthread -w 4 --threads 32 ({rev})", tree, GTHREAD, counts, rounds, points, key)
    finally:
        stop(relay_proc)
        if before:
            subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT, capture_output=True)
            shutil.rmtree(tree, ignore_errors=True)
    write(rows, rounds, rev)


def _ms(value: float | None) -> str:
    return "no answer" if value is None or value == float("inf") else f"{value:.0f}"


def write(rows: list[dict], rounds: int, rev: str) -> None:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    lines = ["| server | open maps | served | /healthz median | /healthz p95 | POST ticket median | POST ticket p95 "
             "| timeouts (healthz/POST) | open maps that got every ticket | RSS MB | threads |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in rows:
        h, p = r["healthz"], r["post_ticket"]
        lines.append(f"| {r['server']} | {r['open']} | {r['served']} | {_ms(h['median_ms'])} | {_ms(h['p95_ms'])} | "
                     f"{_ms(p['median_ms'])} | {_ms(p['p95_ms'])} | {h['timeouts']}/{p['timeouts']} | "
                     f"{r['received_all_tickets']}/{r['open']} | {r['rss_mb']} | {r['threads']} |")
    report = "\n".join(lines) + (
        f"\n\nms; {rounds} probes of each per row, one after the other, 0.2 s apart, {PROBE_TIMEOUT:.0f} s timeout "
        "(a timeout ranks slower than any answer; after 5 in a row the rest are counted as timeouts). 'served' = "
        "connections the server answered; the others wait in its accept queue. The relay runs as its own process, "
        f"so each posted ticket is fanned out to every open map. gthread side: {rev}.")
    (RESULTS / f"connections-{stamp}.json").write_text(json.dumps({"when": stamp, "rows": rows}, indent=1))
    (RESULTS / f"connections-{stamp}.md").write_text(
        f"# Open live connections vs intake and page latency, {stamp}\n\n"
        f"2 cores, shared with other work; gunicorn with 4 workers on both sides.\n\n{report}\n")
    print(report)


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench connections")
    parser.add_argument("--counts", default="0,100,1000")
    parser.add_argument("--probes", type=int, default=40)
    parser.add_argument("--before", help="serve the gthread side from this commit")
    parser.add_argument("--sides", default="gevent,gthread", help="which servers to measure (a quick look at one)")
    args = parser.parse_args(argv)
    run([int(c) for c in args.counts.split(",")], args.probes, args.before, tuple(args.sides.split(",")))
