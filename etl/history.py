"""python -m etl history [--tickets 23500] [--months 18] [--seed N] [--force] [--through-services]: a realistic past.

About the seed's scale of Tiedong's 96715 platform: ~23,500 requests over the 18 months ending now. The plan (who
reports what, when, and what happens to each ticket) is simulation/plan.py's, from the seed alone. Two writers
take the same plan through the same loop (execute_batch: steps in time order, placeholders resolved by
step_arguments, a refused step skips the rest of its ticket):
- set-based, the default (etl/history_bulk.py): services.tickets' rules applied in memory, the rows written a
  chunk of ~5,000 tickets at a time with COPY (geo/bulk_history.py); ~40 s for the default history;
- ``--through-services`` (ServiceWriter): services.tickets.create_ticket with a past registration time, then
  transition/evaluate with past times, one statement at a time (~15 min for the default history).
tests/integration/test_history_bulk.py holds the two to the same tickets, events, supervisions, joint meetings,
repeat links, counters and aggregate. Either way the /analytics aggregate is rebuilt once at the end, and the seeded
越级上访 petitions link the work orders they grew from (etl/petitions.py: link_seeded_tickets; `etl reference` seeds
them before any ticket exists).

Marking and idempotency: every generated ticket has ``source_ref = 'history:<seed>'``. The command does nothing
when history exists, unless ``--force``, which deletes the generated tickets only (never live ones).

Events: the services write an outbox row for every change, ~170,000 in all. Publishing them to the live stream
would only flood the live screens with the past, so each history transaction marks its own outbox rows published
before it commits: the relay never sees them. The set-based writer writes none (the ticket events are the record).

Speed of the service path: one transaction per batch of tickets, and two worker processes on disjoint ranges of
days; the plan is made once from the seed, so the result does not depend on the number of workers (but for the
repeat links of a worker's first days, which cannot see the other worker's closures: compare with ``workers=1``).
"""
from __future__ import annotations

import argparse
import math
import multiprocessing
import sys
import time as clock
from dataclasses import dataclass, field
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from etl.history_steps import Outcome, execute_batch, registrar
from simulation.plan import PlannedTicket, make_plan
from workorders.policy import system_principal

DEFAULT_TICKETS = 23_500
DEFAULT_MONTHS = 18
DEFAULT_SEED = 96715

# ------------------------------------------------------------------------------------------------ running it

class ServiceWriter:
    """Each step through services.tickets on the caller's connection (the slow path: ~10 statements a step)."""

    def __init__(self, conn):
        self.conn = conn

    def create(self, ticket: PlannedTicket, at: datetime) -> dict:
        from services.tickets import create_ticket
        return create_ticket(ticket.request, registrar(ticket.request), now=at, conn=self.conn).ticket

    def evaluate(self, token: str, satisfaction: str, reopen: bool, at: datetime) -> dict:
        from services.tickets import evaluate
        return evaluate(token, satisfaction, reopen=reopen, now=at, conn=self.conn)

    def transition(self, number: str, action: str, actor: str, reason: str | None, department: str | None,
                   data: dict | None, at: datetime) -> dict:
        from services.tickets import transition
        return transition(number, action, system_principal(actor), reason=reason, department=department,
                          data=data, now=at, conn=self.conn).ticket


def run_batches(engine_url: str, tickets: list[PlannedTicket], progress=None) -> Outcome:
    """One transaction per batch; the batch's outbox rows are marked published before it commits."""
    from geo.db import make_engine
    from geo.history import tune_bulk_session
    from geo.outbox import mark_own_published
    engine = make_engine(engine_url)
    outcome = Outcome()
    try:
        batches: dict[int, list[PlannedTicket]] = {}
        for p in tickets:
            batches.setdefault(p.batch, []).append(p)
        for number in sorted(batches):
            with engine.begin() as conn:
                tune_bulk_session(conn)
                done = execute_batch(ServiceWriter(conn), batches[number])
                mark_own_published(conn, datetime.now(timezone.utc))
            outcome.add(done)
            if progress is not None:
                progress(len(batches[number]))
    finally:
        engine.dispose()
    return outcome


def _worker(engine_url: str, tickets: list[PlannedTicket], queue) -> Outcome:
    return run_batches(engine_url, tickets, progress=queue.put)


@dataclass
class HistoryReport:
    skipped: bool
    existing: int = 0
    deleted: int = 0
    outcome: Outcome = field(default_factory=Outcome)
    planned: int = 0
    seconds: float = 0.0
    first: datetime | None = None
    last: datetime | None = None
    petitions: object = None          # etl.petitions.Linked: the seeded 越级上访 linked to their work orders


