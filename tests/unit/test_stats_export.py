"""CSV and XLSX export of department scores (pure: rows in, bytes out)."""
from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from services import stats

ROWS = [
    {"code": "heat", "name": "鞍山市热力集团铁东分公司", "received": 120, "closed": 119, "closure_rate": 119 / 120,
     "on_time_rate": 0.95, "arrival_on_time_rate": 0.9, "satisfaction_rate": 0.9625, "reopen_rate": 0.025,
     "returns": 2, "returned_rate": 2 / 122, "score": 93.87},
    {"code": "=cmd", "name": "=HYPERLINK(\"http://x\")", "received": 0, "closed": 0, "closure_rate": None,
     "on_time_rate": None, "arrival_on_time_rate": None, "satisfaction_rate": None, "reopen_rate": None,
     "returns": 1, "returned_rate": 1.0, "score": 0.0},
]
HEADERS = [c.header for c in stats.SCORE_COLUMNS]


def test_csv_has_bom_and_chinese_headers():
    body = stats.export_scores(ROWS, "csv")
    assert body.startswith(b"\xef\xbb\xbf")            # UTF-8 BOM: Excel then reads Chinese correctly
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0] == HEADERS
    assert rows[0][:3] == ["单位编码", "承办单位", "受理量"]
    heat = dict(zip(rows[0], rows[1]))
    assert heat["承办单位"] == "鞍山市热力集团铁东分公司"
    assert heat["满意率"] == "96.25%"
    assert heat["受理量"] == "120"
    assert heat["综合得分"] == "93.87"


def test_csv_leaves_no_data_empty_and_defuses_formulas():
    rows = list(csv.reader(io.StringIO(stats.export_scores(ROWS, "csv").decode("utf-8-sig"))))
    other = dict(zip(rows[0], rows[2]))
    assert other["按时办结率"] == ""
    assert other["承办单位"].startswith("'=")
    assert other["单位编码"] == "'=cmd"


def test_xlsx_opens_with_headers_numbers_and_percent_format():
    book = load_workbook(io.BytesIO(stats.export_scores(ROWS, "xlsx", title="部门考核 2026")))
    sheet = book.active
    assert sheet.title == "部门考核 2026"
    assert [c.value for c in sheet[1]] == HEADERS
    values = {h: c for h, c in zip(HEADERS, sheet[2])}
    assert values["承办单位"].value == "鞍山市热力集团铁东分公司"
    assert values["受理量"].value == 120
    assert values["满意率"].value == pytest.approx(0.9625)
    assert values["满意率"].number_format == "0.00%"
    assert values["综合得分"].value == pytest.approx(93.87)
    assert sheet.max_row == 3


def test_xlsx_keeps_formula_like_text_as_text():
    sheet = load_workbook(io.BytesIO(stats.export_scores(ROWS, "xlsx"))).active
    name = sheet.cell(row=3, column=2)
    assert name.data_type == "s"
    assert name.value == "=HYPERLINK(\"http://x\")"
    assert sheet.cell(row=3, column=6).value is None          # no data: an empty cell, not 0 %


def test_unknown_format_is_refused():
    with pytest.raises(stats.StatsError) as refused:
        stats.export_scores(ROWS, "pdf")
    assert refused.value.field == "format"


def test_sheet_titles_obey_excel_rules():
    title = stats._sheet_title("部门考核 2026-01-01至2026-12-31 [全区]/汇总统计表")
    assert len(title) <= 31 and not set(title) & set(':\\/?*[]')
    assert title.startswith("部门考核 2026-01-01至2026-12-31 全区")


def test_a_header_line_comes_first_in_both_formats():
    line = "部门考核 2026 · 导出人 王督办（sup1） · 导出时间 2026-12-02 09:30:00"
    rows = list(csv.reader(io.StringIO(stats.export_scores(ROWS, "csv", header=line).decode("utf-8-sig"))))
    assert rows[0] == [line] and rows[1] == HEADERS and len(rows) == 4
    sheet = load_workbook(io.BytesIO(stats.export_scores(ROWS, "xlsx", header=line))).active
    assert sheet["A1"].value == line and [c.value for c in sheet[2]] == HEADERS
    assert sheet.cell(row=3, column=7).number_format == "0.00%" and sheet.freeze_panes == "A3"
