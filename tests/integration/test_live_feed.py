"""The live feed's server side against real PostGIS and Redis: one time format on every path, one Redis read per
process for all its browsers (the hub), catching up from a cursor, and Redis outages (a private redis-server that
the test kills and starts again)."""
from __future__ import annotations

import json
import re
import threading
import time
import urllib.request
from datetime import datetime, timezone

import pytest
import redis
from sqlalchemy import text

from events.bus import get_redis, live_streams
from events.hub import CONNECTIONS_KEY, Hub, connections_key
from services import live
from services.tickets import NewTicket, create_ticket, transition
from harness.servers import free_port, start_app
from tests.private_redis import PrivateRedis
from harness.signing_in import session_cookie
from tests.sse import StreamReader, parse_events, rows, ticket_numbers
from harness.waiting import wait_until
from workorders.policy import system_principal as sp

WIRE_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00$")


@pytest.fixture(scope="module")
def grid_point(engine):
    with engine.connect() as conn:
        return conn.execute(text("""SELECT ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) FROM grids
                                    ORDER BY ST_Area(geom) DESC LIMIT 1""")).one()


def new_ticket(point) -> str:
    return create_ticket(NewTicket(channel="hotline", category="water_leak", description="测试：楼道漏水",
                                   lon=point[0], lat=point[1], citizen_name="王小明",
                                   citizen_phone="13812341234"), sp("测试")).ticket["number"]


def ticket_entry(number: str, state: str = "registered") -> dict:
    view = {"number": number, "state": state, "priority": 3, "lon": 123.0, "lat": 41.1,
            "updated_at": datetime.now(timezone.utc).isoformat()}
    return {"event_id": "0", "topic": "tickets", "type": "ticket.test",
            "payload": json.dumps({"event": "ticket.test", "ticket": view})}


# ------------------------------------------------------------------------------------------------ time format

def test_the_outbox_and_the_snapshot_write_a_tickets_time_the_same_way(engine, grid_point):
    number = new_ticket(grid_point)
    transition(number, "dispatch", sp("调度员"))
    with engine.connect() as conn:
        payloads = conn.execute(text("""SELECT payload FROM outbox WHERE payload->'ticket'->>'number' = :n
                                        ORDER BY id"""), {"n": number}).scalars().all()
    times = [p["ticket"]["updated_at"] for p in payloads]
    assert len(times) == 2 and all(WIRE_TIME.match(t) for t in times), times
    shown = {t["number"]: t for t in rows(live.snapshot()["tickets"])}[number]
    assert shown["updated_at"] == times[-1]
    assert shown["state"] == "dispatched"


def test_a_snapshot_over_its_cap_holds_the_most_urgent_and_says_how_many_are_open(engine, grid_point, monkeypatch):
    """Beyond LIVE_SNAPSHOT_MAX_TICKETS the map cannot hold every open ticket: it gets the most urgent ones (a
    priority-1 call first, never dropped for newer routine ones) and the open total, to say it shows a part."""
    from settings import get_settings
    urgent = create_ticket(NewTicket(channel="hotline", category="water_leak", description="快照上限：紧急",
                                     lon=grid_point[0], lat=grid_point[1], priority=1), sp("tests")).ticket
    routine = [new_ticket(grid_point) for _ in range(3)]  # newer, priority 3: never before a priority-1 call
    with engine.connect() as conn:
        open_now = conn.execute(text("""SELECT count(*) FROM tickets
            WHERE state NOT IN ('resolved', 'evaluated', 'closed', 'merged', 'refused')""")).scalar_one()
    monkeypatch.setattr(get_settings(), "live_snapshot_max_tickets", 2)
    capped = live.snapshot()
    shown = rows(capped["tickets"])
    assert len(shown) == 2 and capped["open_total"] == open_now
    with engine.connect() as conn:           # no ticket left out is more urgent than one shown
        keys = conn.execute(text("""SELECT priority, resolve_due_at FROM tickets WHERE number = ANY(:n)"""),
                            {"n": [t["number"] for t in shown]}).all()
    assert urgent["number"] in {t["number"] for t in shown} or \
        max(tuple(k) for k in keys) <= (1, urgent["resolve_due_at"])
    assert not {t["number"] for t in shown} & set(routine)
    monkeypatch.setattr(get_settings(), "live_snapshot_max_tickets", open_now + 10)
    whole = live.snapshot()
    assert len(rows(whole["tickets"])) == whole["open_total"] == open_now


