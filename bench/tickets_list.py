"""The /tickets list's reads: one page with its counts (services.ticket_list.list_page, what the screen's callback
runs) for typical filters and text searches, p50/p95 over ``--runs`` runs after one warm-up; and for each text
search whether PostgreSQL answers it from the trigram index, with the time of the same query with the index off.

    python -m bench tickets [--runs 30]          # against DATABASE_URL; needs tickets (python -m etl history)

Writes bench/results/tickets-list-<time>.{json,md}.
"""
from __future__ import annotations

import argparse
import json
import statistics
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from sqlalchemy import text

from geo import ticket_search
from geo.db import get_engine
from services import ticket_list
from workorders.policy import Principal

RESULTS = Path(__file__).resolve().parent / "results"
OPERATOR = Principal(id=None, name="bench", roles=frozenset({"operator"}))
CASES: tuple[tuple[str, dict], ...] = (
    ("no filter (newest first)", {}),
    ("open, one street, due first", {"state": ["registered", "dispatched", "accepted", "on_site", "escalated"],
                                     "street": "210302001", "sort": "due_asc"}),
    ("overdue + escalated", {"overdue": True, "escalated": True}),
    ("two categories, a month", {"category": ["water_leak", "heating_cold"], "since": "2026-11-01",
                                 "until": "2026-11-30"}),
    ("text, 2 chars: 漏水", {"q": "漏水"}),
    ("text, 2 chars + street: 漏水", {"q": "漏水", "street": "210302001"}),
    ("text, 4 chars: 楼道漏水", {"q": "楼道漏水"}),
    ("text, 6 chars: 暖气片不热了", {"q": "暖气片不热了"}),
    ("text, no match: 火星大道", {"q": "火星大道"}),
    ("text, Latin (ILIKE): ABC", {"q": "ABC"}),
)


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))]


def timed(run: Callable[[], object], runs: int) -> dict:
    run()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        run()
        samples.append((time.perf_counter() - started) * 1000)
    return {"p50_ms": round(statistics.median(samples), 1), "p95_ms": round(percentile(samples, 95), 1),
            "max_ms": round(max(samples), 1)}


def plan_of(conn, fragment: str, index_on: bool) -> tuple[str, float]:
    """(the scan used, execution ms) of the text condition alone, as geo.ticket_search writes it."""
    conn.execute(text(f"SET LOCAL enable_bitmapscan = {'on' if index_on else 'off'}"))
    op = ticket_search.like_operator(fragment)
    plan = conn.execute(text(f"""EXPLAIN (ANALYZE, FORMAT JSON) SELECT count(*) FROM tickets t
                                 WHERE t.description {op} :p OR t.address {op} :p"""),
                        {"p": ticket_search.like_pattern(fragment)}).scalar()
    top = plan[0]
    nodes, stack = [], [top["Plan"]]
    while stack:
        node = stack.pop()
        nodes.append(node.get("Index Name") or node["Node Type"])
        stack.extend(node.get("Plans", []))
    return " / ".join(dict.fromkeys(nodes)), round(top["Execution Time"], 1)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench tickets")
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args(argv)
    engine = get_engine()
    with engine.connect() as conn:
        tickets = conn.scalar(text("SELECT count(*) FROM tickets"))
    rows = []
    for name, values in CASES:
        query = ticket_list.parse_query(values)
        found = ticket_list.list_page(OPERATOR, query)
        row = {"case": name, "matches": found.total, **timed(lambda: ticket_list.list_page(OPERATOR, query),
                                                             args.runs)}
        if query.text:
            with engine.begin() as conn:
                row["plan"], row["indexed_ms"] = plan_of(conn, query.text, True)
            with engine.begin() as conn:
                row["plan_without_index"], row["seq_ms"] = plan_of(conn, query.text, False)
        rows.append(row)
        print(json.dumps(row, ensure_ascii=False))
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    RESULTS.mkdir(exist_ok=True)
    result = {"tickets": tickets, "runs": args.runs, "cases": rows}
    (RESULTS / f"tickets-list-{stamp}.json").write_text(json.dumps(result, ensure_ascii=False, indent=1))
    lines = [f"# /tickets list: one page + counts (services.ticket_list.list_page), {tickets:,} tickets, "
             f"{args.runs} runs", "", "| case | matches | p50 ms | p95 ms | text condition: plan (ms) | "
             "with the index off (ms) |", "| --- | --- | --- | --- | --- | --- |"]
    for r in rows:
        lines.append(f"| {r['case']} | {r['matches']:,} | {r['p50_ms']} | {r['p95_ms']} | "
                     f"{r.get('plan', '—')} ({r.get('indexed_ms', '—')}) | {r.get('seq_ms', '—')} |")
    (RESULTS / f"tickets-list-{stamp}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0
