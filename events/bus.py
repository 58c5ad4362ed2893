"""Redis side of the live feed: the clients, crew positions, reading the streams from a cursor, and the small keys
workers and dashboards leave for /healthz (a worker's last run, a process's open live connections)."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from functools import lru_cache

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from settings import get_settings


@lru_cache(maxsize=8)
def _client(url: str, timeout: float, retry: bool) -> redis.Redis:
    options = {} if retry else {"retry": Retry(NoBackoff(), 0)}
    return redis.Redis.from_url(url, decode_responses=True, socket_connect_timeout=min(2, timeout),
                                socket_timeout=timeout, health_check_interval=30, **options)


def get_redis(timeout: float = 30, retry: bool = True) -> redis.Redis:
    """The shared client; ``timeout`` bounds every answer (30 s: a blocking XREAD waits up to 15 s). Checks that
    must answer quickly, like /healthz, ask for less and for no retry (redis-py retries a refused connection
    with pauses of its own)."""
    return _client(get_settings().redis_url, timeout, retry)


def live_streams() -> tuple[str, str]:
    s = get_settings()
    return s.event_stream, s.position_stream


def publish_position(r: redis.Redis, crew: str, lon: float, lat: float, at: datetime,
                     speed_kmh: float | None = None, status: str | None = None) -> str:
    """Put a position on the stream and keep it as the crew's latest, in one round trip."""
    return publish_positions(r, [{"crew": crew, "lon": lon, "lat": lat, "at": at, "speed_kmh": speed_kmh,
                                  "status": status}])[0]


def publish_positions(r: redis.Redis, positions: list[dict]) -> list[str]:
    """Several positions (crew, lon, lat, at[, speed_kmh, status]) in one round trip; their stream ids.

    MAXLEN here is only a far safety cap (settings.position_stream_maxlen): it ignores what the ingester has not
    acknowledged yet. The stream is kept short by the ingester's trim (events.positions), which never cuts past
    an unacknowledged entry.
    """
    s = get_settings()
    pipe = r.pipeline(transaction=True)
    latest = {}
    for p in positions:
        fields = {"crew": p["crew"], "lon": f"{p['lon']:.7f}", "lat": f"{p['lat']:.7f}", "at": p["at"].isoformat()}
        if p.get("speed_kmh") is not None:
            fields["speed_kmh"] = f"{p['speed_kmh']:.1f}"
        if p.get("status"):
            fields["status"] = p["status"]
        pipe.xadd(s.position_stream, fields, maxlen=s.position_stream_maxlen, approximate=True)
        latest[p["crew"]] = json.dumps({"lon": p["lon"], "lat": p["lat"], "at": fields["at"]})
    if latest:
        pipe.hset(s.latest_positions_key, mapping=latest)
    return pipe.execute()[:len(positions)]


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
    """A stream id as numbers, for comparing ids (as strings '10-0' < '9-0')."""
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


# ------------------------------------------------------------------------------------------------ health keys

LIVE_CONNECTIONS_PATTERN = "live:connections:*"
ESCALATION_SWEEP = "escalation"          # the worker whose runs /healthz ages (workers/escalation.py)


def worker_run_key(worker: str) -> str:
    return f"workers:{worker}:last_run"


def record_worker_run(r: redis.Redis, worker: str, ttl_seconds: float) -> None:
    """Note that ``worker`` just finished a successful run (epoch seconds, Redis's clock). The key expires after
    ``ttl_seconds``: a worker gone that long is not vouched for by an old key."""
    seconds, micros = r.time()
    r.set(worker_run_key(worker), f"{seconds + micros / 1e6:.3f}", px=max(int(ttl_seconds * 1000), 1))


def worker_run_age(r: redis.Redis, worker: str) -> float | None:
    """Seconds since ``worker`` last recorded a run; None when no run is recorded (or its key expired)."""
    pipe = r.pipeline(transaction=False)
    pipe.get(worker_run_key(worker))
    pipe.time()
    last, (seconds, micros) = pipe.execute()
    return None if last is None else max(seconds + micros / 1e6 - float(last), 0.0)


def live_connections(r: redis.Redis) -> int:
    """Open /live/events connections of all dashboard processes: each keeps ``live:connections:<host>-<pid>``
    (its count, a TTL of 30 s refreshed every 10 s); a process that died stops counting when its key expires."""
    keys = list(r.scan_iter(match=LIVE_CONNECTIONS_PATTERN, count=1000))
    if not keys:
        return 0
    return sum(int(value) for value in r.mget(keys) if value is not None and str(value).lstrip("-").isdigit())
