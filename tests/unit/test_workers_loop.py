"""The supervised loop (workers/loop.py) and the checks on a position entry (events/positions.py), without
Redis or a database: the failures here are raised by the steps themselves."""
from __future__ import annotations

import logging
import threading
from datetime import datetime, timezone

import pytest
import redis
from sqlalchemy.exc import OperationalError

from events.positions import Malformed, next_id, parse_position
from workers.loop import SupervisedLoop, backoff


def test_backoff_doubles_to_its_ceiling_with_jitter_of_at_most_half():
    assert [backoff(n, 0.5, 30, rand=lambda: 1.0) for n in (1, 2, 3, 7, 8, 20)] == [0.5, 1, 2, 30, 30, 30]
    assert [backoff(n, 0.5, 30, rand=lambda: 0.0) for n in (1, 2, 20)] == [0.25, 0.5, 15]


def run_steps(outcomes: list, caplog) -> SupervisedLoop:
    """Run a loop whose step raises or returns each of ``outcomes`` in turn, then stops it."""
    stop = threading.Event()
    queue = list(outcomes)

    def step() -> float:
        if not queue:
            stop.set()
            return 0.0
        outcome = queue.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return 0.0

    caplog.set_level(logging.INFO, logger="workers.test")
    loop = SupervisedLoop("test", step, log=logging.getLogger("workers.test"), first_backoff=0.001,
                          max_backoff=0.002)
    loop.run(stop)
    return loop


def messages(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "workers.test"]


def test_one_line_when_an_outage_starts_and_one_when_it_ends(caplog):
    down = redis.ConnectionError("Connection refused")
    loop = run_steps([down, down, down, "ok", OperationalError("SELECT 1", {}, Exception("gone")), "ok"], caplog)
    outage_lines = [line for line in messages(caplog) if "unavailable" in line or "back after" in line]
    assert len(outage_lines) == 4
    assert outage_lines[0] == "test: redis unavailable (ConnectionError: Connection refused); retrying with backoff"
    assert outage_lines[1].startswith("test: redis back after")
    assert outage_lines[2].startswith("test: postgresql unavailable (OperationalError")
    assert outage_lines[3].startswith("test: postgresql back after")
    assert (loop.stats.failed_attempts, loop.stats.outages) == (4, 2)
    assert not any(r.exc_info for r in caplog.records)               # expected outages: no traceback


def test_an_unexpected_error_is_logged_once_with_its_traceback_and_the_loop_goes_on(caplog):
    bug = ZeroDivisionError("division by zero")
    loop = run_steps([bug, bug, bug, "ok", "ok"], caplog)
    with_traceback = [r for r in caplog.records if r.exc_info]
    assert len(with_traceback) == 1 and with_traceback[0].levelno == logging.ERROR
    assert with_traceback[0].getMessage() == "test: unexpected ZeroDivisionError: division by zero; retrying with backoff"
    assert sum("working again" in line for line in messages(caplog)) == 1
    assert messages(caplog)[-1] == "test stopped" and loop.stats.failed_attempts == 3


def test_stop_ends_the_loop_after_the_step_in_hand():
    stop = threading.Event()
    steps = []

    def step() -> float:
        steps.append(1)
        stop.set()                  # as a SIGTERM arriving during the batch
        return 60.0
    SupervisedLoop("test", step).run(stop)
    assert steps == [1]


AT = datetime(2026, 12, 1, 8, 0, tzinfo=timezone.utc).isoformat()


def test_a_good_entry_becomes_a_track_row():
    assert parse_position({"crew": "W001", "lon": "123.0", "lat": "41.1", "at": AT, "speed_kmh": "25.0"}) == {
        "crew": "W001", "lon": 123.0, "lat": 41.1, "at": datetime.fromisoformat(AT), "speed": 25.0}
    assert parse_position({b"crew": b"W001", b"lon": b"123", b"lat": b"41", b"at": AT.encode()})["speed"] is None


@pytest.mark.parametrize("fields, names", [
    ({"lon": "123", "lat": "41", "at": AT}, "crew"),
    ({"crew": "X" * 33, "lon": "123", "lat": "41", "at": AT}, "crew"),
    ({"crew": "W1", "lon": "abc", "lat": "41", "at": AT}, "lon"),
    ({"crew": "W1", "lon": "nan", "lat": "41", "at": AT}, "lon"),
    ({"crew": "W1", "lon": "123", "lat": "91", "at": AT}, "lat"),
    ({"crew": "W1", "lon": "123", "lat": "41"}, "at"),
    ({"crew": "W1", "lon": "123", "lat": "41", "at": "yesterday"}, "at"),
    ({"crew": "W1", "lon": "123", "lat": "41", "at": "2026-12-01T08:00:00"}, "UTC offset"),
    ({"crew": "W1", "lon": "123", "lat": "41", "at": AT, "speed_kmh": "-5"}, "speed_kmh"),
])
def test_a_malformed_entry_is_refused_naming_its_field(fields, names):
    with pytest.raises(Malformed, match=names):
        parse_position(fields)


def test_next_id_is_the_smallest_id_after():
    assert next_id("1700000000000-5") == "1700000000000-6" and next_id("9-0") == "9-1"
