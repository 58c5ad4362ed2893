"""Outbox → Redis stream relay against real PostgreSQL and real Redis (the shared one, and private redis-servers
that the tests stop and start), and the idempotent consumer."""
from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
import uuid
from datetime import datetime, timezone
from pathlib import Path

import pytest
import redis

from events.consumer import IdempotentConsumer
from events.relay import Relay, stream_fields
from geo import outbox as outbox_sql
from geo.tickets import add_outbox
from settings import get_settings
from harness.waiting import wait_until
from workers.relay import run_relay
from workorders.policy import system_principal as sp

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def shared_redis():
    """Redis of the test settings (db 15) with a stream name of this test only."""
    client = redis.Redis.from_url(get_settings().redis_url)
    stream = f"test:relay:{uuid.uuid4().hex[:8]}"
    yield client, stream
    client.delete(stream)
    for key in client.scan_iter(f"events:consumer:{stream}*"):
        client.delete(key)


@pytest.fixture
def reference_engine(scratch_engine):
    from etl.reference import load_reference_and_catalogue
    load_reference_and_catalogue(engine=scratch_engine, quiet=True)
    return scratch_engine


def insert_outbox_rows(engine, count: int) -> list[int]:
    now = datetime.now(timezone.utc)
    with engine.begin() as conn:
        return [add_outbox(conn, "tickets", "ticket.created", {"event": "ticket.created", "ticket": {"number": str(i)}},
                           now) for i in range(count)]


def backlog(engine) -> int:
    with engine.connect() as conn:
        return outbox_sql.backlog(conn)


def entries(client: redis.Redis, stream: str) -> list[dict]:
    return [{k.decode(): v.decode() for k, v in fields.items()} for _, fields in client.xrange(stream)]


def new_ticket(engine, n: int):
    from services.tickets import NewTicket, create_ticket
    return create_ticket(NewTicket(
        channel="hotline", category="water_leak", description=f"楼道水管漏水 {n}", grid_code=_some_grid(engine),
        citizen_name="王小明", citizen_phone="13812341234"), sp("测试"), engine=engine).ticket


def _some_grid(engine) -> str:
    from sqlalchemy import text
    with engine.connect() as conn:
        return conn.execute(text("SELECT code FROM grids ORDER BY code LIMIT 1")).scalar()


# ------------------------------------------------------------------------------------------------ tests

def test_entry_carries_the_outbox_id_and_never_personal_data():
    fields = stream_fields({"id": 42, "topic": "tickets", "event_type": "ticket.created",
                            "created_at": datetime(2026, 1, 2, tzinfo=timezone.utc),
                            "payload": {"ticket": {"number": "1", "citizen_name": "王小明",
                                                   "citizen_phone": "13812341234"}}})
    assert fields["event_id"] == "42" and fields["type"] == "ticket.created"
    assert "王小明" not in fields["payload"] and "13812341234" not in fields["payload"]


def test_two_relays_at_once_publish_every_row_exactly_once(scratch_engine, shared_redis):
    client, stream = shared_redis
    ids = insert_outbox_rows(scratch_engine, 2000)
    both_holding_a_batch = threading.Barrier(2)

    class MeetingRelay(Relay):
        """Holds its first claimed batch until the other relay holds one too: proves the claims are disjoint
        and do not block each other (a plain FOR UPDATE would make the second wait and break the barrier)."""
        met = False

        def _xadd(self, rows):
            if not self.met:
                self.met = True
                both_holding_a_batch.wait(timeout=20)
            super()._xadd(rows)

    relays = [MeetingRelay(scratch_engine, client, stream=stream, batch_size=50, idle_poll=0.05) for _ in range(2)]
    stop = threading.Event()
    threads = [threading.Thread(target=run_relay, args=(stop, r)) for r in relays]
    for t in threads:
        t.start()
    try:
        wait_until(lambda: backlog(scratch_engine) == 0, "the outbox to drain", seconds=120)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=30)
    assert not both_holding_a_batch.broken
    assert all(r.stats.published > 0 for r in relays)
    assert sum(r.stats.published for r in relays) == 2000
    published = [int(e["event_id"]) for e in entries(client, stream)]
    assert len(published) == 2000 and sorted(published) == ids        # each row once, none lost

    seen: list[int] = []
    consumer = IdempotentConsumer(client, stream, stream=stream)
    consumer.drain(lambda event: seen.append(event.event_id))
    assert sorted(seen) == ids


