"""Stability risk assessment's rules: a row of the import (or the form) checked field by field, lists in a cell,
factors with their analysis and measures, and the map layer of a project's area."""
from __future__ import annotations

from datetime import date

import pytest

from layers.risk_area import AREA, COUNTS, GRIDS, area_centre, area_traces
from workorders.risk_assessment import Factor, ProjectRejected, check_project, level_counts, parse_factors, split_list

TODAY = date(2026, 12, 2)
GOOD = {"项目名称": "山南小学东侧地块搬迁", "项目类型": "征地拆迁", "网格编码": "G1、G2；G1", "评估方法": "听证会,公示",
        "风险等级": "中", "评估结论": "调整后实施", "评估日期": "2026-08-01",
        "风险因素": "补偿标准：低于市场价：第三方评估\n安置房源"}


def test_a_good_row_becomes_fields_with_lists_in_order_and_without_repeats():
    fields = check_project(GOOD, TODAY)
    assert fields.grid_codes == ("G1", "G2") and fields.methods == ("听证会", "公示")
    assert fields.factors == (Factor("补偿标准", "低于市场价", "第三方评估"), Factor("安置房源"))
    assert (fields.level, fields.decision, fields.assessed_on) == ("中", "调整后实施", date(2026, 8, 1))


def test_a_form_may_send_lists_as_lists():
    fields = check_project({**GOOD, "网格编码": ["G3", "G4"], "评估方法": ["问卷调查"]}, TODAY)
    assert fields.grid_codes == ("G3", "G4") and fields.methods == ("问卷调查",)


@pytest.mark.parametrize("change, problem", [
    ({"项目名称": ""}, "项目名称：必填"),
    ({"网格编码": None}, "网格编码：必填"),
    ({"风险等级": "极高"}, "风险等级：应为 高、中、低 之一"),
    ({"评估结论": "同意"}, "评估结论：应为"),
    ({"评估方法": "听证会、座谈会"}, "收到 座谈会"),
    ({"评估日期": "2026-13-01"}, "评估日期：日期格式"),
    ({"评估日期": "2027-01-01"}, "评估日期：不能晚于今天"),
    ({"项目类型": "别的"}, "项目类型：应为"),
    ({"项目名称": "a\x00b"}, "项目名称：最多"),
])
def test_each_bad_field_gets_its_own_message(change, problem):
    with pytest.raises(ProjectRejected) as rejected:
        check_project({**GOOD, **change}, TODAY)
    assert len(rejected.value.problems) == 1 and problem in rejected.value.problems[0]


def test_every_bad_field_of_a_row_is_reported_at_once():
    with pytest.raises(ProjectRejected) as rejected:
        check_project({"项目名称": "x", "风险等级": "?"}, TODAY)
    assert len(rejected.value.problems) == 6          # five missing fields and the bad level


def test_list_cells_and_factors():
    assert split_list(" a, b ;c、a ") == ["a", "b", "c"]
    assert parse_factors("甲：乙；丙::丁") == [Factor("甲", "乙"), Factor("丙", None, "丁")]
    assert level_counts([{"level": "高"}, {"level": "低"}, {"level": "低"}]) == {"高": 1, "中": 0, "低": 2}


def test_the_area_layer_draws_the_area_the_grid_outlines_and_their_counts():
    square = {"type": "MultiPolygon", "coordinates": [[[[123.0, 41.0], [123.1, 41.0], [123.1, 41.1], [123.0, 41.0]]],
                                                      [[[124.0, 42.0], [124.1, 42.0], [124.0, 42.1], [124.0, 42.0]]]]}
    grid = {"code": "G1", "name": "一网格", "outline": {"type": "Polygon", "coordinates": square["coordinates"][0]},
            "lon": 123.05, "lat": 41.05, "open_tickets": 3, "open_disputes": 1}
    area, outlines, counts = area_traces(square, [grid])
    assert (area["name"], outlines["name"], counts["name"]) == (AREA, GRIDS, COUNTS)
    assert area["lon"].count(None) == 2 and area["fill"] == "toself"
    assert counts["text"] == ["一网格（G1）<br>办理中工单 3 · 办理中纠纷 1"] and counts["customdata"] == ["G1"]
    assert area_centre(square) == pytest.approx({"lon": 123.55, "lat": 41.55})
