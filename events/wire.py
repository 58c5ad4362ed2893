"""How times travel from the server: one format on every path (outbox payloads → the stream, the live snapshot,
the live batches, the API's public views).

ISO 8601 with a 'T', microseconds and the offset: ``2026-12-02T02:23:15.649000+00:00``. Before this, the
snapshot wrote ``isoformat()`` and the outbox payload ``str()`` (a space instead of the 'T'), and a browser
comparing the two as strings kept the older version of every ticket it had from the snapshot. Browsers compare
these as dates (``Date.parse``), never as strings; the fixed shape is for people and logs.
"""
from __future__ import annotations

from datetime import date, datetime


def wire_time(value: datetime | date | str | None) -> str | None:
    """``value`` in the one wire format. A string is parsed first, so entries written before this module (with a
    space, or without microseconds) come out the same as new ones; a time without an offset is refused."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError(f"a time on the wire needs an offset: {value!r}")
        return value.isoformat(timespec="microseconds")
    return value.isoformat()          # a plain date: YYYY-MM-DD


def wire_values(record: dict) -> dict:
    """``record`` with every date or time in the wire format (other values as they are)."""
    return {k: wire_time(v) if isinstance(v, (datetime, date)) else v for k, v in record.items()}
