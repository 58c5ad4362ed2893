"""A spreadsheet cell as the text an import's rules read: Excel stores a typed date as a date and a typed count as a
number, so ``str()`` would turn 2026-11-01 into '2026-11-01 00:00:00' and 3 into '3.0' and the row would be refused
for a value the person typed correctly."""
from __future__ import annotations

from datetime import date, datetime, time


def cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return f"{value:%Y-%m-%d}" if value.time() == time(0) else f"{value:%Y-%m-%d %H:%M}"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
