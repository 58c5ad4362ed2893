"""The Open311 serialiser: well-formed UTF-8 XML with the spec's element names, whatever the text holds."""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from open311.xml import DECLARATION, to_json, to_xml


def test_markup_characters_are_escaped_and_chinese_stays_utf8():
    text = '暖气不热 <b>"很冷"</b> & 楼道漏水 > 3 天'
    body = to_xml("errors", [{"code": 400, "description": text}])
    assert body.startswith(DECLARATION.encode())
    assert b"&lt;b&gt;" in body and b"&amp;" in body and "暖气不热".encode("utf-8") in body
    error = ET.fromstring(body).find("error")
    assert error.findtext("description") == text and error.findtext("code") == "400"


def test_control_characters_are_dropped_so_the_document_stays_well_formed():
    body = to_xml("service_requests", [{"address": "胜利路\x00 12\x07号\x1b", "status_notes": "第一行\n第二行\t完"}])
    request = ET.fromstring(body).find("request")
    assert request.findtext("address") == "胜利路 12号"
    assert request.findtext("status_notes") == "第一行\n第二行\t完"


def test_lists_take_the_spec_item_names_and_values_their_text_form():
    definition = {"service_code": "heating_cold", "attributes": [
        {"variable": True, "code": "variant", "required": False, "order": 1, "datatype_description": None,
         "values": [{"key": "indoor", "name": "户内维修"}, {"key": "outdoor", "name": "户外管网"}]}]}
    root = ET.fromstring(to_xml("service_definition", definition))
    attribute = root.find("attributes/attribute")
    assert root.tag == "service_definition" and root.findtext("service_code") == "heating_cold"
    assert attribute.findtext("variable") == "true" and attribute.findtext("required") == "false"
    assert attribute.findtext("order") == "1"
    assert attribute.find("datatype_description") is not None and attribute.findtext("datatype_description") == ""
    assert [v.findtext("name") for v in attribute.findall("values/value")] == ["户内维修", "户外管网"]


@pytest.mark.parametrize("root,item", [("services", "service"), ("service_requests", "request"),
                                        ("errors", "error")])
def test_top_level_lists(root, item):
    element = ET.fromstring(to_xml(root, [{"a": 1}, {"a": 2}]))
    assert element.tag == root and [c.tag for c in element] == [item, item]


def test_a_list_without_a_spec_name_is_a_programming_error():
    with pytest.raises(ValueError, match="keywords"):
        to_xml("services", [{"keywords": ["a", "b"]}])


def test_json_keeps_chinese_readable_and_round_trips():
    content = [{"service_name": "室温不达标", "metadata": True, "media_url": None, "lat": 41.1}]
    body = to_json(content)
    assert "室温不达标".encode("utf-8") in body and json.loads(body) == content
