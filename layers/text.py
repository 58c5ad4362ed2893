"""Text that reaches Plotly hover labels: Plotly reads a few HTML-like tags there, so escape what people typed."""
from __future__ import annotations

import html


def safe(value) -> str:
    return "" if value is None else html.escape(str(value), quote=False)


def safe_rows(rows) -> list[list[str]]:
    return [[safe(v) for v in row] for row in rows]
