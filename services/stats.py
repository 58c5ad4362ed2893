"""Statistics of the work orders and the departments' annual assessment scores, with CSV/XLSX export.

Windows are whole local days (settings.timezone): ``start`` and ``end`` are dates, both included. Counts come from
geo.stats (see its definitions); here they become rates and scores. A rate whose denominator is zero is None
("no data"), never 0 % or 100 %.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Callable, Iterable
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine

from geo import stats as db
from geo.db import get_engine
from settings import get_settings
from workorders.cells import no_formula
from workorders.clock import local_today, local_zone

DIMENSIONS = tuple(db.DIMENSIONS)
DIMENSION_LABELS = {"day": "日期", "channel": "渠道", "category": "事项类别", "street": "街道",
                    "community": "社区", "grid": "网格", "department": "承办单位"}
FORMATS = ("csv", "xlsx")
MAX_WINDOW_DAYS = 3 * 366

# The assessment score (0–100): weights of its parts. Reopen and return rates count against the department.
SCORE_WEIGHTS = {"on_time_rate": 40, "satisfaction_rate": 40, "reopen_rate": 10, "returned_rate": 10}
PENALTIES = frozenset({"reopen_rate", "returned_rate"})


class StatsError(ValueError):
    """A bad window, dimension or format; ``field`` names the input at fault."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


# ------------------------------------------------------------------------------------------------ windows

@dataclass(frozen=True)
class Window:
    start: date
    end: date            # included

    def bounds(self, tz: ZoneInfo) -> tuple[datetime, datetime]:
        """[local midnight of start, local midnight after end)."""
        return (datetime.combine(self.start, time(), tzinfo=tz),
                datetime.combine(self.end + timedelta(days=1), time(), tzinfo=tz))

    @property
    def label(self) -> str:
        return f"{self.start.isoformat()}至{self.end.isoformat()}"


def make_window(start: date | str | None, end: date | str | None, today: date | None = None) -> Window:
    """A checked window; missing start = 1 January of end's year, missing end = today."""
    today = today or local_today()
    end_day = _day("end", end) if end not in (None, "") else today
    start_day = _day("start", start) if start not in (None, "") else date(end_day.year, 1, 1)
    if start_day > end_day:
        raise StatsError("start", f"开始日期 {start_day} 晚于结束日期 {end_day}")
    if (end_day - start_day).days > MAX_WINDOW_DAYS:
        raise StatsError("end", f"统计区间最长 {MAX_WINDOW_DAYS} 天")
    return Window(start_day, end_day)


def year_window(year: int) -> Window:
    if not 2000 <= year <= 2100:
        raise StatsError("year", f"年份无效：{year}")
    return Window(date(year, 1, 1), date(year, 12, 31))


