"""python -m simulation [--speed N] [--rate R] [--burst N] [--seed S] [--duration SECONDS]: live load.

Citizens' requests by hour and season through the real intake, the dispatch desk, crews driving to tickets and
back, arrivals, resolutions and evaluations (simulation/engine.py). Runs until SIGINT/SIGTERM or --duration;
`make run` starts it beside the dashboard with --parent-pid, so it ends when the dashboard does.

This is the one place where the simulator meets the real product (``real_services``): writes go through the
services like any other door's; the reads are the simulator's own SQL (geo/simulation.py) and the ticket row.
The simulator acts as a system principal (``policy.system_principal``) named after the simulated person (an
operator, a crew), so the services' rights hold for it as for everyone and the histories read as before.
"""
from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from datetime import datetime, timezone
from typing import Callable
from zoneinfo import ZoneInfo

from sqlalchemy.exc import DBAPIError

from geo import simulation as sim_db
from geo import tickets as tickets_db
from geo.db import get_engine
from services import dispatch, live, tickets
from settings import get_settings
from simulation.behaviour import Odds
from simulation.engine import Options, Services, SimulationError, Simulator
from workorders.policy import system_principal
from workorders.vocabulary import CHANNELS

SIMULATOR = system_principal("simulator")     # who files the simulated citizens' requests and moves the crews


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m simulation",
                                     description="live simulated load: tickets, dispatch, moving crews")
    parser.add_argument("--speed", type=float, default=60.0,
                        help="simulated seconds per real second (default 60: an hour a minute)")
    parser.add_argument("--rate", type=float, default=None,
                        help="tickets per simulated hour at the year's peak (default: about 45 a day on average)")
    parser.add_argument("--burst", type=int, default=0, help="fire N tickets at once first (load test)")
    parser.add_argument("--seed", type=int, default=None, help="seed of the request sequence (default REFERENCE_SEED)")
    parser.add_argument("--duration", type=float, default=None, metavar="SECONDS",
                        help="stop after this many real seconds (0: only the burst); default: until stopped")
    parser.add_argument("--start", default=None, metavar="ISO",
                        help="simulated clock start, e.g. 2026-01-15T08:00+08:00 (default: now)")
    parser.add_argument("--human-share", type=float, default=None, metavar="FRACTION",
                        help="share of non-emergency tickets left for a person to dispatch on the map (default 0.35)")
    parser.add_argument("--human-wait", type=float, default=180.0, metavar="SECONDS",
                        help="real seconds such a ticket waits before the desk dispatches it (default 180)")
    parser.add_argument("--max-posts", type=float, default=5.0, metavar="PER_SECOND",
                        help="crew position posts per real second, all crews together (default 5)")
    parser.add_argument("--no-resume", action="store_true",
                        help="leave the simulator's unfinished tickets of earlier runs alone")
    parser.add_argument("--parent-pid", type=int, default=None, metavar="PID",
                        help="stop when this process ends (make run: the dashboard)")
    parser.add_argument("--on-run", action="store_true",
                        help="started by `make run`: do nothing unless the setting SIMULATE_ON_RUN is true")
    return parser


def options_from(args: argparse.Namespace) -> Options:
    """Options from the command line; a bad value raises ValueError naming the option."""
    checks = [("--speed", args.speed is not None and args.speed > 0, "must be a positive number"),
              ("--rate", args.rate is None or args.rate > 0, "must be a positive number of tickets per hour"),
              ("--burst", args.burst >= 0, "must be 0 or more"),
              ("--duration", args.duration is None or args.duration >= 0, "must be 0 or more seconds"),
              ("--human-share", args.human_share is None or 0 <= args.human_share <= 1, "must be between 0 and 1"),
              ("--human-wait", args.human_wait >= 0, "must be 0 or more seconds"),
              ("--max-posts", args.max_posts > 0, "must be a positive number")]
    for option, good, message in checks:
        if not good:
            raise ValueError(f"{option} {message}")
    start = None
    if args.start:
        try:
            start = datetime.fromisoformat(args.start)
        except ValueError:
            raise ValueError(f"--start {args.start!r} is not an ISO date-time (e.g. 2026-01-15T08:00+08:00)") from None
        if start.tzinfo is None:
            start = start.replace(tzinfo=ZoneInfo(get_settings().timezone))
        start = start.astimezone(timezone.utc)
    return Options(speed=args.speed, rate=args.rate, burst=args.burst,
                   seed=get_settings().reference_seed if args.seed is None else args.seed,
                   duration=args.duration, start=start,
                   human_share=Odds.human_share if args.human_share is None else args.human_share,
                   human_wait=args.human_wait, max_posts=args.max_posts, resume=not args.no_resume)


def parent_watch(pid: int | None):
    """A check that is False once process ``pid`` has ended. When it is our parent (make run's shell, which
    becomes the dashboard by exec), the test is whether we were re-parented; otherwise whether it still exists."""
    if pid is None:
        return lambda: True
    if os.getppid() == pid:
        return lambda: os.getppid() == pid

    def alive() -> bool:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    return alive


def _read(query: Callable) -> Callable:
    """One of the simulator's reads, each on a short connection of its own."""
    def call(*args):
        with get_engine().connect() as conn:
            return query(conn, *args)
    return call


def real_services() -> Services:
    """The simulator wired to the product: the real intake, lifecycle, dispatch and crew positions."""
    crew_places = _read(sim_db.crew_places)
    return Services(
        catalogue=_read(tickets.categories),
        report_places=_read(sim_db.report_places),
        elder_homes=_read(sim_db.elder_homes),
        unfinished_tickets=_read(sim_db.unfinished_simulated_tickets),
        ticket=_read(tickets_db.ticket_by_number),
        ticket_states=_read(sim_db.ticket_states),
        crew_place=lambda code: crew_places([code])[code],
        create_ticket=lambda request: tickets.create_ticket(request, _filer(request)).ticket,
        transition=lambda number, action, actor: tickets.transition(number, action, system_principal(actor)).ticket,
        evaluate=lambda token, rating, comment, reopen: tickets.evaluate(token, rating, comment, reopen=reopen),
        crew_options=lambda ticket: dispatch.crew_options(ticket, tickets.utcnow(), limit=10),
        assign=lambda number, crew, actor: dispatch.assign(number, crew, system_principal(actor)),
        record_arrival=lambda number, actor: dispatch.record_arrival(number, system_principal(actor))[1],
        report_position=lambda crew, lon, lat, speed: live.report_position(crew, lon, lat, speed_kmh=speed,
                                                                           principal=SIMULATOR),
    )


def _filer(request):
    """Who registers a simulated request: the operator (or 110, or the grid worker) the plan named; a citizen's own
    channel nobody; the one-key phones their channel's system."""
    if request.registered_by:
        return system_principal(request.registered_by)
    if request.channel in tickets.ANONYMOUS_CHANNELS:
        return None
    return system_principal(CHANNELS.get(request.channel, SIMULATOR.name))


def run(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    if args.on_run and not get_settings().simulate_on_run:
        print("simulator off (SIMULATE_ON_RUN=false)")
        return 0
    try:
        options = options_from(args)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    try:
        stats = Simulator(options, real_services(), stop, keep_running=parent_watch(args.parent_pid)).run()
    except SimulationError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except DBAPIError as error:
        print(f"error: database unavailable: {str(error.orig).strip().splitlines()[0]}", file=sys.stderr)
        return 1
    print(stats.line(), flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    return run(build_parser().parse_args(argv))
