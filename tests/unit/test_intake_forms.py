"""Form → request rules of the intake screens, masking, deadline words and ticket-number parsing (no database)."""
from __future__ import annotations

import pytest

from callbacks.intake_location import error_messages
from services.intake_forms import (FormInvalid, IntakeError, deadline_rule, digits, form_errors, form_request,
                                   matching_categories)
from services.ticket_views import normalise_number
from workorders.catalogue import load_catalogue
from workorders.privacy import mask_name, mask_phone, masked_citizen

PLACE = {"lon": 123.0, "lat": 41.05, "label": "胜利路12号", "source": "place"}


def hotline_form(**changes) -> dict:
    form = {"phone": "138-1234-5678", "name": " 王建国 ", "category": "water_leak", "variant": None,
            "address": "胜利路12号3单元", "location": PLACE, "description": "  楼上漏水  ", "window": None,
            "operator": "李坐席"}
    return {**form, **changes}


def test_a_complete_hotline_form_becomes_a_request_with_digits_only_and_the_picked_point():
    request = form_request("hotline", hotline_form())
    assert request.channel == "hotline"
    assert request.citizen_phone == "13812345678"
    assert request.citizen_name == "王建国"
    assert request.description == "楼上漏水"
    assert (request.lon, request.lat) == (123.0, 41.05)
    assert request.address == "胜利路12号3单元"          # the typed detail wins over the suggestion's name
    assert request.registered_by is None          # a typed operator name is ignored: the service names the user
    assert request.attributes == {}


def test_a_form_never_says_who_registers():
    assert form_request("hotline", hotline_form(operator="假冒的坐席")).registered_by is None
    assert form_request("web", hotline_form(operator="x")).registered_by is None


def test_without_a_picked_point_the_typed_address_is_sent_for_lookup():
    request = form_request("letter", hotline_form(location=None, address=" 和平路1号 "))
    assert (request.lon, request.lat, request.address) == (None, None, "和平路1号")


def test_every_wrong_input_is_named_at_once():
    with pytest.raises(FormInvalid) as refused:
        form_request("walk_in", {"phone": "12ab", "category": None, "description": " ", "location": None,
                                 "address": "", "window": "nope"}, windows={"gaj"})
    assert set(refused.value.errors) == {"citizen_phone", "category", "description", "location",
                                         "window_department"}
    assert refused.value.errors["citizen_phone"] == "联系电话只能包含数字"
    assert form_errors(refused.value) == {"phone": "联系电话只能包含数字", "category": "请选择事项类别",
                                          "description": "请填写诉求内容",
                                          "location": "请填写地址并选择一条建议，或在地图上点选位置",
                                          "window": "请选择接待来访群众的部门窗口"}


@pytest.mark.parametrize("channel, required", [("hotline", True), ("web", True), ("letter", False),
                                               ("walk_in", False)])
def test_a_phone_is_required_from_a_caller_and_a_web_citizen_only(channel, required):
    form = hotline_form(phone="", window="gaj")
    if required:
        with pytest.raises(FormInvalid) as refused:
            form_request(channel, form, windows={"gaj"})
        assert refused.value.errors == {"citizen_phone": "请填写来电号码" if channel == "hotline" else "请填写联系电话"}
    else:
        assert form_request(channel, form, windows={"gaj"}).citizen_phone is None


@pytest.mark.parametrize("phone", ["1234", "1" * 16])
def test_phone_length_is_checked(phone):
    with pytest.raises(FormInvalid, match="5–15 位数字"):
        form_request("hotline", hotline_form(phone=phone))


def test_a_walk_in_records_the_window_that_received_the_visitor():
    request = form_request("walk_in", hotline_form(window="gaj"), windows={"gaj", "sfj"})
    assert request.attributes == {"window_department": "gaj"}


def test_a_channel_this_screen_does_not_take_is_refused():
    with pytest.raises(IntakeError) as refused:
        form_request("police_110", hotline_form())
    assert refused.value.field == "channel"


def test_a_broken_picked_point_is_refused_on_the_location():
    with pytest.raises(FormInvalid) as refused:
        form_request("hotline", hotline_form(location={"lon": "x", "lat": None}))
    assert "location" in refused.value.errors