def _day(field: str, value: date | str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise StatsError(field, f"日期格式应为 YYYY-MM-DD：{value!r}") from None


# ------------------------------------------------------------------------------------------------ rates

def ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def with_rates(counts: dict) -> dict:
    """The counts of geo.stats plus the rates built from them."""
    return {
        **counts,
        "closure_rate": ratio(counts["closed"], counts["received"]),
        "on_time_rate": ratio(counts["on_time"], counts["due"]),
        "arrival_on_time_rate": ratio(counts["arrived_on_time"], counts["arrival_due"]),
        "satisfaction_rate": ratio(counts["satisfied"], counts["evaluated"]),
        "reopen_rate": ratio(counts["reopened"], counts["received"]),
        "escalation_rate": ratio(counts["escalated"], counts["received"]),
    }


def score(rates: dict) -> float | None:
    """Weighted 0–100 score; parts without data are left out and the remaining weights rescaled."""
    total = weight = 0.0
    for key, w in SCORE_WEIGHTS.items():
        value = rates.get(key)
        if value is None:
            continue
        total += w * ((1 - value) if key in PENALTIES else value)
        weight += w
    return round(100 * total / weight, 2) if weight else None


def scored_department(counts: dict) -> dict:
    """A department's row: its rates, the returned rate (returns among all tickets it was given) and the score.

    A department that returned a ticket is no longer its lead, so the tickets it was given are the ones it still
    leads plus the ones it sent back.
    """
    row = with_rates(counts)
    row["returned_rate"] = ratio(counts["returns"], counts["received"] + counts["returns"])
    row["score"] = score(row)
    return row


# ------------------------------------------------------------------------------------------------ queries

def statistics(dimension: str, window: Window, *, now: datetime | None = None,
               engine: Engine | None = None) -> list[dict]:
    """Counts and rates per value of ``dimension`` (day, channel, category, street, community, grid, department)."""
    from workorders.vocabulary import CHANNELS
    if dimension not in db.DIMENSIONS:
        raise StatsError("dimension", f"未知统计维度 {dimension!r}（可选：{', '.join(DIMENSIONS)}）")
    tz = get_settings().timezone
    start, end = window.bounds(local_zone())
    with (engine or get_engine()).connect() as conn:
        rows = db.counts_by(conn, dimension, start, end, now or _now(), tz)
    if dimension == "channel":
        rows = [{**r, "label": CHANNELS.get(r["key"], r["key"])} for r in rows]
    return [with_rates(r) for r in rows]


def overview(window: Window, *, now: datetime | None = None, engine: Engine | None = None) -> dict:
    start, end = window.bounds(local_zone())
    with (engine or get_engine()).connect() as conn:
        return with_rates(db.totals(conn, start, end, now or _now()))


def department_scores(start: date | str | None = None, end: date | str | None = None, *,
                      window: Window | None = None, now: datetime | None = None,
                      engine: Engine | None = None) -> list[dict]:
    """Assessment rows per department (lead of a ticket registered in the window, or returned one), best first."""
    window = window or make_window(start, end)
    begin, finish = window.bounds(local_zone())
    with (engine or get_engine()).connect() as conn:
        rows = [scored_department(r) for r in db.department_counts(conn, begin, finish, now or _now())]
    return sorted(rows, key=lambda r: (r["score"] is None, -(r["score"] or 0), r["code"]))


def _now() -> datetime:
    return datetime.now(timezone.utc)


# ------------------------------------------------------------------------------------------------ export

@dataclass(frozen=True)
class Column:
    key: str
    header: str
    kind: str = "text"         # text | int | rate | score


SCORE_COLUMNS = (
    Column("code", "单位编码"), Column("name", "承办单位"), Column("received", "受理量", "int"),
    Column("closed", "办结量", "int"), Column("closure_rate", "办结率", "rate"),
    Column("on_time_rate", "按时办结率", "rate"), Column("arrival_on_time_rate", "按时到场率", "rate"),
    Column("satisfaction_rate", "满意率", "rate"), Column("reopen_rate", "重启率", "rate"),
    Column("returns", "退回次数", "int"), Column("returned_rate", "退回率", "rate"),
    Column("score", "综合得分", "score"),
)


def statistics_columns(dimension: str) -> tuple[Column, ...]:
    return (
        Column("key", "编码" if dimension not in ("day",) else "日期"),
        Column("label", DIMENSION_LABELS.get(dimension, dimension)),
        Column("received", "受理量", "int"), Column("closed", "办结量", "int"),
        Column("closure_rate", "办结率", "rate"), Column("on_time_rate", "按时办结率", "rate"),
        Column("arrival_on_time_rate", "按时到场率", "rate"), Column("satisfaction_rate", "满意率", "rate"),
        Column("reopen_rate", "重启率", "rate"), Column("escalation_rate", "升级率", "rate"),
    )


def export_scores(rows: Iterable[dict], fmt: str, title: str = "部门考核", header: str | None = None) -> bytes:
    return export_rows(rows, SCORE_COLUMNS, fmt, title, header)


def export_statistics(rows: Iterable[dict], dimension: str, fmt: str, title: str = "工单统计",
                      header: str | None = None) -> bytes:
    return export_rows(rows, statistics_columns(dimension), fmt, title, header)


def export_rows(rows: Iterable[dict], columns: tuple[Column, ...], fmt: str, title: str,
                header: str | None = None) -> bytes:
    """The file; ``header`` (who made it and when: services.audit.provenance) is its first line when given."""
    writers: dict[str, Callable[[list[dict], tuple[Column, ...], str, str | None], bytes]] = {"csv": _csv,
                                                                                              "xlsx": _xlsx}
    if fmt not in writers:
        raise StatsError("format", f"导出格式应为 {' / '.join(FORMATS)}，而不是 {fmt!r}")
    return writers[fmt](list(rows), columns, title, header)


def _csv(rows: list[dict], columns: tuple[Column, ...], title: str, header: str | None) -> bytes:
    """UTF-8 with a byte-order mark: without it Excel on Chinese Windows reads the file as GBK."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    if header:
        writer.writerow([header])
    writer.writerow([c.header for c in columns])
    for row in rows:
        writer.writerow([_csv_cell(row.get(c.key), c.kind) for c in columns])
    return buffer.getvalue().encode("utf-8-sig")


def _csv_cell(value: Any, kind: str) -> str:
    if value is None:
        return ""
    if kind == "rate":
        return f"{100 * value:.2f}%"
    if kind == "score":
        return f"{value:.2f}"
    text_value = str(value)
    # A cell starting with = + - @ is a formula to Excel: quote it so a name can never run as one.
    return no_formula(text_value) if kind == "text" else text_value


def _xlsx(rows: list[dict], columns: tuple[Column, ...], title: str, header: str | None) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter
    book = Workbook()
    sheet = book.active
    sheet.title = _sheet_title(title)
    if header:
        sheet.append([header])
    first = sheet.max_row + 1 if header else 1          # the row of column headers
    sheet.append([c.header for c in columns])
    for cell in sheet[first]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([row.get(c.key) for c in columns])
    formats = {"rate": "0.00%", "score": "0.00", "int": "0"}
    for index, column in enumerate(columns, start=1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = 24 if column.key in ("name", "label") else 12
        if column.kind in formats:
            for (cell,) in sheet.iter_rows(min_row=first + 1, min_col=index, max_col=index):
                cell.number_format = formats[column.kind]
        elif column.kind == "text":
            for (cell,) in sheet.iter_rows(min_row=first + 1, min_col=index, max_col=index):
                cell.data_type = "s"        # text stays text: never a formula
    sheet.freeze_panes = f"A{first + 1}"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _sheet_title(title: str) -> str:
    # Excel sheet names: at most 31 characters, none of : \ / ? * [ ]
    return "".join(ch for ch in title if ch not in ':\\/?*[]')[:31] or "Sheet1"


def export_filename(kind: str, window: Window, fmt: str) -> str:
    return f"{kind}-{window.start.isoformat()}_{window.end.isoformat()}.{fmt}"
