"""Crews (处置力量) by status: colours and labels shared by the panels, the legend and assets/livemap.js
(which draws the crews as a live MapLibre layer; keep its CREW_COLOURS in step with these)."""
from __future__ import annotations

STATUS_COLOURS = {"available": "#36d67a", "en_route": "#ffb020", "on_scene": "#ff4d4f", "off_duty": "#8795a8"}
STATUS_LABELS = {"available": "待命", "en_route": "出动中", "on_scene": "到场处置", "off_duty": "休息"}
