"""What every programme's import shares (mediation, 稳评, 民主恳谈, 社会力量, 信访): a CSV (UTF-8, with or without BOM)
or XLSX file read as rows keyed by its header, its size capped, its header checked against the programme's columns,
and one error carrying every problem line (nothing is written unless every row is good: each service's own loop)."""
from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Callable, Iterable

from workorders.tables import cell_text

MAX_IMPORT_BYTES = 10 * 1024 * 1024


class ImportRejected(ValueError):
    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


def read_table(name: str, content: bytes, cell: Callable[[object], object] = cell_text) -> list[dict]:
    """Rows of the file ``name`` holding ``content``, keyed by the header row; blank rows left out. ``cell``: what
    an XLSX cell becomes (by default the text the person typed: a date cell as its date, 3.0 as 3)."""
    if len(content) > MAX_IMPORT_BYTES:
        raise ImportRejected([f"{name}：文件超过 10 MB"])
    if name.lower().endswith(".xlsx"):
        return _xlsx_rows(name, content, cell)
    try:
        decoded = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportRejected([f"{name}：不是 UTF-8 编码的 CSV"]) from None
    return [row for row in csv.DictReader(io.StringIO(decoded))
            if any((v or "").strip() for v in row.values() if isinstance(v, str) or v is None)]


def _xlsx_rows(name: str, content: bytes, cell) -> list[dict]:
    from openpyxl import load_workbook
    try:
        sheet = load_workbook(io.BytesIO(content), read_only=True, data_only=True).active
        values = [[cell(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    except Exception:                       # a damaged or renamed file: openpyxl raises many kinds
        raise ImportRejected([f"{name}：不是有效的 XLSX 文件"]) from None
    if not values:
        return []
    header, *rows = values
    header = ["" if h is None else str(h).strip() for h in header]
    return [dict(zip(header, row)) for row in rows if any(str(c).strip() for c in row if c is not None)]


def file_content(path: str | Path) -> tuple[str, bytes]:
    """A file on disk (the CLI's import): its name and bytes, refused by its size before it is read, so that the
    CLI hands a service what a page's upload hands it."""
    path = Path(path)
    if path.stat().st_size > MAX_IMPORT_BYTES:
        raise ImportRejected([f"{path.name}：文件超过 10 MB"])
    return path.name, path.read_bytes()


def checked_rows(name: str, rows: list[dict], required: Iterable[str], known: Iterable[str],
                 also_known: Iterable[str] = ()) -> list[dict]:
    """``rows`` when there are any and the header has every required column and no unknown one (``also_known``:
    columns the programme's own export adds, which an import of that export may carry); else ImportRejected."""
    if not rows:
        raise ImportRejected([f"{name}：没有数据行"])
    problems = header_problems(rows, required, known, also_known)
    if problems:
        raise ImportRejected(problems)
    return rows


def header_problems(rows: list[dict], required: Iterable[str], known: Iterable[str],
                    also_known: Iterable[str] = ()) -> list[str]:
    known = list(known)
    header = {h for h in rows[0] if h}
    missing = [h for h in required if h not in header]
    unknown = sorted(header - set(known) - set(also_known))
    return ([f"表头：缺少 {'、'.join(missing)}"] if missing else []) + \
        ([f"表头：不认识的列 {'、'.join(unknown)}（可用：{'、'.join(known)}）"] if unknown else [])
