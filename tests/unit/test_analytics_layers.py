"""Leader-view builders: the map's cells and heatmap from per-grid counts, the trend and hours charts, and the
page's KPI tiles and tables — data in, figures and components out; no database, no browser."""
from __future__ import annotations

from datetime import date, timedelta

import geopandas as gpd
import pytest
from dash import html
from shapely.geometry import Polygon, box

from layers.charts import hours_figure, moving_average, trend_figure
from layers.heatmap import (CELLS_INDEX, HEAT_INDEX, HEAT_SPREAD, analytics_map_figure, cell_points, cell_values,
                            colour_top, map_update, mode_update)

# A U-shaped cell: its centroid lies outside it, the heatmap point must not.
U_CELL = Polygon([(2, 0), (5, 0), (5, 3), (4, 3), (4, 1), (3, 1), (3, 3), (2, 3)])


def grids() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({
        "code": ["G1", "G2", "G3"], "name": ["一网格", "<b>二</b>网格", "三&网格"],
        "community": ["甲社区", "乙<i>社区</i>", "丙社区"], "street": ["东街道", "西街道", "南街道"],
    }, geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1), U_CELL], crs="EPSG:4326")


def areas(name: str) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"code": [name], "name": [name]}, geometry=[box(0, 0, 5, 3)], crs="EPSG:4326")


def figure(counts: dict, mode: str = "heat"):
    return analytics_map_figure(grids(), areas("S"), areas("D"), counts, style="http://x/map-style.json", mode=mode)


def test_cell_values_follow_the_figure_order_and_fill_missing_cells_with_zero():
    assert cell_values(["G1", "G2", "G3"], {"G3": 4, "G1": 2, "ELSEWHERE": 9}) == [2.0, 0.0, 4.0]


def test_colour_top_ignores_empty_cells_and_one_outlier():
    values = [0] * 50 + list(range(1, 101)) + [5000]
    assert colour_top(values) == 96.0              # the 95th percentile of the 101 non-zero values
    assert colour_top([0, 0]) == 1.0               # nothing to show: a valid range all the same
    assert colour_top([0.2]) == 1.0


def test_heatmap_weights_each_cell_point_by_its_count():
    fig = figure({"G1": 3, "G3": 7})
    heat = fig.data[HEAT_INDEX]
    assert heat.type == "densitymap"
    assert list(heat.z) == [3.0, 0.0, 7.0]          # weights, one point per cell, not one per ticket
    assert len(heat.lon) == len(heat.lat) == 3
    assert heat.zmin == 0 and heat.zmax == 7.0 * HEAT_SPREAD    # the centre's many small cells add up
    assert heat.hoverinfo == "skip"


def test_heatmap_point_of_a_concave_cell_lies_inside_it():
    from shapely.geometry import Point
    lons, lats = cell_points(grids())
    assert not U_CELL.contains(U_CELL.centroid)
    assert U_CELL.contains(Point(lons[2], lats[2]))


def test_cells_trace_colours_counts_and_escapes_chinese_names():
    fig = figure({"G2": 5}, mode="cells")
    cells = fig.data[CELLS_INDEX]
    assert cells.type == "choroplethmap"
    assert list(cells.locations) == ["G1", "G2", "G3"]
    assert list(cells.z) == [0.0, 5.0, 0.0]
    assert [f["id"] for f in cells.geojson["features"]] == ["G1", "G2", "G3"]
    assert cells.customdata[1][0] == "&lt;b&gt;二&lt;/b&gt;网格"
    assert cells.customdata[1][1] == "乙&lt;i&gt;社区&lt;/i&gt;"
    assert cells.customdata[2][0] == "三&amp;网格"
    assert "%{z" in cells.hovertemplate            # the count comes from z: no customdata to resend per filter


def test_the_mode_decides_which_trace_is_visible_and_outlines_never_take_clicks():
    fig = figure({}, mode="cells")
    assert fig.data[CELLS_INDEX].visible is True and fig.data[HEAT_INDEX].visible is False
    assert [t.hoverinfo for t in fig.data[2:]] == ["skip", "skip"]
    assert [t.name for t in fig.data] == ["cells", "heat", "street_lines", "district_line"]
    assert fig.layout.map.style == "http://x/map-style.json"
    with pytest.raises(ValueError, match="mode"):
        figure({}, mode="bubbles")


def test_map_update_changes_only_z_and_range_of_both_traces():
    update = map_update(["G1", "G2", "G3"], {"G2": 2})
    assert update == {CELLS_INDEX: {"z": [0.0, 2.0, 0.0], "zmax": 2.0, "colorbar.dtick": 1},
                      HEAT_INDEX: {"z": [0.0, 2.0, 0.0], "zmax": 2.0 * HEAT_SPREAD}}
    assert map_update(["G1"], {"G1": 40})[CELLS_INDEX]["colorbar.dtick"] is None   # Plotly picks the steps
    replay = map_update(["G1"], {"G1": 1}, top=6, heat_spread=1)            # the replay's day-wide range
    assert replay[CELLS_INDEX]["zmax"] == replay[HEAT_INDEX]["zmax"] == 6
    assert mode_update("heat") == {CELLS_INDEX: {"visible": False}, HEAT_INDEX: {"visible": True}}


