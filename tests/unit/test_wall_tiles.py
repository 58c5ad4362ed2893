"""The wall's KPI tiles and day-story panels: figures read from five metres must never look broken."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from callbacks.wall import (arrival_text, at_risk_list, category_bars, event_label, hourly_chart, short_number,
                            street_ranking, tiles)
from services.wall import hourly_curve, now_hour, top_with_rest


def test_arrival_under_a_minute_is_not_shown_as_zero():
    assert [arrival_text(m) for m in (None, 0.0, 0.4, 0.6, 23.4)] == ["—", "<1分", "<1分", "1分", "23分"]


def test_six_tiles_with_the_arrival_sla_in_the_label():
    k = {"received": 1234, "closed": 1000, "closure_rate": 0.81, "on_time_rate": 0.95, "overdue": 3,
         "crews_out": 12, "arrival_minutes": 18.2, "arrival_sla_minutes": 30}
    shown = tiles(k)
    assert len(shown) == 6
    assert shown[0].children[0].children == "1,234"
    assert shown[-1].children[1].children == "到场 · 时限30分" and shown[-1].children[0].children == "18分"
    assert "bad" in shown[3].className and "good" in shown[2].className


def test_the_short_number_is_month_day_and_the_days_count():
    assert short_number("20261203-000042") == "1203-42"
    assert short_number("BULK00000017") == "000017"


def test_categories_beyond_the_top_are_one_bar_and_bars_scale_to_the_largest():
    counts = [{"code": f"c{i}", "name": f"类{i}", "n": 10 - i} for i in range(10)]
    shown = top_with_rest(counts, 8)
    assert [c["name"] for c in shown][-1] == "其余2类" and shown[-1]["n"] == 2 + 1 and len(shown) == 9
    assert top_with_rest(counts[:9], 8) == counts[:9]          # one more is itself, not "其他"
    bars = category_bars(shown)
    assert bars[0].children[1].children.style["width"] == "100.0%"
    assert bars[1].children[1].children.style["width"] == "90.0%"


def test_streets_are_ranked_and_only_late_ones_show_a_red_figure():
    rows = street_ranking([{"code": "a", "name": "站前街道", "n": 12, "overdue": 2},
                           {"code": "b", "name": "新兴街道", "n": 3, "overdue": 0}])
    assert [r.children[0].children for r in rows] == ["1", "2"]
    assert rows[0].children[1].children == "站前" and rows[0].children[3].children == "2"
    assert rows[1].children[3].children == ""


def test_hours_to_come_are_empty_not_zero_and_the_heading_compares_like_with_like():
    start = datetime(2026, 12, 3, tzinfo=timezone(timedelta(hours=8)))
    hour = now_hour(start + timedelta(hours=9, minutes=30), start)
    curve = hourly_curve({8: 10, 9: 5}, {8: 8, 9: 2, 10: 40}, hour)
    assert hour == 9 and curve["today"][10] is None and curve["today"][9] == 5 and curve["today"][0] == 0
    assert (curve["so_far"], curve["last_week_so_far"]) == (15, 10)        # not last week's whole day (50)
    chart = hourly_chart(curve)
    heading = chart[0].children
    assert heading[0] == "今日每小时受理 15" and "上周同日同期 10（+50%）" in heading[1].children
    columns = chart[1].children
    assert len(columns) == 24 and columns[10].children[0].className == "h-before"   # no bar yet at 10:00
    assert "now" in columns[9].className
    surge = hourly_chart(hourly_curve({9: 900}, {9: 10}, 9))[0].children[1].children
    assert surge.endswith("（90倍）")                    # not "+8900%"


def test_the_at_risk_list_shows_the_chance_and_an_unscored_ticket_as_a_dash():
    due = datetime(2026, 12, 3, 2, tzinfo=timezone.utc)
    block = {"total": 2, "rows": [
        {"number": "20261203-000007", "category": "供热", "community": "育才社区", "priority": 2, "due": due,
         "due_kind": "arrival", "p": 0.62},
        {"number": "20261203-000008", "category": "供水", "community": "惠民社区", "priority": 3, "due": due,
         "due_kind": "resolve", "p": None}]}
    heading, rows = at_risk_list(block)
    first, second = rows.children
    assert first.children[-1].children == "62%" and "high" in first.children[-1].className
    assert first.children[3].children == "到场" and second.children[3].children == "办结"
    assert second.children[-1].children == "—"


def test_event_labels():
    assert event_label({"kind": "alarm", "arrival_breach": False, "escalation_level": 0}) == "一键通呼叫"
    assert event_label({"kind": "escalate", "arrival_breach": True, "escalation_level": 1}) == "到场超时"
    assert event_label({"kind": "escalate", "arrival_breach": False, "escalation_level": 2}) == "升级·区督办"
    assert event_label({"kind": "joint_meeting", "arrival_breach": False, "escalation_level": 1}) == "联席会办"
