"""The wall's first paint, this checkout against an earlier commit, side by side in one run.

    python -m bench wall-ab REV [LOADS]     (default 10 loads each; `make bench` does not run it)

Checks REV out into a temporary git worktree, serves both with the same database and Redis on two ports, and
alternates fresh-profile loads of `/wall` between them, so that the machine's noise falls on both alike. Writes
bench/results/wall-ab-<time>.{json,md}: median per stage and the slowest load of each.
"""
from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import tempfile
from datetime import datetime, timezone
from pathlib import Path

from bench.live_latency import RESULTS, ROOT, WALL_STAGES, ensure_open_tickets, start_app, wall_first_paint
from harness.servers import free_port
from harness.signing_in import session_cookie


def run(rev: str, loads: int = 10) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    ensure_open_tickets(2000)
    tree = Path(tempfile.mkdtemp(prefix="wall-ab-"))
    subprocess.run(["git", "worktree", "add", "--detach", str(tree), rev], cwd=ROOT, check=True,
                   capture_output=True)
    commit = subprocess.run(["git", "rev-parse", "--short", rev], cwd=ROOT, check=True, capture_output=True,
                            text=True).stdout.strip()
    apps = {}
    for name, cwd in ((f"before ({commit})", tree), ("after (this checkout)", ROOT)):
        port = free_port()
        apps[name] = (start_app(port, cwd=cwd), f"http://127.0.0.1:{port}")
    samples: dict[str, list[dict]] = {name: [] for name in apps}
    try:
        # Signed in at this checkout; the cookie is the host's, so the earlier version (no sign-in) just ignores it.
        session = session_cookie(apps["after (this checkout)"][1], "wall")
        for _ in range(loads):
            for name, (proc, url) in apps.items():
                samples[name] += wall_first_paint(url, repeats=1, session=session)
    finally:
        for proc, _ in apps.values():
            proc.terminate()
            proc.wait(10)
        subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT, capture_output=True)
        shutil.rmtree(tree, ignore_errors=True)
    lines = ["| version | loads | " + " | ".join(WALL_STAGES) + " | slowest done |",
             "| --- | --- | " + " | ".join("---" for _ in WALL_STAGES) + " | --- |"]
    for name, got in samples.items():
        medians = [f"{statistics.median(s[k] for s in got) / 1000:.2f}" for k in WALL_STAGES]
        lines.append(f"| {name} | {len(got)} | " + " | ".join(medians) + f" | {max(s['done'] for s in got) / 1000:.2f} |")
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    report = "\n".join(lines) + "\n\nmedian seconds from navigation start, fresh browser profile per load, loads alternated"
    (RESULTS / f"wall-ab-{stamp}.json").write_text(json.dumps({"when": stamp, "rev": commit, "samples": samples},
                                                              indent=1))
    (RESULTS / f"wall-ab-{stamp}.md").write_text(f"# /wall first paint, {commit} vs this checkout, {stamp}\n\n"
                                                 f"{report}\n")
    print(report)
