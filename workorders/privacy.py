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
