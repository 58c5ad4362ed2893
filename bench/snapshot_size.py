"""Bytes of /live/snapshot on the wire, this checkout against an earlier commit, on the same database.

    python -m bench snapshot REV        (e.g. the commit before the compact wire form)

Serves both with `python app.py` (no relay) on two ports and asks each for the snapshot with no compression and
with each encoding Flask-Compress offers, as Chromium asks ("gzip, deflate, br, zstd" → zstd). Writes
bench/results/snapshot-<time>.{json,md}.
"""
from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time
import urllib.request
from datetime import datetime, timezone
from pathlib import Path

from bench.live_latency import RESULTS, ROOT, start_app
from harness.servers import free_port
from harness.signing_in import session_cookie

ENCODINGS = ("identity", "gzip", "br", "zstd")


def fetch(url: str, encoding: str, cookie: str) -> tuple[int, float, str]:
    time.sleep(1.1)                    # past the 1-second reuse of the new side: each answer is built afresh
    request = urllib.request.Request(url + "/live/snapshot", headers={"Accept-Encoding": encoding, "Cookie": cookie})
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=60) as answer:
        body = answer.read()
        used = answer.headers.get("Content-Encoding", "identity")
    return len(body), (time.perf_counter() - started) * 1000, used


def counts(url: str, cookie: str) -> tuple[int, int]:
    request = urllib.request.Request(url + "/live/snapshot", headers={"Cookie": cookie})
    with urllib.request.urlopen(request, timeout=60) as answer:
        snap = json.loads(answer.read())
    size = (lambda part: len(part["rows"]) if isinstance(part, dict) else len(part))
    return size(snap["tickets"]), size(snap["crews"])


def run(rev: str) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    tree = Path(tempfile.mkdtemp(prefix="bench-snapshot-"))
    subprocess.run(["git", "worktree", "add", "--detach", str(tree), rev], cwd=ROOT, check=True, capture_output=True)
    commit = subprocess.run(["git", "rev-parse", "--short", rev], cwd=ROOT, check=True, capture_output=True,
                            text=True).stdout.strip()
    os.environ["RUN_RELAY_IN_APP"] = "false"
    results = {}
    try:
        for name, cwd in ((f"before ({commit})", tree), ("after (this checkout)", ROOT)):
            port = free_port()
            proc = start_app(port, cwd=cwd)
            url = f"http://127.0.0.1:{port}"
            try:
                # The dispatcher's snapshot: the exact variant, the larger of the two. A checkout from before
                # sign-in ignores the cookie.
                cookie = session_cookie(url, "dispatcher")
                row = {"tickets_crews": counts(url, cookie)}
                for encoding in ENCODINGS:
                    got = [fetch(url, encoding, cookie) for _ in range(5)]
                    row[encoding] = {"bytes": got[-1][0], "encoding": got[-1][2],
                                     "median_ms": round(statistics.median(g[1] for g in got), 1)}
                results[name] = row
            finally:
                proc.terminate()
                proc.wait(10)
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT, capture_output=True)
        shutil.rmtree(tree, ignore_errors=True)
    write(results)


def write(results: dict) -> None:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    lines = ["| version | open tickets, crews | " + " | ".join(ENCODINGS) + " |",
             "| --- | --- | " + " | ".join("---" for _ in ENCODINGS) + " |"]
    for name, row in results.items():
        cells = [f"{row[e]['bytes'] / 1000:.1f} KB ({row[e]['median_ms']:.0f} ms)" for e in ENCODINGS]
        lines.append(f"| {name} | {row['tickets_crews'][0]:,}, {row['tickets_crews'][1]:,} | " + " | ".join(cells) + " |")
    report = "\n".join(lines) + ("\n\nbytes on the wire per Accept-Encoding (Flask-Compress levels: gzip 6, br 4, "
                                 "zstd 3); in brackets the median time of 5 requests, build + compression + transfer "
                                 "on loopback. Chromium asks for 'gzip, deflate, br, zstd' and gets zstd.")
    (RESULTS / f"snapshot-{stamp}.json").write_text(json.dumps({"when": stamp, "results": results}, indent=1))
    (RESULTS / f"snapshot-{stamp}.md").write_text(f"# /live/snapshot bytes, {stamp}\n\n{report}\n")
    print(report)
