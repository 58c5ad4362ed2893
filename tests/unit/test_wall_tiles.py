"""The wall's KPI tiles: figures read from five metres must never look broken."""
from __future__ import annotations

from callbacks.wall import arrival_text, tiles


def test_arrival_under_a_minute_is_not_shown_as_zero():
    assert [arrival_text(m) for m in (None, 0.0, 0.4, 0.6, 23.4)] == ["—", "<1分", "<1分", "1分", "23分"]


def test_seven_tiles_with_the_arrival_sla_in_the_label():
    k = {"received": 1234, "closed": 1000, "closure_rate": 0.81, "on_time_rate": 0.95, "overdue": 3,
         "crews_out": 12, "arrival_minutes": 18.2, "arrival_sla_minutes": 30}
    shown = tiles(k)
    assert len(shown) == 7
    assert shown[0].children[0].children == "1,234"
    assert shown[-1].children[1].children == "平均到场 / 时限30分" and shown[-1].children[0].children == "18分"
    assert "bad" in shown[4].className and "good" in shown[3].className