def test_the_wall_and_the_leader_get_places_and_no_personal_data_the_dispatcher_points(engine, grid_point):
    from app import server
    from harness.signing_in import signed_in_client
    lon, lat = grid_point[0] + 0.0001234, grid_point[1] + 0.0001234
    citizen = create_ticket(NewTicket(channel="hotline", category="water_leak", description="测试：张三家楼道漏水",
                                      lon=lon, lat=lat, address="园林路88号2单元", citizen_name="张三丰",
                                      citizen_phone="13900001111"), sp("tests")).ticket
    home = create_ticket(NewTicket(channel="elder_phone", category="other", description="一键通呼叫：李秀英",
                                   lon=lon, lat=lat, address="园林路88号1单元101", citizen_name="李秀英",
                                   citizen_phone="04125550000", priority=1), sp("tests")).ticket
    with engine.connect() as conn:
        community = conn.execute(text("""SELECT ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom))
                                         FROM communities WHERE code = :c"""), {"c": home["community_code"]}).one()
    try:
        for role, exact in (("wall", False), ("leader", False), ("dispatcher", True), ("supervisor", True)):
            live._snapshot_cache = None                   # the tickets above, not a snapshot from before them
            body = signed_in_client(server, role).get("/live/snapshot").get_data(as_text=True)
            shown = {t["number"]: t for t in rows(json.loads(body)["tickets"])}
            for private in ("张三", "13900001111", "园林路", "漏水", "李秀英", "04125550000"):
                assert private not in body, (role, private)
            if exact:
                assert (shown[citizen["number"]]["lon"], shown[home["number"]]["lat"]) == (round(lon, 6),
                                                                                           round(lat, 6))
            else:
                assert (shown[citizen["number"]]["lon"], shown[citizen["number"]]["lat"]) == (round(lon, 3),
                                                                                              round(lat, 3))
                assert (shown[home["number"]]["lon"], shown[home["number"]]["lat"]) == (round(community[0], 3),
                                                                                        round(community[1], 3))
                assert f"{lon:.5f}" not in body and f"{lat:.5f}" not in body
    finally:
        for number in (citizen["number"], home["number"]):
            transition(number, "refuse", sp("live-tests"), reason="测试工单")


def test_a_batch_writes_old_entries_times_in_the_one_format():
    """Entries written before the fix (str(datetime): a space, no 'T') come out of a batch like new ones."""
    tickets_stream = live_streams()[0]
    entry = ticket_entry("OLD-1")
    payload = json.loads(entry["payload"])
    payload["ticket"]["updated_at"] = "2026-12-02 02:23:15.914+00:00"
    batch = live.to_batch([(tickets_stream, "1-0", {**entry, "payload": json.dumps(payload)})])
    assert rows(batch["tickets"])[0]["updated_at"] == "2026-12-02T02:23:15.914000+00:00"


def test_an_entry_that_cannot_be_read_is_left_out_not_fatal():
    tickets_stream = live_streams()[0]
    batch = live.to_batch([(tickets_stream, "1-0", {"payload": "{not json"}),
                           (tickets_stream, "1-1", {"payload": json.dumps({"ticket": {"state": "registered"}})}),
                           (tickets_stream, "1-2", ticket_entry("GOOD-1"))])
    assert ticket_numbers(batch) == {"GOOD-1"}


# ------------------------------------------------------------------------------------------------ one read per process

def xread_clients(db: int) -> int:
    return sum(1 for c in get_redis().client_list() if c.get("cmd") == "xread" and c.get("db") == str(db))


def test_one_redis_read_serves_every_open_browser_of_a_process(engine, database_url, grid_point):
    """20 open maps on one `python app.py`: one XREAD loop in Redis (the hub), not one per browser; every browser
    gets the new ticket; the process counts its open connections in Redis for /healthz."""
    db = get_redis().connection_pool.connection_kwargs.get("db", 0)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    app = start_app(database_url, port)
    try:
        cookie = session_cookie(url, "dispatcher")
        request = urllib.request.Request(url + "/live/snapshot", headers={"Cookie": cookie})
        with urllib.request.urlopen(request, timeout=15) as answer:
            cursor = json.loads(answer.read())["cursor"]
        others = xread_clients(db)         # other processes on this Redis db (the session's app, say)
        readers = [StreamReader(url, cursor, cookie) for _ in range(20)]
        for reader in readers:
            reader.start()
        for reader in readers:
            assert reader.opened.wait(15)
        time.sleep(1.5)
        assert xread_clients(db) == others + 1
        number = new_ticket(grid_point)
        wait_until(lambda: all(number in r.numbers for r in readers), "every open browser gets the ticket", 20)
        counts = wait_until(lambda: [(k, v) for k in get_redis().scan_iter(CONNECTIONS_KEY + "*")
                                     if (v := get_redis().get(k)) == "20"], "the process counts 20 connections", 15)
        assert 0 < get_redis().ttl(counts[0][0]) <= 30
    finally:
        app.terminate()
        app.wait(10)


