"""Waiting in tests: a deadline, not a timing assert (it fails only if the thing never happens)."""
from __future__ import annotations

import time


def wait_until(condition, what: str, seconds: float = 30.0, step: float = 0.1):
    """Poll until ``condition()`` is truthy and return its value."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(step)
    raise AssertionError(f"gave up waiting for: {what}")
