"""A grid-cell click → its panel, server side (issue 12: p95 ≤ 150 ms): the Dash callback a dispatcher's click runs
(callbacks/map_panel.update_panel: the cell's tickets, crews near it, the rendered panel), called as the browser
calls it — POST /_dash-update-component with a signed-in dispatcher's session — in this process through Flask's
test client, so the figure is the server's time without the network. Beside it, the service alone
(services.dispatch.cell_panel), to tell the reads from the rendering.

    python -m bench panel [--open 10000] [--clicks 200]

``--open``: open tickets on the map while clicking (bulk ones added to reach it, removed afterwards). The cells
clicked are drawn at random, the busiest cells among them (the clicks a dispatcher makes most). Writes
bench/results/cell-panel-<time>.{json,md}.
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

from bench.live_clustered import open_count
from bench.live_latency import RESULTS
from bench.tickets_list import percentile
from geo.db import get_engine
from harness import bulk_tickets
from harness.signing_in import csrf_headers, signed_in_client
from screens import ids

PREFIX = "BPANEL"
CLOSED_STATES = "('resolved', 'evaluated', 'closed', 'merged', 'refused')"


def cells_to_click(count: int, seed: int = 5) -> list[dict]:
    """``count`` cells: half the busiest (most open tickets), half at random; with their open-ticket counts."""
    with get_engine().connect() as conn:
        rows = [dict(r) for r in conn.execute(text(f"""
            SELECT g.code, count(t.id) AS open_tickets FROM grids g
            LEFT JOIN tickets t ON t.grid_code = g.code AND t.state NOT IN {CLOSED_STATES}
            GROUP BY g.code ORDER BY open_tickets DESC, g.code""")).mappings()]
    rng = random.Random(seed)
    busiest = rows[:max(1, count // 2)]
    return busiest + [rng.choice(rows) for _ in range(count - len(busiest))]


def panel_callback_body(grid: str) -> dict:
    """The request Dash's renderer sends when a cell of the command map is clicked."""
    outputs = [{"id": ids.PANEL_BODY, "property": "children"}, {"id": ids.PANEL, "property": "className"},
               {"id": ids.PANEL_STATE, "property": "data"}]
    return {"output": f"..{ids.PANEL_BODY}.children...{ids.PANEL}.className...{ids.PANEL_STATE}.data..",
            "outputs": outputs,
            "inputs": [{"id": ids.MAP, "property": "clickData", "value": {"points": [{"location": grid}]}},
                       {"id": ids.LIVE_SELECTED_TICKET, "property": "data", "value": None}, [], [],
                       {"id": ids.PANEL_CLOSE, "property": "n_clicks", "value": None}],
            "state": [{"id": ids.PANEL_STATE, "property": "data", "value": None}],
            "changedPropIds": [f"{ids.MAP}.clickData"]}


def figures(samples: list[float]) -> dict:
    return {"n": len(samples), "p50_ms": round(statistics.median(samples), 1),
            "p95_ms": round(percentile(samples, 95), 1), "max_ms": round(max(samples), 1)}


def run(open_target: int, clicks: int) -> dict:
    from app import app as dash_app
    from services.dispatch import cell_panel
    engine = get_engine()
    bulk_tickets.remove(engine, PREFIX)                   # what an interrupted run left
    added = bulk_tickets.add_open_tickets(engine, max(open_target - open_count(), 0), prefix=PREFIX)
    try:
        client = signed_in_client(dash_app.server, "dispatcher")
        client.get("/")                                     # the page router registered, the CSRF cookie set
        headers = csrf_headers(client)
        cells = cells_to_click(clicks)
        callback_ms, service_ms = [], []
        for i, cell in enumerate([cells[0]] * 3 + cells):   # three warm-up clicks, not counted
            started = time.perf_counter()
            answer = client.post("/_dash-update-component", json=panel_callback_body(cell["code"]), headers=headers)
            elapsed = (time.perf_counter() - started) * 1000
            if answer.status_code != 200 or "grid-panel" not in answer.get_data(as_text=True):
                raise SystemExit(f"the panel callback answered {answer.status_code}: "
                                 f"{answer.get_data(as_text=True)[:300]}")
            started = time.perf_counter()
            cell_panel(cell["code"])
            service = (time.perf_counter() - started) * 1000
            if i >= 3:
                callback_ms.append(elapsed)
                service_ms.append(service)
        on_map = open_count()
    finally:
        bulk_tickets.remove(engine, PREFIX)
    return {"when": datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ"), "open_tickets": on_map,
            "bulk_added": added, "clicks": clicks, "load_average": round(os.getloadavg()[0], 2),
            "busiest_cell_open_tickets": cells[0]["open_tickets"], "callback": figures(callback_ms),
            "service": figures(service_ms), "target_p95_ms": 150,
            "target_met": percentile(callback_ms, 95) <= 150}


def markdown(r: dict) -> str:
    c, s = r["callback"], r["service"]
    return "\n".join([
        f"# Grid-cell click → panel, server side ({r['when']})", "",
        f"{r['clicks']} clicks (half on the busiest cells, the busiest with {r['busiest_cell_open_tickets']} open "
        f"tickets), {r['open_tickets']:,} open tickets in the district ({r['bulk_added']:,} bulk ones added for the "
        f"run), a signed-in dispatcher, in-process (no network); load average {r['load_average']} at the end. "
        f"Target (issue 12): p95 ≤ {r['target_p95_ms']} ms — {'met' if r['target_met'] else 'missed'}.", "",
        "| what | p50 ms | p95 ms | max ms |", "| --- | ---: | ---: | ---: |",
        f"| the click's Dash callback (reads + rendering + JSON) | {c['p50_ms']} | {c['p95_ms']} | {c['max_ms']} |",
        f"| services.dispatch.cell_panel alone (the reads) | {s['p50_ms']} | {s['p95_ms']} | {s['max_ms']} |", ""])


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench panel")
    parser.add_argument("--open", type=int, default=10_000, help="open tickets on the map (default 10,000)")
    parser.add_argument("--clicks", type=int, default=200)
    args = parser.parse_args(argv)
    if args.clicks < 1 or args.open < 0:
        parser.error("--clicks must be at least 1 and --open not negative")
    result = run(args.open, args.clicks)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"cell-panel-{result['when']}.json").write_text(json.dumps(result, indent=1) + "\n")
    (RESULTS / f"cell-panel-{result['when']}.md").write_text(markdown(result))
    print(markdown(result))
    return 0
