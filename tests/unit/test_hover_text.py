"""Plotly reads <br>, <b>, <a href> … in hover texts: every name a person typed (a category's name in the admin's
editor, a crew's name, a session's title) reaches a hover escaped, so it shows as typed (layers/text.py)."""
from __future__ import annotations

from layers.mediation import open_cases_trace
from layers.replay import crew_trace, ticket_trace

TYPED = '<a href="javascript:alert(1)">x</a><br><b>'
ESCAPED = "&lt;a href=\"javascript:alert(1)\"&gt;x&lt;/a&gt;&lt;br&gt;&lt;b&gt;"


def test_a_replayed_tickets_category_name_is_escaped():
    trace = ticket_trace([{"number": "20261203-000001", "category": "water_leak", "category_name": TYPED,
                           "state_label": "待派单", "state": "registered", "priority": 3, "lon": 123.0, "lat": 41.1}])
    assert trace["text"] == [f"20261203-000001 · {ESCAPED} · 待派单"]


def test_a_replayed_crews_name_is_escaped():
    trace = crew_trace([{"code": "c1", "name": TYPED, "kind": "网格员", "moving": False, "lon": 123.0, "lat": 41.1}])
    assert trace["text"] == [f"{ESCAPED} · 网格员"]


def test_a_mediation_cases_hover_is_escaped():
    trace = open_cases_trace([{"number": TYPED, "kind": "邻里纠纷", "grid_code": "g", "lon": 123.0, "lat": 41.1}])
    assert trace["text"] == [f"{ESCAPED} · 邻里纠纷（办理中）"]