# ------------------------------------------------------------------------------------------------ the hub in-process

class Listener(threading.Thread):
    """One browser connection, in-process: the events sse_messages yields for ``cursor``."""

    def __init__(self, hub: Hub, cursor: dict | None, variant: live.LiveVariant = live.PLACES):
        super().__init__(daemon=True)
        self.hub, self.cursor, self.variant = hub, cursor, variant
        self.events: list[tuple[str, str | None, str]] = []
        self.stop = threading.Event()

    def run(self) -> None:
        messages = live.sse_messages(self.cursor, self.hub, heartbeat=0.2, variant=self.variant)
        for event in parse_events(line for message in messages for line in message.splitlines(keepends=True)):
            self.events.append(event)
            if self.stop.is_set():
                break
        messages.close()

    def kinds(self) -> list[str]:
        return [e[0] for e in self.events]

    def numbers(self) -> set[str]:
        return {n for kind, _, data in self.events if kind == "batch" for n in ticket_numbers(json.loads(data))}


@pytest.fixture
def listeners():
    started: list[Listener] = []
    yield started
    for listener in started:
        listener.stop.set()


def listen(listeners, hub: Hub, cursor: dict | None, variant: live.LiveVariant = live.PLACES) -> Listener:
    listener = Listener(hub, cursor, variant)
    listener.start()
    listeners.append(listener)
    return listener


def running_hub(client, **kwargs) -> tuple[Hub, threading.Event]:
    hub = Hub(client=client, block_ms=300, **kwargs)
    stop = threading.Event()
    threading.Thread(target=hub.run, args=(stop,), daemon=True).start()
    hub._started = True
    wait_until(lambda: hub.up, "the hub reads the streams", 10)
    return hub, stop


@pytest.mark.parametrize("keep", [5000, 1], ids=["from-memory", "from-redis"])
def test_a_browser_with_an_older_cursor_catches_up(listeners, keep):
    r = get_redis()
    hub, stop = running_hub(get_redis, keep=keep)
    try:
        cursor = dict(hub.position)
        missed = [f"MISSED-{keep}-{i}" for i in range(3)]
        for number in missed:
            r.xadd(live_streams()[0], ticket_entry(number))
        wait_until(lambda: hub.position != cursor, "the hub reads the new entries", 10)
        listener = listen(listeners, hub, cursor)
        wait_until(lambda: set(missed) <= listener.numbers(), "the missed tickets arrive", 10)
        assert "reset" not in listener.kinds()
    finally:
        stop.set()


def test_a_cursor_the_stream_no_longer_holds_means_reload(listeners):
    r = get_redis()
    hub, stop = running_hub(get_redis, keep=1)
    try:
        cursor = dict(hub.position)
        for i in range(3):
            r.xadd(live_streams()[0], ticket_entry(f"TRIMMED-{i}"))
        r.xtrim(live_streams()[0], maxlen=1, approximate=False)
        wait_until(lambda: hub.position != cursor, "the hub reads the new entries", 10)
        listener = listen(listeners, hub, cursor)
        wait_until(lambda: "reset" in listener.kinds(), "the browser is told to reload", 10)
    finally:
        stop.set()


@pytest.mark.parametrize("start, keep", [("0-0", 5000), ("hub", 5000), ("hub", 1)],
                         ids=["cursor-0-0", "old-entries-from-memory", "old-entries-from-redis"])
def test_a_cursor_behind_old_entries_reloads_the_snapshot_instead_of_replaying(listeners, monkeypatch, start, keep):
    """``cursor=0-0|0-0`` (or any cursor that missed entries older than the catch-up's reach) is told to reload;
    it is never sent the stream's history."""
    monkeypatch.setattr(live, "MAX_CATCH_UP_AGE_MS", 1500)
    r = get_redis()
    hub, stop = running_hub(get_redis, keep=keep)
    try:
        cursor = {s: "0-0" for s in live_streams()} if start == "0-0" else dict(hub.position)
        old = f"HISTORY-{start}-{keep}"
        r.xadd(live_streams()[0], ticket_entry(old))
        time.sleep(2.0)
        r.xadd(live_streams()[0], ticket_entry(f"RECENT-{start}-{keep}"))
        wait_until(lambda: hub.position[live_streams()[0]] != cursor[live_streams()[0]], "the hub reads them", 10)
        wait_until(lambda: any(e[2].get("payload", "").find("RECENT-") >= 0 for e in list(hub._recent)[-1:]),
                   "the hub has the recent entry", 10)
        listener = listen(listeners, hub, cursor)
        wait_until(lambda: "reset" in listener.kinds(), "the browser is told to reload", 10)
        assert old not in listener.numbers() and "batch" not in listener.kinds()
    finally:
        stop.set()


