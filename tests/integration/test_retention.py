"""Retention: old crew tracks and old published outbox events go, in batches; nothing recent or unpublished does."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

from sqlalchemy import text

from geo import retention

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=timezone.utc)


def add_tracks(engine, crew: str, days_ago: list[float]) -> None:
    with engine.begin() as conn:
        conn.execute(text("""INSERT INTO crew_tracks (crew_code, at, geom)
                             VALUES (:crew, :at, ST_SetSRID(ST_MakePoint(123.0, 41.1), 4326))"""),
                     [{"crew": crew, "at": NOW - timedelta(days=d)} for d in days_ago])


def track_ages(engine, crew: str) -> list[float]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT at FROM crew_tracks WHERE crew_code = :c AND at <= :now ORDER BY at"),
                            {"c": crew, "now": NOW}).scalars()
        return [round((NOW - at).total_seconds() / 86400) for at in rows]


def test_tracks_older_than_the_retention_are_deleted_in_batches(engine, monkeypatch):
    with engine.begin() as conn:
        crew = conn.execute(text("SELECT code FROM crews ORDER BY code LIMIT 1")).scalar()
        conn.execute(text("DELETE FROM crew_tracks WHERE crew_code = :c AND at <= :now"), {"c": crew, "now": NOW})
    add_tracks(engine, crew, [400, 200, 120, 91, 89, 30, 1])
    monkeypatch.setattr(retention, "BATCH", 2)          # four old rows: two full batches, then an empty one
    assert retention.prune_tracks(now=NOW, engine=engine) >= 4
    assert track_ages(engine, crew) == [89, 30, 1]


def add_outbox(engine, rows: list[tuple[float, bool]]) -> None:
    with engine.begin() as conn:
        conn.execute(text("""INSERT INTO outbox (topic, event_type, payload, created_at, published_at)
                             VALUES ('ticket', 'test', '{}', :at, :published)"""),
                     [{"at": NOW - timedelta(days=d), "published": (NOW - timedelta(days=d)) if published else None}
                      for d, published in rows])


def outbox_left(engine) -> list[tuple[int, bool]]:
    with engine.connect() as conn:
        return [(round((NOW - at).total_seconds() / 86400), published) for at, published in conn.execute(text(
            "SELECT created_at, published_at IS NOT NULL FROM outbox ORDER BY created_at"))]


def test_only_published_events_older_than_the_retention_leave_the_outbox(scratch_engine):
    add_outbox(scratch_engine, [(30, True), (30, False), (8, True), (6, True), (1, False)])
    assert retention.prune_outbox(now=NOW, engine=scratch_engine) == 2
    assert outbox_left(scratch_engine) == [(30, False), (6, True), (1, False)]


def test_zero_days_keeps_everything(scratch_engine, monkeypatch):
    from settings import get_settings
    monkeypatch.setattr(get_settings(), "outbox_retention_days", 0.0)
    add_outbox(scratch_engine, [(300, True)])
    assert retention.prune_outbox(now=NOW, engine=scratch_engine) == 0
    assert outbox_left(scratch_engine) == [(300, True)]


def test_a_running_relay_prunes_its_outbox_at_start(scratch_engine):
    from events.bus import get_redis
    from events.relay import Relay
    from workers.relay import run_relay
    old = datetime.now(timezone.utc) - timedelta(days=30)
    with scratch_engine.begin() as conn:
        conn.execute(text("""INSERT INTO outbox (topic, event_type, payload, created_at, published_at)
                             VALUES ('ticket', 'test', '{}', :at, :at)"""), {"at": old})
    stop = threading.Event()
    relay = Relay(engine=scratch_engine, redis_client=get_redis(), stream="test:retention")
    thread = threading.Thread(target=run_relay, args=(stop, relay), daemon=True)
    thread.start()
    try:
        deadline = datetime.now() + timedelta(seconds=10)
        while outbox_left(scratch_engine) and datetime.now() < deadline:
            stop.wait(0.1)
    finally:
        stop.set()
        thread.join(5)
        get_redis().delete("test:retention")
    assert outbox_left(scratch_engine) == []
