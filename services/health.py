"""What /healthz tells an operator: each check's value and its limit (settings ``health_*``); healthy when every
check is within its limit.

Cheap, because a monitoring system polls it: one query on the outbox's partial index and a few Redis round trips,
each bounded by ``health_timeout_seconds``, so a hung dependency makes the answer a quick 503, not a hang.

- database, redis: how long a round trip took (ms); past the timeout or refused → failing.
- relay_lag: age of the oldest unpublished outbox row (0 when nothing waits).
- ingester_lag: age of the oldest crew position the ``tracks`` group has not acknowledged, with their number.
- escalation_sweep_age: since the last successful sweep (workers/escalation.py records it). With none recorded
  it counts from this process's start: a fresh dashboard is not unhealthy for a sweep that had no time to run,
  one that has run past the limit without any sweep is.
- dead_letters: positions waiting in the dead-letter stream for someone to look at (then delete) them.
- live_connections: open /live/events connections of all dashboard processes (their ``live:connections:*``).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import redis
from sqlalchemy.engine import Engine

from events import bus, positions
from geo import outbox
from geo.db import get_engine
from settings import get_settings

STARTED = time.monotonic()


@dataclass
class Check:
    value: float | int | None
    limit: float | int
    unit: str
    detail: dict = field(default_factory=dict)
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.value is not None and self.value <= self.limit

    def as_dict(self) -> dict:
        answer = {"ok": self.ok, "value": _rounded(self.value), "limit": self.limit, "unit": self.unit,
                  **self.detail}
        return {**answer, "error": self.error} if self.error else answer


def _rounded(value):
    return round(value, 3) if isinstance(value, float) else value


def _failed(error: Exception) -> str:
    text = str(error).strip()
    return f"{type(error).__name__}: {text.splitlines()[0] if text else ''}"


def report(engine: Engine | None = None, client: redis.Redis | None = None) -> tuple[bool, dict]:
    """(healthy, the JSON body)."""
    s = get_settings()
    client = client or bus.get_redis(timeout=s.health_timeout_seconds, retry=False)
    checks = {**_database(engine or get_engine(), s), **_redis(client, s)}
    healthy = all(c.ok for c in checks.values())
    return healthy, {"status": "ok" if healthy else "failing", "checks": {k: c.as_dict() for k, c in checks.items()}}


def _database(engine: Engine, s) -> dict[str, Check]:
    timeout_ms = s.health_timeout_seconds * 1000
    started = time.perf_counter()
    try:
        with engine.begin() as conn:
            age = outbox.oldest_unpublished_age(conn, s.health_timeout_seconds)
    except Exception as error:  # noqa: BLE001 - any failure of the database is the answer
        reason = _failed(error)
        return {"database": Check(None, timeout_ms, "ms", error=reason),
                "relay_lag": Check(None, s.health_max_relay_lag_seconds, "s", error="database unavailable")}
    return {"database": Check((time.perf_counter() - started) * 1000, timeout_ms, "ms"),
            "relay_lag": Check(age or 0.0, s.health_max_relay_lag_seconds, "s")}


def _redis(client: redis.Redis, s) -> dict[str, Check]:
    timeout_ms = s.health_timeout_seconds * 1000
    measures = {"ingester_lag": (s.health_max_ingester_lag_seconds, "s", _ingester_lag),
                "escalation_sweep_age": (s.health_max_sweep_age_seconds, "s", _sweep_age),
                "dead_letters": (s.health_max_dead_letters, "entries", _dead_letters),
                "live_connections": (s.health_max_live_connections, "connections", _live_connections)}
    started = time.perf_counter()
    try:
        client.ping()
    except redis.RedisError as error:
        return {"redis": Check(None, timeout_ms, "ms", error=_failed(error)),
                **{name: Check(None, limit, unit, error="redis unavailable")
                   for name, (limit, unit, _) in measures.items()}}
    checks = {"redis": Check((time.perf_counter() - started) * 1000, timeout_ms, "ms")}
    for name, (limit, unit, measure) in measures.items():
        try:
            value, detail = measure(client, s)
        except redis.RedisError as error:
            checks[name] = Check(None, limit, unit, error=_failed(error))
        else:
            checks[name] = Check(value, limit, unit, detail)
    return checks


def _ingester_lag(client: redis.Redis, s) -> tuple[float, dict]:
    waiting = positions.backlog(client, s.position_stream)
    return waiting.age_seconds or 0.0, {"entries": waiting.entries, **({} if waiting.has_group else
                                                                       {"group": "none yet"})}


def _sweep_age(client: redis.Redis, s) -> tuple[float, dict]:
    age = bus.worker_run_age(client, bus.ESCALATION_SWEEP)
    if age is None:
        return time.monotonic() - STARTED, {"since": "this process started (no sweep recorded)"}
    return age, {}


def _dead_letters(client: redis.Redis, s) -> tuple[int, dict]:
    return positions.dead_letter_count(client, s.position_dead_letter_stream), \
        {"stream": s.position_dead_letter_stream}


def _live_connections(client: redis.Redis, s) -> tuple[int, dict]:
    return bus.live_connections(client), {}
