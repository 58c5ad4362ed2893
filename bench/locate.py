"""Locate + route many points: services.locate.locate_and_route (one statement for all points, routes per
category and street) beside intake's way, one point at a time (geo.tickets.place_of_point + routing.route per
point, one round trip each), in one run on this machine's database.

    python -m bench locate [--points 20000] [--runs 5] [--single 2000]

The points are the report places of the history (buildings and cameras, all inside the district), each moved by
up to ~50 m at random, with categories in turn. Each figure is the median of ``--runs`` runs after a warm-up; the
batch is also run with JIT left on, to show what ``jit = off`` (geo.grids._jit_off) buys.
Writes bench/results/locate-<time>.{json,md}.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import time
from datetime import datetime, timezone

from sqlalchemy import text

from bench.live_latency import RESULTS
from geo.db import get_engine
from geo.history import report_locations
from geo.tickets import place_of_point
from services.locate import locate_and_route
from services.tickets import categories
from workorders.routing import route

TARGET_POINTS_PER_SECOND = 20_000


def sample_points(conn, count: int, seed: int = 12) -> list[tuple[float, float, str]]:
    places, codes = report_locations(conn), sorted(categories(conn))
    rnd = random.Random(seed)
    return [(p["lon"] + rnd.uniform(-5e-4, 5e-4), p["lat"] + rnd.uniform(-4e-4, 4e-4), codes[i % len(codes)])
            for i, p in enumerate(rnd.choice(places) for _ in range(count))]


def one_at_a_time(conn, points, catalogue) -> int:
    found = 0
    for lon, lat, code in points:
        place = place_of_point(conn, lon, lat)
        if place is not None:
            route(catalogue[code], place["street_code"])
            found += 1
    return found


def points_per_second(call, count: int, runs: int) -> tuple[float, list[float]]:
    call()                                           # warm-up: caches, the plan, the catalogue
    rates = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        rates.append(count / (time.perf_counter() - started))
    return statistics.median(rates), [round(r) for r in rates]


def run(points: int, runs: int, single: int) -> dict:
    engine = get_engine()
    with engine.connect() as conn:
        sample = sample_points(conn, points)
        catalogue = categories(conn)
        inside = sum(x is not None for x in locate_and_route(conn, sample, catalogue))
        batch, batch_runs = points_per_second(lambda: locate_and_route(conn, sample, catalogue), points, runs)
        with_jit = conn.execute(text("SELECT set_config('jit', 'on', false)")).scalar()
        jit_rate, jit_runs = points_per_second(lambda: _places_with_jit(conn, sample), points, runs)
        few = sample[:single]
        one, one_runs = points_per_second(lambda: one_at_a_time(conn, few, catalogue), single, max(1, runs // 2))
        conn.rollback()
    return {"points": points, "inside": inside, "runs": runs, "batch_points_per_s": round(batch),
            "batch_runs": batch_runs, "batch_with_jit_points_per_s": round(jit_rate), "batch_with_jit_runs": jit_runs,
            "jit_setting_during_that": with_jit, "single_points": single, "single_points_per_s": round(one),
            "single_runs": one_runs, "batch_over_single": round(batch / one, 1),
            "target_points_per_s": TARGET_POINTS_PER_SECOND, "target_met": batch >= TARGET_POINTS_PER_SECOND,
            "load_average": round(os.getloadavg()[0], 2)}


def _places_with_jit(conn, sample) -> None:
    """The batch statement of geo.grids.places_at without its JIT guard (what it cost before)."""
    conn.execute(text("""
        SELECT p.n, g.grid_code, g.community_code, g.street_code
        FROM unnest(CAST(:lons AS float8[]), CAST(:lats AS float8[])) WITH ORDINALITY AS p(lon, lat, n)
        LEFT JOIN LATERAL grid_at(ST_SetSRID(ST_MakePoint(p.lon, p.lat), 4326)) AS g ON true
        ORDER BY p.n"""), {"lons": [p[0] for p in sample], "lats": [p[1] for p in sample]}).all()


def markdown(result: dict, stamp: str) -> str:
    met = "met" if result["target_met"] else "MISSED"
    return f"""# Locate + route in batch ({stamp})

{result['points']:,} points ({result['inside']:,} inside the district), median of {result['runs']} runs,
load average {result['load_average']}.

| way | points/s | runs |
| --- | ---: | --- |
| `services.locate.locate_and_route` (one statement, JIT off) | {result['batch_points_per_s']:,} | {result['batch_runs']} |
| the same statement with JIT on (locate only) | {result['batch_with_jit_points_per_s']:,} | {result['batch_with_jit_runs']} |
| one point at a time, as intake does ({result['single_points']:,} points) | {result['single_points_per_s']:,} | {result['single_runs']} |

Batch / one at a time: {result['batch_over_single']}×. Target ≥ {result['target_points_per_s']:,} points/s: {met}.
"""


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench locate")
    parser.add_argument("--points", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--single", type=int, default=2_000)
    args = parser.parse_args(argv)
    result = run(args.points, args.runs, args.single)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"locate-{stamp}.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS / f"locate-{stamp}.md").write_text(markdown(result, stamp))
    print(json.dumps(result))
