"""Which database errors are an outage (503 + Retry-After) and which stay a fault of ours (500)."""
from __future__ import annotations

import pytest
from sqlalchemy import exc as sa_exc

from geo.db import connect_args
from services.outages import is_database_outage


class DriverError(Exception):
    """Stands in for a psycopg2 error: only its ``pgcode`` matters here."""

    def __init__(self, pgcode: str | None):
        super().__init__("driver error")
        self.pgcode = pgcode


def operational(pgcode: str | None, invalidated: bool = False) -> sa_exc.OperationalError:
    return sa_exc.OperationalError("SELECT 1", {}, DriverError(pgcode), connection_invalidated=invalidated)


@pytest.mark.parametrize("error", [
    operational(None),                  # refused, reset, timed out: libpq's own errors have no SQLSTATE
    operational("08006"),               # connection_failure
    operational("57P01"),               # admin_shutdown
    operational("53300", invalidated=True),   # anything SQLAlchemy recognised as a disconnect
    sa_exc.InterfaceError("SELECT 1", {}, DriverError(None)),      # connection already closed
    sa_exc.TimeoutError("QueuePool limit of size 5 overflow 10 reached"),
    sa_exc.DisconnectionError("pre-ping failed"),
])
def test_the_database_being_away_is_an_outage(error):
    assert is_database_outage(error)


@pytest.mark.parametrize("error", [
    operational("40P01"),               # deadlock_detected: retry-worthy, but a fault to look at, not an outage
    operational("57014"),               # query_canceled by statement_timeout: a slow query
    sa_exc.ProgrammingError("SELECT nope", {}, DriverError("42P01")),
    sa_exc.IntegrityError("INSERT", {}, DriverError("23505")),
    ValueError("not a database error"),
])
def test_other_errors_are_not(error):
    assert not is_database_outage(error)


def test_libpq_gets_a_connect_timeout_and_tcp_limits():
    args = connect_args()
    assert args["connect_timeout"] >= 2 and args["keepalives"] == 1
    assert args["tcp_user_timeout"] >= 2000
    assert args["keepalives_idle"] + args["keepalives_count"] * args["keepalives_interval"] <= \
        args["tcp_user_timeout"] / 1000
