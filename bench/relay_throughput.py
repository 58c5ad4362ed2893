"""How fast the outbox relay empties a backlog: one relay, then two at once.

    .venv/bin/python bench/relay_throughput.py [--rows 20000] [--batch 500]

Makes its own scratch database next to DATABASE_URL (dropped afterwards) and a stream of its own on REDIS_URL
(deleted afterwards), so it touches nothing else. Prints one line per run; results go in bench/results/.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import threading
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg2
import redis
from psycopg2 import sql as pgsql
from sqlalchemy import text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from events.relay import Relay  # noqa: E402
from geo.db import make_engine  # noqa: E402
from settings import get_settings  # noqa: E402


def with_db(url: str, name: str) -> str:
    p = urlsplit(url)
    return urlunsplit((p.scheme, p.netloc, "/" + name, p.query, p.fragment))


def fill(engine, rows: int) -> None:
    payload = '{"event": "ticket.created", "ticket": {"number": "20260101-000001", "state": "registered"}}'
    with engine.begin() as conn:
        conn.execute(text("UPDATE outbox SET published_at = now() WHERE published_at IS NULL"))
        conn.execute(text("""INSERT INTO outbox (topic, event_type, payload, created_at)
                             SELECT 'tickets', 'ticket.created', CAST(:p AS jsonb), :at FROM generate_series(1, :n)"""),
                     {"p": payload, "at": datetime.now(timezone.utc), "n": rows})


def run(engine, client, stream: str, relays: int, batch: int, rows: int) -> float:
    fill(engine, rows)
    workers = [Relay(engine, client, stream=stream, batch_size=batch) for _ in range(relays)]
    started = time.perf_counter()
    threads = [threading.Thread(target=r.drain) for r in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - started
    assert sum(r.stats.published for r in workers) == rows
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=500)
    args = parser.parse_args()
    settings = get_settings()
    name = f"relay_bench_{uuid.uuid4().hex[:8]}"
    admin = psycopg2.connect(with_db(settings.database_url, "postgres"))
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(pgsql.SQL("CREATE DATABASE {}").format(pgsql.Identifier(name)))
    url = with_db(settings.database_url, name)
    client = redis.Redis.from_url(settings.redis_url)
    stream = f"bench:relay:{name}"
    try:
        subprocess.run([sys.executable, "-m", "alembic", "upgrade", "head"], cwd=ROOT, check=True,
                       env={**os.environ, "DATABASE_URL": url}, capture_output=True)
        engine = make_engine(url)
        for relays in (1, 2):
            seconds = run(engine, client, stream, relays, args.batch, args.rows)
            print(f"{relays} relay(s), batch {args.batch}: {args.rows} events in {seconds:.2f} s "
                  f"= {args.rows / seconds:,.0f} events/s")
        engine.dispose()
    finally:
        client.delete(stream)
        with admin.cursor() as cur:
            cur.execute(pgsql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(pgsql.Identifier(name)))
        admin.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
