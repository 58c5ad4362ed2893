"""The live feed for every open map: a snapshot from PostGIS, then batches from the Redis streams.

Nothing lives only in one process: any dashboard process can serve any browser from PostGIS + Redis.
"""
from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Iterator

import redis

from events.bus import (cursor_still_held, get_redis, id_key, latest_positions, live_streams, now_utc,
                        publish_position, read_now, stream_heads)
from events.hub import Batch, Hub, Subscription, View, get_hub
from events.wire import wire_time
from geo import crews as crews_db
from geo import tickets as tickets_db
from geo.db import get_engine
from services.public_places import community_points
from services.tickets import IntakeError, NotFound, public_view
from settings import get_settings
from workorders import policy
from workorders.policy import Principal, can, ticket_scope
from workorders.privacy import is_home, public_point
from workorders.states import OPEN_STATES

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


# ------------------------------------------------------------------------------------------------ variants

@dataclass(frozen=True)
class LiveVariant:
    """What one kind of viewer's feed carries. Every browser of a kind gets the same bytes, so a hub batch and a
    snapshot are rendered once per variant and process, not once per browser."""
    name: str
    exact: bool          # points as recorded; else the public place (~100 m lattice, an elder's alarm at its community)


EXACT = LiveVariant("exact", exact=True)
PLACES = LiveVariant("places", exact=False)
VARIANTS = (EXACT, PLACES)


def live_variant(principal: Principal | None) -> LiveVariant:
    """The feed a principal may have. Neither variant carries a name, phone, typed address or description (the
    wire form has no field for them); a point as recorded is where someone lives or stood, so only a principal
    who may read every ticket in full (``ticket_read`` unscoped: dispatcher, supervisor) gets it. The wall, the
    leader and anybody else get places."""
    if can(principal, "ticket_read") and ticket_scope(principal, "ticket_read") is None:
        return EXACT
    return PLACES


# ------------------------------------------------------------------------------------------------ wire form

# What the live layers draw, and nothing else (the snapshot goes to every opening screen; each batch to every open
# one): rows under a header instead of objects, coordinates to 1e-6° (~0.1 m) in the exact variant, times in the
# one wire format.
# crew: the code of the crew sent to the ticket (a unit, never a person's name), for the line from crew to job.
TICKET_FIELDS = ("number", "state", "priority", "lon", "lat", "updated_at", "arrival_due", "resolve_due", "crew")
CREW_FIELDS = ("code", "status", "worker", "lon", "lat")       # worker: 1 for a cell's grid worker


def _degrees(value) -> float | None:
    return None if value is None else round(float(value), 6)


def live_ticket(view: dict, variant: LiveVariant = PLACES) -> list:
    """One ticket as the live layers get it, from its public view (a row of PostGIS or a stream payload)."""
    if variant.exact:
        lon, lat = _degrees(view.get("lon")), _degrees(view.get("lat"))
    else:
        lon, lat = public_point(view, community_points() if is_home(view) else {})
    # The deadlines colour a cluster by its most urgent member; the arrival one only while no crew is there.
    arrival = None if view.get("on_site_at") else view.get("arrival_due_at")
    return [view["number"], view["state"], view.get("priority"), lon, lat, wire_time(view.get("updated_at")),
            wire_time(arrival), wire_time(view.get("resolve_due_at")), view.get("crew_code")]


def live_crew(crew: dict) -> list:
    return [crew["code"], crew["status"], 1 if crew.get("grid_code") else 0, _degrees(crew["lon"]),
            _degrees(crew["lat"])]


def _table(fields: tuple[str, ...], rows: list[list]) -> dict:
    return {"fields": list(fields), "rows": rows}


# ------------------------------------------------------------------------------------------------ snapshot

SNAPSHOT_REUSE_SECONDS = 1.0
_snapshot_lock = threading.Lock()
_snapshot_cache: tuple[float, dict[str, bytes]] | None = None


def snapshot(variant: LiveVariant = PLACES) -> dict:
    """Open tickets and crews now, with the cursor to follow from (as ``variant`` may see them)."""
    return _render_snapshot(_read_snapshot(), variant)


