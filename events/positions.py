"""Crew positions: the stream (settings.position_stream) → PostGIS tracks, through the consumer group ``tracks``.

Reading with a group puts each entry on the group's pending list until it is acknowledged; a batch is
acknowledged only after it is committed, so a crash repeats a batch (a few duplicate track points) and never
loses one. Each turn takes, in this order: this consumer's own pending entries (a restarted consumer resumes
there), entries another consumer has left pending for over a minute (it crashed: XAUTOCLAIM), then new ones.

A malformed entry (a producer's bug, a hand-typed XADD) would fail its batch on every turn and stop the ingester
for good. It is moved to the dead-letter stream (settings.position_dead_letter_stream: its id, its fields and the
reason) and acknowledged, and the rest of the batch is stored; /healthz shows how many wait there.

Trimming: XADD MAXLEN and XTRIM ignore the pending list (Redis 7.0), so the producers' MAXLEN is only a far
safety cap, and the ingester trims the stream by MINID up to the oldest entry the group has not acknowledged
(pending, or not delivered yet), keeping ``position_stream_keep_seconds`` of acknowledged history for browsers
that reconnect from a cursor.
"""
from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass
from datetime import datetime

import redis
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DataError, IntegrityError

from events.bus import get_redis, id_key
from geo import crews as crews_db
from geo.db import get_engine
from settings import get_settings

TRACKS_GROUP = "tracks"
DEAD_LETTER_MAXLEN = 10_000
MAX_CREW_CODE = 32                # crew_tracks.crew_code
log = logging.getLogger("events.positions")


class Malformed(ValueError):
    """A stream entry that can never become a track point."""


# ------------------------------------------------------------------------------------------------ one entry

def parse_position(fields: dict) -> dict:
    """The track row of one entry; Malformed names the field at fault."""
    f = {_text(k): _text(v) for k, v in fields.items()}
    crew = f.get("crew", "").strip()
    if not crew or len(crew) > MAX_CREW_CODE:
        raise Malformed(f"crew {f.get('crew')!r}: a code of 1–{MAX_CREW_CODE} characters is required")
    try:
        at = datetime.fromisoformat(f["at"])
    except (KeyError, ValueError):
        raise Malformed(f"at {f.get('at')!r}: an ISO 8601 time is required") from None
    if at.tzinfo is None:
        raise Malformed(f"at {f['at']!r}: the time has no UTC offset")
    speed = _number(f, "speed_kmh", 0, 1000) if f.get("speed_kmh") else None
    return {"crew": crew, "lon": _number(f, "lon", -180, 180), "lat": _number(f, "lat", -90, 90), "at": at,
            "speed": speed}


def _number(f: dict, name: str, low: float, high: float) -> float:
    try:
        value = float(f[name])
    except (KeyError, ValueError):
        raise Malformed(f"{name} {f.get(name)!r}: a number is required") from None
    if not math.isfinite(value) or not low <= value <= high:
        raise Malformed(f"{name} {f[name]!r}: outside {low}…{high}")
    return value


def _text(value) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def next_id(entry_id: str) -> str:
    """The smallest stream id after ``entry_id``."""
    ms, seq = id_key(entry_id)
    return f"{ms}-{seq + 1}"


# ------------------------------------------------------------------------------------------------ the group

@dataclass
class Ingested:
    read: int = 0
    stored: int = 0
    dead: int = 0

    def __bool__(self) -> bool:
        return self.read > 0

    def __add__(self, other: "Ingested") -> "Ingested":
        return Ingested(self.read + other.read, self.stored + other.stored, self.dead + other.dead)


@dataclass
class Backlog:
    """What the group has not acknowledged yet: how many entries (None: Redis cannot tell) and how long the
    oldest of them has waited (seconds, from its id and Redis's clock; None: nothing waits)."""
    entries: int | None = 0
    age_seconds: float | None = None
    has_group: bool = True