def test_relay_survives_redis_stopped_and_restarted(reference_engine, private_redis, caplog):
    caplog.set_level(logging.WARNING, logger="events.relay")
    client = private_redis.client()
    stream = get_settings().event_stream
    relay = Relay(reference_engine, client, batch_size=100, idle_poll=0.05, max_backoff=0.3)
    stop = threading.Event()
    thread = threading.Thread(target=run_relay, args=(stop, relay))
    thread.start()
    try:
        for n in range(3):
            new_ticket(reference_engine, n)
        wait_until(lambda: backlog(reference_engine) == 0, "events published while Redis runs")
        assert client.xlen(stream) == 3

        private_redis.kill()
        during = [new_ticket(reference_engine, n) for n in range(3, 8)]          # intake keeps working
        assert len({t["number"] for t in during}) == 5
        wait_until(lambda: relay.stats.failed_attempts >= 3, "the relay to retry a few times")
        with reference_engine.connect() as conn:
            waiting = outbox_sql.unpublished_ids(conn)
        assert len(waiting) == 5                                               # kept in the outbox

        private_redis.start()                                                  # same port, empty
        wait_until(lambda: backlog(reference_engine) == 0, "the backlog to be published after the restart")
    finally:
        stop.set()
        thread.join(timeout=30)
    published = [int(e["event_id"]) for e in entries(client, stream)]
    assert published == waiting                          # no loss, and in outbox order with one relay
    messages = [r.getMessage() for r in caplog.records]
    assert sum("redis unavailable" in m for m in messages) == 1               # one line per outage …
    assert sum("redis back after" in m for m in messages) == 1
    assert relay.stats.failed_attempts >= 3 and relay.stats.outages == 1      # … not one per attempt
    assert all("王小明" not in e["payload"] and "13812341234" not in e["payload"] for e in entries(client, stream))


CRASHING_RELAY = """
import os, sys
import redis
from events.relay import Relay

class DiesBeforeMarking(Relay):
    def _mark(self, conn, ids):
        os._exit(3)          # the process dies after XADD, before the outbox rows are marked published

DiesBeforeMarking(redis_client=redis.Redis.from_url(os.environ["REDIS_URL"]), stream=sys.argv[1],
                  batch_size=1000).publish_batch()
"""


def test_crash_between_publish_and_mark_repeats_events_and_consumer_takes_each_once(
        scratch_url, scratch_engine, shared_redis):
    client, stream = shared_redis
    ids = insert_outbox_rows(scratch_engine, 40)
    consumer = IdempotentConsumer(client, stream, stream=stream)
    handled: list[int] = []

    crashed = subprocess.run([sys.executable, "-c", CRASHING_RELAY, stream], cwd=ROOT, capture_output=True,
                             env={**os.environ, "DATABASE_URL": scratch_url, "REDIS_URL": get_settings().redis_url})
    assert crashed.returncode == 3, crashed.stderr.decode()
    assert client.xlen(stream) == 40                     # published …
    assert backlog(scratch_engine) == 40                 # … but not marked: the transaction died with the process
    consumer.drain(lambda event: handled.append(event.event_id))   # a consumer reads them before the restart

    assert Relay(scratch_engine, client, stream=stream).drain() == 40          # restart: the same rows again
    assert backlog(scratch_engine) == 0
    published = [int(e["event_id"]) for e in entries(client, stream)]
    assert sorted(published) == sorted(ids * 2)          # every event twice on the stream

    consumer.drain(lambda event: handled.append(event.event_id))
    assert handled == ids                                # each processed once, in order


