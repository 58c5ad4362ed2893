"""`python -m simulation` options: defaults, and one clear error line per bad value (no database needed)."""
from __future__ import annotations

import os
from datetime import datetime, timezone

import pytest

from simulation.cli import build_parser, options_from, parent_watch, run


def parse(*argv: str):
    return build_parser().parse_args(list(argv))


def test_defaults_an_hour_a_minute_until_stopped():
    options = options_from(parse())
    assert (options.speed, options.rate, options.burst, options.duration) == (60.0, None, 0, None)
    assert options.resume and options.max_posts == 5.0 and options.human_share == 0.35


def test_options_reach_the_simulator():
    options = options_from(parse("--speed", "600", "--rate", "12", "--burst", "20", "--seed", "7", "--duration",
                                 "0", "--start", "2026-01-15T08:00", "--human-share", "0", "--no-resume"))
    assert (options.speed, options.rate, options.burst, options.seed, options.duration) == (600, 12, 20, 7, 0)
    assert options.start == datetime(2026, 1, 15, 0, 0, tzinfo=timezone.utc)   # local (Asia/Shanghai) 08:00
    assert options.human_share == 0 and not options.resume


@pytest.mark.parametrize("argv,message", [
    (("--speed", "0"), "--speed must be a positive number"),
    (("--rate", "-1"), "--rate must be a positive number"),
    (("--burst", "-5"), "--burst must be 0 or more"),
    (("--duration", "-1"), "--duration must be 0 or more"),
    (("--human-share", "1.5"), "--human-share must be between 0 and 1"),
    (("--max-posts", "0"), "--max-posts must be a positive number"),
    (("--start", "yesterday"), "--start 'yesterday' is not an ISO date-time"),
])
def test_bad_values_are_refused_naming_the_option(argv, message, capsys):
    with pytest.raises(ValueError, match=message):
        options_from(parse(*argv))
    assert run(parse(*argv)) == 2
    assert f"error: {message}" in capsys.readouterr().err


def test_parent_watch_follows_the_parent():
    assert parent_watch(None)()
    assert parent_watch(os.getppid())()
    assert parent_watch(os.getpid())()                    # alive, not our parent
    assert not parent_watch(2 ** 22 + 12345)()            # beyond pid_max: no such process


def test_make_run_start_obeys_the_setting(monkeypatch, capsys):
    from settings import get_settings
    monkeypatch.setenv("SIMULATE_ON_RUN", "false")
    get_settings.cache_clear()
    try:
        assert run(parse("--on-run", "--speed", "0")) == 0        # off: not even the options are looked at
        assert "simulator off" in capsys.readouterr().out
    finally:
        monkeypatch.delenv("SIMULATE_ON_RUN")
        get_settings.cache_clear()
    assert get_settings().simulate_on_run is True
