"""Categories as Open311 services and definitions; tickets as service requests (no database)."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from open311.mapping import Attribute, Service, attributes_of, deadline_text, service_definition, service_item, \
    service_of
from open311.reports import CLOSED_STATES, request_item, status_notes, status_of, w3c
from services.public_places import place_of
from workorders.catalogue import Variant, load_catalogue
from workorders.states import STATES

CATALOGUE = load_catalogue()
TZ = ZoneInfo("Asia/Shanghai")


def by_code(attributes: list[Attribute]) -> dict[str, Attribute]:
    return {a.code: a for a in attributes}


def test_heating_asks_for_its_catalogue_variant_as_a_required_single_value_list():
    heating = CATALOGUE["heating_cold"]
    variant = by_code(attributes_of(heating))["variant"]
    assert variant.datatype == "singlevaluelist" and variant.required and variant.variable
    assert [key for key, _ in variant.values] == list(heating.variants) == ["indoor", "outdoor"]
    assert dict(variant.values) == {"indoor": "户内维修", "outdoor": "户外管网"}
    assert "当日办结" in variant.datatype_description and "48小时" in variant.datatype_description


def test_a_variant_added_to_the_catalogue_appears_without_code_changes():
    heating = CATALOGUE["heating_cold"]
    more = replace(heating, variants={**heating.variants, "building": Variant("building", "楼内管道", None, 24)})
    variant = by_code(attributes_of(more))["variant"]
    assert ("building", "楼内管道") in variant.values and "楼内管道：24小时内办结" in variant.datatype_description


def test_informational_and_typed_attributes():
    heating = by_code(attributes_of(CATALOGUE["heating_cold"]))
    assert heating["notice"].variable is False and "18℃" in heating["notice"].description
    assert heating["floor"].datatype == "number" and not heating["floor"].required
    leak = by_code(attributes_of(CATALOGUE["water_leak"]))["leak_location"]
    assert leak.datatype == "multivaluelist"
    assert by_code(attributes_of(CATALOGUE["road_damage"]))["urgent"].values == (("yes", "是"), ("no", "否"))


def test_definition_items_carry_every_spec_field_in_order():
    definition = service_definition(service_of(CATALOGUE["heating_cold"], "鞍山市热力集团铁东分公司"))
    assert definition["service_code"] == "heating_cold"
    assert [a["order"] for a in definition["attributes"]] == [1, 2, 3]
    for item in definition["attributes"]:
        assert set(item) == {"variable", "code", "datatype", "required", "datatype_description", "order",
                             "description", "values"}


def test_metadata_says_whether_there_are_attributes():
    assert service_item(service_of(CATALOGUE["heating_cold"], "热力"))["metadata"] is True
    plain = service_item(service_of(CATALOGUE["neighbour_dispute"], "区司法局"))
    assert plain["metadata"] is False and service_definition(service_of(CATALOGUE["neighbour_dispute"], "x")) == {
        "service_code": "neighbour_dispute", "attributes": []}


def test_service_item_is_chinese_and_grouped():
    item = service_item(service_of(CATALOGUE["heating_cold"], "鞍山市热力集团铁东分公司"))
    assert item == {
        "service_code": "heating_cold", "service_name": "室温不达标", "type": "realtime", "metadata": True,
        "description": "承办单位：鞍山市热力集团铁东分公司。办理时限：20分钟内到场；户内维修当日办结，户外管网48小时内办结。",
        "keywords": "户内维修,户外管网", "group": "公用事业"}
    unknown = replace(CATALOGUE["other"], code="potholes_new")
    assert service_item(Service(unknown, "x"))["group"] == "其他"


def test_deadline_text_follows_complexity():
    assert deadline_text(CATALOGUE["sanitation"]) == "当日办结"
    assert deadline_text(CATALOGUE["gas_leak"]) == "30分钟内到场；10日内办结"


@pytest.mark.parametrize("attribute,raw,expected", [
    (Attribute("floor", "number", "楼层", minimum=-5, maximum=99), ["3"], 3),
    (Attribute("floor", "number", "楼层", minimum=-5, maximum=99), [" -2 "], -2),
    (Attribute("area", "number", "面积"), ["2.5"], 2.5),
    (Attribute("u", "singlevaluelist", "u", values=(("yes", "是"), ("no", "否"))), ["yes"], "yes"),
    (Attribute("m", "multivaluelist", "m", values=(("a", "A"), ("b", "B"))), ["a", "b", "a"], ["a", "b"]),
    (Attribute("m", "multivaluelist", "m", values=(("a", "A"), ("b", "B"))), ["b,a"], ["b", "a"]),
    (Attribute("s", "string", "s"), [" 文字 "], "文字"),
])
def test_attribute_values_parse(attribute, raw, expected):
    assert attribute.parse(raw) == expected


@pytest.mark.parametrize("attribute,raw,message", [
    (Attribute("floor", "number", "楼层", minimum=-5, maximum=99), ["三楼"], "应为数字"),
    (Attribute("floor", "number", "楼层", minimum=-5, maximum=99), ["nan"], "应为数字"),
    (Attribute("floor", "number", "楼层", minimum=-5, maximum=99), ["1e999"], "应为数字"),
    (Attribute("floor", "number", "楼层", minimum=-5, maximum=99), ["120"], "-5 至 99"),
    (Attribute("floor", "number", "楼层"), ["1", "2"], "只能填写一个值"),
    (Attribute("u", "singlevaluelist", "u", values=(("yes", "是"),)), ["maybe"], "无效取值 'maybe'"),
    (Attribute("m", "multivaluelist", "m", values=(("a", "A"),)), ["a", "z"], "无效取值 'z'"),
    (Attribute("d", "datetime", "d"), ["昨天"], "W3C"),
    (Attribute("s", "string", "s"), ["x" * 201], "200"),
])
def test_attribute_values_refused_with_a_reason(attribute, raw, message):
    with pytest.raises(ValueError, match=message):
        attribute.parse(raw)


# ------------------------------------------------------------------------------------------------ requests

def ticket(**changes) -> dict:
    registered = datetime(2026, 11, 26, 1, 30, tzinfo=timezone.utc)
    return {
        "number": "20261126-000007", "state": "dispatched", "category_code": "heating_cold",
        "category_name": "室温不达标", "lead_department_name": "鞍山市热力集团铁东分公司", "escalation_level": 0,
        "registered_at": registered, "updated_at": registered + timedelta(minutes=5),
        "resolve_due_at": registered + timedelta(hours=48), "arrival_due_at": registered + timedelta(minutes=20),
        "on_site_at": None, "resolved_at": None, "satisfaction": None, "merged_into_number": None,
        "address": None, "street_name": "站前街道", "grid_name": "惠民社区第1网格", "grid_code": "21030200100101",
        "lat": 41.1105678912, "lon": 122.99665432, "media_url": None,
        "citizen_name": "王小明", "citizen_phone": "13812341234", "description": "我家暖气不热，电话13812341234",
        "attributes": {"contact_email": "wang@example.cn", "open311_account_id": "acct-9"},
        **changes}


def test_status_is_open_or_closed_and_resolved_counts_as_closed():
    assert {s for s in STATES if status_of(s) == "closed"} == set(CLOSED_STATES) == {
        "resolved", "evaluated", "closed", "merged", "refused"}
    assert status_of("reopened") == "open" and status_of("escalated") == "open"


def test_status_notes_carry_the_detailed_chinese_state():
    assert status_notes(ticket()) == "已派单：已派鞍山市热力集团铁东分公司办理"
    assert status_notes(ticket(state="escalated", escalation_level=2)) == "已升级：区督办"
    assert status_notes(ticket(state="merged", merged_into_number="20261126-000001")).startswith(
        "已合并：与工单 20261126-000001 重复")
    assert status_notes(ticket(state="closed", satisfaction="satisfied")) == "已关闭：群众评价：满意"
    assert status_notes(ticket(state="refused")) == "不予受理"
    assert status_notes(ticket(state="accepted", escalation_level=1)).endswith("（街道督办中）")


def test_request_item_has_the_spec_fields_and_no_personal_data():
    typed = ticket(address="园林路12号3单元501")
    item = request_item(typed, TZ, place_of(typed, points={}))
    assert item["service_request_id"] == "20261126-000007" and item["status"] == "open"
    assert item["requested_datetime"] == "2026-11-26T09:30:00+08:00"
    assert item["expected_datetime"] == "2026-11-28T09:30:00+08:00"
    assert item["address"] == "站前街道惠民社区第1网格" and item["address_id"] == "21030200100101"
    assert (item["lat"], item["long"]) == (41.111, 122.997)         # the ~100 m lattice, not the point typed
    assert item["service_notice"] == "请于 2026-11-28 09:30 前办结，2026-11-26 09:50 前到场"
    shown = repr(item)
    for private in ("王小明", "13812341234", "wang@example.cn", "acct-9", "暖气不热", "园林路12号", "41.1105"):
        assert private not in shown
    assert "description" not in item


def test_an_elders_alarm_is_shown_at_its_community_not_at_the_home():
    home = ticket(channel="elder_phone", address="园林路12号3单元501", community_code="210302001001",
                  community_name="惠民社区")
    item = request_item(home, TZ, place_of(home, points={"210302001001": (122.98123456, 41.10987654)}))
    assert item["address"] == "站前街道惠民社区" and item["address_id"] == "210302001001"
    assert (item["long"], item["lat"]) == (122.981, 41.11)
    assert "第1网格" not in repr(item) and "园林路" not in repr(item)


def test_w3c_datetimes_carry_the_offset():
    assert w3c(datetime(2026, 1, 1, 16, 0, 0, 123456, tzinfo=timezone.utc), TZ) == "2026-01-02T00:00:00+08:00"
    assert w3c(None, TZ) is None
