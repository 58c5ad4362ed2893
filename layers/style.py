"""The map's own MapLibre style: no tile server, no font server but our own, optional site basemap."""
from __future__ import annotations

import html
from typing import Any

# Colours of the command-center theme, shared by the layers and the page CSS.
BACKGROUND = "#0a1624"
WATER_OF_NIGHT = "#0d1f33"
DISTRICT_LINE = "#7fd3ff"
STREET_LINE = "#e8f1ff"
COMMUNITY_LINE = "rgba(200, 220, 255, 0.45)"
TEXT = "#e8f1ff"
GLYPHS_PATH = "/map-glyphs/{fontstack}/{range}.pbf"
STYLE_PATH = "/map-style.json"


def map_style(glyphs_url: str = GLYPHS_PATH, basemap_tile_url: str = "", attribution: str = "") -> dict[str, Any]:
    """A MapLibre style whose only requests go to our own server.

    Plotly's ``white-bg`` points its glyphs at a public font server; CJK labels are drawn from local fonts by
    MapLibre anyway, so our glyph endpoint only has to answer.
    """
    sources: dict[str, Any] = {}
    layers: list[dict[str, Any]] = [{"id": "background", "type": "background",
                                     "paint": {"background-color": BACKGROUND}}]
    if basemap_tile_url:
        sources["basemap"] = {"type": "raster", "tiles": [basemap_tile_url], "tileSize": 256,
                              "attribution": html.escape(attribution)}
        layers.append({"id": "basemap", "type": "raster", "source": "basemap",
                       "paint": {"raster-opacity": 0.55, "raster-saturation": -0.6}})
    return {"version": 8, "name": "command-center", "glyphs": glyphs_url, "sources": sources, "layers": layers}
