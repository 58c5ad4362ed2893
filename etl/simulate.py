"""python -m etl simulate [--speed N] [--rate R] [--burst N] [--seed S] [--duration SECONDS]: live load.

Citizens' requests by hour and season through the real intake, the dispatch desk, crews driving to tickets and
back, arrivals, resolutions and evaluations (services/simulation.py). Runs until SIGINT/SIGTERM or --duration;
`make run` starts it beside the dashboard with --parent-pid, so it ends when the dashboard does.
"""
from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from datetime import datetime, timezone


def register(subparsers) -> None:
    cmd = subparsers.add_parser("simulate", help="live simulated load: tickets, dispatch, moving crews")
    cmd.add_argument("--speed", type=float, default=60.0,
                     help="simulated seconds per real second (default 60: an hour a minute)")
    cmd.add_argument("--rate", type=float, default=None,
                     help="tickets per simulated hour at the year's peak (default: about 45 a day on average)")
    cmd.add_argument("--burst", type=int, default=0, help="fire N tickets at once first (load test)")
    cmd.add_argument("--seed", type=int, default=None, help="seed of the request sequence (default REFERENCE_SEED)")
    cmd.add_argument("--duration", type=float, default=None, metavar="SECONDS",
                     help="stop after this many real seconds (0: only the burst); default: until stopped")
    cmd.add_argument("--start", default=None, metavar="ISO",
                     help="simulated clock start, e.g. 2026-01-15T08:00+08:00 (default: now)")
    cmd.add_argument("--human-share", type=float, default=None, metavar="FRACTION",
                     help="share of non-emergency tickets left for a person to dispatch on the map (default 0.35)")
    cmd.add_argument("--human-wait", type=float, default=180.0, metavar="SECONDS",
                     help="real seconds such a ticket waits before the desk dispatches it (default 180)")
    cmd.add_argument("--max-posts", type=float, default=5.0, metavar="PER_SECOND",
                     help="crew position posts per real second, all crews together (default 5)")
    cmd.add_argument("--no-resume", action="store_true",
                     help="leave the simulator's unfinished tickets of earlier runs alone")
    cmd.add_argument("--parent-pid", type=int, default=None, metavar="PID",
                     help="stop when this process ends (make run: the dashboard)")
    cmd.add_argument("--on-run", action="store_true",
                     help="started by `make run`: do nothing unless the setting SIMULATE_ON_RUN is true")
    cmd.set_defaults(func=run)


def options_from(args: argparse.Namespace):
    """Options from the command line; a bad value raises ValueError naming the option."""
    from services.simulation import Odds, Options
    from settings import get_settings
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
            from zoneinfo import ZoneInfo
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


def run(args: argparse.Namespace) -> int:
    from settings import get_settings
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    if args.on_run and not get_settings().simulate_on_run:
        print("simulator off (SIMULATE_ON_RUN=false)")
        return 0
    try:
        options = options_from(args)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    from sqlalchemy.exc import DBAPIError
    from services.simulation import SimulationError, Simulator
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    try:
        stats = Simulator(options, stop, keep_running=parent_watch(args.parent_pid)).run()
    except SimulationError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except DBAPIError as error:
        print(f"error: database unavailable: {str(error.orig).strip().splitlines()[0]}", file=sys.stderr)
        return 1
    print(stats.line(), flush=True)
    return 0
