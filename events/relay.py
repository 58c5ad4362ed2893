"""The outbox relay: unpublished outbox rows → entries of the Redis stream (settings.event_stream).

Delivery is at-least-once. A batch is claimed with ``FOR UPDATE SKIP LOCKED``, every row is XADDed, and only
after Redis accepted them all is the batch marked published, in the same database transaction. A crash between
the XADD and the commit publishes the batch again on the next run, so every entry carries the outbox id as
``event_id`` and consumers drop ids they have already processed (events.consumer).

Stream ids are left to Redis (``*``): several relays publish at once and their batches may reach Redis out of
outbox order, which explicit ids derived from the outbox id would refuse. Within one relay, entries appear in
outbox order.

While Redis (or PostgreSQL) is down, intake is unaffected — tickets and their outbox rows are committed by the
services — and the worker loop that runs the relay (workers/relay.py) retries with a growing pause, logging one
line when the outage starts and one when it ends, not one per attempt.

Wake-up is a poll every ``idle_poll`` seconds (200 ms) while the outbox is empty: one probe of the partial index
on unpublished rows. LISTEN/NOTIFY would only shorten that wait and loses notifications while nobody listens, so
the poll would be needed anyway.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import redis
from sqlalchemy.engine import Engine

from geo import outbox as sql
from geo.db import get_engine
from settings import get_settings

# Never on the stream, whatever a producer put into a payload: the stream reaches every screen.
PERSONAL_KEYS = frozenset({"citizen_name", "citizen_phone", "description", "evaluation_token", "evaluation_comment",
                           "address"})


def stream_fields(row: dict) -> dict[str, str]:
    """The entry of one outbox row: flat string fields, the payload as JSON."""
    created = row["created_at"]
    return {
        "event_id": str(row["id"]),
        "topic": row["topic"],
        "type": row["event_type"],
        "created_at": created.isoformat() if isinstance(created, datetime) else str(created),
        "payload": json.dumps(scrub(row["payload"]), ensure_ascii=False, default=str, separators=(",", ":")),
    }


def scrub(value: Any) -> Any:
    """A copy of ``value`` without personal keys at any depth (defence in depth: producers send public views)."""
    if isinstance(value, dict):
        return {k: scrub(v) for k, v in value.items() if k not in PERSONAL_KEYS}
    if isinstance(value, list):
        return [scrub(v) for v in value]
    return value


@dataclass
class RelayStats:
    published: int = 0
    batches: int = 0
    failed_attempts: int = 0      # counted by the worker loop that runs the relay (workers/relay.py)
    outages: int = 0


class Relay:
    def __init__(self, engine: Engine | None = None, redis_client: redis.Redis | None = None, *,
                 stream: str | None = None, maxlen: int | None = None, batch_size: int = 500,
                 idle_poll: float = 0.05, max_backoff: float = 5.0):
        settings = get_settings()
        self.engine = engine or get_engine()
        self.redis = redis_client or redis.Redis.from_url(settings.redis_url, socket_timeout=5,
                                                          socket_connect_timeout=2)
        self.stream = stream or settings.event_stream
        self.maxlen = maxlen or settings.event_stream_maxlen
        self.batch_size = batch_size
        # 50 ms: the relay's wait is part of every ticket's way to the wall; an empty poll is one index probe.
        self.idle_poll = idle_poll
        self.max_backoff = max_backoff
        self.stats = RelayStats()

    # ------------------------------------------------------------------------------------------ one batch

    def publish_batch(self) -> int:
        """Publish up to ``batch_size`` rows; returns how many. Raises when Redis or the database fails
        (then nothing is marked: the rows stay unpublished and are taken again)."""
        with self.engine.begin() as conn:
            rows = sql.claim_unpublished(conn, self.batch_size)
            if not rows:
                return 0
            self._xadd(rows)
            self._mark(conn, [row["id"] for row in rows])
        self.stats.published += len(rows)
        self.stats.batches += 1
        return len(rows)

    def _xadd(self, rows: list[dict]) -> None:
        # One round trip for the batch, in outbox order. Not MULTI: a half-sent batch is re-sent whole, which
        # the consumers' dedupe absorbs.
        pipe = self.redis.pipeline(transaction=False)
        for row in rows:
            pipe.xadd(self.stream, stream_fields(row), maxlen=self.maxlen, approximate=True)
        pipe.execute()

    def _mark(self, conn, ids: list[int]) -> None:
        sql.mark_published(conn, ids, datetime.now(timezone.utc))

    def drain(self) -> int:
        """Publish until the outbox is empty (the CLI's --once; tests)."""
        total = 0
        while (n := self.publish_batch()):
            total += n
        return total