def _read_snapshot() -> dict:
    """The cursor is read first: an event committed while PostGIS is read is then delivered again, and the
    browser keeps the newer version (updated_at).

    With Redis away the cursor is the last position this process's hub saw (still "read first"), so a map
    opened during an outage catches up by itself once Redis is back; without one it is None and the browser
    is told to reload when the feed is live again."""
    cursor, latest = _cursor_and_positions()
    taken_at = now_utc()          # before the read: whatever a browser holds that is newer than this, it keeps
    with get_engine().connect() as conn:
        open_tickets, open_total = _open_tickets(conn)
        crews = crews_db.live_crews(conn)
    for crew in crews:
        crew.update({k: latest[crew["code"]][k] for k in ("lon", "lat")} if crew["code"] in latest else {})
    return {"cursor": cursor, "taken_at": taken_at, "tickets": [public_view(t) for t in open_tickets],
            "open_total": open_total, "crews": crews}


def _open_tickets(conn) -> tuple[list[dict], int]:
    """The open tickets a snapshot holds (at most LIVE_SNAPSHOT_MAX_TICKETS, the most urgent) and how many are
    open in all: a map that shows only part must say so, never drop the rest unseen."""
    cap = get_settings().live_snapshot_max_tickets
    states = sorted(OPEN_STATES)
    shown = tickets_db.most_urgent(conn, states, cap + 1)
    if len(shown) <= cap:
        return shown, len(shown)
    return shown[:cap], tickets_db.count_in_states(conn, states)


def _render_snapshot(read: dict, variant: LiveVariant) -> dict:
    return {"cursor": encode_cursor(read["cursor"]) if read["cursor"] else None,
            "taken_at": wire_time(read["taken_at"]),
            "tickets": _table(TICKET_FIELDS, [live_ticket(t, variant) for t in read["tickets"]]),
            "open_total": read["open_total"],
            "crews": _table(CREW_FIELDS, [live_crew(c) for c in read["crews"]])}


def _cursor_and_positions() -> tuple[dict[str, str] | None, dict]:
    hub = get_hub()
    if not hub.up and hub.position:            # known to be down: no 2-second connect timeout per snapshot
        return dict(hub.position), {}
    try:
        r = get_redis()
        return stream_heads(r, live_streams()), latest_positions(r)
    except redis.RedisError:
        return (dict(hub.position) if hub.position else None), {}


def snapshot_json(variant: LiveVariant = PLACES) -> bytes:
    """The snapshot as JSON, read at most once a second per process however many browsers ask at once (after a
    reset every open map asks together), and rendered for both variants from that one read. A snapshot a second
    old is still exact: its cursor is older than its PostGIS read, and the stream brings what happened since."""
    global _snapshot_cache
    with _snapshot_lock:                       # one build in flight; the others wait for it and share it
        cached = _snapshot_cache
        if cached and time.monotonic() - cached[0] < SNAPSHOT_REUSE_SECONDS:
            return cached[1][variant.name]
        read = _read_snapshot()
        bodies = {v.name: json.dumps(_render_snapshot(read, v), ensure_ascii=False, separators=(",", ":")).encode()
                  for v in VARIANTS}
        _snapshot_cache = (time.monotonic(), bodies)
        return bodies[variant.name]


# ------------------------------------------------------------------------------------------------ batches

def to_batch(entries: list[tuple[str, str, dict]], variant: LiveVariant = PLACES) -> dict:
    """Stream entries as one message for the browser: ticket rows (TICKET_FIELDS) and crew moves/status. An entry
    that cannot be read is left out (and logged): every open map gets this batch, and a reconnect would only read
    the same entry again."""
    tickets: dict[str, list] = {}
    crews: dict[str, dict] = {}
    for stream, entry_id, fields in entries:
        try:
            _add_entry(stream, fields, tickets, crews, variant)
        except (KeyError, TypeError, ValueError) as error:
            log.warning("live feed: entry %s of %s left out (%s: %s)", entry_id, stream, type(error).__name__, error)
    return {"tickets": _table(TICKET_FIELDS, list(tickets.values())), "crews": list(crews.values())}


