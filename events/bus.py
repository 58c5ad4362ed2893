"""Redis side of the live feed: the client, crew positions, and reading the streams from a cursor."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from functools import lru_cache

import redis

from settings import get_settings


@lru_cache(maxsize=4)
def _client(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, decode_responses=True, socket_connect_timeout=2, socket_timeout=30,
                                health_check_interval=30)


def get_redis() -> redis.Redis:
    return _client(get_settings().redis_url)


def live_streams() -> tuple[str, str]:
    s = get_settings()
    return s.event_stream, s.position_stream


def publish_position(r: redis.Redis, crew: str, lon: float, lat: float, at: datetime,
                     speed_kmh: float | None = None, status: str | None = None) -> str:
    """Put a position on the stream and keep it as the crew's latest, in one round trip."""
    s = get_settings()
    fields = {"crew": crew, "lon": f"{lon:.7f}", "lat": f"{lat:.7f}", "at": at.isoformat()}
    if speed_kmh is not None:
        fields["speed_kmh"] = f"{speed_kmh:.1f}"
    if status:
        fields["status"] = status
    pipe = r.pipeline(transaction=True)
    pipe.xadd(s.position_stream, fields, maxlen=s.position_stream_maxlen, approximate=True)
    pipe.hset(s.latest_positions_key, crew, json.dumps({"lon": lon, "lat": lat, "at": fields["at"]}))
    entry_id, _ = pipe.execute()
    return entry_id


def latest_positions(r: redis.Redis) -> dict[str, dict]:
    raw = r.hgetall(get_settings().latest_positions_key)
    return {crew: json.loads(value) for crew, value in raw.items()}


def stream_heads(r: redis.Redis, streams: tuple[str, ...]) -> dict[str, str]:
    """The newest entry id of each stream now ('0-0' for an empty one): a cursor that misses nothing after it."""
    heads = {}
    for stream in streams:
        newest = r.xrevrange(stream, count=1)
        heads[stream] = newest[0][0] if newest else "0-0"
    return heads


def cursor_still_held(r: redis.Redis, stream: str, entry_id: str) -> bool:
    """False when the stream was trimmed past ``entry_id`` (or reset): the reader must reload from PostGIS."""
    if entry_id == "0-0":
        return True
    oldest = r.xrange(stream, count=1)
    if not oldest:
        return False            # the stream is gone (Redis restarted without persistence)
    return id_key(oldest[0][0]) <= id_key(entry_id)


def id_key(entry_id: str) -> tuple[int, int]:
    """A stream entry id as a sortable pair ('1700000000000-3' → (1700000000000, 3))."""
    ms, _, seq = entry_id.partition("-")
    return int(ms), int(seq or 0)


def read_after(r: redis.Redis, cursor: dict[str, str], block_ms: int, count: int = 1000) -> list[tuple[str, str, dict]]:
    """Entries after ``cursor`` on every stream, waiting up to ``block_ms`` for the first: (stream, id, fields)."""
    return _flat(r.xread(cursor, count=count, block=block_ms))


def read_now(r: redis.Redis, cursor: dict[str, str], count: int = 1000) -> list[tuple[str, str, dict]]:
    """Entries after ``cursor`` that are there now, without waiting (a catch-up; BLOCK 0 would wait for ever)."""
    return _flat(r.xread(cursor, count=count))


def _flat(answer) -> list[tuple[str, str, dict]]:
    return [(stream, entry_id, fields) for stream, entries in answer or [] for entry_id, fields in entries]


def now_utc() -> datetime:
    return datetime.now(timezone.utc)
