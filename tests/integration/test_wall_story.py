"""The wall's day story against PostGIS: counts by category and street, the hourly curve against the same weekday a
week ago, the two deadline lists (the at-risk one ordered by the modelled chance), the events ticker — on a day of
its own far ahead, so the other tests' tickets do not enter today's figures."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from geo.predictions import replace_risks
from services import wall
from services.tickets import NewTicket, create_ticket, transition
from workorders.policy import Forbidden, system_principal

TZ = ZoneInfo("Asia/Shanghai")
DAY = datetime(2031, 6, 10, tzinfo=TZ)                 # a Tuesday; a week before is 2031-06-03
NOW = DAY + timedelta(hours=10, minutes=30)
SYSTEM = system_principal("wall-tests")


def _ticket(category: str, at: datetime, point: tuple[float, float], channel: str = "hotline") -> dict:
    return create_ticket(NewTicket(channel=channel, category=category, description="大屏测试", lon=point[0],
                                   lat=point[1], address="胜利路12号"), SYSTEM, now=at).ticket


@pytest.fixture(scope="module")
def point(engine):
    with engine.connect() as conn:
        return tuple(conn.execute(text("""SELECT ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom))
                                           FROM grids ORDER BY code LIMIT 1""")).one())


@pytest.fixture(scope="module")
def day(engine, point):
    made = {
        "leak_8": _ticket("water_leak", DAY + timedelta(hours=8, minutes=5), point),
        "leak_9": _ticket("water_leak", DAY + timedelta(hours=9, minutes=50), point),
        "road_9": _ticket("road_damage", DAY + timedelta(hours=9, minutes=55), point),
        "alarm": _ticket("other", DAY + timedelta(hours=10), point, channel="elder_phone"),
        "last_week": _ticket("water_leak", DAY - timedelta(days=7) + timedelta(hours=8, minutes=30), point),
    }
    transition(made["road_9"]["number"], "escalate", SYSTEM, reason="测试升级", now=DAY + timedelta(hours=10, minutes=5))
    yield made
    # Gone, not refused: a refused ticket was still received that day and would count at the next run.
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM tickets WHERE number = ANY(:n)"), {"n": [t["number"] for t in made.values()]})


def wall_principal():
    from workorders.policy import Principal
    return Principal(None, "wall-tests", frozenset({"wall"}))


def test_todays_figures_are_todays_and_last_week_is_compared_up_to_the_same_hour(day):
    story = wall.day_story(wall_principal(), now=NOW)
    counts = {c["code"]: c["n"] for c in story["categories"]}
    assert counts == {"water_leak": 2, "road_damage": 1, "other": 1}
    assert story["categories"][0]["code"] == "water_leak"
    street = day["leak_8"]["street_code"]
    assert next(s["n"] for s in story["streets"] if s["code"] == street) == 4
    assert len(story["streets"]) == 14 and sum(s["n"] for s in story["streets"]) == 4
    hours = story["hours"]
    assert hours["current_hour"] == 10 and hours["today"][8] == 1 and hours["today"][9] == 2
    assert hours["today"][10] == 1 and hours["today"][11] is None
    assert hours["last_week"][8] == 1 and (hours["so_far"], hours["last_week_so_far"]) == (4, 1)


def test_the_at_risk_list_is_ordered_by_the_modelled_chance(engine, day):
    # Both leaks (30 min to arrive) are still ahead at 08:10; the later one is the likelier to be late.
    early = DAY + timedelta(hours=9, minutes=52)
    with engine.begin() as conn:
        ids = {k: conn.execute(text("SELECT id FROM tickets WHERE number = :n"), {"n": day[k]["number"]}).scalar()
               for k in ("leak_9", "road_9")}
        replace_risks(conn, [{"ticket_id": ids["leak_9"], "arrival_p": 0.81, "resolve_p": 0.1,
                              "arrival_version": "t", "resolve_version": "t"}], scored_at=early)
    story = wall.day_story(wall_principal(), now=early)
    rows = story["at_risk"]["rows"]
    assert rows[0]["number"] == day["leak_9"]["number"] and rows[0]["p"] == pytest.approx(0.81)
    assert rows[0]["due_kind"] == "arrival"
    assert all(r["p"] is None for r in rows[1:])                       # unscored after, by deadline
    assert story["at_risk"]["total"] >= 1
    late = story["overdue"]
    assert late["total"] >= 1 and len(late["rows"]) <= wall.LIST_ROWS


def test_the_ticker_has_the_escalation_and_the_alarm_and_no_personal_data(day):
    events = wall.day_story(wall_principal(), now=NOW)["events"]
    kinds = {(e["kind"], e["number"]) for e in events}
    assert ("escalate", day["road_9"]["number"]) in kinds and ("alarm", day["alarm"]["number"]) in kinds
    assert ("escalate", day["leak_8"]["number"]) not in kinds
    assert events == sorted(events, key=lambda e: e["at"], reverse=True)
    assert not any(k in e for e in events for k in ("citizen_name", "citizen_phone", "address", "description"))


def test_the_ticker_shows_nothing_stamped_after_now(day):
    """At 10:02 the escalation of 10:05 has not happened yet (a skewed clock or a simulated day would otherwise
    keep its rows atop the ticker); the alarm of 10:00 has."""
    events = wall.day_story(wall_principal(), now=DAY + timedelta(hours=10, minutes=2))["events"]
    kinds = {(e["kind"], e["number"]) for e in events}
    assert ("alarm", day["alarm"]["number"]) in kinds
    assert ("escalate", day["road_9"]["number"]) not in kinds
    assert all(e["at"] <= DAY + timedelta(hours=10, minutes=2) for e in events)


def test_only_a_role_with_the_wall_may_read_it():
    from workorders.policy import Principal
    with pytest.raises(Forbidden):
        wall.day_story(Principal(None, "op", frozenset({"operator"})), now=NOW)
