"""The CLI side of every programme's import (`python -m etl mediation|risk|consultation|resources|petitions FILE`):
one error line per problem, a last line saying nothing was imported, exit status 1; else the count imported."""
from __future__ import annotations

import sys
from typing import Callable


def run_import(file: str, do_import: Callable[[str], int], noun: str) -> int:
    from services.imports import ImportRejected
    try:
        count = do_import(file)
    except ImportRejected as rejected:
        for line in rejected.problems:
            print(f"error: {line}", file=sys.stderr)
        print(f"error: {file}: nothing imported ({len(rejected.problems)} problem(s))", file=sys.stderr)
        return 1
    except OSError as error:                      # no such file, unreadable
        print(f"error: {file}: {error}", file=sys.stderr)
        return 1
    print(f"imported {count} {noun}(s)")
    return 0


def importer(role: str):
    """The command line is the district's own import, done with ``role``'s reach (every street)."""
    from workorders.policy import Principal
    return Principal(id=None, name="etl-import", roles=frozenset({role}))
