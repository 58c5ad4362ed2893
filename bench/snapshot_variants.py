"""What the second variant of the live snapshot costs: one PostGIS read rendered as the exact variant (dispatcher,
supervisor) and as places (wall, leader: 0.001° lattice, alarms at their community), in one process.

    DATABASE_URL=… REDIS_URL=… python bench/snapshot_variants.py [--rounds 20]

Writes bench/results/snapshot-variants-<time>.md: median ms of the read, of each variant's render + JSON, and the
bytes of each variant.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from services import live  # noqa: E402

RESULTS = ROOT / "bench" / "results"


def timed(work) -> tuple[float, object]:
    started = time.perf_counter()
    value = work()
    return (time.perf_counter() - started) * 1000, value


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=20)
    rounds = parser.parse_args().rounds
    reads, renders, sizes = [], {v.name: [] for v in live.VARIANTS}, {}
    tickets = 0
    for _ in range(rounds):
        ms, read = timed(live._read_snapshot)
        reads.append(ms)
        tickets = len(read["tickets"])
        for variant in live.VARIANTS:
            ms, body = timed(lambda: json.dumps(live._render_snapshot(read, variant), ensure_ascii=False,
                                                separators=(",", ":")).encode())
            renders[variant.name].append(ms)
            sizes[variant.name] = len(body)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    lines = [f"# Live snapshot: one read, two variants ({stamp})", "",
             f"{tickets:,} open tickets, {rounds} rounds, medians (ms).", "",
             "| step | median ms | bytes |", "| --- | --- | --- |",
             f"| PostGIS + Redis read | {statistics.median(reads):.1f} | |"]
    lines += [f"| render + JSON, {name} | {statistics.median(ms):.1f} | {sizes[name]:,} |"
              for name, ms in renders.items()]
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"snapshot-variants-{stamp}.md"
    out.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    print(f"→ {out}")


if __name__ == "__main__":
    main()