class TrackIngester:
    """One consumer of the ``tracks`` group; any number may run at once (each entry is stored by one)."""

    def __init__(self, consumer: str, *, client: redis.Redis | None = None, engine: Engine | None = None,
                 stream: str | None = None, dead_letters: str | None = None, group: str = TRACKS_GROUP):
        settings = get_settings()
        self.consumer, self.group = consumer, group
        self.redis = client or get_redis()
        self.engine = engine or get_engine()
        self.stream = stream or settings.position_stream
        self.dead_letters = dead_letters or settings.position_dead_letter_stream
        self._group_ready = False
        # A consumer silent this long with pending entries is taken to have crashed (its entries are claimed).
        self.claim_idle_ms = int(settings.position_claim_idle_seconds * 1000)

    def ensure_group(self) -> None:
        """Create the group (reading from the stream's start) unless it exists; again after Redis lost it."""
        if self._group_ready:
            return
        try:
            self.redis.xgroup_create(self.stream, self.group, id="0", mkstream=True)
        except redis.ResponseError as error:
            if "BUSYGROUP" not in str(error):
                raise
        self._group_ready = True

    def take(self, count: int, block_ms: int) -> list[tuple[str, dict | None]]:
        """Own pending entries first, then those a crashed consumer left, then new ones (waiting ``block_ms``)."""
        self.ensure_group()
        try:
            entries = _entries(self.redis.xreadgroup(self.group, self.consumer, {self.stream: "0"}, count=count))
            if not entries:
                claimed = self.redis.xautoclaim(self.stream, self.group, self.consumer,
                                                min_idle_time=self.claim_idle_ms, count=count)
                entries = [e for e in claimed[1] if e]
            if not entries:
                entries = _entries(self.redis.xreadgroup(self.group, self.consumer, {self.stream: ">"},
                                                         count=count, block=block_ms))
        except redis.ResponseError as error:
            if "NOGROUP" in str(error):
                self._group_ready = False      # the stream was deleted or Redis restarted empty: next turn
            raise
        return entries

    def ingest_once(self, block_ms: int = 1000, count: int = 500) -> Ingested:
        """Store one batch as PostGIS tracks; malformed entries go to the dead letters; then acknowledge all."""
        entries = self.take(count, block_ms)
        if not entries:
            return Ingested()
        good, dead = [], []
        for entry_id, fields in entries:
            if not fields:
                continue                       # trimmed away while pending (the safety cap): nothing to store
            try:
                good.append((entry_id, fields, parse_position(fields)))
            except Malformed as bad:
                dead.append((entry_id, fields, str(bad)))
        stored, refused = self._store(good)
        dead += refused
        self._acknowledge([entry_id for entry_id, _ in entries], dead)
        return Ingested(read=len(entries), stored=stored, dead=len(dead))

    def _store(self, good: list[tuple[str, dict, dict]]) -> tuple[int, list[tuple[str, dict, str]]]:
        """Store the rows of known crews (unknown crews' points are dropped, as ever); when the database refuses
        the batch for its data, row by row, and the rows it refuses become dead letters."""
        if not good:
            return 0, []
        with self.engine.begin() as conn:
            known = crews_db.known_crews(conn, list({row["crew"] for _, _, row in good}))   # one query per batch
            good = [entry for entry in good if entry[2]["crew"] in known]
            try:
                with conn.begin_nested():
                    return crews_db.store_positions(conn, [row for _, _, row in good]), []
            except (DataError, IntegrityError):
                pass
            stored, refused = 0, []
            for entry_id, fields, row in good:
                try:
                    with conn.begin_nested():
                        stored += crews_db.store_positions(conn, [row])
                except (DataError, IntegrityError) as error:
                    refused.append((entry_id, fields, f"refused by the database: {str(error.orig).strip()}"))
            return stored, refused

    def _acknowledge(self, ids: list[str], dead: list[tuple[str, dict, str]]) -> None:
        """Dead letters and the acknowledgement in one MULTI: an entry is never acknowledged without its copy."""
        pipe = self.redis.pipeline(transaction=True)
        for entry_id, fields, reason in dead:
            pipe.xadd(self.dead_letters, {"stream": self.stream, "id": entry_id, "reason": reason,
                                          "fields": json.dumps({_text(k): _text(v) for k, v in fields.items()},
                                                               ensure_ascii=False)},
                      maxlen=DEAD_LETTER_MAXLEN, approximate=True)
        pipe.xack(self.stream, self.group, *ids)
        pipe.xlen(self.dead_letters)
        *_, waiting = pipe.execute()
        for entry_id, _, reason in dead:
            log.warning("position ingester: entry %s of %s moved to %s (%d there now): %s", entry_id, self.stream,
                        self.dead_letters, waiting, reason)

    # -------------------------------------------------------------------------------------------- trimming

    def trim(self, keep_seconds: float | None = None, approximate: bool = True) -> int:
        """Trim the stream up to the oldest entry the group has not acknowledged, keeping the last
        ``keep_seconds`` (default settings.position_stream_keep_seconds) anyway; returns how many went."""
        floor = unacknowledged_floor(self.redis, self.stream, self.group)
        if floor is None:
            return 0                           # no group yet: nobody has read anything, keep it all
        keep = get_settings().position_stream_keep_seconds if keep_seconds is None else keep_seconds
        seconds, micros = self.redis.time()
        window = f"{max(int(seconds * 1000 + micros // 1000 - keep * 1000), 0)}-0"
        minid = min(floor, window, key=id_key)
        return self.redis.xtrim(self.stream, minid=minid, approximate=approximate)