def test_a_batch_carries_exact_points_only_to_the_exact_variant(listeners):
    hub, stop = running_hub(get_redis)
    try:
        cursor = dict(hub.position)
        wall = listen(listeners, hub, dict(cursor), live.live_variant(principal("wall")))
        dispatcher = listen(listeners, hub, dict(cursor), live.live_variant(principal("dispatcher")))
        entry = ticket_entry("POINT-1")
        payload = json.loads(entry["payload"])
        payload["ticket"].update(lon=123.0123456, lat=41.1098771)
        get_redis().xadd(live_streams()[0], {**entry, "payload": json.dumps(payload)})
        for listener in (wall, dispatcher):
            wait_until(lambda: "POINT-1" in listener.numbers(), "the batch arrives", 10)
        assert points_of(wall, "POINT-1") == (123.012, 41.11)
        assert points_of(dispatcher, "POINT-1") == (123.012346, 41.109877)
    finally:
        stop.set()


def principal(*roles: str):
    from workorders.policy import Principal
    return Principal(id=None, name="t", roles=frozenset(roles))


def points_of(listener: Listener, number: str) -> tuple[float, float]:
    for kind, _, data in listener.events:
        if kind == "batch":
            for row in rows(json.loads(data)["tickets"]):
                if row["number"] == number:
                    return row["lon"], row["lat"]
    raise AssertionError(f"{number} not in the batches")


def statuses(listener: Listener) -> list[str]:
    return [str(json.loads(data)["live"]).lower() for kind, _, data in listener.events if kind == "status"]


def test_a_cursor_into_an_emptied_stream_means_reload(listeners):
    """A process started after the stream was emptied sees heads of 0-0: a browser's cursor is then 'ahead' of
    it, and must still be checked against Redis, not taken as caught up."""
    r = get_redis()
    r.xadd(live_streams()[0], ticket_entry("GONE"))
    cursor = {s: (r.xrevrange(s, count=1) or [("0-0", None)])[0][0] for s in live_streams()}
    r.xtrim(live_streams()[0], maxlen=0, approximate=False)
    hub, stop = running_hub(get_redis)
    try:
        listener = listen(listeners, hub, cursor)
        wait_until(lambda: "reset" in listener.kinds(), "the browser is told to reload", 10)
    finally:
        stop.set()


@pytest.mark.parametrize("persist", [True, False], ids=["redis-comes-back-with-its-streams", "redis-comes-back-empty"])
def test_a_redis_outage_keeps_the_connection_and_tells_the_browser(listeners, persist):
    """Redis killed under an open connection: the browser hears 'status live=false' and the connection stays; when
    Redis is back with its streams the feed goes on from where it was (no reload); back empty: one reset."""
    server = PrivateRedis(persist=persist)
    server.start()
    client = redis.Redis(port=server.port, decode_responses=True, socket_timeout=10, socket_connect_timeout=0.5)
    try:
        hub, stop = running_hub(lambda: client)          # empty streams: a position of 0-0 on both
        if not persist:                                  # something to lose, else 0-0 is held on any Redis
            client.xadd(live_streams()[0], ticket_entry("BEFORE"))
            wait_until(lambda: hub.position[live_streams()[0]] != "0-0", "the hub reads it", 10)
        listener = listen(listeners, hub, dict(hub.position))
        wait_until(lambda: listener.kinds().count("ping") >= 1, "the connection is open", 10)
        server.kill()
        wait_until(lambda: statuses(listener)[-1:] == ["false"], "the browser hears that the feed is down", 15)
        time.sleep(1.5)
        assert listener.is_alive() and "reset" not in listener.kinds()
        assert statuses(listener)[-1] == "false" and statuses(listener).count("true") == 1   # no flapping
        server.start()
        if persist:
            wait_until(lambda: statuses(listener)[-2:] == ["false", "true"], "the browser hears that it is back", 20)
            client.xadd(live_streams()[0], ticket_entry("AFTER"))
            wait_until(lambda: "AFTER" in listener.numbers(), "the feed goes on", 10)
            assert "reset" not in listener.kinds()
        else:
            wait_until(lambda: "reset" in listener.kinds(), "the browser is told to reload once", 20)
        stop.set()
    finally:
        server.stop()


def test_the_hub_counts_its_connections_in_redis(listeners):
    hub, stop = running_hub(get_redis)
    try:
        for _ in range(3):
            listen(listeners, hub, dict(hub.position))
        wait_until(lambda: hub.connections == 3, "three subscriptions", 5)
        hub._counted_at = 0
        wait_until(lambda: get_redis().get(connections_key()) == "3", "the count in Redis", 10)
        assert 0 < get_redis().ttl(connections_key()) <= 30
    finally:
        stop.set()