def test_figure_is_light_whatever_the_number_of_tickets():
    many = figure({"G1": 10_000, "G2": 20_000, "G3": 30_000})
    sizes = {t.name: len(t.locations if t.type == "choroplethmap" else t.lon) for t in many.data[:2]}
    assert sizes == {"cells": 3, "heat": 3}         # one per cell, whatever the number of tickets


# ------------------------------------------------------------------------------------------------ charts

def daily(n: int, start: date = date(2026, 1, 1)) -> list[dict]:
    return [{"day": start + timedelta(days=i), "received": i, "on_time_rate": 0.9 if i % 2 else None}
            for i in range(n)]


def test_moving_average_starts_once_the_span_is_full():
    assert moving_average([1, 2, 3, 4], span=3) == [None, None, 2.0, 3.0]


def test_daily_trend_has_bars_average_and_on_time_line_on_the_right_axis():
    fig = trend_figure(daily(30), "day")
    assert [t.name for t in fig.data] == ["受理量", "7日均值", "按时办结率"]
    assert list(fig.data[0].y) == list(range(30))
    assert fig.data[2].yaxis == "y2"
    assert list(fig.data[2].y)[:2] == [None, 90.0]  # no data stays a gap, never 0 %


def test_weekly_trend_pales_weeks_the_window_cuts():
    rows = [{"week": date(2026, 1, 5), "days": 3, "received": 5, "on_time_rate": None},
            {"week": date(2026, 1, 12), "days": 7, "received": 9, "on_time_rate": 1.0}]
    fig = trend_figure(rows, "week")
    assert [t.name for t in fig.data] == ["受理量", "按时办结率"]
    colours = list(fig.data[0].marker.color)
    assert colours[0] != colours[1]
    assert list(fig.data[0].customdata) == ["01-05–01-11", "01-12–01-18"]
    with pytest.raises(ValueError):
        trend_figure(rows, "month")


def test_hours_figure_highlights_the_replayed_hour():
    fig = hours_figure(list(range(24)), current=5)
    colours = list(fig.data[0].marker.color)
    assert len(colours) == 24 and len(set(colours)) == 2 and colours[5] != colours[4]


# ------------------------------------------------------------------------------------------------ page parts

def texts(component) -> list[str]:
    """Every string inside a Dash component tree."""
    if isinstance(component, str):
        return [component]
    if isinstance(component, (int, float)):
        return [str(component)]
    if isinstance(component, (list, tuple)):
        return [t for c in component for t in texts(c)]
    children = getattr(component, "children", None)
    return texts(children) if children is not None else []


def test_hotspot_change_reads_up_down_new_and_flat():
    from screens.analytics_parts import change_cell
    assert (change_cell(0.234, 10).children, change_cell(0.234, 10).className) == ("↑ 23%", "chg up")
    assert (change_cell(-0.1, 10).children, change_cell(-0.1, 10).className) == ("↓ 10%", "chg down")
    assert change_cell(None, 0).children == "新增"
    assert change_cell(0.0, 4).children == "持平"


def test_hotspot_table_lists_rank_names_and_counts():
    from screens.analytics_parts import hotspot_table
    rows = [{"code": "G9", "name": "<script>x</script>网格", "street": "站前街道", "community": "青年社区",
             "received": 1234, "previous": 1000, "change": 0.234}]
    table = hotspot_table(rows, "上期")
    words = texts(table)
    # Dash renders strings as text nodes, so a name with markup shows as text (no Plotly parsing here).
    assert "<script>x</script>网格" in words and "1,234" in words and "↑ 23%" in words
    assert texts(hotspot_table([], "")) == ["所选范围内没有工单"]


def test_kpi_tiles_show_rates_and_change_in_points():
    from screens.analytics_parts import kpi_tiles
    now = {"received": 200, "closed": 190, "closure_rate": 0.95, "on_time_rate": 0.9, "on_time": 171, "due": 190,
           "satisfaction_rate": None, "satisfied": 0, "evaluated": 0}
    before = {**now, "received": 100, "closure_rate": 0.97, "on_time_rate": 0.9}
    tiles = kpi_tiles(now, before)
    words = texts(tiles)
    assert [t.children[0].children for t in tiles] == ["受理量", "办结率", "按时办结率", "满意率"]
    assert "↑ 100.0%" in words                      # received doubled
    assert "↓ 2.0 个百分点" in words                 # closure rate fell two points: shown as bad
    assert tiles[1].children[3].className == "kpi-delta bad"
    assert "与上期持平" in words and "—" in words     # on-time unchanged; no satisfaction data yet


def test_department_table_colours_rates_by_how_they_read():
    from screens.analytics_parts import department_table
    row = {"code": "water", "name": "自来水公司", "received": 10, "on_time_rate": 0.96, "satisfaction_rate": 0.8,
           "reopen_rate": 0.0, "returns": 1, "returned_rate": 0.09, "score": 88.456, "rank": 1}
    table = department_table([row, {**row, "code": "gas", "rank": None}])
    first, second = table.children[1].children
    cells = first.children
    assert [c.className for c in cells[3:6]] == ["num good", "num bad", "num good"]
    assert cells[7].className == "num bad" and cells[8].children == "88.5"
    assert (cells[0].children, second.children[0].children, second.className) == (1, "—", "unranked")
    assert isinstance(department_table([]), html.Div)
