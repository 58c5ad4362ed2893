"""python -m bench [live|wall|all] — run the benchmarks and write bench/results/<name>-<time>.{json,md}."""
from __future__ import annotations

import sys

from bench import live_latency


def main(argv: list[str]) -> int:
    which = argv[0] if argv else "all"
    if which in ("live", "wall", "all"):
        live_latency.main(which)
        return 0
    print(f"unknown benchmark {which!r}: live | wall | all", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
