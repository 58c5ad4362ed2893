"""The category editor's rules (workorders/category_rules.py, workorders/catalogue.py): a form's text becomes a
category judged like the YAML file, every fault named by its field in zh-CN; versions compared field by field; the
preview routes and times a sample as intake would."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from workorders.catalogue import CatalogueError, check_category, load_catalogue, parse_category
from workorders.category_rules import change_lines, changes, form_of, preview, raw_from_form

TZ = ZoneInfo("Asia/Shanghai")
CATALOGUE = load_catalogue()
UNITS = {"water", "heat", "heat_south", "cgj", "zjj", "house", "hw"}
STREETS = ["210302001", "210302014"]
PLACE = {"grid_code": "G1", "community_code": "C1", "street_code": "210302014"}


def judged(code: str, values: dict):
    return check_category(raw_from_form(code, values), UNITS, STREETS)


def problems(code: str, values: dict) -> dict[str, str]:
    with pytest.raises(CatalogueError) as error:
        judged(code, values)
    return {p.field: p.message for p in error.value.problems}


@pytest.mark.parametrize("code", sorted(CATALOGUE))
def test_every_shipped_category_survives_the_form_unchanged(code):
    category = CATALOGUE[code]
    units = set(category.departments) | set(category.by_street.values())
    again = check_category(raw_from_form(code, form_of(category)), units)
    assert again == category and changes(category, again) == []


def test_the_form_reads_variants_and_per_street_units():
    category = judged("heating_cold", {**form_of(CATALOGUE["heating_cold"]), "by_street": "210302014 = heat_south",
                                       "variants": "indoor 户内维修 当日\noutdoor 户外管网 36"})
    assert category.by_street == {"210302014": "heat_south"}
    assert category.variants["indoor"].resolve == "same_day" and category.variants["outdoor"].resolve_hours == 36


@pytest.mark.parametrize("change,field,words", [
    ({"lead": "nope"}, "departments", "承办单位：没有单位 'nope'"),
    ({"lead": ""}, "lead", "主办单位：必填"),
    ({"arrival_minutes": "-5"}, "arrival_minutes", "到场时限（分钟）：应为不小于 1 的整数"),
    ({"resolve_hours": "0"}, "resolve_hours", "办结时限（小时）：应为不小于 1 的整数"),
    ({"resolve_hours": "三天"}, "resolve_hours", "办结时限（小时）：应为整数"),
    ({"priority": "9"}, "priority", "优先级：应为不大于 4 的整数"),
    ({"complexity": "hard"}, "complexity", "复杂程度：应为以下之一：简单、一般、复杂"),
    ({"name": " "}, "name", "名称：必填"),
    ({"arrival_minutes": "600", "resolve_hours": "8"}, "arrival_minutes", "超过了办结时限"),
    ({"by_street": "210302014 heat_south"}, "by_street", "分街道主办单位第 1 行"),
    ({"by_street": "210302099 = cgj"}, "by_street", "没有街道 '210302099'"),
    ({"by_street": "210302014 = ghost"}, "by_street", "没有单位 'ghost'"),
    ({"variants": "indoor"}, "variants", "子类第 1 行"),
    ({"variants": "indoor 户内 -3"}, "variants", "子类 indoor 的办结时限（小时）"),
    ({"default_variant": "roof"}, "default_variant", "默认子类"),
])
def test_each_fault_is_named_by_its_field_in_chinese(change, field, words):
    found = problems("heating_cold", {**form_of(CATALOGUE["heating_cold"]), **change})
    assert field in found and words in found[field]


def test_an_arrival_limit_above_a_variant_limit_is_refused():
    found = problems("heating_cold", {**form_of(CATALOGUE["heating_cold"]), "arrival_minutes": "3000"})
    assert "variants.outdoor" in found["arrival_minutes"]


def test_the_cli_still_reads_english_keys():
    with pytest.raises(CatalogueError, match="arrival_minutes: Input should be greater than or equal to 1"):
        parse_category({"code": "x", "name": "X", "complexity": "normal", "departments": ["a"],
                        "arrival_minutes": -5})


def test_changes_name_each_field_and_read_as_a_person_would():
    before = CATALOGUE["streetlight"]
    after = judged("streetlight", {**form_of(before), "lead": "zjj", "co_handlers": ["cgj"], "arrival_minutes": "45"})
    diff = changes(before, after)
    assert [d["field"] for d in diff] == ["lead", "co_handlers", "arrival_minutes"]
    lines = change_lines(diff, {"cgj": "城管局", "zjj": "住建局"})
    assert lines == ["主办单位：城管局 → 住建局", "协办单位：— → 城管局", "到场时限（分钟）：— → 45"]


def test_a_new_category_lists_only_what_it_sets():
    fresh = judged("snow", {"name": "积雪", "complexity": "simple", "lead": "hw", "route_to_community": True})
    assert [d["field"] for d in changes(None, fresh)] == ["name", "complexity", "priority", "lead",
                                                         "route_to_community"]


def at(local: str) -> datetime:
    return datetime.fromisoformat(local).replace(tzinfo=TZ).astimezone(timezone.utc)


def test_preview_routes_by_street_and_times_by_category():
    heat = judged("heating_cold", {**form_of(CATALOGUE["heating_cold"]), "by_street": "210302014 = heat_south"})
    shown = preview(heat, PLACE, at("2026-12-01T10:00:00"), "outdoor", tz=TZ, cutoff_hour=20)
    assert shown.lead_department == "heat_south" and shown.street_code == "210302014"
    assert shown.arrival_due_at == at("2026-12-01T10:20:00")
    assert shown.resolve_due_at == at("2026-12-01T10:00:00") + timedelta(hours=48)
    elsewhere = preview(heat, {**PLACE, "street_code": "210302001"}, at("2026-12-01T10:00:00"), tz=TZ, cutoff_hour=20)
    assert elsewhere.lead_department == "heat" and elsewhere.variant == "indoor"


def test_preview_keeps_community_matters_in_the_community_and_refuses_an_unknown_variant():
    noise = CATALOGUE["noise"]
    assert preview(noise, PLACE, at("2026-12-01T10:00:00"), tz=TZ, cutoff_hour=20).handled_by_community
    with pytest.raises(CatalogueError) as error:
        preview(noise, PLACE, at("2026-12-01T10:00:00"), "indoor", tz=TZ, cutoff_hour=20)
    assert error.value.problems[0].field == "variant"
