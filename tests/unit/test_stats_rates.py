"""Rates, scores and windows of services.stats (pure: no database)."""
from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from services import stats

COUNTS = {"received": 200, "closed": 198, "due": 190, "on_time": 180, "arrival_due": 40, "arrived_on_time": 38,
          "evaluated": 160, "satisfied": 152, "reopened": 4, "escalated": 10}


def test_rates_divide_the_right_counts():
    row = stats.with_rates(COUNTS)
    assert row["closure_rate"] == pytest.approx(0.99)
    assert row["on_time_rate"] == pytest.approx(180 / 190)
    assert row["arrival_on_time_rate"] == pytest.approx(0.95)
    assert row["satisfaction_rate"] == pytest.approx(0.95)
    assert row["reopen_rate"] == pytest.approx(0.02)
    assert row["escalation_rate"] == pytest.approx(0.05)


def test_a_rate_without_denominator_is_none_not_zero():
    row = stats.with_rates({**COUNTS, "evaluated": 0, "satisfied": 0, "arrival_due": 0, "arrived_on_time": 0})
    assert row["satisfaction_rate"] is None
    assert row["arrival_on_time_rate"] is None


def test_score_weights_and_penalties():
    perfect = {"on_time_rate": 1.0, "satisfaction_rate": 1.0, "reopen_rate": 0.0, "returned_rate": 0.0}
    assert stats.score(perfect) == 100.0
    worst = {"on_time_rate": 0.0, "satisfaction_rate": 0.0, "reopen_rate": 1.0, "returned_rate": 1.0}
    assert stats.score(worst) == 0.0
    # 40·0.9 + 40·0.95 + 10·(1−0.1) + 10·(1−0.2) = 36 + 38 + 9 + 8
    assert stats.score({"on_time_rate": 0.9, "satisfaction_rate": 0.95, "reopen_rate": 0.1,
                        "returned_rate": 0.2}) == pytest.approx(91.0)


def test_score_leaves_out_parts_without_data():
    # No ratings: the other three parts (weights 40, 10, 10) decide alone.
    rates = {"on_time_rate": 0.5, "satisfaction_rate": None, "reopen_rate": 0.0, "returned_rate": 0.0}
    assert stats.score(rates) == pytest.approx(100 * (40 * 0.5 + 10 + 10) / 60, abs=0.005)   # 2 decimals
    assert stats.score({k: None for k in stats.SCORE_WEIGHTS}) is None


def test_returned_rate_counts_tickets_given_back_among_all_given():
    row = stats.scored_department({**COUNTS, "received": 30, "returns": 10})
    assert row["returned_rate"] == pytest.approx(10 / 40)
    only_returned = stats.scored_department({k: 0 for k in COUNTS} | {"returns": 3})
    assert only_returned["returned_rate"] == 1.0
    assert only_returned["on_time_rate"] is None


def test_window_is_whole_local_days_end_included():
    window = stats.make_window("2026-01-01", "2026-01-31")
    tz = ZoneInfo("Asia/Shanghai")
    start, end = window.bounds(tz)
    assert start == datetime(2026, 1, 1, tzinfo=tz)
    assert end == datetime(2026, 2, 1, tzinfo=tz)


def test_window_defaults_to_this_year_to_date():
    window = stats.make_window(None, None, today=date(2026, 11, 26))
    assert (window.start, window.end) == (date(2026, 1, 1), date(2026, 11, 26))


@pytest.mark.parametrize("start, end, field", [
    ("2026-13-01", "2026-12-31", "start"), ("2026-01-01", "yesterday", "end"),
    ("2026-03-01", "2026-02-01", "start"), ("2020-01-01", "2026-01-01", "end")])
def test_bad_windows_name_the_field(start, end, field):
    with pytest.raises(stats.StatsError) as refused:
        stats.make_window(start, end)
    assert refused.value.field == field


def test_year_window():
    assert stats.year_window(2026) == stats.Window(date(2026, 1, 1), date(2026, 12, 31))
    with pytest.raises(stats.StatsError):
        stats.year_window(26)
