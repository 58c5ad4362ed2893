"""Masking of personal data for every screen that is not the operator's own (王* · 138****1234)."""
from __future__ import annotations


def mask_name(name: str | None) -> str:
    return f"{name[0]}{'*' * max(len(name) - 1, 1)}" if name else "—"


def mask_phone(phone: str | None) -> str:
    if not phone:
        return "—"
    return f"{phone[:3]}****{phone[-4:]}" if len(phone) >= 8 else "*" * len(phone)
