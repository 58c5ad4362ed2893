"""workorders.supervision: the repeat-link and arrival-breach rules services.tickets applies."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from workorders import supervision as rules

NOW = datetime(2026, 12, 3, 8, 0, tzinfo=timezone.utc)


def test_the_window_reaches_back_the_configured_days():
    assert rules.repeat_window_start(NOW, 30) == NOW - timedelta(days=30)


def test_reasons_name_caller_place_or_both_in_a_fixed_order():
    assert rules.repeat_reasons({"same_caller": True, "same_place": False}) == ["same_caller"]
    assert rules.repeat_reasons({"same_place": True, "same_caller": True}) == ["same_caller", "same_place"]
    assert rules.repeat_reasons({}) == []


def test_an_arrival_breach_says_how_late_at_least_one_minute():
    assert rules.arrival_breach_reason(NOW - timedelta(minutes=25, seconds=40), NOW) == \
        "超过到场时限 25 分钟仍无人到场，升级督办"
    assert "1 分钟" in rules.arrival_breach_reason(NOW, NOW)
