"""psycopg2 under gevent (gunicorn's gevent workers), with the connect timeout kept.

psycogreen's wait callback makes psycopg2 yield to other greenlets, but it waits without a time limit, and
libpq's ``connect_timeout`` only applies to its own blocking connect — not to the polled, asynchronous one a wait
callback drives. Under gevent a database that takes the connection and never answers would hold the request
(and its greenlet) for TCP's minutes. This callback is psycogreen's with one change: while the connection is
being set up it waits at most ``connect_timeout`` seconds in all, then fails as libpq would ("timeout expired").
Queries keep waiting without a limit of their own (the TCP user timeout and keepalives of geo/db.py end a
connection whose peer vanished).
"""
from __future__ import annotations

import time

import psycopg2
from psycopg2 import extensions


def make_wait_callback(connect_timeout: float):
    from gevent.socket import wait_read, wait_write

    def wait(conn, timeout=None):
        deadline = time.monotonic() + connect_timeout if conn.status == extensions.STATUS_SETUP else None
        while True:
            state = conn.poll()
            if state == extensions.POLL_OK:
                return
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                conn.close()
                raise psycopg2.OperationalError("timeout expired")
            try:
                if state == extensions.POLL_READ:
                    wait_read(conn.fileno(), timeout=left)
                elif state == extensions.POLL_WRITE:
                    wait_write(conn.fileno(), timeout=left)
                else:
                    raise psycopg2.OperationalError(f"Bad result from poll: {state!r}")
            except OSError as error:              # gevent's timeout is socket.timeout, an OSError
                if deadline is None or not _is_timeout(error):
                    raise
                conn.close()
                raise psycopg2.OperationalError("timeout expired") from None
    return wait


def _is_timeout(error: OSError) -> bool:
    import socket
    return isinstance(error, socket.timeout)


def patch_psycopg(connect_timeout: float) -> None:
    extensions.set_wait_callback(make_wait_callback(connect_timeout))