def generate_history(*, tickets: int = DEFAULT_TICKETS, months: int = DEFAULT_MONTHS, seed: int = DEFAULT_SEED,
                     force: bool = False, end: datetime | None = None, workers: int = 2, engine=None,
                     quiet: bool = False, through_services: bool = False) -> HistoryReport:
    """Plan the history from the seed and write it set-based (etl/history_bulk.py), or ``through_services``
    (see the module's docstring); then rebuild the analytics aggregate once."""
    from geo import history as db
    from geo.db import get_engine
    from etl.history_bulk import write_bulk
    from etl.petitions import link_seeded_tickets
    from services.analytics import refresh
    from services.tickets import categories
    from settings import get_settings
    from tqdm import tqdm
    if tickets < 1 or months < 1:
        raise ValueError("--tickets and --months must be positive")
    started = clock.monotonic()
    engine = engine or get_engine()
    settings = get_settings()
    with engine.begin() as conn:
        existing = db.history_count(conn)
        if existing and not force:
            return HistoryReport(skipped=True, existing=existing)
        deleted = 0
        if existing:
            referring = db.live_references_to_history(conn)
            if referring:
                raise ValueError(f"{len(referring)} live ticket(s) refer to history tickets "
                                 f"({', '.join(referring[:5])}…); they would lose that link: nothing deleted")
            deleted = db.delete_history(conn)
        catalogue = categories(conn)
        locations = db.report_locations(conn)
    if not catalogue or not locations:
        raise ValueError("no categories or places: load the reference data first (python -m etl reference)")
    end = end or datetime.now(timezone.utc)
    with tqdm(total=2 * tickets, unit="步", desc="plan", disable=quiet, file=sys.stderr) as bar:
        plan = make_plan(catalogue, locations, tickets=tickets, months=months, seed=seed, end=end,
                         tz=ZoneInfo(settings.timezone), cutoff_hour=settings.same_day_cutoff_hour,
                         progress=bar.update)
    plan = [p for p in plan if p.steps]
    report = HistoryReport(skipped=False, existing=existing, deleted=deleted, planned=len(plan),
                           first=min(p.registered_at for p in plan), last=max(p.registered_at for p in plan))
    url = engine.url.render_as_string(hide_password=False)
    with tqdm(total=len(plan), unit="工单", desc="history", disable=quiet, file=sys.stderr) as bar:
        if not through_services:
            report.outcome = write_bulk(engine, plan, ZoneInfo(settings.timezone), settings.same_day_cutoff_hour,
                                        progress=bar.update)
        elif workers <= 1:
            report.outcome = run_batches(url, plan, progress=bar.update)
        else:
            report.outcome = _run_parallel(url, plan, workers, bar)
    # The aggregate of /analytics counted once over all tickets as of the history's end, not hour by hour as the
    # writes marked them; /analytics brings it up to the clock from there (deadlines passed since).
    refresh(full=True, now=end, engine=engine)
    report.petitions = link_seeded_tickets(engine)
    report.seconds = clock.monotonic() - started
    return report


def _run_parallel(url: str, plan: list[PlannedTicket], workers: int, bar) -> Outcome:
    """Workers take contiguous ranges of batches (so of days: no two share a day's number counter)."""
    from concurrent.futures import ProcessPoolExecutor
    batches = sorted({p.batch for p in plan})
    share = math.ceil(len(batches) / workers)
    parts = [set(batches[i:i + share]) for i in range(0, len(batches), share)]
    context = multiprocessing.get_context("spawn")
    outcome = Outcome()
    with context.Manager() as manager, ProcessPoolExecutor(len(parts), mp_context=context) as pool:
        queue = manager.Queue()
        futures = [pool.submit(_worker, url, [p for p in plan if p.batch in part], queue)
                   for part in parts]
        while not all(f.done() for f in futures):
            try:
                bar.update(queue.get(timeout=0.5))
            except Exception:       # queue.Empty: nothing finished in the last half second
                pass
        while not queue.empty():
            bar.update(queue.get())
        for future in futures:
            outcome.add(future.result())      # re-raises a worker's error here
    return outcome


# ------------------------------------------------------------------------------------------------ CLI

def register(subparsers) -> None:
    cmd = subparsers.add_parser("history", help="generate a realistic ticket history (set-based, or through the "
                                                "services)")
    cmd.add_argument("--tickets", type=int, default=DEFAULT_TICKETS, help=f"about how many (default {DEFAULT_TICKETS})")
    cmd.add_argument("--months", type=int, default=DEFAULT_MONTHS, help=f"ending now (default {DEFAULT_MONTHS})")
    cmd.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})")
    cmd.add_argument("--force", action="store_true", help="delete the generated history first (live tickets stay)")
    cmd.add_argument("--through-services", "--slow", action="store_true", dest="through_services",
                     help="write every step through the services, one statement at a time (~40x slower; "
                          "the default writes the same rows set-based)")
    cmd.add_argument("--workers", type=int, default=2,
                     help="with --through-services: processes writing at once (default 2)")
    cmd.add_argument("--quiet", action="store_true", help="no progress bar")
    cmd.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        report = generate_history(tickets=args.tickets, months=args.months, seed=args.seed, force=args.force,
                                  workers=args.workers, quiet=args.quiet, through_services=args.through_services)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if report.skipped:
        print(f"history already there ({report.existing} tickets); --force replaces it")
        return 0
    for line in report.outcome.refused:
        print(f"error: {line}", file=sys.stderr)
    deleted = f"deleted {report.deleted} old history tickets; " if report.deleted else ""
    print(f"{deleted}wrote {report.outcome.tickets} tickets and {report.outcome.steps} steps "
          f"({report.first:%Y-%m-%d} – {report.last:%Y-%m-%d}) in {report.seconds:.0f} s")
    linked = report.petitions
    if linked.petitions or linked.without:
        print(f"linked {linked.petitions} seeded 越级上访 petitions to {linked.tickets} work orders they grew from"
              + (f"; {linked.without} have none of their place and kind before them" if linked.without else ""))
    return 1 if report.outcome.refused else 0
