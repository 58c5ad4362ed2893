"""One reader of the live streams per process, fanned out to every open browser of that process.

Why: each open map used to hold its own blocking ``XREAD`` (and, under gthread, a server thread) for as long as it
stayed open. Now one loop per process reads both streams from the process's position and hands every batch to
the subscriptions of the browsers it serves; a browser costs a queue and a socket, not a Redis connection.

The hub keeps the last ``keep`` entries, so a browser that reconnects with a cursor the hub has passed recently
catches up from memory; an older cursor is caught up from Redis (``read_after``), as long as the stream holds it.

Redis outages: the hub tells its subscribers (status down), keeps its position and retries with a jittered,
growing pause. When Redis answers again and the stream still holds the position, reading simply goes on and
nothing is lost; when it does not (Redis restarted empty, or trimmed past it) every subscriber is told to reload
the snapshot once (``reset``).

It runs as a daemon thread: a real one under `python app.py`, a greenlet under gunicorn's gevent worker (the
worker monkey-patches ``threading`` and the sockets redis-py uses before the app is imported).

Every ``COUNT_EVERY`` seconds it writes how many browsers it serves to ``live:connections:<host>-<pid>`` (TTL
``COUNT_TTL``), so /healthz can add up the open live connections of all processes.
"""
from __future__ import annotations

import logging
import os
import random
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Callable

import redis

from events.bus import cursor_still_held, get_redis, id_key, live_streams, read_after, stream_heads

log = logging.getLogger("events.hub")

Entry = tuple[str, str, dict]          # (stream, entry id, fields)
CONNECTIONS_KEY = "live:connections:"
COUNT_EVERY = 5.0
COUNT_TTL = 30
BLOCK_MS = 4000            # with COUNT_EVERY: the count is refreshed at least every 9 s
KEEP = 5000


class Batch(list):
    """Entries read together, handed to every subscription as this one object, so that what is derived from them
    (the JSON a browser gets) is computed once per process rather than once per open browser."""

    def __init__(self, entries):
        super().__init__(entries)
        self.derived: dict = {}


def connections_key() -> str:
    return f"{CONNECTIONS_KEY}{socket.gethostname()}-{os.getpid()}"


@dataclass(eq=False)               # compared by identity: a set of open connections
class Subscription:
    """What one browser connection receives, in order: ('entries', Batch), ('status', View) when Redis goes or
    comes back, ('reset', View) when the streams lost this process's position, ('dropped', None) when it fell
    too far behind.

    A deque and an Event, not queue.Queue or a Condition: one hub batch wakes every open browser of the process,
    and under gevent a patched Condition cost ~0.4 ms per wake-up (0.4 s per event with 1,000 open maps). Only
    the hub appends and only the connection pops (deque operations are atomic), so an Event set after the append
    is enough: a wake-up can come early, never be lost."""
    _items: deque = field(default_factory=deque)
    _ready: threading.Event = field(default_factory=threading.Event)
    pending: int = 0                    # entries queued and not yet taken (a slow reader is dropped past a limit)
    dropped: bool = False

    def put(self, kind: str, value) -> None:
        if kind == "entries":
            self.pending += len(value)
        self._items.append((kind, value))
        self._ready.set()

    def peek_kind(self) -> str | None:
        return self._items[0][0] if self._items else None

    def get(self, timeout: float):
        """The next message, waiting up to ``timeout`` seconds; (None, None) when nothing came."""
        if not self._items and timeout > 0:
            self._ready.wait(timeout)
        self._ready.clear()
        if not self._items:
            return None, None
        kind, value = self._items.popleft()
        if kind == "entries":
            self.pending -= len(value)
        return kind, value


@dataclass
class View:
    """The hub as one subscriber sees it when it joins (read under the hub's lock)."""
    up: bool
    position: dict[str, str] | None     # entries after this reach the subscription's queue
    floor: dict[str, str] | None        # entries after this (up to position) are in memory


