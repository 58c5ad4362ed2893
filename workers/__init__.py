"""The long-running processes, each a step in the one supervised loop (workers/loop.py):

- relay.py       outbox → Redis stream (events.relay), pruning published outbox events
- positions.py   crew positions stream → PostGIS tracks (events.positions), trimming the stream behind the
                 ``tracks`` group, pruning old track points
- escalation.py  late tickets one level up (services.tickets.escalate_overdue), recording each sweep for /healthz
- supervisor.py  `make run`: gunicorn, these three and the simulator as child processes

Run one as a process: `python -m workers relay|positions|escalate [--once]` (docker-compose does, one service
each). `python app.py` runs all three as threads of the dashboard process instead (start_in_process).
"""
from __future__ import annotations

import threading


def start_in_process(stop: threading.Event | None = None) -> tuple[threading.Event, list[threading.Thread]]:
    """The one-process set-up (`python app.py`, RUN_RELAY_IN_APP): relay, ingester and sweep as daemon threads."""
    from workers.escalation import run_sweeps
    from workers.positions import run_position_ingester
    from workers.relay import run_relay
    stop = stop or threading.Event()
    threads = [threading.Thread(target=target, args=(stop,), name=name, daemon=True)
               for name, target in (("outbox-relay", run_relay), ("position-ingester", run_position_ingester),
                                    ("escalation", run_sweeps))]
    for thread in threads:
        thread.start()
    return stop, threads
