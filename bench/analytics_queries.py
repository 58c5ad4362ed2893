"""The leader view's queries over the whole history: straight from the tickets (raw) against the pre-aggregate
(ticket_grid_hourly), side by side, plus the refreshes.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/tiedong_bench python bench/analytics_queries.py [--runs 9]

Needs the history in that database (`python -m etl history`). Writes bench/results/analytics-<time>.{json,md}: the
median and the spread (min–max) of ``--runs`` runs of each query after one warm-up run. "raw" is what the screen
would run without the aggregate: geo.stats' queries (the statistics module) where it has them, the same reads on
the tickets table (geo.analytics.raw_*) where it has not.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402

from geo import analytics as agg  # noqa: E402
from geo import stats as raw  # noqa: E402
from geo.db import get_engine  # noqa: E402
from services import analytics, stats  # noqa: E402
from settings import get_settings  # noqa: E402

RESULTS = ROOT / "bench" / "results"


def timed(run: Callable[[], object], runs: int) -> dict:
    run()                                                   # warm-up: plans and pages in cache
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        run()
        samples.append((time.perf_counter() - started) * 1000)
    return {"median_ms": round(statistics.median(samples), 2), "min_ms": round(min(samples), 2),
            "max_ms": round(max(samples), 2), "samples_ms": [round(s, 2) for s in samples]}


def pairs(conn, window: stats.Window, filtered: dict, tz: str, now: datetime) -> list[tuple[str, Callable, Callable]]:
    """(name, raw, aggregate) for every read of one screen update, and the replay of the window's last day."""
    zone = ZoneInfo(tz)
    start, end = window.bounds(zone)
    scope = agg.Scope(start, end)
    previous = analytics.previous_window(window)
    previous_scope = agg.Scope(*previous.bounds(zone))
    last_day = agg.Scope(*stats.Window(window.end, window.end).bounds(zone))
    narrow = agg.Scope(start, end, **filtered)
    return [
        ("KPI totals", lambda: raw.totals(conn, start, end, now), lambda: agg.totals(conn, scope)),
        ("KPI totals, previous period", lambda: raw.totals(conn, *previous.bounds(zone), now),
         lambda: agg.totals(conn, previous_scope)),
        ("tickets per grid (map)", lambda: agg.raw_received_by_grid(conn, scope),
         lambda: agg.received_by_grid(conn, scope)),
        ("all counts per grid (geo.stats)", lambda: raw.counts_by(conn, "grid", start, end, now, tz),
         lambda: agg.received_by_grid(conn, scope)),
        ("trend per day", lambda: raw.counts_by(conn, "day", start, end, now, tz), lambda: agg.by_day(conn, scope, tz)),
        ("top-10 hot grids vs previous", lambda: agg.raw_hotspots(conn, scope, previous_scope),
         lambda: agg.hotspots(conn, scope, previous_scope)),
        ("department ranking", lambda: raw.department_counts(conn, start, end, now),
         lambda: agg.department_counts(conn, scope)),
        ("per grid, filtered (category+street)", lambda: agg.raw_received_by_grid(conn, narrow),
         lambda: agg.received_by_grid(conn, narrow)),
        ("replay: one day per hour × grid", lambda: agg.raw_day_by_hour_and_grid(conn, last_day, tz),
         lambda: agg.day_by_hour_and_grid(conn, last_day, tz)),
    ]


def busiest(conn, column: str) -> str:
    return conn.execute(text(f"SELECT {column} FROM tickets GROUP BY 1 ORDER BY count(*) DESC LIMIT 1")).scalar()


