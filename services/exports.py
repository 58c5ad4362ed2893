"""Downloads of statistics (/exports/*): the right, a first line naming who made the file and when, and an audit
entry for each file made. Only aggregates leave here (counts and rates per unit, place or day): no citizen's
name, phone or address is in any of them, so ``export`` is the one right they need."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from services import audit, stats
from workorders.policy import Principal, require


@dataclass(frozen=True)
class Download:
    body: bytes
    filename: str


def department_scores(principal: Principal | None, fmt: str, start: date | str | None,
                      end: date | str | None) -> Download:
    """部门考核 for [start, end] as csv or xlsx (StatsError for a bad window or format)."""
    require(principal, "export")
    window = stats.make_window(start, end)
    title = f"部门考核 {window.label}"
    rows = stats.department_scores(window=window)
    body = stats.export_scores(rows, fmt, title=title, header=audit.provenance(title, principal))
    return _recorded(principal, Download(body, stats.export_filename("department-scores", window, fmt)),
                     window, len(rows))


def statistics(principal: Principal | None, fmt: str, dimension: str, start: date | str | None,
               end: date | str | None) -> Download:
    """工单统计 by ``dimension`` for [start, end] as csv or xlsx."""
    require(principal, "export")
    window = stats.make_window(start, end)
    title = f"工单统计 {window.label}"
    rows = stats.statistics(dimension, window)
    body = stats.export_statistics(rows, dimension, fmt, title=title, header=audit.provenance(title, principal))
    return _recorded(principal, Download(body, stats.export_filename(f"statistics-{dimension}", window, fmt)),
                     window, len(rows), dimension=dimension)


def _recorded(principal: Principal, download: Download, window: stats.Window, rows: int, **detail) -> Download:
    audit.record("export", actor=principal, target=download.filename,
                 detail={"start": window.start.isoformat(), "end": window.end.isoformat(), "rows": rows, **detail})
    return download
