"""python -m etl scores --year 2026 [--format csv|xlsx] --out FILE: the departments' annual assessment.

--start/--end (YYYY-MM-DD, both included) choose another window. The format defaults to the file's suffix.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(subparsers) -> None:
    cmd = subparsers.add_parser("scores", help="export department scores (on time, satisfaction, reopen, returns)")
    cmd.add_argument("--year", type=int, help="calendar year (local time)")
    cmd.add_argument("--start", help="first day YYYY-MM-DD (instead of --year)")
    cmd.add_argument("--end", help="last day YYYY-MM-DD, included (instead of --year)")
    cmd.add_argument("--format", choices=("csv", "xlsx"), help="default: the suffix of --out")
    cmd.add_argument("--out", required=True, type=Path, help="file to write")
    cmd.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from services import stats
    fmt = args.format or args.out.suffix.lstrip(".").lower()
    try:
        if args.year is not None and (args.start or args.end):
            raise stats.StatsError("year", "give --year or --start/--end, not both")
        window = stats.year_window(args.year) if args.year is not None else stats.make_window(args.start, args.end)
        if fmt not in stats.FORMATS:
            raise stats.StatsError("format", f"cannot tell the format from {args.out.name!r}; "
                                             "use --format csv or --format xlsx")
        rows = stats.department_scores(window=window)
        body = stats.export_scores(rows, fmt, title=f"部门考核 {window.label}")
    except stats.StatsError as error:
        print(f"error: {error.field}: {error.message}", file=sys.stderr)
        return 2
    try:
        args.out.write_bytes(body)
    except OSError as error:
        print(f"error: out: cannot write {args.out}: {error.strerror}", file=sys.stderr)
        return 1
    print(f"{len(rows)} departments, {window.label} → {args.out} ({fmt})")
    return 0