def refreshes(engine, runs: int) -> list[dict]:
    """Full refresh; incremental with nothing to do; incremental after changes in the last 24 hours (their hours
    logged as dirty, which is what the triggers do when tickets change)."""
    out = []
    full = [analytics.refresh(full=True, engine=engine) for _ in range(max(3, runs // 3))]
    out.append({"refresh": "full (every ticket)", "rows": full[-1].rows,
                "median_ms": round(statistics.median(r.seconds for r in full) * 1000, 1)})
    idle = [analytics.refresh(engine=engine) for _ in range(runs)]
    out.append({"refresh": "incremental, nothing changed", "rows": 0,
                "median_ms": round(statistics.median(r.seconds for r in idle) * 1000, 1)})
    busy = []
    for _ in range(runs):
        with engine.begin() as conn:
            conn.execute(text("""INSERT INTO ticket_hours_dirty (hour)
                                 SELECT generate_series(date_trunc('hour', now(), 'UTC') - interval '23 hours',
                                                        date_trunc('hour', now(), 'UTC'), interval '1 hour')"""))
        busy.append(analytics.refresh(engine=engine))
    out.append({"refresh": "incremental, 24 changed hours", "rows": busy[-1].rows,
                "median_ms": round(statistics.median(r.seconds for r in busy) * 1000, 1)})
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args(argv)
    settings = get_settings()
    engine = get_engine()
    tz = settings.timezone
    with engine.connect() as conn:
        tickets = conn.execute(text("SELECT count(*) FROM tickets")).scalar()
        if tickets < 1000:
            print(f"error: only {tickets} tickets in {engine.url.database}: run `python -m etl history` first",
                  file=sys.stderr)
            return 2
    refresh_rows = refreshes(engine, args.runs)
    first, last = analytics.history_extent(engine)
    now = datetime.now(timezone.utc)
    windows = {"全部 (whole history)": stats.Window(first, last),
               "近30天 (last 30 days)": stats.Window(last - timedelta(days=29), last)}
    rows = []
    with engine.connect() as conn:
        filtered = {"categories": (busiest(conn, "category_code"),), "streets": (busiest(conn, "street_code"),)}
        aggregate_rows = agg.aggregate_rows(conn)
        for label, window in windows.items():
            for name, raw_run, agg_run in pairs(conn, window, filtered, tz, now):
                r, a = timed(raw_run, args.runs), timed(agg_run, args.runs)
                rows.append({"window": label, "query": name, "raw": r, "aggregate": a,
                             "speed-up": round(r["median_ms"] / max(a["median_ms"], 0.01), 1)})
        overview = timed(lambda: analytics.overview(analytics.Filters(windows["全部 (whole history)"]), engine=engine),
                         args.runs)
    result = {"database": engine.url.database, "tickets": tickets, "aggregate_rows": aggregate_rows,
              "history": [first.isoformat(), last.isoformat()], "runs": args.runs,
              "at": datetime.now(timezone.utc).isoformat(timespec="seconds"), "queries": rows,
              "screen_update_whole_history": overview, "refreshes": refresh_rows}
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    (RESULTS / f"analytics-{stamp}.json").write_text(json.dumps(result, ensure_ascii=False, indent=1))
    (RESULTS / f"analytics-{stamp}.md").write_text(report(result))
    print(report(result))
    return 0


def report(result: dict) -> str:
    lines = [f"# Leader view queries, {result['at']}", "",
             f"{result['tickets']:,} tickets ({result['history'][0]} – {result['history'][1]}) in "
             f"`{result['database']}`; aggregate: {result['aggregate_rows']:,} rows. Median of {result['runs']} runs "
             "after a warm-up (min–max in brackets), milliseconds.", "",
             "| window | query | raw tickets | aggregate | speed-up |", "| --- | --- | ---: | ---: | ---: |"]
    for row in result["queries"]:
        r, a = row["raw"], row["aggregate"]
        lines.append(f"| {row['window']} | {row['query']} | {r['median_ms']:.1f} ({r['min_ms']:.0f}–{r['max_ms']:.0f}) "
                     f"| {a['median_ms']:.1f} ({a['min_ms']:.0f}–{a['max_ms']:.0f}) | {row['speed-up']}× |")
    o = result["screen_update_whole_history"]
    lines += ["", f"Whole screen update (services.analytics.overview, all its reads, whole history): "
                  f"median {o['median_ms']:.1f} ms ({o['min_ms']:.0f}–{o['max_ms']:.0f}).", "",
              "| refresh | median (ms) | rows written |", "| --- | ---: | ---: |"]
    for row in result["refreshes"]:
        lines.append(f"| {row['refresh']} | {row['median_ms']:.1f} | {row['rows']:,} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
