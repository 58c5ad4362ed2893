"""Open311 documents as XML or JSON, from the same plain dicts and lists.

XML lists need an element name per item; the spec's names are fixed (services/service, service_requests/request,
errors/error, attributes/attribute, values/value), so they are a table here rather than guessed from plurals.
"""
from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from typing import Any

DECLARATION = '<?xml version="1.0" encoding="utf-8"?>\n'
ITEM_TAGS = {"services": "service", "service_requests": "request", "errors": "error", "attributes": "attribute",
             "values": "value"}
# Characters XML 1.0 cannot carry even escaped (controls other than tab/newline/return, lone surrogates, U+FFFE/F):
# a citizen's text pasted from elsewhere must not make the whole document ill-formed.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(value: Any) -> str:
    if isinstance(value, bool):          # before int: True is an int too
        return "true" if value else "false"
    return _NOT_XML.sub("", str(value))


def _fill(element: ET.Element, value: Any) -> None:
    if isinstance(value, dict):
        for key, child in value.items():
            _fill(ET.SubElement(element, key), child)
    elif isinstance(value, (list, tuple)):
        if element.tag not in ITEM_TAGS:
            raise ValueError(f"no item element name for a list inside <{element.tag}>")
        for item in value:
            _fill(ET.SubElement(element, ITEM_TAGS[element.tag]), item)
    elif value is not None:              # None stays an empty element: the field exists, it has no value
        element.text = xml_text(value)


def to_xml(root: str, content: Any) -> bytes:
    """``content`` under the element ``root``: ``to_xml("services", [{...}, {...}])``; UTF-8, declaration first."""
    element = ET.Element(root)
    _fill(element, content)
    return (DECLARATION + ET.tostring(element, encoding="unicode")).encode("utf-8")


def to_json(content: Any) -> bytes:
    # The JSON form has no root element: a list (or the definition's object) is the document itself.
    return json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