def _entries(reply) -> list[tuple[str, dict | None]]:
    return [entry for _, batch in (reply or []) for entry in batch]


def _group(client: redis.Redis, stream: str, group: str) -> dict | None:
    try:
        groups = client.xinfo_groups(stream)
    except redis.ResponseError as error:
        if "no such key" in str(error):
            return None
        raise
    return next((g for g in groups if _text(g["name"]) == group), None)


def unacknowledged_floor(client: redis.Redis, stream: str, group: str = TRACKS_GROUP) -> str | None:
    """The oldest id the group still needs (its oldest pending entry, else the one after the last delivered);
    None when there is no such group."""
    info = _group(client, stream, group)
    if info is None:
        return None
    if info["pending"]:
        return _text(client.xpending(stream, group)["min"])
    return next_id(_text(info["last-delivered-id"]))


def backlog(client: redis.Redis, stream: str | None = None, group: str = TRACKS_GROUP) -> Backlog:
    """Entries of the stream the group has not acknowledged (pending + not yet delivered) and the age of the
    oldest. Without a group (no ingester has ever read the stream), every entry waits."""
    stream = stream or get_settings().position_stream
    info = _group(client, stream, group)
    if info is None:
        first = client.xrange(stream, count=1)
        return Backlog(client.xlen(stream), _age(client, [_text(first[0][0])] if first else []), has_group=False)
    oldest = []
    if info["pending"]:
        oldest.append(_text(client.xpending(stream, group)["min"]))
    undelivered = client.xrange(stream, min="(" + _text(info["last-delivered-id"]), count=1)
    if undelivered:
        oldest.append(_text(undelivered[0][0]))
    lag = info.get("lag")                      # None when Redis cannot tell (entries deleted in between)
    return Backlog(info["pending"] + lag if lag is not None else None, _age(client, oldest))


def _age(client: redis.Redis, ids: list[str]) -> float | None:
    if not ids:
        return None
    seconds, micros = client.time()
    return max(seconds + micros / 1e6 - min(id_key(i)[0] for i in ids) / 1000, 0.0)


def dead_letter_count(client: redis.Redis, stream: str | None = None) -> int:
    return client.xlen(stream or get_settings().position_dead_letter_stream)