def test_consumer_resumes_from_its_position_and_skips_repeats(shared_redis):
    client, stream = shared_redis

    def publish(event_id: int) -> None:
        client.xadd(stream, {"event_id": str(event_id), "topic": "tickets", "type": "ticket.created",
                             "created_at": "2026-01-01T00:00:00+00:00", "payload": '{"ticket": {"number": "x"}}'})

    for event_id in (1, 2, 3):
        publish(event_id)
    first: list[int] = []
    IdempotentConsumer(client, stream, stream=stream).drain(lambda e: first.append(e.event_id))
    publish(2)                      # a repeat after a relay crash
    publish(4)
    again: list[int] = []
    restarted = IdempotentConsumer(client, stream, stream=stream)   # a new process: state lives in Redis
    restarted.drain(lambda e: again.append(e.event_id))
    assert first == [1, 2, 3] and again == [4]
    assert not restarted.has_gap()


def test_consumer_window_trims_old_ids_but_still_treats_them_as_seen(shared_redis):
    client, stream = shared_redis
    consumer = IdempotentConsumer(client, stream, stream=stream, keep=5)
    for event_id in range(1, 13):
        client.xadd(stream, {"event_id": str(event_id), "payload": "{}"})
    consumer.drain(lambda e: None)
    assert client.zcard(consumer.processed.key) == 5
    assert consumer.processed.seen_among([1, 7, 12, 13]) == {1, 7, 12}


def test_consumer_notices_a_lost_stream(shared_redis):
    client, stream = shared_redis
    client.xadd(stream, {"event_id": "1", "payload": "{}"})
    consumer = IdempotentConsumer(client, stream, stream=stream)
    consumer.drain(lambda e: None)
    assert not consumer.has_gap()
    client.delete(stream)                      # Redis restarted without persistence
    assert consumer.has_gap()


def test_relay_outlives_an_error_that_is_neither_redis_nor_the_database(scratch_engine, shared_redis, caplog):
    """Before the supervised loop, such an error ended the relay's thread and the outbox grew for ever."""
    caplog.set_level(logging.INFO, logger="events.relay")
    client, stream = shared_redis
    ids = insert_outbox_rows(scratch_engine, 3)

    class Flaky(Relay):
        failures_left = 3

        def _xadd(self, rows):
            if self.failures_left:
                self.failures_left -= 1
                raise RuntimeError("a bug, neither redis nor the database")
            super()._xadd(rows)

    relay = Flaky(scratch_engine, client, stream=stream, idle_poll=0.05, max_backoff=0.2)
    stop = threading.Event()
    thread = threading.Thread(target=run_relay, args=(stop, relay))
    thread.start()
    try:
        wait_until(lambda: backlog(scratch_engine) == 0, "the relay to publish after the errors", seconds=20)
        assert thread.is_alive()
    finally:
        stop.set()
        thread.join(timeout=30)
    assert [int(e["event_id"]) for e in entries(client, stream)] == ids
    tracebacks = [r for r in caplog.records if r.exc_info]
    assert len(tracebacks) == 1 and "unexpected RuntimeError" in tracebacks[0].getMessage()   # once, not 3 times
    assert sum("working again" in r.getMessage() for r in caplog.records) == 1
    assert relay.stats.failed_attempts == 3 and relay.stats.outages == 1


def test_relay_process_finishes_its_batch_and_exits_0_on_sigterm(scratch_url, scratch_engine, shared_redis):
    import signal
    client, stream = shared_redis
    env = {**os.environ, "DATABASE_URL": scratch_url, "REDIS_URL": get_settings().redis_url,
           "EVENT_STREAM": stream}
    relay = subprocess.Popen([sys.executable, "-m", "workers", "relay"], cwd=ROOT, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        insert_outbox_rows(scratch_engine, 5)
        wait_until(lambda: backlog(scratch_engine) == 0, "the relay process to publish")
    finally:
        relay.send_signal(signal.SIGTERM)
        out, _ = relay.communicate(timeout=30)
    assert relay.returncode == 0, out
    assert "relay stopped (5 events published)" in out and "Traceback" not in out
    assert client.xlen(stream) == 5
