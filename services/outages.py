"""What a door needs to know when PostgreSQL is away: is this error the database being unreachable (answer 503
with Retry-After, the client may simply try again), or a fault of ours (500)?

The doors (api/, open311/, security/ for the Dash pages and callbacks) must not import SQLAlchemy themselves, so
the classification lives here. An outage is:
- the pool giving up waiting for a connection (``sqlalchemy.exc.TimeoutError``: every connection is stuck),
- a connection the pool could not (re)establish or lost (``DisconnectionError``, or a DBAPI error SQLAlchemy
  recognised as a disconnect: ``connection_invalidated``),
- a psycopg2 ``OperationalError`` without a server error code (refused, reset, timed out: libpq's own errors), or
  with one of class 08 (connection exception) or 57 (operator intervention: shutdown, crash recovery, too many
  connections) — but not 57014, a statement cancelled by its own timeout, which is a slow query, not an outage.
Other OperationalErrors (a deadlock, a serialization failure) are not outages: they keep their 500 and traceback.
"""
from __future__ import annotations

import logging
import time

from sqlalchemy import exc as sa_exc

from geo.db import get_engine, ping
from settings import get_settings

# The exception classes a door registers its handler for; ``is_database_outage`` then decides on the instance.
DATABASE_ERRORS: tuple[type[BaseException], ...] = (sa_exc.OperationalError, sa_exc.InterfaceError,
                                                   sa_exc.DisconnectionError, sa_exc.TimeoutError)
OUTAGE_SQLSTATE_CLASSES = ("08", "57")
NOT_OUTAGE_SQLSTATES = frozenset({"57014"})          # query_canceled (statement_timeout)

CODE = "database_unavailable"
MESSAGE = "数据连接中断，系统暂时无法处理请求，请稍后重试（Database temporarily unavailable, please retry shortly）"
BANNER = "数据连接中断：正在自动重新连接，页面上的数据可能不是最新的，请勿重复提交。"    # the pages' banner


def is_database_outage(error: BaseException) -> bool:
    if isinstance(error, (sa_exc.TimeoutError, sa_exc.DisconnectionError)):
        return True
    if not isinstance(error, sa_exc.DBAPIError):
        return False
    if error.connection_invalidated:
        return True
    if not isinstance(error, (sa_exc.OperationalError, sa_exc.InterfaceError)):
        return False
    code = getattr(error.orig, "pgcode", None)
    if code is None:
        return True
    return code[:2] in OUTAGE_SQLSTATE_CLASSES and code not in NOT_OUTAGE_SQLSTATES


log = logging.getLogger(__name__)
_LOG_EVERY_S = 10.0
_last_logged = 0.0


def note(error: BaseException, where: str) -> None:
    """Log an answered outage, once per ``_LOG_EVERY_S`` per process: a burst of requests while the database is
    away must not bury the log under identical lines (the workers log their own outage lines, workers/loop.py)."""
    global _last_logged
    if time.monotonic() - _last_logged < _LOG_EVERY_S:
        return
    _last_logged = time.monotonic()
    first = (str(error).strip().splitlines() or [""])[0]
    log.warning("database unavailable, answering 503 (%s; %s: %s)", where, type(error).__name__, first)


def retry_after_seconds() -> int:
    return get_settings().outage_retry_after_seconds


def headers() -> dict[str, str]:
    """What every 503 of an outage carries: when to try again, and that it must not be cached."""
    return {"Retry-After": str(retry_after_seconds()), "Cache-Control": "no-store"}


def database_reachable() -> tuple[bool, float]:
    """(reachable, round trip in ms): one ``SELECT 1`` through the pool, for the pages' outage banner to learn when
    the database is back. Bounded by the pool's connect and wait timeouts (geo/db.py), so it never hangs."""
    started = time.perf_counter()
    try:
        ping(get_engine())
    except DATABASE_ERRORS as error:
        if not is_database_outage(error):
            raise
        return False, (time.perf_counter() - started) * 1000
    return True, (time.perf_counter() - started) * 1000
