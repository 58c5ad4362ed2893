"""Engine and sessions for PostGIS, always through psycopg2 (the driver the product names)."""
from __future__ import annotations

import re
import time
from contextlib import contextmanager
from functools import lru_cache
from typing import Any, Iterator

from sqlalchemy import create_engine, event, exc
from sqlalchemy.engine import Connection, CursorResult, Engine, make_url

from settings import get_settings


def sqlalchemy_url(url: str) -> str:
    """Map the URL users write to the psycopg2 dialect.

    SQLAlchemy 2.1 maps a bare ``postgresql://`` to psycopg 3, which the product does not install.
    """
    parsed = make_url(url.replace("postgres://", "postgresql://", 1) if url.startswith("postgres://") else url)
    if parsed.get_backend_name() != "postgresql":
        raise ValueError(f"DATABASE_URL must be a PostgreSQL URL, got {parsed.get_backend_name()!r}")
    return parsed.set(drivername="postgresql+psycopg2").render_as_string(hide_password=False)


def connect_args() -> dict[str, int]:
    """libpq's own time limits, so that a lost database is noticed in seconds, not in TCP's quarter of an hour.

    - ``connect_timeout``: a server that does not complete the connection (a black hole, a hung postmaster).
    - ``tcp_user_timeout`` and the keepalives: a connection whose peer went away (its host or the network) while a
      query is in flight or the connection idles in the pool; data unacknowledged for that long, or keepalive
      probes unanswered, end the connection with an error instead of a wait without end. A slow query is not
      cut: the server's TCP stack keeps acknowledging while it works.
    A refused or reset connection (the server stopped, restarted, a proxy cut) fails at once anyway; the pool
    pings a connection that idled before handing it out (``ping_when_idle``)."""
    s = get_settings()
    tcp = s.database_tcp_timeout_seconds
    return {"connect_timeout": s.database_connect_timeout_seconds, "keepalives": 1,
            "keepalives_idle": max(1, tcp // 2), "keepalives_interval": max(1, tcp // 6), "keepalives_count": 3,
            "tcp_user_timeout": tcp * 1000}


def make_engine(url: str) -> Engine:
    # pool_timeout: a request waits this long for a pooled connection, then fails (503), rather than queueing
    # behind connections that are all stuck.
    settings = get_settings()
    engine = create_engine(sqlalchemy_url(url), future=True, connect_args=connect_args(),
                           pool_timeout=settings.database_pool_timeout_seconds)
    ping_when_idle(engine, settings.database_ping_idle_seconds)
    return engine


def ping_when_idle(engine: Engine, idle_seconds: float) -> None:
    """SQLAlchemy's pool_pre_ping, but only for a connection that was back in the pool for ``idle_seconds``.

    The ping is a round trip before every checkout: an Open311 POST checks out three times, so half of its round
    trips were pings. A connection handed back a moment ago was alive then; one that idled may have lost its
    server (a restart, a proxy's cut) and is pinged, and replaced unseen when dead. What this gives up: a server
    lost within the last ``idle_seconds`` fails the statement of the one request that meets it (a 503 with
    Retry-After, as any outage); the error invalidates the whole pool, so the next request connects anew."""
    @event.listens_for(engine, "connect")
    def fresh(dbapi_connection, record) -> None:
        record.info["returned_at"] = time.monotonic()        # just connected: as good as just used

    @event.listens_for(engine, "checkin")
    def returned(dbapi_connection, record) -> None:
        record.info["returned_at"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def ping_if_idle(dbapi_connection, record, proxy) -> None:
        returned_at = record.info.get("returned_at")
        if returned_at is not None and time.monotonic() - returned_at < idle_seconds:
            return
        # A dead one means the server went away for every connection opened before: the pool drops them all
        # (InvalidatePoolError), so none of them meets the next request unpinged.
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            raise exc.InvalidatePoolError(f"a pooled connection was dead: {error}") from error
        if not alive:
            raise exc.InvalidatePoolError("a pooled connection did not answer its ping")


def ping(engine: Engine) -> None:
    """One round trip (raises what the pool or the driver raise when the database is away)."""
    with engine.connect() as conn:
        conn.exec_driver_sql("SELECT 1")


@lru_cache(maxsize=4)
def get_engine(url: str | None = None) -> Engine:
    return make_engine(url or get_settings().database_url)


@contextmanager
def transaction(engine: Engine | None = None) -> Iterator[Connection]:
    """One transaction: committed when the block ends, rolled back when it raises."""
    with (engine or get_engine()).begin() as conn:
        yield conn


def execute_prepared(conn: Connection, name: str, signature: str, sql: str, args: tuple[Any, ...]) -> CursorResult:
    """Run ``sql`` (with $1, $2 … for ``args``) as the server-side prepared statement ``name`` (``signature``: the
    argument types, "bigint, text"). For the few statements every ticket change runs several times: planning the
    ticket read's six joins took ~1.5 ms against ~0.3 ms to execute it, and a prepared statement is planned once per
    database connection (then PostgreSQL keeps a generic plan). Prepared statements belong to the session, not to a
    transaction (a rollback keeps them), so each DBAPI connection prepares a name once; its ``info`` forgets it when
    the pool replaces the connection."""
    prepared = conn.connection.info.setdefault("prepared_statements", set())
    if name not in prepared:
        conn.exec_driver_sql(f"PREPARE {name}({signature}) AS {sql}")
        prepared.add(name)
    placeholders = ", ".join(["%s"] * len(args))
    return conn.exec_driver_sql(f"EXECUTE {name}({placeholders})", args)


# SQLAlchemy's own rule for a bound parameter in text(): ``:name``, but not a ``::`` cast.
_NAMED_PARAMETER = re.compile(r"(?<![:\w\\]):(\w+)(?!:)")


def positional(sql: str) -> tuple[str, list[str]]:
    """``sql`` with its ``:name`` parameters (text() style) as $1, $2 … (a name used twice is one number), and the
    names in the order of their numbers: so that a long statement written with names can be prepared."""
    names: list[str] = []

    def number(match: re.Match) -> str:
        if match.group(1) not in names:
            names.append(match.group(1))
        return f"${names.index(match.group(1)) + 1}"

    return _NAMED_PARAMETER.sub(number, sql), names


def execute_prepared_named(conn: Connection, name: str, sql: str, names: list[str], types: dict[str, str],
                           params: dict[str, Any]) -> CursorResult:
    """``execute_prepared`` of a statement made by ``positional``: ``types`` gives each name's SQL type (a
    parameter of unknown type in a SELECT list would be taken for text), ``params`` the values by name."""
    signature = ", ".join(types[n] for n in names)
    return execute_prepared(conn, name, signature, sql, tuple(params[n] for n in names))
