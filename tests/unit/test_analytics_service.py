"""Leader-view rules without a database: filters and their errors, quick ranges, the previous period, days and
weeks, the replay's payload."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from geo.analytics import MEASURES, Scope
from services import analytics
from services.analytics import AnalyticsError
from services.stats import Window

KNOWN = analytics.Options(categories=[("water_leak", "漏水"), ("noise", "噪声")],
                          channels=[("hotline", "96715热线"), ("web", "民情网")],
                          streets=[("S01", "站前街道"), ("S02", "解放街道")])
TODAY = date(2026, 11, 26)


def filters(**kw):
    return analytics.make_filters(kw.pop("start", "2026-11-01"), kw.pop("end", "2026-11-26"), known=KNOWN,
                                  today_=TODAY, **kw)


def test_filters_keep_known_codes_once_and_in_order():
    f = filters(categories=["water_leak", "noise", "water_leak"], channels=[], streets=None)
    assert f.categories == ("noise", "water_leak") and f.channels == () and f.streets == ()
    assert f.window == Window(date(2026, 11, 1), date(2026, 11, 26))


@pytest.mark.parametrize("kw, field, words", [
    ({"categories": ["fire"]}, "category", "未知事项类别：fire"),
    ({"channels": ["fax", "web"]}, "channel", "未知渠道：fax"),
    ({"streets": ["S99"]}, "street", "未知街道：S99"),
    ({"start": "2026-11-27", "end": "2026-11-01"}, "start", "晚于"),
    ({"start": "11/01/2026"}, "start", "YYYY-MM-DD"),
])
def test_bad_filters_are_refused_naming_the_field(kw, field, words):
    with pytest.raises(AnalyticsError) as error:
        filters(**kw)
    assert error.value.field == field and words in error.value.message


def test_quick_ranges_end_today():
    first = date(2025, 5, 20)
    assert analytics.quick_range("today", TODAY, first) == (TODAY, TODAY)
    assert analytics.quick_range("7d", TODAY, first) == (date(2026, 11, 20), TODAY)
    assert analytics.quick_range("30d", TODAY, first) == (date(2026, 10, 28), TODAY)
    assert analytics.quick_range("365d", TODAY, first) == (date(2025, 11, 27), TODAY)
    assert analytics.quick_range("all", TODAY, first) == (first, TODAY)
    assert analytics.quick_range("all", TODAY, None) == (TODAY, TODAY)
    with pytest.raises(AnalyticsError, match="range"):
        analytics.quick_range("decade", TODAY, first)


def test_previous_window_has_the_same_length_and_ends_the_day_before():
    assert analytics.previous_window(Window(date(2026, 11, 1), date(2026, 11, 30))) == \
        Window(date(2026, 10, 2), date(2026, 10, 31))
    assert analytics.previous_window(Window(TODAY, TODAY)) == Window(date(2026, 11, 25), date(2026, 11, 25))


def test_change_against_the_previous_period():
    assert analytics.change(12, 10) == pytest.approx(0.2)
    assert analytics.change(5, 10) == pytest.approx(-0.5)
    assert analytics.change(3, 0) is None


def test_scope_is_local_midnight_to_midnight_and_filters_build_sql_params():
    f = filters(start="2026-11-01", end="2026-11-01", categories=["noise"], streets=["S02"])
    scope = f.scope()
    assert scope.start == datetime(2026, 10, 31, 16, tzinfo=timezone.utc)     # 00:00 in Asia/Shanghai
    assert scope.end == datetime(2026, 11, 1, 16, tzinfo=timezone.utc)
    where, params = scope.where("p_")
    assert "a.category_code = ANY(:p_categories)" in where and "channel" not in where
    assert params["p_categories"] == ["noise"] and params["p_streets"] == ["S02"]
    raw_where, _ = Scope(scope.start, scope.end).where(alias="t", raw=True)
    assert raw_where == "t.registered_at >= :start AND t.registered_at < :end"


def zero(day: date, **counts) -> dict:
    return {"day": day, **{m: 0 for m in MEASURES}, **counts}


def test_fill_days_gives_every_day_of_the_window():
    rows = [zero(date(2026, 11, 3), received=4)]
    days = analytics.fill_days(rows, Window(date(2026, 11, 1), date(2026, 11, 5)))
    assert [d["day"].day for d in days] == [1, 2, 3, 4, 5]
    assert [d["received"] for d in days] == [0, 0, 4, 0, 0]


def test_weekly_sums_iso_weeks_and_counts_their_days():
    days = analytics.fill_days([zero(date(2026, 11, 1), received=2, due=2, on_time=1),     # a Sunday
                                zero(date(2026, 11, 2), received=5, due=4, on_time=4)],    # the next Monday
                               Window(date(2026, 11, 1), date(2026, 11, 9)))
    weeks = analytics.weekly(days)
    assert [(w["week"], w["days"], w["received"], w["due"], w["on_time"]) for w in weeks] == [
        (date(2026, 10, 26), 1, 2, 2, 1), (date(2026, 11, 2), 7, 5, 4, 4), (date(2026, 11, 9), 1, 0, 0, 0)]


def test_weekly_sums_whatever_counts_the_rows_carry():
    rows = [{"day": date(2026, 11, 2), "received": 3, "due": 1}, {"day": date(2026, 11, 3), "received": 4, "due": 0}]
    assert analytics.weekly(rows) == [{"week": date(2026, 11, 2), "days": 2, "received": 7, "due": 1}]


def test_trend_rows_carry_the_on_time_rate_per_day_or_week():
    rows = [{"day": date(2026, 11, 2), "received": 3, "due": 2, "on_time": 1},
            {"day": date(2026, 11, 3), "received": 1, "due": 0, "on_time": 0}]
    assert [r["on_time_rate"] for r in analytics.trend_rows(rows, "day")] == [0.5, None]
    assert [(r["week"], r["on_time_rate"]) for r in analytics.trend_rows(rows, "week")] == [(date(2026, 11, 2), 0.5)]
    assert "on_time_rate" not in rows[0]                              # the caller's rows are left alone


def test_departments_ranked_by_score_with_unscored_last():
    base = {m: 0 for m in MEASURES}
    rows = [{**base, "code": "b", "name": "乙", "received": 10, "due": 10, "on_time": 5, "returns": 0},
            {**base, "code": "a", "name": "甲", "received": 10, "due": 10, "on_time": 10, "returns": 0},
            {**base, "code": "c", "name": "丙", "received": 0, "returns": 0}]
    ranked = analytics.rank_departments(rows, min_received=5)
    assert [(r["code"], r["rank"]) for r in ranked] == [("a", 1), ("b", 2), ("c", None)]
    assert ranked[0]["on_time_rate"] == 1.0 and ranked[2]["score"] is None
    few = analytics.rank_departments(rows, min_received=11)          # a and b too small a sample: not ranked
    assert [(r["code"], r["rank"]) for r in few] == [("a", None), ("b", None), ("c", None)]


def test_replay_payload_groups_hours_and_keeps_one_colour_range_for_the_day():
    rows = [{"hour": 8, "grid_code": "G1", "received": 2}, {"hour": 8, "grid_code": "G2", "received": 1},
            {"hour": 23, "grid_code": "G1", "received": 5}]
    payload = analytics.replay_payload(date(2026, 11, 25), rows)
    assert payload["day"] == "2026-11-25"
    assert payload["by_hour"] == {"8": {"G1": 2, "G2": 1}, "23": {"G1": 5}}
    assert payload["totals"][8] == 3 and payload["totals"][23] == 5 and sum(payload["totals"]) == 8
    assert payload["peak"] == 5


@pytest.mark.parametrize("value, words", [(None, "请选择"), ("2026/11/25", "YYYY-MM-DD"), ("2026-11-27", "还没有到")])
def test_replay_day_must_be_a_past_or_present_day(value, words):
    with pytest.raises(AnalyticsError) as error:
        analytics.parse_day(value, today_=TODAY)
    assert error.value.field == "day" and words in error.value.message
    assert analytics.parse_day("2026-11-26T00:00:00", today_=TODAY) == TODAY
