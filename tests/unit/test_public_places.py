"""What public outputs show of where a ticket is (workorders.privacy): the ~100 m lattice, an elder's community."""
from __future__ import annotations

from services.alarms import ALARM_CHANNEL
from workorders.privacy import HOME_CHANNELS, is_home, public_place_name, public_point, snap

POINTS = {"C1": (123.0104321, 41.1209876)}


def test_coordinates_are_snapped_to_a_thousandth_of_a_degree():
    assert snap(122.99665432) == 122.997 and snap(41.1105678912) == 41.111 and snap(None) is None
    # Points a few metres apart (two doors of one block) come out the same.
    assert snap(123.00410) == snap(123.00449) == 123.004


def test_a_one_key_alarm_is_a_home():
    assert ALARM_CHANNEL in HOME_CHANNELS
    assert is_home({"channel": ALARM_CHANNEL}) and not is_home({"channel": "hotline"})


def test_a_homes_point_is_its_communitys_and_never_its_own():
    home = {"channel": "elder_phone", "lon": 123.0412345, "lat": 41.1001234, "community_code": "C1"}
    assert public_point(home, POINTS) == (123.01, 41.121)
    assert public_point({**home, "community_code": "unknown"}, POINTS) == (None, None)
    assert public_point({**home, "channel": "hotline"}, POINTS) == (123.041, 41.1)


def test_the_place_in_words_is_street_and_grid_or_a_homes_community():
    ticket = {"channel": "hotline", "street_name": "站前街道", "community_name": "惠民社区",
              "grid_name": "惠民社区第1网格", "address": "园林路12号"}
    assert public_place_name(ticket) == "站前街道惠民社区第1网格"
    assert public_place_name({**ticket, "channel": "elder_phone"}) == "站前街道惠民社区"


def test_the_live_feed_has_exact_points_only_for_those_who_read_every_ticket():
    from services.live import EXACT, PLACES, live_ticket, live_variant
    from workorders.policy import Principal

    def who(*roles: str, **scopes) -> Principal:
        return Principal(id=1, name="x", roles=frozenset(roles), **scopes)

    assert live_variant(who("dispatcher")) is EXACT and live_variant(who("supervisor")) is EXACT
    for nobody_in_full in (who("wall"), who("leader"), who("wall", "leader"), who("department", department_code="d"),
                           who("grid_worker", crew_code="c"), who("admin"), None):
        assert live_variant(nobody_in_full) is PLACES, nobody_in_full
    view = {"number": "20261202-000001", "state": "registered", "priority": 3, "channel": "hotline",
            "lon": 123.0123456, "lat": 41.1098771, "updated_at": None, "citizen_name": "王小明"}
    assert live_ticket(view, EXACT) == ["20261202-000001", "registered", 3, 123.012346, 41.109877, None, None, None, None]
    assert live_ticket(view, PLACES) == ["20261202-000001", "registered", 3, 123.012, 41.11, None, None, None, None]
    due = {**view, "arrival_due_at": "2026-12-02T08:30:00+08:00", "resolve_due_at": "2026-12-02T20:00:00+08:00"}
    assert live_ticket(due, EXACT)[6:8] == ["2026-12-02T08:30:00.000000+08:00", "2026-12-02T20:00:00.000000+08:00"]
    assert live_ticket({**due, "on_site_at": "2026-12-02T08:10:00+08:00"}, EXACT)[6] is None   # crew there


def test_a_live_ticket_names_the_crew_sent_to_it_and_nothing_of_the_crew_s_people():
    from services.live import PLACES, TICKET_FIELDS, live_ticket
    view = {"number": "20261202-000002", "state": "dispatched", "priority": 2, "channel": "hotline",
            "lon": 123.01, "lat": 41.1, "crew_code": "WATER-02", "crew_name": "张师傅"}
    row = live_ticket(view, PLACES)
    assert dict(zip(TICKET_FIELDS, row))["crew"] == "WATER-02" and "张师傅" not in row
