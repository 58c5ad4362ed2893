"""The work order's words: each code the database, the stream and the APIs carry, and the Chinese label people read.

One home for every screen, export and door: services validate against these keys, screens and Open311 show the
labels. (Which channels a door accepts is the door's own rule, not a word.)
"""
from __future__ import annotations

CHANNELS: dict[str, str] = {
    "hotline": "96715热线", "letter": "信函", "walk_in": "当面", "web": "民情网", "elder_phone": "一键通",
    "grid_worker": "网格员上报", "police_110": "110", "api": "接口", "open311": "Open311",
}
SATISFACTION: dict[str, str] = {"satisfied": "满意", "basically": "基本满意", "unsatisfied": "不满意"}
PRIORITY_LABELS: dict[int, str] = {1: "特急", 2: "紧急", 3: "一般", 4: "较缓"}
# Who a late ticket is escalated to, by escalation level (0 = the handling unit itself).
LEVEL_NAMES: tuple[str, ...] = ("承办单位", "街道", "区")


def priority_label(priority: int) -> str:
    """'2 · 紧急': the number operators quote and its word."""
    return f"{priority} · {PRIORITY_LABELS.get(priority, '')}"
