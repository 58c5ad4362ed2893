"""The escalation sweep as a worker: services.tickets.escalate_overdue (the rule) every ``every`` seconds.

Each successful sweep is recorded in Redis (events.bus.record_worker_run, key ``workers:escalation:last_run``)
for /healthz. Two sweeps at once are safe: each locks the late tickets it takes (FOR UPDATE SKIP LOCKED), so
the other passes them by, and a ticket goes up one level per sweep at most.

Held tickets (挂起) are never escalated (their clock stands still); a hold older than HOLD_MAX_HOURS is ended
first, at that maximum (services.handling.resume_expired_holds), and its ticket is judged by its moved deadlines.

On the way (every RETENTION_EVERY_SECONDS) it sweeps the photo store's staged files that a crash left behind
(services.media.sweep_temporary_files: published when their row was committed, deleted otherwise).

After each sweep it re-scores every open ticket's breach risk with the newest stored model
(services.predictions.score_open_tickets; nothing happens before `python -m etl train` has stored one). A scoring
failure is logged and waits for the next sweep: predictions must never stop escalation.
"""
from __future__ import annotations

import logging
import threading

import redis
from sqlalchemy.engine import Engine

from events.bus import ESCALATION_SWEEP, get_redis, record_worker_run
from services.handling import resume_expired_holds
from services.media import sweep_temporary_files
from services.predictions import score_open_tickets
from services.tickets import escalate_overdue, raise_arrival_breaches
from settings import get_settings
from workers.loop import Every, SupervisedLoop, first_line

log = logging.getLogger("workers.escalation")


def sweep(engine: Engine | None = None, client: redis.Redis | None = None) -> list[str]:
    """One sweep; the numbers of the tickets it escalated. Raises when the database (or, recording the run,
    Redis) fails: the escalations themselves are committed before the run is recorded."""
    # A hold past HOLD_MAX_HOURS ends first (its deadlines move by that maximum), then the late are judged.
    resumed = resume_expired_holds(engine=engine)
    if resumed:
        log.info("hold past its maximum, resumed %d ticket(s): %s", len(resumed), ", ".join(resumed))
    arrivals = raise_arrival_breaches(engine=engine)
    if arrivals:
        log.info("arrival deadline missed, raised %d ticket(s): %s", len(arrivals), ", ".join(arrivals))
    numbers = escalate_overdue(engine=engine)
    record_worker_run(client or get_redis(), ESCALATION_SWEEP,
                      ttl_seconds=get_settings().health_max_sweep_age_seconds)
    return numbers


def sweep_loop(every: float | None = None, engine: Engine | None = None,
               client: redis.Redis | None = None) -> SupervisedLoop:
    every = every or get_settings().escalation_every_seconds
    staged_photos = Every(lambda: sweep_temporary_files(engine=engine), "staged photo files left by a crash",
                          log=log)

    def step() -> float:
        staged_photos.due()
        numbers = sweep(engine, client)
        if numbers:
            log.info("escalated %d ticket(s): %s", len(numbers), ", ".join(numbers))
        rescore(engine)
        return every

    return SupervisedLoop("escalation sweep", step, log=log, first_backoff=1.0, max_backoff=min(every, 30.0))


def rescore(engine: Engine | None = None) -> int:
    try:
        return score_open_tickets(engine=engine)
    except Exception as error:  # noqa: BLE001 - see the module docstring
        log.warning("breach-risk scoring failed: %s", first_line(error))
        return 0


def run_sweeps(stop: threading.Event, every: float | None = None) -> None:
    """Sweep at once, then every ``every`` seconds (settings.escalation_every_seconds), until ``stop``."""
    sweep_loop(every).run(stop)
