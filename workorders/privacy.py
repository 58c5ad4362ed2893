"""Masking of personal data for every screen that is not the operator's own (王* · 138****1234).

The one rule for phones: digits show only where at least four stay hidden, so no masked number can be found by
trying a few hundred numbers. An 11-digit or longer number keeps its first three and last four digits (the
mobile mask people know); anything shorter — landlines without area code, extensions — is all stars.
"""
from __future__ import annotations

MISSING = "—"
KEEP_HEAD, KEEP_TAIL = 3, 4
MIN_HIDDEN = 4


def digits(phone: str | None) -> str:
    return "".join(ch for ch in (phone or "") if ch.isdigit())


def mask_name(name: str | None) -> str:
    """王建国 → 王**: the family name stays so a citizen recognises their own request; nothing → ''."""
    name = (name or "").strip()
    return name[0] + "*" * max(len(name) - 1, 1) if name else ""


def mask_phone(phone: str | None) -> str:
    """13812341234 → 138****1234; 5551234 → *******; nothing → ''."""
    number = digits(phone)
    if len(number) - KEEP_HEAD - KEEP_TAIL >= MIN_HIDDEN:
        return number[:KEEP_HEAD] + "*" * (len(number) - KEEP_HEAD - KEEP_TAIL) + number[-KEEP_TAIL:]
    return "*" * len(number)


def masked_citizen(name: str | None, phone: str | None) -> str:
    """'王* 138****1234' for the wall and the map panel; a missing part reads '—'."""
    return f"{mask_name(name) or MISSING} {mask_phone(phone) or MISSING}"


# ------------------------------------------------------------------------------------------------ public places
# What Open311, the wall and the live feed of a role without ``ticket_read`` show of where a ticket is: a place,
# never the typed address, never an elder's home.
#
# Coordinates are rounded to 0.001° — a lattice of about 111 m north–south and 84 m east–west at 41° N (Anshan):
# one point stands for the dozens of homes of its cell. Rounding, not a cell's representative point: it needs no
# database, is the same on every path (Open311, snapshot, batches) and a ticket on a cell edge cannot be told
# apart from its neighbours by comparing outputs. A one-key alarm (一键通) is raised at an elder's home, and an
# elder living alone at a known ~100 m spot is found: those tickets show their community's point and name only.

PLACE_DECIMALS = 3
HOME_CHANNELS = frozenset({"elder_phone"})        # tickets whose point is someone's home (services.alarms)


def is_home(ticket: dict) -> bool:
    """Whether the ticket's point is where someone lives alone and must not be pointed at (一键通 alarms)."""
    return ticket.get("channel") in HOME_CHANNELS


def snap(degrees: float | None) -> float | None:
    """A coordinate on the public ~100 m lattice (0.001°)."""
    return None if degrees is None else round(float(degrees), PLACE_DECIMALS)


def public_point(ticket: dict, community_points: dict) -> tuple[float | None, float | None]:
    """(lon, lat) anyone may see: snapped to the lattice; a home's is its community's representative point
    (``community_points``: community code → (lon, lat)); (None, None) when a home's community has none."""
    if is_home(ticket):
        lon, lat = community_points.get(ticket.get("community_code"), (None, None))
    else:
        lon, lat = ticket.get("lon"), ticket.get("lat")
    return snap(lon), snap(lat)


def public_place_name(ticket: dict) -> str:
    """The place in words: the street and the grid ('站前街道惠民社区第1网格': grid names carry their community);
    a home's stops at its community ('站前街道惠民社区')."""
    area = ticket.get("community_name") if is_home(ticket) else ticket.get("grid_name")
    return "".join(p for p in (ticket.get("street_name"), area) if p)
