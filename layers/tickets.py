"""Open tickets on the live layer, by state group: colours and labels for the legend (assets/livemap.js draws the
layer itself; keep its TICKET_COLOURS in step with these)."""
from __future__ import annotations

TICKET_GROUPS = [("#ff5a5f", "待派单"), ("#ffb020", "已派/签收"), ("#b18cff", "已到场"), ("#ff2bd6", "升级/联席")]
