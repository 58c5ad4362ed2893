"""The one supervised loop every long-running worker runs in.

A worker is a ``step`` (one batch: publish a page of the outbox, store a page of positions, one sweep) that
returns how long to wait before the next one. The loop calls it until ``stop`` is set and makes sure nothing ends
it but ``stop``:

- Redis or PostgreSQL unreachable: one log line when the outage starts, one when it ends, silence in between;
  the pause grows (with jitter, so that a fleet of workers does not hammer a server that comes back all at once).
- Any other exception (a bug, bad data): logged once with its traceback, then the same backoff. A thread or a
  process that dies silently is worse than one that logs a repeated error.
- ``stop`` (SIGTERM/SIGINT through ``stop_on_signals``): the batch in hand is finished, then the loop returns.
"""
from __future__ import annotations

import logging
import random
import signal
import threading
import time
from dataclasses import dataclass
from typing import Callable

import redis
from sqlalchemy.exc import DBAPIError

from settings import get_settings

# The dependencies whose outages are expected (and logged as such, without a traceback).
DEPENDENCIES: tuple[tuple[type[BaseException], str], ...] = ((redis.RedisError, "redis"), (DBAPIError, "postgresql"))


@dataclass
class LoopStats:
    failed_attempts: int = 0
    outages: int = 0


def backoff(failures: int, first: float, ceiling: float, rand: Callable[[], float] = random.random) -> float:
    """The pause after ``failures`` failures in a row: doubling from ``first`` up to ``ceiling``, then a random
    half of it taken off ("equal jitter": never shorter than half, never longer than the ceiling)."""
    delay = min(ceiling, first * 2 ** max(failures - 1, 0))
    return delay * (0.5 + rand() / 2)


def first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else ""


class Outages:
    """Which kinds of failure are going on now: one line when each starts, one when the step works again."""

    def __init__(self, name: str, log: logging.Logger, while_down: str = ""):
        self.name, self.log, self.while_down = name, log, while_down
        self.since: dict[str, float] = {}

    def failed(self, error: Exception) -> bool:
        """Log ``error`` if it starts an outage; True when it does."""
        kind = next((what for cls, what in DEPENDENCIES if isinstance(error, cls)), None)
        key = kind or f"error:{type(error).__name__}"
        if key in self.since:
            return False
        self.since[key] = time.monotonic()
        hint = f"; {self.while_down}" if self.while_down else ""
        if kind:
            self.log.warning("%s: %s unavailable (%s: %s)%s; retrying with backoff", self.name, kind,
                             type(error).__name__, first_line(error), hint)
        else:
            self.log.error("%s: unexpected %s: %s; retrying with backoff", self.name, type(error).__name__,
                           first_line(error), exc_info=error)
        return True

    def recovered(self) -> None:
        for key, since in self.since.items():
            seconds = time.monotonic() - since
            if key.startswith("error:"):
                self.log.warning("%s: working again after %.1f s (%s)", self.name, seconds, key[6:])
            else:
                self.log.warning("%s: %s back after %.1f s", self.name, key, seconds)
        self.since.clear()


class SupervisedLoop:
    """Call ``step()`` until ``stop`` is set; ``step`` returns the pause before the next call (0: at once)."""

    def __init__(self, name: str, step: Callable[[], float], *, log: logging.Logger | None = None,
                 first_backoff: float = 0.5, max_backoff: float = 30.0, while_down: str = "",
                 stats: LoopStats | None = None):
        self.name, self.step = name, step
        self.log = log or logging.getLogger(f"workers.{name}")
        self.first_backoff, self.max_backoff = first_backoff, max_backoff
        self.stats = stats if stats is not None else LoopStats()
        self.outages = Outages(name, self.log, while_down)

    def run(self, stop: threading.Event) -> None:
        self.log.info("%s started", self.name)
        failures = 0
        while not stop.is_set():
            try:
                pause = self.step()
            except Exception as error:  # noqa: BLE001 - a worker must outlive anything but stop
                failures += 1
                self.stats.failed_attempts += 1
                if self.outages.failed(error):
                    self.stats.outages += 1
                pause = backoff(failures, self.first_backoff, self.max_backoff)
            else:
                failures = 0
                self.outages.recovered()
            if pause > 0:
                stop.wait(pause)
        self.log.info("%s stopped", self.name)


class Every:
    """Call ``action`` at most once per ``seconds`` (default: settings ``retention_every_seconds``) from a step
    that calls ``due()`` each time; the first call happens at once (a restarted process catches up). Failures
    are logged and wait for the next turn: pruning must never stop the work it rides on."""

    def __init__(self, action: Callable[[], int], what: str, seconds: float | None = None,
                 log: logging.Logger | None = None):
        self.action, self.what, self.seconds = action, what, seconds
        self.log = log or logging.getLogger("workers.retention")
        self.next_at = 0.0

    def due(self) -> None:
        now = time.monotonic()
        if now < self.next_at:
            return
        self.next_at = now + (self.seconds if self.seconds is not None else get_settings().retention_every_seconds)
        try:
            deleted = self.action()
        except Exception as error:  # noqa: BLE001 - see the class docstring
            self.log.warning("retention of %s failed: %s", self.what, first_line(error))
            return
        if deleted:
            self.log.info("retention: deleted %d old %s", deleted, self.what)


def stop_on_signals(stop: threading.Event) -> None:
    """SIGTERM and SIGINT set ``stop`` (the batch in hand is finished, then the worker exits 0); a second one
    ends the process at once, for the impatient."""
    def handler(signum, _frame) -> None:
        if stop.is_set():
            signal.signal(signum, signal.SIG_DFL)
            signal.raise_signal(signum)
        stop.set()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, handler)
