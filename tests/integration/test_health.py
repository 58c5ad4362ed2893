"""/healthz (services/health.py): each check's value and limit, 503 when one is past it. Redis-side checks run
against a private redis-server, so that no other test's keys count."""
from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import text

from events.bus import ESCALATION_SWEEP, publish_positions, record_worker_run
from events.positions import TrackIngester
from geo.db import make_engine
from services import health
from settings import get_settings
from harness.servers import free_port
from workers.positions import ingest_waiting


@pytest.fixture(autouse=True)
def fresh_process(monkeypatch):
    """As if the process answering had just started (the sweep age counts from there while none is recorded)."""
    monkeypatch.setattr(health, "STARTED", time.monotonic())


@pytest.fixture(scope="module")
def quiet_db(database_url):
    """An empty database of this module's only (migrated, no data): nothing waits in its outbox."""
    from tests.conftest import scratch_database
    with scratch_database(database_url, "health") as url:
        engine = make_engine(url)
        yield engine
        engine.dispose()


@pytest.fixture
def quiet_redis(private_redis):
    """An empty Redis of this test only, as the product's clients see it (text, not bytes)."""
    return private_redis.client(decode_responses=True)


def checks(engine, client) -> tuple[bool, dict]:
    healthy, body = health.report(engine=engine, client=client)
    assert body["status"] == ("ok" if healthy else "failing")
    return healthy, body["checks"]


def test_a_fresh_system_is_healthy(quiet_db, quiet_redis):
    healthy, found = checks(quiet_db, quiet_redis)
    assert healthy, found
    assert set(found) == {"database", "redis", "relay_lag", "ingester_lag", "escalation_sweep_age", "dead_letters",
                          "live_connections"}
    assert found["relay_lag"] == {"ok": True, "value": 0.0, "limit": 60.0, "unit": "s"}
    assert found["live_connections"] == {"ok": True, "value": 0, "limit": 5000, "unit": "connections"}
    assert found["escalation_sweep_age"]["since"] == "this process started (no sweep recorded)"
    assert all(c["ok"] and c["value"] <= c["limit"] for c in found.values())


def test_an_old_unpublished_outbox_row_is_relay_lag(quiet_db, quiet_redis):
    with quiet_db.begin() as conn:
        conn.execute(text("""INSERT INTO outbox (topic, event_type, payload, created_at)
                             VALUES ('tickets', 'test', '{}', now() - interval '5 minutes')"""))
    try:
        healthy, found = checks(quiet_db, quiet_redis)
    finally:
        with quiet_db.begin() as conn:
            conn.execute(text("DELETE FROM outbox"))
    assert not healthy and not found["relay_lag"]["ok"] and 299 < found["relay_lag"]["value"] < 400
    assert found["database"]["ok"] and found["redis"]["ok"]


def test_positions_nobody_acknowledged_are_ingester_lag(engine, quiet_redis, monkeypatch):
    monkeypatch.setattr(get_settings(), "health_max_ingester_lag_seconds", 0.5)
    with engine.connect() as conn:
        code, lon, lat = conn.execute(text("SELECT code, ST_X(geom), ST_Y(geom) FROM crews ORDER BY code LIMIT 1")).one()
    at = datetime.now(timezone.utc) + timedelta(days=400)
    publish_positions(quiet_redis, [{"crew": code, "lon": lon, "lat": lat, "at": at + timedelta(seconds=i)}
                                    for i in range(3)])
    time.sleep(0.6)
    healthy, found = checks(engine, quiet_redis)
    assert not healthy and found["ingester_lag"]["entries"] == 3 and found["ingester_lag"]["value"] > 0.5
    try:
        ingest_waiting(TrackIngester("test-health", client=quiet_redis, engine=engine))
    finally:
        with engine.begin() as conn:
            stored = conn.execute(text("DELETE FROM crew_tracks WHERE crew_code = :c AND at >= :at"),
                                  {"c": code, "at": at}).rowcount
    assert stored == 3
    healthy, found = checks(engine, quiet_redis)
    assert found["ingester_lag"] == {"ok": True, "value": 0.0, "limit": 0.5, "unit": "s", "entries": 0}


def test_sweep_age_counts_from_the_last_sweep_or_else_from_the_process_start(quiet_db, quiet_redis,
                                                                             monkeypatch):
    monkeypatch.setattr(health, "STARTED", time.monotonic() - 301)     # this process has run for 5 minutes
    healthy, found = checks(quiet_db, quiet_redis)
    assert not healthy and not found["escalation_sweep_age"]["ok"]          # and no sweep in all that time
    record_worker_run(quiet_redis, ESCALATION_SWEEP, ttl_seconds=300)
    healthy, found = checks(quiet_db, quiet_redis)
    assert healthy and found["escalation_sweep_age"]["value"] < 5 and "since" not in found["escalation_sweep_age"]


def test_live_connections_sum_the_keys_of_every_dashboard_process(quiet_db, quiet_redis, monkeypatch):
    quiet_redis.set("live:connections:web1-101", 3, ex=30)
    quiet_redis.set("live:connections:web2-202", 4, ex=30)
    quiet_redis.set("live:unrelated", 100)
    healthy, found = checks(quiet_db, quiet_redis)
    assert healthy and found["live_connections"]["value"] == 7
    monkeypatch.setattr(get_settings(), "health_max_live_connections", 6)
    healthy, found = checks(quiet_db, quiet_redis)
    assert not healthy and found["live_connections"] == {"ok": False, "value": 7, "limit": 6, "unit": "connections"}


def test_redis_down_is_a_503_with_the_reason(quiet_db, monkeypatch):
    monkeypatch.setattr(get_settings(), "redis_url", f"redis://127.0.0.1:{free_port()}/0")   # nobody there
    healthy, found = checks(quiet_db, None)                        # the client /healthz makes for itself
    assert not healthy and found["database"]["ok"] and found["relay_lag"]["ok"]
    assert not found["redis"]["ok"] and found["redis"]["value"] is None and "ConnectionError" in found["redis"]["error"]
    assert found["ingester_lag"]["error"] == "redis unavailable"


def test_database_down_is_a_503_with_the_reason(quiet_redis):
    gone = make_engine(f"postgresql://postgres@127.0.0.1:{free_port()}/nothing")
    healthy, found = checks(gone, quiet_redis)
    assert not healthy and found["redis"]["ok"]
    assert not found["database"]["ok"] and "OperationalError" in found["database"]["error"]
    assert found["relay_lag"]["error"] == "database unavailable"