def test_a_long_name_is_refused():
    with pytest.raises(FormInvalid) as refused:
        form_request("hotline", hotline_form(name="王" * 41))
    assert form_errors(refused.value) == {"name": "姓名不能超过 40 字"}


def test_service_errors_land_on_their_input_and_unknown_fields_on_the_form():
    assert form_errors(IntakeError("address", "找不到地址")) == {"address": "找不到地址"}
    assert form_errors(IntakeError("grid_code", "没有网格")) == {"location": "没有网格"}
    assert form_errors(IntakeError("priority", "x")) == {"form": "x"}


def test_error_lines_put_messages_of_missing_inputs_on_the_form_line():
    outputs = [{"id": {"type": "report-error", "field": f}} for f in ("phone", "address", "form")]
    assert error_messages(outputs) == ["", "", ""]
    assert error_messages(outputs, {"address": "找不到地址"}) == ["", "找不到地址", ""]
    assert error_messages(outputs, {"window": "请选择窗口", "phone": "请填写"}) == ["请填写", "", "请选择窗口"]


@pytest.mark.parametrize("name, masked", [("王建国", "王**"), ("李明", "李*"), ("欧", "欧*"), ("", ""),
                                          (None, "")])
def test_names_keep_the_family_name_only(name, masked):
    assert mask_name(name) == masked


@pytest.mark.parametrize("phone, masked", [("13812341234", "138****1234"), ("0412-5551234", "041****1234"),
                                           ("+86 138 1234 1234", "861******1234"), (None, "")])
def test_phones_keep_the_first_three_and_last_four(phone, masked):
    assert mask_phone(phone) == masked


# One rule for every screen: a number shorter than 11 digits would give itself away with 7 digits shown (or with
# the last two of a 5-digit extension), so it is all stars. Before, the evaluation page showed 1234567 as *****67.
@pytest.mark.parametrize("phone, masked", [("1234567", "*******"), ("0412-555123", "**********"),
                                           ("12345", "*****"), ("5551234", "*******")])
def test_shorter_numbers_show_no_digit(phone, masked):
    assert mask_phone(phone) == masked


def test_the_wall_and_the_panel_read_a_missing_part_as_a_dash():
    assert masked_citizen("王建国", "13812341234") == "王** 138****1234"
    assert masked_citizen(None, "") == "— —"


def test_digits_strip_everything_else():
    assert digits("(0412) 555-1234") == "04125551234"
    assert digits(None) == ""


def test_deadline_words_follow_the_catalogue():
    catalogue = load_catalogue()
    assert deadline_rule(catalogue["water_leak"]) == "30 分钟内到场 · 3 天内办结"
    assert deadline_rule(catalogue["heating_cold"], "indoor").startswith("20 分钟内到场 · 当日办结")
    assert deadline_rule(catalogue["heating_cold"], "outdoor") == "20 分钟内到场 · 48 小时内办结"
    assert deadline_rule(catalogue["sanitation"]).startswith("当日办结")
    assert deadline_rule(catalogue["gas_leak"]).endswith("10 天内办结")


@pytest.mark.parametrize("typed, number", [("20261126-000123", "20261126-000123"),
                                           (" 20261126 - 000123 ", "20261126-000123"),
                                           ("20261126000123", "20261126-000123"),
                                           ("２０２６１１２６－０００１２３", "20261126-000123"),
                                           ("2026-11-26", None), ("'; drop table", None), ("", None), (None, None)])
def test_ticket_numbers_are_read_as_people_type_them(typed, number):
    assert normalise_number(typed) == number


def test_categories_are_found_by_part_of_the_name_or_the_code():
    catalogue = load_catalogue()
    codes = lambda typed: [c.code for c in matching_categories(catalogue, typed)]  # noqa: E731
    assert codes("漏") == ["water_leak", "gas_leak"]               # 漏水 starts with it, 燃气泄漏 only has it
    assert codes("燃气") == ["gas_leak"]
    assert codes("W") == ["water_leak", "power_fault"]            # names first that start with it, then priority
    assert codes("waterleak") == ["water_leak"]
    assert codes("street") == ["streetlight"]
    assert codes("火星") == []
    everything = codes(" ")
    assert len(everything) == len(catalogue) and everything[0] in ("water_leak", "heating_cold", "power_fault",
                                                                    "gas_leak")
    assert everything[-2:] == ["greening", "other"]               # the least urgent last
