"""Intake from outside (issue 12): Open311 clients POSTing tickets to gunicorn (`-w 2 -k gthread --threads 8`, the
set-up the issue measured) with the outbox relay beside it, against the ceiling of single-row INSERT transactions
into a copy of `tickets` (its columns and every index) measured in the same run.

    python -m bench intake [--seconds 10] [--clients 1,10,100] [--rounds 3] [--before REV]

Each round measures, for each number of clients, one after the other: the insert ceiling (that many connections,
at most CEILING_MAX_CONNECTIONS: beyond that PostgreSQL on 2 cores only queues them, and 100 would take every
connection the server allows; one autocommitted INSERT each at a time), this checkout's server and, with
``--before REV``, the server of that commit (a temporary git worktree, its own relay). Clients are one asyncio loop holding ``--clients`` keep-alive connections, each
POSTing as soon as the last answer came. A ticket counts as accepted on a 201 and as relayed once the outbox has
no unpublished row; the figures are medians over the rounds. The Open311 POST rate limit (per client address,
and all clients here share one) is raised for the servers. Writes bench/results/intake-<time>.{json,md}.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from datetime import datetime, timezone
from pathlib import Path

import psycopg2
from sqlalchemy import text

from bench import whole_numbers
from bench.live_latency import RESULTS, ROOT, inner_points
from geo.db import get_engine
from harness.servers import free_port, stop, wait_healthy
from services.api_keys import create_api_key
from settings import get_settings

GTHREAD = ["-w", "2", "-k", "gthread", "--threads", "8", "--timeout", "120"]
CEILING_TABLE = "bench_intake_ceiling"
CEILING_MAX_CONNECTIONS = 16
LEVELS = (1, 10, 100)            # concurrent clients (issue 12)
RELAY_WAIT_S = 120


# ------------------------------------------------------------------------------------------------ servers

class Side:
    """A gunicorn serving ``tree`` and its relay."""

    def __init__(self, name: str, tree: Path):
        self.name, self.tree, self.port = name, tree, free_port()
        env = {**os.environ, "HOST": "127.0.0.1", "PORT": str(self.port), "RUN_RELAY_IN_APP": "false",
               "RATE_LIMIT_ANONYMOUS_INTAKE": "100000000/minute"}
        self.log = open(Path(tempfile.gettempdir()) / f"bench-intake-{self.port}.log", "w")
        self.server = subprocess.Popen([sys.executable, "-m", "gunicorn", *GTHREAD, "app:server"], cwd=tree, env=env,
                                       stdout=self.log, stderr=subprocess.STDOUT)
        self.relay = subprocess.Popen([sys.executable, "-m", "workers", "relay"], cwd=tree, env=env,
                                      stdout=self.log, stderr=subprocess.STDOUT)
        wait_healthy(self.url, self.server, timeout=120)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def close(self) -> None:
        stop(self.server, seconds=30)
        stop(self.relay, seconds=30)
        self.log.close()


# ------------------------------------------------------------------------------------------------ clients

async def _client(port: int, bodies: list[bytes], until: float, latencies: list[float], errors: list[str]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    i = 0
    try:
        while time.perf_counter() < until:
            body = bodies[i % len(bodies)]
            i += 1
            started = time.perf_counter()
            writer.write(b"POST /open311/v2/requests.json HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                         b"Content-Type: application/x-www-form-urlencoded\r\n"
                         b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
            status = await reader.readline()
            length, close = 0, False
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.decode("latin-1").partition(":")
                if name.lower() == "content-length":
                    length = int(value)
                elif name.lower() == "connection" and value.strip().lower() == "close":
                    close = True
            answer = await reader.readexactly(length)
            if b" 201 " in status or b" 200 " in status:
                latencies.append((time.perf_counter() - started) * 1000)
            else:
                errors.append(status.decode().strip() + " " + answer[:200].decode(errors="replace"))
            if close:
                writer.close()
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
    finally:
        writer.close()


def load(side: Side, key: str, points, seconds: float, clients: int) -> dict:
    bodies = [urllib.parse.urlencode({"api_key": key, "service_code": "sanitation", "lat": lat, "long": lon,
                                      "description": f"受理吞吐基准 {i}"}).encode()
              for i, (lon, lat) in enumerate(points)]
    latencies: list[float] = []
    errors: list[str] = []

    async def main() -> None:
        until = time.perf_counter() + seconds
        # each client its share of the bodies (at least one: more clients than bodies, as in the warm-up)
        await asyncio.gather(*(_client(side.port, bodies[c::clients] or [bodies[c % len(bodies)]], until,
                                       latencies, errors) for c in range(clients)))

    started = time.perf_counter()
    asyncio.run(main())
    elapsed = time.perf_counter() - started
    relayed_after = relay_drained()
    ranked = sorted(latencies)
    return {"accepted": len(ranked), "errors": len(errors), "first_errors": errors[:3],
            "tickets_per_s": round(len(ranked) / elapsed, 1),
            "p50_ms": round(statistics.median(ranked), 1) if ranked else None,
            "p95_ms": round(ranked[int(0.95 * (len(ranked) - 1))], 1) if ranked else None,
            "relay_drained_after_s": relayed_after}


def relay_drained() -> float | None:
    """Seconds until every outbox row is published (None: not within RELAY_WAIT_S)."""
    started = time.perf_counter()
    with get_engine().connect() as conn:
        while time.perf_counter() - started < RELAY_WAIT_S:
            if not conn.execute(text("SELECT EXISTS (SELECT 1 FROM outbox WHERE published_at IS NULL)")).scalar():
                return round(time.perf_counter() - started, 1)
            conn.rollback()
            time.sleep(0.2)
    return None


# ------------------------------------------------------------------------------------------------ ceiling

def _dsn() -> str:
    return get_settings().database_url.replace("postgresql+psycopg2://", "postgresql://", 1)


def prepare_ceiling() -> None:
    """A copy of ``tickets``: its columns, constraints of its own and every index (GiST, trigram, btree)."""
    with psycopg2.connect(_dsn()) as conn, conn.cursor() as cur:
        cur.execute(f"DROP TABLE IF EXISTS {CEILING_TABLE}")
        cur.execute(f"CREATE TABLE {CEILING_TABLE} (LIKE tickets INCLUDING DEFAULTS INCLUDING INDEXES INCLUDING CONSTRAINTS)")
        cur.execute(f"ALTER TABLE {CEILING_TABLE} ALTER id DROP DEFAULT")
        cur.execute(f"ALTER TABLE {CEILING_TABLE} ALTER id ADD GENERATED BY DEFAULT AS IDENTITY")


def drop_ceiling() -> None:
    with psycopg2.connect(_dsn()) as conn, conn.cursor() as cur:
        cur.execute(f"DROP TABLE IF EXISTS {CEILING_TABLE}")


def ceiling(points, seconds: float, clients: int) -> dict:
    """Single-row INSERT transactions/s from ``clients`` connections (a ticket-like row each)."""
    clients = min(clients, CEILING_MAX_CONNECTIONS)
    with psycopg2.connect(_dsn()) as conn, conn.cursor() as cur:
        cur.execute(f"TRUNCATE {CEILING_TABLE}")             # each round from an empty table, its numbers anew
    counts = [0] * clients
    until = time.perf_counter() + seconds

    def insert(c: int) -> None:
        conn = psycopg2.connect(_dsn())
        conn.autocommit = True
        with conn.cursor() as cur:
            while time.perf_counter() < until:
                lon, lat = points[(counts[c] * clients + c) % len(points)]
                cur.execute(f"""
                    INSERT INTO {CEILING_TABLE} (number, channel, category_code, description, geom, grid_code,
                        community_code, street_code, priority, complexity, lead_department_code, state,
                        registered_at, updated_at, resolve_due_at)
                    VALUES (%s, 'api', 'sanitation', %s, ST_SetSRID(ST_MakePoint(%s, %s), 4326), 'g', 'c', 's', 3,
                            'simple', 'd', 'registered', now(), now(), now() + interval '3 days')""",
                            (f"C{c}-{counts[c]}", f"受理吞吐基准 {counts[c]}", lon, lat))
                counts[c] += 1
        conn.close()

    threads = [threading.Thread(target=insert, args=(c,)) for c in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {"inserts_per_s": round(sum(counts) / (time.perf_counter() - started), 1)}


# ------------------------------------------------------------------------------------------------ run

def _worktree(rev: str) -> tuple[Path, str]:
    tree = Path(tempfile.mkdtemp(prefix="bench-intake-"))
    subprocess.run(["git", "worktree", "add", "--detach", str(tree), rev], cwd=ROOT, check=True, capture_output=True)
    venv = ROOT / ".venv"
    if venv.exists() and not (tree / ".venv").exists():
        (tree / ".venv").symlink_to(venv.resolve())
    short = subprocess.run(["git", "rev-parse", "--short", rev], cwd=ROOT, check=True, capture_output=True,
                           text=True).stdout.strip()
    return tree, short


def run(seconds: float, levels: tuple[int, ...], rounds: int, before: str | None) -> dict:
    RESULTS.mkdir(parents=True, exist_ok=True)
    points = inner_points(2000, seed=29)
    key = create_api_key(f"bench-intake-{datetime.now(timezone.utc):%Y%m%dT%H%M%S%f}")
    here = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                          text=True).stdout.strip()
    tree, rev = _worktree(before) if before else (None, None)
    sides: list[Side] = []
    rows: dict[int, dict[str, list[dict]]] = {n: {"ceiling": []} for n in levels}
    try:
        prepare_ceiling()
        sides.append(Side(f"this checkout ({here})", ROOT))
        if tree:
            sides.append(Side(f"before ({rev})", tree))
        for side in sides:
            for n in levels:
                rows[n][side.name] = []
            load(side, key, points[:50], 2, max(levels))      # warm-up: each worker imports, connects, prepares
        for _ in range(rounds):
            for n in levels:
                rows[n]["ceiling"].append(ceiling(points, seconds, n))
                print(f"{n} clients: ceiling", rows[n]["ceiling"][-1], flush=True)
                for side in sides:
                    rows[n][side.name].append(load(side, key, points, seconds, n))
                    print(f"{n} clients:", side.name, rows[n][side.name][-1], flush=True)
    finally:
        for side in sides:
            side.close()
        drop_ceiling()
        if tree:
            subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT, capture_output=True)
            shutil.rmtree(tree, ignore_errors=True)
    return {"seconds": seconds, "rounds": rounds, "server": " ".join(GTHREAD),
            "load_average": round(os.getloadavg()[0], 2), "ceiling_max_connections": CEILING_MAX_CONNECTIONS,
            "levels": [summarise(n, rows[n]) for n in levels]}


def _median(values) -> float | None:
    values = [v for v in values if v is not None]
    return round(statistics.median(values), 1) if values else None


def summarise(clients: int, rows: dict[str, list[dict]]) -> dict:
    """The medians over the rounds at one number of clients, each side against the ceiling of the same rounds."""
    ceiling_rate = _median(r["inserts_per_s"] for r in rows["ceiling"])
    result = {"clients": clients, "insert_ceiling_per_s": ceiling_rate, "sides": {}, "runs": rows}
    for name, runs in rows.items():
        if name == "ceiling":
            continue
        rate = _median(r["tickets_per_s"] for r in runs)
        result["sides"][name] = {
            "tickets_per_s": rate, "p50_ms": _median(r["p50_ms"] for r in runs),
            "p95_ms": _median(r["p95_ms"] for r in runs), "errors": sum(r["errors"] for r in runs),
            "relay_drained_after_s": _median(r["relay_drained_after_s"] for r in runs),
            "ratio_to_ceiling": round(rate / ceiling_rate, 3) if rate and ceiling_rate else None}
    return result


def markdown(r: dict, stamp: str) -> str:
    lines = [f"# Intake from outside: Open311 → gunicorn → PostGIS → relay → Redis ({stamp})", "",
             f"Keep-alive Open311 clients, `gunicorn {r['server']}`, the relay as its own process; "
             f"{r['seconds']:.0f} s per measurement, median of {r['rounds']} interleaved rounds; 2 cores shared with "
             f"other work (load average {r['load_average']} at the end). Targets (issue 12): ≥ 1,000 tickets/s and "
             "≥ 0.3 × the insert ceiling.", "",
             "Ceiling: single-row INSERT transactions/s into a copy of `tickets` (columns and every index), as many "
             f"connections as clients, at most {r['ceiling_max_connections']}.", "",
             "| clients | server | tickets/s | p50 ms | p95 ms | ceiling /s | × ceiling | errors | relay drained after (s) |",
             "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for level in r["levels"]:
        for name, s in level["sides"].items():
            lines.append(f"| {level['clients']} | {name} | {s['tickets_per_s']} | {s['p50_ms']} | {s['p95_ms']} | "
                         f"{level['insert_ceiling_per_s']} | {s['ratio_to_ceiling']} | {s['errors']} | "
                         f"{s['relay_drained_after_s']} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench intake")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--clients", type=whole_numbers, default=LEVELS,
                        help="numbers of concurrent clients, comma-separated (default 1,10,100)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--before", help="also serve this commit (e.g. main) for a side-by-side figure")
    args = parser.parse_args(argv)
    result = run(args.seconds, args.clients, args.rounds, args.before)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    (RESULTS / f"intake-{stamp}.json").write_text(json.dumps(result, indent=1) + "\n")
    (RESULTS / f"intake-{stamp}.md").write_text(markdown(result, stamp))
    print(markdown(result, stamp))
