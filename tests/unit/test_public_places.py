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
