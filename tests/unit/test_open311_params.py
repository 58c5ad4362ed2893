"""Open311 query strings and forms → filters and NewTicket, every problem reported at once (no database)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from werkzeug.datastructures import MultiDict

from open311.errors import Open311Error
from open311.mapping import service_of
from open311.params import MAX_ROWS, citizen_name, new_ticket, request_filters
from open311.reports import CLOSED_STATES
from workorders.catalogue import load_catalogue

CATALOGUE = load_catalogue()
TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=timezone.utc)
CODES = set(CATALOGUE)


def filters(**args) -> dict:
    return request_filters(MultiDict(args), NOW, TZ, CODES)


def refused(call) -> list[str]:
    with pytest.raises(Open311Error) as caught:
        call()
    assert caught.value.status == 400
    return list(caught.value.descriptions)


# ------------------------------------------------------------------------------------------------ GET

def test_default_is_the_last_90_days_of_every_status():
    assert filters() == {"category": [], "since": NOW - timedelta(days=90), "until": NOW + timedelta(microseconds=1)}


def test_service_request_id_overrides_everything_else():
    assert filters(service_request_id="A, B,,C", status="bogus") == {"numbers": ["A", "B", "C"]}
    many = ",".join(str(i) for i in range(MAX_ROWS + 50))
    assert len(filters(service_request_id=many)["numbers"]) == MAX_ROWS


def test_status_maps_to_our_states():
    assert set(filters(status="closed")["state"]) == CLOSED_STATES
    assert not set(filters(status="open")["state"]) & CLOSED_STATES and "reopened" in filters(status="open")["state"]
    assert "state" not in filters(status="open,closed")


def test_dates_are_inclusive_and_local_when_they_carry_no_offset():
    window = filters(start_date="2026-11-01", end_date="2026-11-20T08:00:00Z", service_code="water_leak,noise")
    assert window["since"] == datetime(2026, 11, 1, tzinfo=TZ)
    assert window["until"] == datetime(2026, 11, 20, 8, tzinfo=timezone.utc) + timedelta(microseconds=1)
    assert window["category"] == ["water_leak", "noise"]
    only_end = filters(end_date="2026-06-30T00:00:00+08:00")
    assert only_end["until"] - only_end["since"] == timedelta(days=90, microseconds=1)


def test_bad_filters_are_all_reported():
    problems = refused(lambda: filters(status="pending", start_date="昨天", service_code="water_leak,ufo"))
    assert len(problems) == 3
    assert any(p.startswith("status") for p in problems) and any(p.startswith("start_date") for p in problems)
    assert any("ufo" in p for p in problems)


@pytest.mark.parametrize("start,end,message", [("2026-11-20", "2026-11-01", "不能晚于"),
                                                ("2026-01-01", "2026-06-01", "90 天")])
def test_impossible_windows(start, end, message):
    assert message in refused(lambda: filters(start_date=start, end_date=end))[0]


# ------------------------------------------------------------------------------------------------ POST

def submit(code: str, **fields):
    form = MultiDict([(k, v) for k, values in fields.items()
                      for v in (values if isinstance(values, list) else [values])])
    return new_ticket(form, service_of(CATALOGUE[code], "部门"), "fixmystreet")


def test_a_full_form_becomes_an_open311_ticket():
    sent = submit("heating_cold", lat="41.11", long="122.99", description="暖气不热", first_name="小明",
                  last_name="王", phone="138 1234 1234", email="wang@example.cn", account_id="acct-9",
                  device_id="dev-1", media_url="https://img.example/1.jpg",
                  **{"attribute[variant]": "outdoor", "attribute[floor]": "5", "attribute[notice]": "echo"})
    t = sent.ticket
    assert (t.channel, t.category, t.lat, t.lon, t.variant) == ("open311", "heating_cold", 41.11, 122.99, "outdoor")
    assert (t.citizen_name, t.citizen_phone, t.registered_by) == ("王小明", "138 1234 1234", "fixmystreet")
    assert t.attributes == {"floor": 5, "contact_email": "wang@example.cn", "open311_account_id": "acct-9",
                            "open311_device_id": "dev-1"}
    assert t.source_ref == "dev-1" and sent.account_id == "acct-9" and t.priority is None


def test_repeated_attribute_keys_form_a_multi_value_list_and_urgent_raises_priority():
    leak = submit("water_leak", address_string="胜利路40号", **{"attribute[leak_location]": ["kitchen", "basement"]})
    assert leak.ticket.attributes["leak_location"] == ["kitchen", "basement"] and leak.ticket.address == "胜利路40号"
    road = submit("road_damage", address_id="21030200100101", **{"attribute[urgent]": "yes"})
    assert road.ticket.priority == CATALOGUE["road_damage"].priority - 1 and road.ticket.grid_code == "21030200100101"


def test_description_is_optional_in_open311_but_never_empty_here():
    assert submit("noise", lat="41.1", long="123").ticket.description.startswith("噪声扰民")


def test_every_problem_of_a_form_is_reported_at_once():
    problems = refused(lambda: submit("heating_cold", lat="41.1", description="x" * 4001, media_url="javascript:x",
                                      email="not-an-email", **{"attribute[floor]": "三楼", "attribute[colour]": "red"}))
    joined = "\n".join(problems)
    for param in ("lat/long", "description", "media_url", "email", "attribute[floor]", "attribute[variant]",
                  "colour"):
        assert param in joined
    assert len(problems) == 7


@pytest.mark.parametrize("fields,message", [
    ({}, "缺少位置"),
    ({"lat": "north", "long": "122"}, "十进制度数"),
    ({"lat": "nan", "long": "122"}, "超出范围"),
    ({"lat": "95", "long": "122"}, "超出范围"),
    ({"address_id": "9" * 40}, "address_id"),
])
def test_location_problems(fields, message):
    assert message in "\n".join(refused(lambda: submit("noise", **fields)))


def test_citizen_name_order():
    assert citizen_name(MultiDict({"first_name": "小明", "last_name": "王"})) == "王小明"
    assert citizen_name(MultiDict({"first_name": "Anna", "last_name": "Smith"})) == "Anna Smith"
    assert citizen_name(MultiDict({"last_name": "王"})) == "王" and citizen_name(MultiDict()) is None
