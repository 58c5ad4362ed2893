"""Waiting with a deadline, not a timing assert: it fails only if the thing never happens."""
from __future__ import annotations

import time
from typing import Callable, TypeVar

T = TypeVar("T")
Ignored = type[Exception] | tuple[type[Exception], ...]


def poll(condition: Callable[[], T], seconds: float = 30.0, step: float = 0.1, ignoring: Ignored = ()) -> T | None:
    """Call ``condition()`` until it is truthy or ``seconds`` pass, and return its last value (falsy if it never
    was), for a test that then asserts on what it found.

    ``ignoring``: exceptions that mean "not yet" (a page element a re-render replaced between find and read)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            value = condition()
        except ignoring:
            value = None
        if value or time.monotonic() > deadline:
            return value
        time.sleep(step)


def wait_until(condition: Callable[[], T], what: str, seconds: float = 30.0, step: float = 0.1,
               ignoring: Ignored = ()) -> T:
    """Poll until ``condition()`` is truthy and return its value; fail naming ``what`` when ``seconds`` pass."""
    value = poll(condition, seconds, step, ignoring)
    if not value:
        raise AssertionError(f"gave up waiting for: {what} (within {seconds:.0f} s)")
    return value
