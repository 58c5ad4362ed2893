"""The live feed for every open map: a snapshot from PostGIS, then batches from the Redis streams.

Nothing lives only in one process: any dashboard process can serve any browser from PostGIS + Redis.
"""
from __future__ import annotations

import json
import logging
import time
from datetime import datetime
from typing import Iterator

import redis

from events.bus import (cursor_still_held, get_redis, latest_positions, live_streams, now_utc, publish_position,
                        read_after, stream_heads)
from geo import crews as crews_db
from geo import tickets as tickets_db
from geo.db import get_engine
from services.tickets import IntakeError, NotFound, public_view
from workorders.states import OPEN_STATES

HEARTBEAT_SECONDS = 15
log = logging.getLogger(__name__)


# ------------------------------------------------------------------------------------------------ cursor

def encode_cursor(cursor: dict[str, str]) -> str:
    tickets, positions = live_streams()
    return f"{cursor.get(tickets, '0-0')}|{cursor.get(positions, '0-0')}"


def decode_cursor(text: str | None) -> dict[str, str] | None:
    """The cursor a browser sent back (Last-Event-ID); None when absent or malformed."""
    if not text or "|" not in text:
        return None
    tickets, positions = live_streams()
    first, _, second = text.partition("|")
    ids = [first.strip(), second.strip()]
    if not all(_looks_like_id(i) for i in ids):
        return None
    return {tickets: ids[0], positions: ids[1]}


def _looks_like_id(entry_id: str) -> bool:
    ms, _, seq = entry_id.partition("-")
    return ms.isdigit() and (seq == "" or seq.isdigit())


# ------------------------------------------------------------------------------------------------ snapshot

# What the live layers use of a ticket and a crew (the snapshot is sent to every opening screen: keep it small).
LIVE_TICKET_FIELDS = ("number", "state", "priority", "category_name", "lon", "lat", "grid_code", "crew_code",
                      "arrival_due_at", "resolve_due_at", "updated_at")
LIVE_CREW_FIELDS = ("code", "name", "status", "grid_code", "lon", "lat")


def live_ticket(ticket: dict) -> dict:
    view = public_view(ticket)
    return {k: (view[k].isoformat() if isinstance(view[k], datetime) else view[k]) for k in LIVE_TICKET_FIELDS}


def snapshot() -> dict:
    """Open tickets and crews now, with the cursor to follow from. The cursor is read first: an event committed
    while PostGIS is read is then delivered again, and the browser keeps the newer version (updated_at)."""
    r = get_redis()
    try:
        cursor = stream_heads(r, live_streams())
        latest = latest_positions(r)
    except redis.RedisError:
        cursor, latest = None, {}
    with get_engine().connect() as conn:
        open_tickets = tickets_db.list_tickets(conn, {"state": sorted(OPEN_STATES)}, limit=50_000)
        crews = crews_db.live_crews(conn)
    for crew in crews:
        crew.update({k: latest[crew["code"]][k] for k in ("lon", "lat")} if crew["code"] in latest else {})
    return {"cursor": encode_cursor(cursor) if cursor else None,
            "tickets": [live_ticket(t) for t in open_tickets],
            "crews": [{k: crew[k] for k in LIVE_CREW_FIELDS} for crew in crews]}


# ------------------------------------------------------------------------------------------------ batches

def to_batch(entries: list[tuple[str, str, dict]]) -> dict:
    """Stream entries as one message for the browser: ticket views and crew moves/status."""
    tickets_stream, positions_stream = live_streams()
    tickets: dict[str, dict] = {}
    crews: dict[str, dict] = {}
    for stream, _, fields in entries:
        if stream == positions_stream:
            move = {"code": fields["crew"], "lon": float(fields["lon"]), "lat": float(fields["lat"])}
            if fields.get("status"):
                move["status"] = fields["status"]
            crews.setdefault(move["code"], {}).update(move)
            continue
        payload = json.loads(fields.get("payload", "{}"))
        if "ticket" in payload:
            ticket = payload["ticket"]
            tickets[ticket["number"]] = ticket          # later entries of the same ticket win
        elif payload.get("event") == "crew.status":
            crews.setdefault(payload["crew"], {"code": payload["crew"]})["status"] = payload["status"]
    return {"tickets": list(tickets.values()), "crews": list(crews.values())}


def sse_messages(cursor: dict[str, str] | None, stop_after: float | None = None) -> Iterator[str]:
    """Server-sent events: 'batch' messages with id = cursor, 'reset' when the browser must reload the snapshot.

    Events that arrive together go out as one message (XREAD returns all that is waiting), so a burst costs the
    browser one redraw, not one per event.
    """
    r = get_redis()
    started = time.monotonic()
    yield "retry: 2000\n\n"
    if cursor is None or not all(cursor_still_held(r, s, i) for s, i in cursor.items()):
        yield "event: reset\ndata: {}\n\n"
        return
    while stop_after is None or time.monotonic() - started < stop_after:
        try:
            entries = read_after(r, cursor, block_ms=HEARTBEAT_SECONDS * 1000)
        except redis.RedisError:
            yield "event: reset\ndata: {}\n\n"       # Redis went away: the browser reloads and retries
            return
        if not entries:
            yield ": keep-alive\n\n"
            continue
        for stream, entry_id, _ in entries:
            cursor[stream] = entry_id
        yield f"id: {encode_cursor(cursor)}\nevent: batch\ndata: {json.dumps(to_batch(entries), ensure_ascii=False)}\n\n"


# ------------------------------------------------------------------------------------------------ positions

def report_position(crew: str, lon: float, lat: float, at: datetime | None = None,
                    speed_kmh: float | None = None) -> str | None:
    """A crew's position from the simulator or a mobile client: on the stream and as the latest in Redis; the
    track goes to PostGIS through the position ingester. With Redis down the point goes straight to PostGIS."""
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise IntakeError("location", f"经纬度超出范围：lat={lat}, lon={lon}")
    at = at or now_utc()
    with get_engine().connect() as conn:
        if not crews_db.crew_exists(conn, crew):
            raise NotFound(f"没有处置力量 {crew}")
    try:
        return publish_position(get_redis(), crew, lon, lat, at, speed_kmh)
    except redis.RedisError:
        with get_engine().begin() as conn:
            crews_db.store_positions(conn, [{"crew": crew, "lon": lon, "lat": lat, "at": at, "speed": speed_kmh}])
        return None
