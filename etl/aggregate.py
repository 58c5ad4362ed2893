"""python -m etl aggregate [--full]: bring the leader view's pre-aggregate (ticket_grid_hourly) up to date.

Without --full only the registration hours whose tickets changed (or whose deadlines passed) since the last
refresh are counted again; the first refresh, or --full, counts every ticket. Run it after `python -m etl history`;
the /analytics page also refreshes by itself when its counts are more than a minute old.
"""
from __future__ import annotations

import argparse
import sys


def register(subparsers) -> None:
    cmd = subparsers.add_parser("aggregate", help="refresh the pre-aggregated ticket counts of /analytics")
    cmd.add_argument("--full", action="store_true", help="count every ticket again, not only the changed hours")
    cmd.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from services.analytics import refresh
    try:
        report = refresh(full=args.full)
    except SQLAlchemyError as error:
        print(f"error: aggregate: {error.__class__.__name__}: {str(error).splitlines()[0]}", file=sys.stderr)
        return 1
    what = "all hours" if report.full else f"{report.hours} changed hour(s)"
    print(f"aggregated {what}: {report.rows} row(s) written in {report.seconds:.2f} s "
          f"(counts as of {report.refreshed_at:%Y-%m-%d %H:%M:%S %Z})")
    return 0
