"""`make run`'s process set-up (`python -m workers supervise`, workers/supervisor.py): gunicorn as in production,
the workers and the simulator as processes of their own; a child that dies comes back, one Ctrl+C stops all."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

from harness.servers import free_port
from harness.waiting import wait_until
from tests.conftest import ROOT
from workers.supervisor import Child, Supervisor


def descendants(pid: int) -> set[int]:
    """Every live process below ``pid`` (from /proc: children, grandchildren …)."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z":
            parents[int(stat.parent.name)] = int(fields[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def command_of(pid: int) -> str:
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/healthz", timeout=2) as answer:
            return answer.status == 200
    except OSError:
        return False


def test_make_run_serves_with_gunicorn_restarts_a_dead_worker_and_stops_everything_on_ctrl_c(database_url):
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "HOST": "127.0.0.1", "PORT": str(port),
           "GUNICORN_WORKERS": "1", "GUNICORN_THREADS": "4", "SIMULATE_ON_RUN": "false"}
    run = subprocess.Popen([sys.executable, "-m", "workers", "supervise"], cwd=ROOT, env=env, text=True,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(run.stdout), daemon=True)
    reader.start()
    try:
        wait_until(lambda: healthy(f"http://127.0.0.1:{port}"), "make run's dashboard to answer /healthz", 90)
        started = descendants(run.pid)
        commands = {pid: command_of(pid) for pid in started}
        relay = next(pid for pid, cmd in commands.items() if cmd.endswith("-m workers relay "))
        assert any("gunicorn -c gunicorn.conf.py app:server" in cmd for cmd in commands.values())
        assert any(cmd.endswith("-m workers positions ") for cmd in commands.values())
        assert any(cmd.endswith("-m workers escalate ") for cmd in commands.values())

        os.kill(relay, signal.SIGKILL)                                  # a worker dies …
        wait_until(lambda: any(line.startswith("[make run] relay restarted") for line in lines),
                   "the relay to be restarted", 30)                     # … and comes back
        assert any(command_of(pid).endswith("-m workers relay ") for pid in descendants(run.pid) - {relay})
        everything = descendants(run.pid) | started
    finally:
        os.killpg(run.pid, signal.SIGINT)                               # Ctrl+C in make run's terminal
        run.wait(timeout=60)
        reader.join(timeout=10)
    out = "".join(lines)
    assert run.returncode == 0, out
    assert "simulator finished" in out                                # SIMULATE_ON_RUN=false: it exits 0, stays out
    assert "development server" not in out and "Traceback" not in out, out
    assert not [pid for pid in everything if Path(f"/proc/{pid}").exists() and command_of(pid)], \
        "processes left behind"


def test_a_child_that_keeps_dying_stops_everything_with_a_message(capsys):
    steady = Child("steady", [sys.executable, "-c", "import time; time.sleep(60)"])
    broken = Child("broken", [sys.executable, "-c", "raise SystemExit(3)"], pause=0.01)
    assert Supervisor([steady, broken]).run() == 1
    assert steady.proc.returncode is not None                           # stopped with the rest
    err = capsys.readouterr().err
    assert "broken died 5 times within 120 s (last exit status 3" in err and "stopping everything" in err
