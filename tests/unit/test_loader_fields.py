"""Field detection of `python -m etl load`: a pure function from the file's column names to the roles it fills."""
from __future__ import annotations

import numpy as np
import pytest
from pyproj import CRS

from etl.loader import (GCJ02, LAYERS, LAYER_FIELDS, LoadRejected, clean_value, decode_text, detect_fields,
                        match_fields, parse_crs, parse_csv)


def test_english_fields_are_found_whatever_their_case():
    assert detect_fields("grids", ["CODE", "Name", "Community_Code", "Worker_Name", "other"]) == {
        "code": "CODE", "name": "Name", "parent": "Community_Code", "worker_name": "Worker_Name"}


def test_chinese_grid_file_takes_its_own_code_and_its_community_as_parent():
    columns = ["社区编码", "网格编码", "网格名称", "网格员", "网格员电话", "综治干部", "综治干部电话"]
    assert detect_fields("grids", columns) == {
        "code": "网格编码", "parent": "社区编码", "name": "网格名称", "worker_name": "网格员",
        "worker_phone": "网格员电话", "cadre_name": "综治干部", "cadre_phone": "综治干部电话"}


@pytest.mark.parametrize("layer, columns, expected", [
    ("district", ["区县编码", "区县名称"], {"code": "区县编码", "name": "区县名称"}),
    ("streets", ["区县编码", "街道编码", "街道名称"], {"code": "街道编码", "parent": "区县编码", "name": "街道名称"}),
    ("communities", ["街道编码", "社区编码", "社区名称", "类型"],
     {"code": "社区编码", "parent": "街道编码", "name": "社区名称", "kind": "类型"}),
    ("cameras", ["点位编码", "网格编码", "设备名称", "设备类型", "经度", "纬度"],
     {"code": "点位编码", "parent": "网格编码", "name": "设备名称", "kind": "设备类型", "lon": "经度", "lat": "纬度"}),
    ("crews", ["编号", "名称", "部门编码", "状态", "人数"],
     {"code": "编号", "name": "名称", "parent": "部门编码", "status": "状态", "members": "人数"}),
])
def test_chinese_names_of_every_layer(layer, columns, expected):
    assert detect_fields(layer, columns) == expected


def test_a_parent_field_is_never_taken_for_the_code():
    # A community file whose only code-like field is its street's code has no code of its own.
    assert "code" not in detect_fields("communities", ["街道编码", "名称"])
    assert detect_fields("communities", ["街道编码", "名称"])["parent"] == "街道编码"


def test_generic_code_names_in_order_of_preference():
    assert detect_fields("grids", ["id", "编号"])["code"] == "编号"
    assert detect_fields("grids", ["Id", "geometry_area"])["code"] == "Id"
    assert detect_fields("cameras", ["id", "code"])["code"] == "code"


@pytest.mark.parametrize("lon, lat", [("lon", "lat"), ("LNG", "LAT"), ("longitude", "latitude"), ("x", "y"),
                                      ("经度", "纬度")])
def test_point_columns(lon, lat):
    fields = detect_fields("cameras", ["code", lon, lat])
    assert (fields["lon"], fields["lat"]) == (lon, lat)


def test_polygon_layers_have_no_point_columns():
    assert "lon" not in detect_fields("grids", ["code", "x", "y"])


def test_options_win_over_candidates_and_match_case_insensitively():
    fields = detect_fields("grids", ["code", "GRID_NO", "title", "parent_no"],
                           {"code": "grid_no", "name": "TITLE", "parent": "parent_no"})
    assert fields == {"code": "GRID_NO", "name": "title", "parent": "parent_no"}


def test_an_option_naming_a_missing_field_is_refused_with_the_field_and_option_named():
    with pytest.raises(LoadRejected) as refused:
        detect_fields("grids", ["code", "name"], {"code": "网格号", "parent": None})
    assert refused.value.problems == ["no field '网格号' (given by --id-field); fields: code, name"]


def test_an_option_the_layer_cannot_use_is_refused():
    with pytest.raises(LoadRejected) as refused:
        detect_fields("district", ["code"], {"parent": "code"})
    assert refused.value.problems == ["--parent-field does not apply to the district layer"]


def test_every_layer_has_code_and_name_candidates():
    for layer in LAYERS:
        assert LAYER_FIELDS[layer]["code"] and LAYER_FIELDS[layer]["name"]


@pytest.mark.parametrize("raw, cleaned", [
    ("  G01 ", "G01"), ("", None), (None, None), (float("nan"), None), (12.0, "12"), (np.int64(7), "7"),
    (13800000001.0, "13800000001"), (1.5, "1.5"), ("007", "007"),
])
def test_values_are_cleaned_to_text(raw, cleaned):
    assert clean_value(raw) == cleaned


@pytest.mark.parametrize("option, expected", [
    ("4549", CRS.from_epsg(4549)), ("EPSG:4549", CRS.from_epsg(4549)), ("epsg:4326", CRS.from_epsg(4326)),
    ("gcj02", GCJ02), ("GCJ-02", GCJ02), (None, None), ("", None),
])
def test_crs_option(option, expected):
    assert parse_crs(option) == expected


def test_unknown_crs_is_refused():
    with pytest.raises(LoadRejected) as refused:
        parse_crs("bd09")
    assert refused.value.problems[0].startswith("unknown CRS 'bd09'")


# ------------------------------------------------------------------------------------------------ shared CSV steps
# (etl.devices stands on these too: its error lines name the file's line numbers.)

def test_csv_rows_carry_the_line_they_end_on():
    table = parse_csv('code, name\nA, 甲\n\n"B","多行\n名称"\nC\n')
    assert table.columns == ["code", "name"]
    assert table.rows == [(2, {"code": "A", "name": "甲"}), (5, {"code": "B", "name": "多行\n名称"}),
                          (6, {"code": "C", "name": None})]


def test_a_column_named_twice_is_read_again_under_another_name_and_a_long_row_is_refused():
    assert parse_csv("备注,code,备注\n1,2,3\n").columns == ["备注", "code", "备注.1"]
    with pytest.raises(LoadRejected) as refused:
        parse_csv("code,name\nA,甲\nB,乙,丙\n")
    assert refused.value.problems == ["cannot read as CSV: line 3 has 3 fields, the header 2"]
    with pytest.raises(LoadRejected, match="no header line"):
        parse_csv("")


def test_text_is_utf8_else_gb18030_unless_an_encoding_is_given():
    assert decode_text("\ufeff经度".encode("utf-8"), None) == "经度"
    assert decode_text("经度".encode("gbk"), None) == "经度"
    with pytest.raises(LoadRejected, match="cannot decode as utf-8: give --encoding"):
        decode_text("经度".encode("gbk"), "utf-8")
    with pytest.raises(LoadRejected, match="unknown encoding 'klingon'"):
        decode_text(b"x", "klingon")


def test_match_fields_takes_the_first_candidate_once_ignoring_case_and_spaces():
    roles = {"device_id": ("device_id", "设备编号"), "lon": ("lon", "经度"), "lat": ("lat", "纬度")}
    assert match_fields(roles, [" Device_ID ", "经度", "LAT", "设备编号"]) == {
        "device_id": " Device_ID ", "lon": "经度", "lat": "LAT"}
    assert match_fields(roles, ["x"], {"lon": "x"}) == {"lon": "x"}