class Hub:
    def __init__(self, streams: tuple[str, ...] | None = None, client: Callable[[], redis.Redis] = get_redis,
                 keep: int = KEEP, block_ms: int = BLOCK_MS, max_pending: int = 20_000):
        self.streams = tuple(streams or live_streams())
        self._client = client
        self._lock = threading.Lock()
        self._subscriptions: set[Subscription] = set()
        self._recent: deque[Entry] = deque()
        self.keep = keep
        self.block_ms = block_ms
        self.max_pending = max_pending
        self.position: dict[str, str] | None = None
        self.floor: dict[str, str] | None = None
        self.up = False
        self.resets = 0
        self.reads = 0                   # XREAD calls, for tests and the bench: one loop, whatever the audience
        self._started = False
        self._tried = threading.Event()       # set once the first attempt to join the streams has ended
        self._counted_at = 0.0

    # ------------------------------------------------------------------------------------------ subscribers

    def subscribe(self) -> tuple[Subscription, View]:
        self.start()
        self._tried.wait(3)       # a hub just started is not "down": give its first contact a moment
        subscription = Subscription()
        with self._lock:
            self._subscriptions.add(subscription)
            view = self._view()
        return subscription, view

    def _view(self) -> View:
        return View(self.up, dict(self.position) if self.position else None, dict(self.floor) if self.floor else None)

    def unsubscribe(self, subscription: Subscription) -> None:
        with self._lock:
            self._subscriptions.discard(subscription)

    @property
    def connections(self) -> int:
        return len(self._subscriptions)

    def recent_after(self, cursor: dict[str, str], until: dict[str, str]) -> list[Entry] | None:
        """Entries after ``cursor`` up to ``until`` from memory; None when memory does not reach back that far."""
        with self._lock:
            if self.floor is None or any(id_key(cursor.get(s, "0-0")) < id_key(self.floor[s]) for s in self.streams):
                return None
            return [e for e in self._recent
                    if id_key(cursor.get(e[0], "0-0")) < id_key(e[1]) <= id_key(until[e[0]])]

    def _broadcast(self, kind: str, value=None) -> None:
        for subscription in list(self._subscriptions):
            subscription.put(kind, value)

    def _fan_out(self, entries: list[Entry]) -> None:
        with self._lock:
            for stream, entry_id, _ in entries:
                self.position[stream] = entry_id
            self._recent.extend(entries)
            while len(self._recent) > self.keep:
                stream, entry_id, _ = self._recent.popleft()
                self.floor[stream] = entry_id
            for subscription in list(self._subscriptions):
                if subscription.pending > self.max_pending:      # a reader that stopped reading: let it go
                    subscription.dropped = True
                    self._subscriptions.discard(subscription)
                    subscription.put("dropped", None)
                    continue
                subscription.put("entries", entries)

    # ------------------------------------------------------------------------------------------ the loop

    def start(self) -> None:
        with self._lock:
            if self._started:
                return
            self._started = True
        threading.Thread(target=self.run, name="live-hub", daemon=True).start()

    def run(self, stop: threading.Event | None = None) -> None:
        stop = stop or threading.Event()
        pause = 0.5
        while not stop.is_set():
            try:
                self.step()
                pause = 0.5
            except redis.RedisError as error:
                self._tried.set()
                if self.up:
                    log.warning("live hub: redis unavailable (%s); browsers keep their maps, retrying", error)
                    with self._lock:
                        self.up = False
                        self._broadcast("status", self._view())
                stop.wait(pause * random.uniform(0.5, 1.5))    # jitter: the processes of a site do not retry in step
                pause = min(pause * 2, 5.0)
            except Exception:  # noqa: BLE001 - the feed of every open map must outlive any one bad entry
                log.exception("live hub: unexpected error; going on")
                stop.wait(1.0)

    def step(self) -> None:
        """One round: (re)join the streams if needed, read what is new, hand it out, refresh the count."""
        r = self._client()
        if not self.up:
            self._join(r)
        self._count(r)
        self.reads += 1
        entries = read_after(r, dict(self.position), block_ms=self.block_ms)
        if entries:
            self._fan_out(Batch(entries))

    def _join(self, r: redis.Redis) -> None:
        """First contact, or Redis is back: go on from the position when the stream still holds it, else start
        from the heads and tell every subscriber to reload."""
        r.ping()                 # a position of empty streams (0-0) is "held" without asking Redis: ask anyway
        held = self.position is not None and all(cursor_still_held(r, s, self.position[s]) for s in self.streams)
        if not held:
            heads = stream_heads(r, self.streams)
        with self._lock:
            lost = self.position is not None and not held
            if not held:
                self.position, self.floor = heads, dict(heads)
                self._recent.clear()
            self.up = True
            if lost:
                self.resets += 1
                log.warning("live hub: the streams no longer hold this process's position; browsers reload")
            self._broadcast("reset" if lost else "status", self._view())
        self._tried.set()
        log.info("live hub: reading %s from %s", ", ".join(self.streams), self.position)

    def _count(self, r: redis.Redis) -> None:
        now = time.monotonic()
        if now - self._counted_at >= COUNT_EVERY:
            r.set(connections_key(), self.connections, ex=COUNT_TTL)
            self._counted_at = now


_hub: Hub | None = None
_hub_pid: int | None = None
_hub_lock = threading.Lock()


def get_hub() -> Hub:
    """This process's hub (a forked worker gets its own)."""
    global _hub, _hub_pid
    with _hub_lock:
        if _hub is None or _hub_pid != os.getpid():
            _hub, _hub_pid = Hub(), os.getpid()
        return _hub
