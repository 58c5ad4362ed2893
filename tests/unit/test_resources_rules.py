"""Social forces' and petitions' rules in plain Python: row checks (one message per bad field), coverage gaps, the
resolved rate, and the map layers built from rows."""
from __future__ import annotations

from datetime import date

import pytest

from layers.resources import gap_traces, station_traces
from workorders.petitions import PetitionRejected, check_petition, resolved_rate
from workorders.resources import (GAP_NEITHER, GAP_NO_PATROL, GAP_NO_VOLUNTEERS, POST_GROUP, POSTS,
                                  ResourceRejected, check_resource, gap_of, kinds_of, split_grids)

TODAY = date(2026, 12, 1)


def test_a_good_resource_row_and_its_grid_list():
    fields = check_resource({"类型": "志愿服务队", "名称": "光明社区助老志愿服务队", "覆盖网格": "G1、G2, G2；G3",
                             "人数": "40", "联系电话": "0412-5551234"})
    assert fields.grid_codes == ("G1", "G2", "G3") and fields.members == 40 and fields.code is None
    assert check_resource({"类型": "环卫岗", "名称": "x", "覆盖网格": ["G1", "G2"]}).grid_codes == ("G1", "G2")
    assert split_grids(" A 、B ") == ("A", "B")


def test_a_bad_resource_row_names_each_field():
    with pytest.raises(ResourceRejected) as rejected:
        check_resource({"类型": "保安", "名称": "", "覆盖网格": "", "人数": "0", "联系电话": "12"})
    fields = [p.split("：")[0] for p in rejected.value.problems]
    assert fields == ["名称", "覆盖网格", "类型", "人数", "联系电话"]
    with pytest.raises(ResourceRejected) as rejected:
        check_resource({"类型": "环卫岗", "名称": "x", "覆盖网格": "G1", "人数": "3"})
    assert rejected.value.problems == ["人数：公益性岗位每行一人，应为 1"]


def test_coverage_gaps_and_kind_groups():
    assert gap_of(True, True) is None
    assert (gap_of(False, True), gap_of(True, False), gap_of(False, False)) == (
        GAP_NO_PATROL, GAP_NO_VOLUNTEERS, GAP_NEITHER)
    assert kinds_of(POST_GROUP) == POSTS and kinds_of("社会组织") == ("社会组织",)


def test_the_gap_layer_draws_one_legend_entry_per_kind_of_gap():
    square = {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}
    gaps = [{"code": c, "name": "第1网格", "street": "站前街道", "community": "光明社区", "outline": square, "gap": g}
            for c, g in (("A", GAP_NO_PATROL), ("B", GAP_NO_PATROL), ("C", GAP_NEITHER))]
    traces = gap_traces(gaps)
    assert [t["locations"] for t in traces] == [["A", "B"], ["C"]]
    assert [t["name"] for t in traces] == [f"{GAP_NO_PATROL}（2）", f"{GAP_NEITHER}（1）"]
    assert traces[0]["geojson"]["features"][0]["id"] == "A"
    assert gap_traces([]) == [] and station_traces([]) == []
    lines, names = station_traces([{"name": "站前派出所", "outline": square, "lon": 0.5, "lat": 0.4}])
    assert lines["lon"].count(None) == 1 and names["text"] == ["站前派出所"]


def test_open_petitions_draw_apart_with_the_skipped_level_ones_in_their_own_legend_entry():
    from layers.petitions import NAME, SKIPPED_NAME, open_petition_traces
    rows = [{"number": n, "kind": "城建管理", "level": level, "skipped_level": level != "区级", "grid_code": "G1",
             "street": "站前街道", "lon": 123.0, "lat": 41.1, "petitioner": "张三"}
            for n, level in (("X1", "区级"), ("X2", "区级"), ("X3", "市级"))]
    plain, skipped = open_petition_traces(rows)
    assert (plain["uid"], plain["name"], plain["customdata"]) == (NAME, "办理中（2）", ["X1", "X2"])
    assert (skipped["uid"], skipped["name"], skipped["customdata"]) == (SKIPPED_NAME, "越级上访（办理中）（1）", ["X3"])
    assert len(set(zip(plain["lon"], plain["lat"]))) == 2                 # two in one cell, set apart
    assert not any("张三" in t for t in plain["text"] + skipped["text"])   # no petitioner on the map
    assert open_petition_traces([]) == []


PETITION = {"信访人": "张三", "问题类别": "城建管理", "反映问题": "供暖", "信访层级": "市级", "越级上访": "是",
            "网格编码": "G1", "登记日期": "2026-11-20", "关联工单": "20261101-000001"}


def test_a_skipped_level_petition_names_its_work_orders():
    fields = check_petition(PETITION, TODAY)
    assert fields.skipped_level and fields.tickets == ("20261101-000001",)
    with pytest.raises(PetitionRejected) as rejected:
        check_petition({**PETITION, "关联工单": "", "信访层级": "区级"}, TODAY)
    assert rejected.value.problems == ["越级上访：区级信访不是越级，请填写实际的信访层级",
                                       "关联工单：越级上访须关联其由来的工单"]


def test_lawyers_dates_and_outcomes_are_checked():
    with pytest.raises(PetitionRejected) as rejected:
        check_petition({**PETITION, "越级上访": "否", "问题类别": "征地拆迁", "办理结果": "已化解",
                        "登记日期": "2026-12-05"}, TODAY)
    assert [p.split("：")[0] for p in rejected.value.problems] == ["代理律师", "登记日期", "办结日期"]
    with pytest.raises(PetitionRejected) as rejected:
        check_petition({**PETITION, "越级上访": "也许"}, TODAY)
    assert rejected.value.problems[0].startswith("越级上访：应为 是 或 否")


def test_the_resolved_rate_counts_closed_petitions_only():
    assert resolved_rate({None: 5, "已化解": 6, "息访息诉": 2, "依法终结": 2}) == 0.8
    assert resolved_rate({None: 3}) is None


def test_a_skipped_level_petition_grows_from_its_cells_work_orders_of_its_issue_first():
    import numpy as np
    from datetime import datetime, timedelta
    from workorders.petitions import choose_origins, origin_categories
    day = datetime(2026, 1, 1)
    tiers = origin_categories("城建管理", "小区供暖不达标屡次反映未解决")
    assert tiers[0] == ("heating_cold",) and tiers[-1] == ("other",)
    candidates = [{"id": i, "grid_code": grid, "category_code": category, "registered_at": day + timedelta(days=i)}
                  for i, (grid, category) in enumerate([("G1", "water_leak"), ("G2", "heating_cold"),
                                                        ("G1", "heating_cold"), ("G1", "heating_cold")], start=1)]
    chosen = choose_origins("G1", tiers, candidates, np.random.default_rng(1))
    assert chosen and set(chosen) <= {3, 4}                       # its issue's category, its own cell
    assert chosen == choose_origins("G1", tiers, candidates, np.random.default_rng(1))
    assert choose_origins("G9", tiers, candidates, np.random.default_rng(1)) and \
        set(choose_origins("G9", tiers, candidates, np.random.default_rng(1))) <= {2, 3, 4}   # else its community
    assert choose_origins("G1", tiers, candidates[:1], np.random.default_rng(1)) == [1]        # else its kind's
    assert choose_origins("G1", origin_categories("劳动社保", "企业拖欠工资"), candidates, np.random.default_rng(1)) == []
