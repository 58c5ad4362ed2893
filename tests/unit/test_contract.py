"""The intake contract on its own: every problem of a request at once, said the way each door names its inputs."""
from __future__ import annotations

import pytest

from workorders.contract import (IntakeError, Latitude, NewTicket, Phone, Problem, Transition, checked,
                                 idempotency_key, value_problems)

TICKET = {"channel": "web", "category": "noise", "description": "楼下酒吧噪声", "lat": 41.1, "lon": 123.0}


def refused(**fields) -> list[tuple[str, str]]:
    with pytest.raises(IntakeError) as caught:
        NewTicket(**{**TICKET, **fields})
    return [(p.field, p.rule) for p in caught.value.problems]


def test_a_valid_request_is_a_frozen_model():
    ticket = NewTicket(**TICKET, citizen_phone="(0412) 555-1234", address="  ")
    assert ticket.address is None and ticket.citizen_phone == "(0412) 555-1234"    # blank is absent; no reformat
    with pytest.raises(Exception):
        ticket.description = "别的"


def test_every_problem_is_named_at_once_unknown_fields_first_and_the_place_across_fields():
    assert refused(lon=None, description=" ", citizen_phone="12ab", priority=0, media_url="javascript:x",
                   colour="red") == [
        ("colour", "unknown_field"), ("description", "blank"), ("citizen_phone", "phone_chars"),
        ("priority", "out_of_range"), ("media_url", "not_http_url"), ("location", "lat_lon_pair")]
    assert refused(lat=None, lon=None) == [("location", "no_location")]
    assert NewTicket(**{**TICKET, "lat": None, "lon": None, "grid_code": "21030200100101"}).lat is None


@pytest.mark.parametrize("phone, rule", [("1234", "phone_digits"), ("1" * 16, "phone_digits"),
                                         ("call me", "phone_chars"), ("138 1234 1234", None)])
def test_one_phone_rule(phone, rule):
    assert [p.rule for p in value_problems(Phone, phone, "phone")] == ([rule] if rule else [])


def test_types_are_strict_and_coordinates_finite():
    assert refused(lat="41.1") == [("lat", "not_number")]
    assert refused(lat=True) == [("lat", "not_number")]
    assert refused(lat=float("nan")) == [("lat", "out_of_range")]
    assert refused(priority=1.0) == [("priority", "not_integer")]
    assert checked(Latitude, 41, "lat") == 41.0


def test_each_door_names_the_input_its_own_way():
    problem = Problem("citizen_phone", "phone_chars", "只能包含数字")
    assert problem.message == "citizen_phone 只能包含数字"              # the API
    assert problem.said("联系电话") == "联系电话只能包含数字"              # a form's label
    assert problem.said("") == "只能包含数字"                            # Open311 puts its parameter in front
    whole = Problem("location", "lat_lon_pair", "经纬度须同时提供", named=False)
    assert whole.message == whole.said("位置") == "经纬度须同时提供"


def test_transition_rules_across_fields():
    with pytest.raises(IntakeError) as caught:
        Transition(action="merge", reason="重复", data={})
    assert caught.value.field == "data.into"
    with pytest.raises(IntakeError) as caught:
        Transition(action="refuse", reason="  ")
    assert caught.value.field == "reason"
    assert Transition(action="dispatch").data == {}


def test_idempotency_keys():
    assert idempotency_key(" abc ") == "abc" and idempotency_key("  ") is None and idempotency_key(None) is None
    for bad in ("k" * 201, "a\x00b"):
        with pytest.raises(IntakeError) as caught:
            idempotency_key(bad)
        assert caught.value.field == "Idempotency-Key"
