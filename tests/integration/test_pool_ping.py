"""geo.db.ping_when_idle: a pooled connection that idled is pinged and replaced unseen when its server went away;
one handed back a moment ago is not pinged (the round trip it saves), so a server lost in that moment fails one
statement, and the pool connects anew for the next."""
from __future__ import annotations

import time

import pytest
from sqlalchemy import create_engine, exc, text

from geo.db import ping_when_idle, sqlalchemy_url


def pooled(database_url: str, idle_seconds: float):
    engine = create_engine(sqlalchemy_url(database_url))
    ping_when_idle(engine, idle_seconds)
    return engine


def backend(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT pg_backend_pid()")).scalar_one()


def terminate(engine, pid: int) -> None:
    with engine.connect() as conn:
        assert conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar_one()


def test_a_connection_that_idled_and_lost_its_server_is_replaced_unseen(engine, database_url):
    pool = pooled(database_url, idle_seconds=0.2)
    try:
        first = backend(pool)
        terminate(engine, first)
        time.sleep(0.4)                                    # longer than idle_seconds: the checkout pings
        assert backend(pool) != first                      # no error reached the caller
    finally:
        pool.dispose()


def test_a_connection_used_a_moment_ago_is_handed_out_without_a_ping(engine, database_url):
    pool = pooled(database_url, idle_seconds=60)
    try:
        first = backend(pool)
        terminate(engine, first)
        with pytest.raises(exc.OperationalError):          # not pinged: the statement meets the dead connection
            backend(pool)
        assert backend(pool) != first                      # the error invalidated the pool: a new connection
    finally:
        pool.dispose()