def _add_entry(stream: str, fields: dict, tickets: dict[str, list], crews: dict[str, dict],
               variant: LiveVariant) -> None:
    if stream == live_streams()[1]:
        move = {"code": fields["crew"], "lon": _degrees(fields["lon"]), "lat": _degrees(fields["lat"])}
        if fields.get("status"):
            move["status"] = fields["status"]
        crews.setdefault(move["code"], {}).update(move)
        return
    payload = json.loads(fields.get("payload", "{}"))
    if "ticket" in payload:
        row = live_ticket(payload["ticket"], variant)
        tickets[row[0]] = row                      # later entries of the same ticket win
    elif payload.get("event") == "crew.status":
        crews.setdefault(payload["crew"], {"code": payload["crew"]})["status"] = payload["status"]


# ------------------------------------------------------------------------------------------------ push channel

HEARTBEAT_SECONDS = 15
MAX_CATCH_UP = 20_000          # further behind than this, the snapshot is the cheaper way to catch up
# A browser that missed entries older than this (measured on the stream's own clock: the ms of entry ids against
# the hub's position) reloads the snapshot instead of being sent them: a cursor is the browser's word, and
# ``cursor=0-0|0-0`` would otherwise replay the stream's whole history of tickets and crews' tracks.
MAX_CATCH_UP_AGE_MS = 10 * 60 * 1000
MAX_BATCH = 2_000              # entries per message when a backlog is sent
RESET = "event: reset\ndata: {}\n\n"
PING = "event: ping\ndata: {}\n\n"       # an event, not a comment: the browser's watchdog must see it


def _status(live_now: bool) -> str:
    return f"event: status\ndata: {json.dumps({'live': live_now})}\n\n"


def _batch_data(entries: list, variant: LiveVariant) -> str:
    return json.dumps(to_batch(entries, variant), ensure_ascii=False, separators=(",", ":"))


def _batch(cursor: dict[str, str], entries: list, variant: LiveVariant, data: str | None = None) -> str:
    return f"id: {encode_cursor(cursor)}\nevent: batch\ndata: {data or _batch_data(entries, variant)}\n\n"


def sse_messages(cursor: dict[str, str] | None, hub: Hub | None = None,
                 heartbeat: float = HEARTBEAT_SECONDS, variant: LiveVariant = PLACES) -> Iterator[str]:
    """Server-sent events for one browser: 'batch' messages with id = cursor, 'status' when Redis goes away or
    comes back (the connection stays open meanwhile), 'reset' when the browser must reload the snapshot, and a
    'ping' every HEARTBEAT_SECONDS (a dead client is noticed by the failed write).

    The browser is one subscription of this process's hub: no Redis read of its own except the catch-up from
    an old cursor. Events that arrive together go out as one message, so a burst costs the browser one redraw.
    ``variant`` (live_variant of the principal) decides what the batches carry.
    """
    hub = hub or get_hub()
    subscription, view = hub.subscribe()
    try:
        yield "retry: 5000\n\n"
        yield from _follow(hub, subscription, view, cursor, heartbeat, variant)
    finally:
        hub.unsubscribe(subscription)


def _follow(hub: Hub, subscription: Subscription, view: View, cursor: dict[str, str] | None,
            heartbeat: float, variant: LiveVariant) -> Iterator[str]:
    yield _status(view.up)           # every connection says it: the browser may have heard "down" on its last one
    if not view.up:
        while not view.up:
            kind, value = subscription.get(heartbeat)
            if kind is None:
                yield PING
            elif kind == "reset":
                yield RESET
                return
            elif kind == "status":
                view = value
        yield _status(True)
    if cursor is None:
        yield RESET
        return
    try:
        backlog = _catch_up(hub, cursor, view.position)
    except redis.RedisError:
        return                                  # the browser reconnects (with backoff) from the same cursor
    if backlog is None:
        yield RESET
        return
    for start in range(0, len(backlog), MAX_BATCH):
        yield _advance_and_send(cursor, backlog[start:start + MAX_BATCH], variant)
    while True:
        kind, value = subscription.get(heartbeat)
        if kind is None:
            yield PING
        elif kind == "entries":
            more = _more_entries(subscription)
            entries = _newer_than(cursor, value + more if more else value)
            if entries:
                whole = not more and len(entries) == len(value)     # the usual case: as the hub read it
                yield _advance_and_send(cursor, entries, variant, _shared_data(value, variant) if whole else None)
        elif kind == "status":
            yield _status(value.up)
        elif kind == "reset":
            yield RESET
            return
        elif kind == "dropped":
            return                              # too slow to follow: it reconnects from its cursor


