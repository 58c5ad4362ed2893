"""Waiting with a deadline, not a timing assert: it fails only if the thing never happens."""
from __future__ import annotations

import time
from typing import Callable, TypeVar

T = TypeVar("T")


def wait_until(condition: Callable[[], T], what: str, seconds: float = 30.0, step: float = 0.1,
               ignoring: type[Exception] | tuple[type[Exception], ...] = ()) -> T:
    """Poll until ``condition()`` is truthy and return its value; fail naming ``what`` when ``seconds`` pass.

    ``ignoring``: exceptions that mean "not yet" (a page element a re-render replaced between find and read)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            value = condition()
        except ignoring:
            value = None
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for: {what} (within {seconds:.0f} s)")
        time.sleep(step)
