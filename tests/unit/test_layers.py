"""Layer builders: data in, traces out — no database, no browser."""
from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Polygon, box

from layers.boundaries import outline_coordinates, outline_trace
from layers.cameras import camera_trace
from layers.figure import fit_view
from layers.grids import grid_geojson, grid_trace, measure_values
from layers.style import map_style


def grids_frame() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({
        "code": ["G1", "G2", "G3"], "name": ["一网格", "二网格", "<b>三</b>网格"],
        "community": ["甲社区", "甲社区", "乙社区"], "street": ["东街道", "东街道", "西街道"],
        "street_code": ["S2", "S2", "S1"], "cameras": [10, 0, 5], "area_km2": [0.5, 1.0, 0.25],
    }, geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1), box(0, 1, 2, 2)], crs="EPSG:4326")


def test_grid_geojson_is_keyed_by_code():
    geo = grid_geojson(grids_frame())
    assert [f["id"] for f in geo["features"]] == ["G1", "G2", "G3"]
    assert geo["features"][0]["geometry"]["type"] == "Polygon"


def test_grid_trace_joins_every_cell_and_escapes_names():
    trace = grid_trace(grids_frame(), "street")
    assert list(trace.locations) == ["G1", "G2", "G3"]
    assert trace.customdata[2][1] == "&lt;b&gt;三&lt;/b&gt;网格"


def test_street_measure_gives_each_street_its_own_colour_band():
    z, scale, extra = measure_values(grids_frame(), "street")
    assert z == [1.0, 1.0, 0.0]                     # streets sorted by code: S1 → 0, S2 → 1
    lo, hi = extra["zmin"], extra["zmax"]
    colour_at = lambda v: next(c for (p0, c), (p1, _) in zip(scale[::2], scale[1::2])  # noqa: E731
                               if p0 <= (v - lo) / (hi - lo) <= p1)
    assert colour_at(0.0) != colour_at(1.0)


def test_camera_density_measure_is_per_square_kilometre():
    z, _, extra = measure_values(grids_frame(), "camera_density")
    assert z == [20.0, 0.0, 20.0]
    assert extra["showscale"] is True


def test_unknown_measure_is_refused():
    with pytest.raises(ValueError, match="unknown measure"):
        measure_values(grids_frame(), "rainfall")


def test_outlines_break_between_rings():
    square_with_hole = Polygon([(0, 0), (4, 0), (4, 4), (0, 4)], [[(1, 1), (2, 1), (2, 2), (1, 2)]])
    lons, lats = outline_coordinates([square_with_hole])
    assert lons.count(None) == 2 and len(lons) == 5 + 1 + 5 + 1
    trace = outline_trace(gpd.GeoDataFrame(geometry=[square_with_hole]), "lines", "#fff", 1)
    assert trace.hoverinfo == "skip"   # outlines must not take clicks from the cells


def test_cameras_are_all_kept_and_clustered():
    cams = pd.DataFrame({"code": [f"C{i}" for i in range(500)], "kind": "枪机", "grid_code": "G1",
                         "lon": [123 + i * 1e-4 for i in range(500)], "lat": 41.1})
    trace = camera_trace(cams)
    assert len(trace.lon) == 500 and list(trace.ids)[:2] == ["C0", "C1"]
    assert trace.cluster.enabled is True


def test_fit_view_centres_on_the_bounds_and_zooms_in_for_smaller_areas():
    wide = fit_view((122.9, 40.9, 123.3, 41.2))
    narrow = fit_view((123.0, 41.0, 123.01, 41.01))
    assert wide["center"] == pytest.approx({"lon": 123.1, "lat": 41.05})
    assert narrow["zoom"] > wide["zoom"] + 4


def test_style_asks_only_our_server_unless_a_basemap_is_configured():
    own = map_style("http://127.0.0.1:8050/map-glyphs/{fontstack}/{range}.pbf")
    assert own["sources"] == {} and own["glyphs"].startswith("http://127.0.0.1:8050/")
    with_tiles = map_style("/g/{fontstack}/{range}.pbf", "https://tiles.example/{z}/{x}/{y}.png", "© 某地")
    assert with_tiles["sources"]["basemap"]["tiles"] == ["https://tiles.example/{z}/{x}/{y}.png"]
