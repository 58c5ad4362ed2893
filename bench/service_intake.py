"""Intake through services.tickets.create_ticket in one process, without HTTP: the ticket reads as prepared
statements (as shipped) against the same reads planned on every call (as before), interleaved in one run.

    python -m bench service-intake [--tickets 200] [--rounds 3]

Each ticket in its own transaction, as a live request; every transaction is rolled back, so nothing stays and
the commit's flush is not in the figure. Writes bench/results/service-intake-<time>.{json,md}.
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

import geo.tickets
from bench.live_latency import RESULTS
from geo.db import execute_prepared, get_engine
from geo.history import report_locations
from services.tickets import categories, create_ticket
from workorders.contract import NewTicket
from workorders.policy import system_principal


def _planned_each_time(conn, name, signature, sql, args):
    """The read as it was: the statement text sent and planned on every call."""
    return conn.execute(text(sql.replace("$1", ":v")), {"v": args[0]})


def _requests(conn, count: int) -> list[NewTicket]:
    places, codes = report_locations(conn), sorted(categories(conn))
    rnd = random.Random(3)
    return [NewTicket(channel="hotline", category=codes[i % len(codes)], description=f"服务层受理基准 {i}",
                      lon=p["lon"], lat=p["lat"]) for i, p in enumerate(rnd.choice(places) for _ in range(count))]


def tickets_per_second(engine, requests) -> float:
    principal = system_principal("基准")
    started = time.perf_counter()
    for request in requests:
        with engine.connect() as conn:
            create_ticket(request, principal, conn=conn)
            conn.rollback()
    return len(requests) / (time.perf_counter() - started)


def run(count: int, rounds: int) -> dict:
    engine = get_engine()
    with engine.connect() as conn:
        requests = _requests(conn, count)
    ways = {"prepared": execute_prepared, "planned_each_time": _planned_each_time}
    rates: dict[str, list[float]] = {name: [] for name in ways}
    for _ in range(rounds + 1):                        # the first round warms both up and is not counted
        for name, way in ways.items():
            geo.tickets.execute_prepared = way
            rates[name].append(tickets_per_second(engine, requests))
    geo.tickets.execute_prepared = execute_prepared
    result = {"tickets": count, "rounds": rounds, "load_average": round(os.getloadavg()[0], 2)}
    for name, values in rates.items():
        result[f"{name}_tickets_per_s"] = round(statistics.median(values[1:]), 1)
        result[f"{name}_runs"] = [round(v, 1) for v in values[1:]]
    result["ratio"] = round(result["prepared_tickets_per_s"] / result["planned_each_time_tickets_per_s"], 2)
    return result


def markdown(r: dict, stamp: str) -> str:
    return f"""# Intake through the service, one process ({stamp})

{r['tickets']} tickets per round, median of {r['rounds']} interleaved rounds, each ticket its own transaction
(rolled back), load average {r['load_average']}.

| ticket reads | tickets/s | rounds |
| --- | ---: | --- |
| prepared statements (`geo.db.execute_prepared`) | {r['prepared_tickets_per_s']} | {r['prepared_runs']} |
| planned on every call (before) | {r['planned_each_time_tickets_per_s']} | {r['planned_each_time_runs']} |

Prepared / planned each time: {r['ratio']}×.
"""


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench service-intake")
    parser.add_argument("--tickets", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    result = run(args.tickets, args.rounds)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"service-intake-{stamp}.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS / f"service-intake-{stamp}.md").write_text(markdown(result, stamp))
    print(json.dumps(result))
