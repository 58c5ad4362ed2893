"""Reading the event stream idempotently.

The relay delivers at least once: after a crash between XADD and the database commit the same outbox row is
published again, under a new stream id but the same ``event_id``. A consumer therefore remembers the event ids
it has processed and skips repeats.

Remembered ids live in a Redis sorted set (member and score = event id), trimmed to the newest ``keep`` ids;
ids below the trimmed floor count as processed. Repeats come from the batch that was in flight at a crash and
relays publish only a batch or two out of order, so a window of 100,000 ids is far wider than needed.

The position in the stream (the last stream id read) is kept in Redis too, so a restarted consumer resumes
where it stopped. Redis is not the record: a consumer that finds a gap (its position was trimmed away, or the
stream was lost with a Redis restart) is told so and should rebuild its state from PostgreSQL.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Callable, Iterable

import redis

from events.bus import id_key
from settings import get_settings

DEFAULT_KEEP = 100_000


@dataclass(frozen=True)
class Event:
    stream_id: str
    event_id: int
    topic: str
    type: str
    payload: dict
    created_at: str

    @classmethod
    def from_entry(cls, stream_id: bytes | str, fields: dict) -> "Event":
        f = {_text(k): _text(v) for k, v in fields.items()}
        return cls(stream_id=_text(stream_id), event_id=int(f["event_id"]), topic=f.get("topic", ""),
                   type=f.get("type", ""), payload=json.loads(f.get("payload") or "{}"),
                   created_at=f.get("created_at", ""))


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


class ProcessedIds:
    """The set of event ids a consumer has processed (Redis sorted set, bounded)."""

    def __init__(self, client: redis.Redis, key: str, keep: int = DEFAULT_KEEP):
        self.redis = client
        self.key = key
        self.floor_key = key + ":floor"
        self.keep = keep

    def seen(self, event_id: int) -> bool:
        return bool(self.seen_among([event_id]))

    def seen_among(self, event_ids: list[int]) -> set[int]:
        """Which of ``event_ids`` were processed already (one round trip)."""
        if not event_ids:
            return set()
        pipe = self.redis.pipeline(transaction=False)
        pipe.zmscore(self.key, [str(i) for i in event_ids])
        pipe.get(self.floor_key)
        scores, floor = pipe.execute()
        floor = int(floor) if floor is not None else None
        return {i for i, score in zip(event_ids, scores)
                if score is not None or (floor is not None and i <= floor)}

    def remember(self, event_ids: Iterable[int]) -> None:
        ids = list(event_ids)
        if not ids:
            return
        self.redis.zadd(self.key, {str(i): i for i in ids})
        excess = self.redis.zcard(self.key) - self.keep
        if excess > 0:
            dropped = self.redis.zpopmin(self.key, excess)
            # Everything up to the highest id trimmed away counts as processed from now on.
            self.redis.set(self.floor_key, int(max(score for _, score in dropped)))


class IdempotentConsumer:
    """Calls ``handler(event)`` once per event id, in stream order, resuming from the remembered position.

    ``handler`` runs before the id is remembered: a crash in between repeats the event, never loses it.
    """

    def __init__(self, client: redis.Redis, name: str, *, stream: str | None = None, keep: int = DEFAULT_KEEP):
        self.redis = client
        self.stream = stream or get_settings().event_stream
        self.name = name
        self.processed = ProcessedIds(client, f"events:consumer:{name}:processed", keep)
        self.position_key = f"events:consumer:{name}:position"

    @property
    def position(self) -> str:
        value = self.redis.get(self.position_key)
        return _text(value) if value is not None else "0-0"

    def has_gap(self) -> bool:
        """True when entries after our position may have been trimmed away or lost (rebuild from the database)."""
        position = self.position
        if position == "0-0":
            return False
        first = self.redis.xrange(self.stream, "-", "+", count=1)
        if not first:
            return True          # we read entries before and the stream is now empty: Redis lost it
        return id_key(_text(first[0][0])) > id_key(position) and \
            not self.redis.xrange(self.stream, position, position)

    def poll(self, handler: Callable[[Event], None], *, count: int = 500, block_ms: int | None = None) -> int:
        """Read what is new after our position and hand each not-yet-processed event to ``handler``.

        Returns how many entries were read (repeats included); 0 when nothing came within ``block_ms``.
        """
        reply = self.redis.xread({self.stream: self.position}, count=count, block=block_ms)
        if not reply:
            return 0
        entries = next(iter(reply.values()))[0] if isinstance(reply, dict) else reply[0][1]   # RESP3 / RESP2
        events = [Event.from_entry(stream_id, fields) for stream_id, fields in entries]
        done = self.processed.seen_among([e.event_id for e in events])
        handled = []
        for event in events:
            if event.event_id in done:
                continue               # a repeat: published again after a relay crash
            handler(event)
            done.add(event.event_id)
            handled.append(event.event_id)
        # Remembered after the handler ran: a crash before this line repeats the batch, never loses it.
        self.processed.remember(handled)
        self.redis.set(self.position_key, events[-1].stream_id)
        return len(events)

    def drain(self, handler: Callable[[Event], None], count: int = 500) -> int:
        total = 0
        while (n := self.poll(handler, count=count)):
            total += n
        return total

    def forget(self) -> None:
        """Drop this consumer's position and memory (tests; a consumer retired for good)."""
        self.redis.delete(self.processed.key, self.processed.floor_key, self.position_key)

