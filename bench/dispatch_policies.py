"""python -m bench dispatch [SEEDS] — nearest-first vs fewest-breaches dispatch on the same seeded days.

The reference crews of the departments that hold arrival deadlines (water, heating, power, gas, police) at their
stations, calls at the grid cells' buildings and outdoor spots, on an ordinary day (a weekday in May) and a
heating-season surge (a January cold-snap weekday at several times the load). Each seed is one day played under both
rules with identical calls (simulation/dispatch_day.py). Writes bench/results/dispatch-<time>.{json,md}: per
scenario the medians over seeds of breaches, priority-weighted breaches, mean/p95 minutes to arrival and crew km,
and the ratio fewest-breaches / nearest-first measured on the same days.
"""
from __future__ import annotations

import json
import statistics
import sys
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from geo.crews import live_crews
from geo.db import get_engine
from geo.simulation import report_places
from services.tickets import categories
from settings import get_settings
from simulation.dispatch_day import Crew, draw_calls, local_metres, play_day

RESULTS = Path(__file__).resolve().parent / "results"
# Deadline calls a day. An ordinary day of the district's desk and a cold-snap morning's surge; the live simulator's
# DAILY_TICKETS (45, all categories) is far below the contention a surge brings, so these are set here and named.
SCENARIOS = {
    "ordinary_day": (datetime(2026, 5, 12), 160.0),
    "heating_surge": (datetime(2026, 1, 13), 240.0),
}


def reference(conn) -> tuple[list[Crew], list[tuple[float, float]], dict[str, dict]]:
    rules = {code: {"departments": sorted(set(c.departments)), "priority": c.priority,
                    "arrival_minutes": c.arrival_minutes}
             for code, c in categories(conn).items() if c.arrival_minutes}
    departments = {d for r in rules.values() for d in r["departments"]}
    rows = [r for r in live_crews(conn) if r["department_code"] in departments and r["kind"] != "社区辅警"]
    lon0 = statistics.fmean(r["lon"] for r in rows)
    lat0 = statistics.fmean(r["lat"] for r in rows)
    crews = [Crew(r["code"], r["department_code"], *local_metres(r["lon"], r["lat"], lon0, lat0)) for r in rows]
    places = [local_metres(lon, lat, lon0, lat0) for g in report_places(conn, get_settings().reference_seed)
              for lon, lat, _ in (g["building"][:3] + g["outdoor"][:2])]
    return crews, places, rules


def run(seeds: int = 5) -> dict:
    settings = get_settings()
    tz = ZoneInfo(settings.timezone)
    with get_engine().connect() as conn:
        crews, places, rules = reference(conn)
    out: dict = {"when": time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()), "crews": len(crews),
                 "categories": rules, "seeds": seeds, "scenarios": {}}
    for name, (day, volume) in SCENARIOS.items():
        days = []
        for seed in range(seeds):
            calls = draw_calls(day.replace(tzinfo=tz), tz, volume, places, rules, seed)
            days.append({p: play_day(calls, crews, p, settings.crew_speed_kmh).as_dict()
                         for p in ("nearest_first", "fewest_breaches")})
        out["scenarios"][name] = {"calls_per_day": volume, "days": days, "median": _medians(days)}
    return out


def _medians(days: list[dict]) -> dict:
    figures = ("breaches", "weighted_breaches", "mean_arrival_minutes", "p95_arrival_minutes", "crew_km")
    med = {p: {f: statistics.median(d[p][f] for d in days) for f in figures}
           for p in ("nearest_first", "fewest_breaches")}
    med["ratio"] = {f: round(statistics.median(
        d["fewest_breaches"][f] / d["nearest_first"][f] for d in days if d["nearest_first"][f]), 3)
        for f in figures}
    return med


def write(results: dict) -> Path:
    RESULTS.mkdir(exist_ok=True)
    stamp = results["when"]
    (RESULTS / f"dispatch-{stamp}.json").write_text(json.dumps(results, indent=1, ensure_ascii=False))
    lines = [f"# Dispatch rules on the same seeded days ({results['seeds']} seeds, {results['crews']} crews)", "",
             "| scenario | rule | breaches | weighted | mean arrival min | p95 arrival min | crew km |",
             "| --- | --- | ---: | ---: | ---: | ---: | ---: |"]
    for name, s in results["scenarios"].items():
        for rule in ("nearest_first", "fewest_breaches", "ratio"):
            m = s["median"][rule]
            lines.append(f"| {name} ({s['calls_per_day']:.0f}/day) | {rule} | {m['breaches']:g} | "
                         f"{m['weighted_breaches']:g} | {m['mean_arrival_minutes']:.2f} | "
                         f"{m['p95_arrival_minutes']:.2f} | {m['crew_km']:.1f} |")
    lines += ["", "Medians over seeds; ratio = fewest_breaches / nearest_first, the median of per-day ratios."]
    path = RESULTS / f"dispatch-{stamp}.md"
    path.write_text("\n".join(lines) + "\n")
    return path


def main(argv: list[str]) -> None:
    results = run(int(argv[0]) if argv else 5)
    print(write(results).read_text())


if __name__ == "__main__":
    main(sys.argv[1:])
