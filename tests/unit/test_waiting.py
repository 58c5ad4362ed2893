"""harness.waiting: the one wait of tests, bench and scripts."""
from __future__ import annotations

import itertools

import pytest

from harness.waiting import poll, wait_until


def counting_to(n: int):
    calls = itertools.count(1)
    return lambda: (lambda i: i if i >= n else 0)(next(calls))


def test_wait_until_returns_the_first_truthy_value():
    assert wait_until(counting_to(3), "three calls", seconds=5, step=0) == 3


def test_wait_until_names_what_never_happened():
    with pytest.raises(AssertionError, match="gave up waiting for: the moon"):
        wait_until(lambda: None, "the moon", seconds=0.05, step=0.01)


def test_ignored_exceptions_mean_not_yet_and_others_fail_at_once():
    attempts = iter([LookupError(), LookupError(), "found"])

    def flaky():
        value = next(attempts)
        if isinstance(value, Exception):
            raise value
        return value
    assert wait_until(flaky, "a re-rendered element", seconds=5, step=0, ignoring=LookupError) == "found"
    with pytest.raises(ZeroDivisionError):
        wait_until(lambda: 1 / 0, "a bug", seconds=5, ignoring=LookupError)


def test_poll_returns_the_last_value_instead_of_failing():
    assert poll(lambda: [], seconds=0.05, step=0.01) == []
    assert poll(counting_to(2), seconds=5, step=0) == 2
