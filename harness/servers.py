"""The dashboard as a process of its own (`python app.py`), on a free port, waited for until it answers."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """A TCP port of 127.0.0.1 that nobody listens on right now (for a server to start on, or to find nobody)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_app(database_url: str | None, port: int, extra_env: dict | None = None, *, cwd: Path = ROOT,
              log: Path | None = None, healthy_only: bool = False, timeout: float = 60) -> subprocess.Popen:
    """`python app.py` of checkout ``cwd`` on ``port`` against ``database_url`` (None: the environment's), answering
    /healthz before this returns. Its output goes to ``log`` (else var/e2e-app-PORT.log when var/ exists)."""
    if log is None and (ROOT / "var").is_dir():
        log = ROOT / "var" / f"e2e-app-{port}.log"
    out = open(log, "a") if log else subprocess.DEVNULL
    env = {**os.environ, "PORT": str(port), **({"DATABASE_URL": database_url} if database_url else {}),
           **(extra_env or {})}
    proc = subprocess.Popen([sys.executable, "app.py"], cwd=cwd, stdout=out, stderr=subprocess.STDOUT, env=env)
    wait_healthy(f"http://127.0.0.1:{port}", proc, timeout=timeout, healthy_only=healthy_only)
    return proc


def wait_healthy(url: str, proc: subprocess.Popen, timeout: float = 60, healthy_only: bool = False) -> None:
    """Wait until the server ``proc`` answers /healthz at ``url``; kill it and raise if it dies or never does.

    Any answer counts, 503 included (a server started without its relay, as some tests want, is up but reports
    relay lag); ``healthy_only`` waits for a 200 (a benchmark measures a server whose workers have caught up)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url + "/healthz", timeout=2)
            return
        except urllib.error.HTTPError:
            if not healthy_only:
                return
        except OSError:
            pass
        if proc.poll() is not None:
            raise RuntimeError(f"{' '.join(map(str, proc.args))} exited with {proc.returncode}")
        time.sleep(0.3)
    proc.kill()
    raise RuntimeError(f"{url} did not answer{' healthy' if healthy_only else ''} within {timeout:.0f} s")


def stop(proc: subprocess.Popen, seconds: float = 15) -> None:
    """SIGTERM, ``seconds`` to finish, then SIGKILL."""
    proc.terminate()
    try:
        proc.wait(seconds)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)
