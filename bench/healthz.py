"""/healthz's cost: the checks it runs now (services/health.py) against what it ran before (one count of the grids,
served here as /healthz-before), both through Flask, in alternated rounds in one process on the same machine.

    DATABASE_URL=… REDIS_URL=… python bench/healthz.py [--rounds 300]

Writes bench/results/healthz-<time>.md: median and p95 (ms) of each, through Flask's test client (no network).
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402

from geo.db import get_engine  # noqa: E402

RESULTS = ROOT / "bench" / "results"


def before():
    """The /healthz of before this change, word for word."""
    from flask import jsonify
    with get_engine().connect() as conn:
        grids = conn.scalar(text("SELECT count(*) FROM grids"))
    return jsonify(status="ok", grids=grids)


def summary(samples: list[float]) -> str:
    ordered = sorted(samples)
    return f"{statistics.median(ordered):.2f} | {ordered[int(0.95 * (len(ordered) - 1))]:.2f}"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=300)
    args = parser.parse_args()
    from app import server
    server.add_url_rule("/healthz-before", "healthz_before", before)
    client = server.test_client()
    samples: dict[str, list[float]] = {"before: count of the grids": [], "now: services/health.py": []}
    paths = dict(zip(samples, ("/healthz-before", "/healthz")))
    for path in paths.values():
        assert client.get(path).status_code == 200        # warm-up: connections, plans; and both answer 200
    for _ in range(args.rounds):
        for name, path in paths.items():
            started = time.perf_counter()
            client.get(path)
            samples[name].append((time.perf_counter() - started) * 1000)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    lines = [f"# /healthz cost, {stamp}", "", f"{args.rounds} alternated rounds in one process, Flask test client, "
             f"database {get_engine().url.database}, load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores.", "", "| what | median ms | p95 ms |", "| --- | --- | --- |"]
    lines += [f"| {name} | {summary(times)} |" for name, times in samples.items()]
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"healthz-{stamp}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