def _more_entries(subscription: Subscription) -> list:
    """Entries already queued behind the first (merged into one message), stopping at anything else."""
    more: list = []
    while len(more) < MAX_BATCH and subscription.peek_kind() == "entries":
        more.extend(subscription.get(0)[1])
    return more


def _newer_than(cursor: dict[str, str], entries: list) -> list:
    return [e for e in entries if id_key(e[1]) > id_key(cursor.get(e[0], "0-0"))]


def _advance_and_send(cursor: dict[str, str], entries: list, variant: LiveVariant, data: str | None = None) -> str:
    for stream, entry_id, _ in entries:
        cursor[stream] = entry_id
    return _batch(cursor, entries, variant, data)


def _shared_data(batch: Batch, variant: LiveVariant) -> str:
    """The JSON of a hub batch for ``variant``, made by the first browser's connection of that variant that sends
    it and reused by the others: two renderings of a batch at most, however many browsers are open."""
    if variant.name not in batch.derived:
        batch.derived[variant.name] = _batch_data(batch, variant)
    return batch.derived[variant.name]


def too_old_to_catch_up(entry_id: str, until_id: str) -> bool:
    """Whether a missed entry is older than the catch-up reaches (MAX_CATCH_UP_AGE_MS before ``until_id``)."""
    return id_key(until_id)[0] - id_key(entry_id)[0] > MAX_CATCH_UP_AGE_MS


def _catch_up(hub: Hub, cursor: dict[str, str], until: dict[str, str]) -> list | None:
    """What the browser missed between its cursor and the point from which its queue fills: from the hub's memory
    when it reaches back that far, else from Redis; None (reload the snapshot) when the stream no longer holds the
    cursor, or the browser missed more than MAX_CATCH_UP entries or any older than MAX_CATCH_UP_AGE_MS."""
    ahead = any(id_key(cursor[s]) > id_key(until[s]) for s in until)
    if not ahead:                       # within what the hub has seen without a break: memory, when it has it
        recent = hub.recent_after(cursor, until)
        if recent is not None:
            return None if any(too_old_to_catch_up(e[1], until[e[0]]) for e in recent) else recent
    # Ahead of this hub (a snapshot of another process) or older than its memory: Redis must still hold it. An
    # emptied or restarted stream does not, however far its new ids go.
    r = get_redis()
    if not all(cursor_still_held(r, s, i) for s, i in cursor.items()):
        return None
    backlog: list = []
    position = dict(cursor)
    while len(backlog) <= MAX_CATCH_UP:
        behind = {s: i for s, i in position.items() if id_key(i) < id_key(until[s])}
        entries = read_now(r, behind) if behind else []
        if not entries:
            return backlog
        for stream, entry_id, fields in entries:
            if too_old_to_catch_up(entry_id, until[stream]):
                return None
            position[stream] = entry_id
            if id_key(entry_id) <= id_key(until[stream]):
                backlog.append((stream, entry_id, fields))
            else:
                position[stream] = until[stream]        # the rest of this stream comes through the queue
    return None


# ------------------------------------------------------------------------------------------------ positions

def report_position(crew: str, lon: float, lat: float, at: datetime | None = None,
                    speed_kmh: float | None = None, *, principal: policy.Principal | None) -> str | None:
    """A crew's position from the simulator or a mobile client: on the stream and as the latest in Redis; the
    track goes to PostGIS through the position ingester. With Redis down the point goes straight to PostGIS.
    ``principal`` needs the ``crew_position`` right on this crew (a key: the crew's own, or one with the
    ``positions`` scope): a position moves a marker every dispatcher trusts."""
    policy.require(principal, "crew_position")
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise IntakeError("location", f"经纬度超出范围：lat={lat}, lon={lon}")
    at = at or now_utc()
    with get_engine().connect() as conn:
        units = crews_db.crew_units(conn, crew)
    if units is None:
        raise NotFound(f"没有处置力量 {crew}")
    policy.require(principal, "crew_position", policy.Target(
        department_codes=frozenset({units["department_code"]}), crew_code=crew))
    try:
        return publish_position(get_redis(), crew, lon, lat, at, speed_kmh)
    except redis.RedisError:
        with get_engine().begin() as conn:
            crews_db.store_positions(conn, [{"crew": crew, "lon": lon, "lat": lat, "at": at, "speed": speed_kmh}])
        return None
