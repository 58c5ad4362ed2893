"""`make run` (`python -m workers supervise`): the dashboard and its workers the way production runs them, on one
machine, as child processes of this one:

  web        gunicorn -c gunicorn.conf.py app:server   (the server and worker class of the Dockerfile/compose)
  relay      python -m workers relay
  positions  python -m workers positions
  escalate   python -m workers escalate
  simulator  python -m simulation --on-run --burst 12 --parent-pid <this pid>   (SIMULATE_ON_RUN)

A child that exits 0 on its own is done (the simulator when SIMULATE_ON_RUN=false). A child that dies otherwise
is restarted after a pause (1 s, doubling to 30 s while it keeps dying young). One that dies 5 times within
2 minutes is not going to get better by itself (a port in use, a bad setting): everything is stopped with a
message naming it and its exit status, and `make run` exits 1.

One Ctrl+C (SIGINT, or SIGTERM) stops everything: each child gets its stop signal (gunicorn SIGINT, its quick
shutdown; the workers SIGTERM: they finish their batch), 15 s to go (a second Ctrl+C: none), then SIGKILL for its
whole process group.
Children run in process groups of their own, so the terminal's Ctrl+C reaches only this process, which stops
them in order; and each is told by the kernel to die with this process (PR_SET_PDEATHSIG), so even a SIGKILL
of this one leaves nothing behind.
"""
from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

GIVE_UP_DEATHS = 5
GIVE_UP_WINDOW = 120.0
STOP_GRACE = 15.0
PR_SET_PDEATHSIG = 1
ROOT = Path(__file__).resolve().parents[1]          # gunicorn.conf.py and the packages, whatever the cwd


def say(message: str) -> None:
    print(f"[make run] {message}", file=sys.stderr, flush=True)


@dataclass
class Child:
    name: str
    argv: list[str]
    stop_signal: int = signal.SIGTERM
    pause: float = 1.0                 # before the first restart; doubles while it keeps dying young
    proc: subprocess.Popen | None = None
    started_at: float = 0.0
    restart_at: float | None = None
    done: bool = False
    quick_deaths: int = 0              # in a row, each within a minute of its start
    deaths: deque = field(default_factory=lambda: deque(maxlen=GIVE_UP_DEATHS))

    def start(self) -> None:
        parent = os.getpid()
        self.proc = subprocess.Popen(self.argv, cwd=ROOT, stdin=subprocess.DEVNULL, process_group=0,
                                     preexec_fn=lambda: _die_with(parent),
                                     env={**os.environ, "PYTHONUNBUFFERED": "1"})
        self.started_at, self.restart_at = time.monotonic(), None

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def died(self, now: float) -> float:
        """Note a death; the pause before the restart."""
        self.deaths.append(now)
        self.quick_deaths = self.quick_deaths + 1 if now - self.started_at < 60 else 1
        return min(30.0, self.pause * 2.0 ** (self.quick_deaths - 1))

    def crash_looping(self) -> bool:
        return len(self.deaths) == GIVE_UP_DEATHS and self.deaths[-1] - self.deaths[0] <= GIVE_UP_WINDOW


def _die_with(parent: int) -> None:
    """In the child, before exec: SIGTERM when the supervisor dies (Linux); gone already → exit now."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass                                   # not Linux: the stop on Ctrl+C still works
    if os.getppid() != parent:
        os._exit(1)


def children() -> list[Child]:
    py = sys.executable
    return [Child("web", [py, "-m", "gunicorn", "-c", "gunicorn.conf.py", "app:server"], signal.SIGINT),
            Child("relay", [py, "-m", "workers", "relay"]),
            Child("positions", [py, "-m", "workers", "positions"]),
            Child("escalate", [py, "-m", "workers", "escalate"]),
            Child("simulator", [py, "-m", "simulation", "--on-run", "--burst", "12",
                                "--parent-pid", str(os.getpid())])]


class Supervisor:
    def __init__(self, kids: list[Child]):
        self.kids = kids
        self.stopping = threading.Event()
        self.hurry = False                 # a second Ctrl+C: no more waiting

    def run(self) -> int:
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, self._signalled)
        for kid in self.kids:
            kid.start()
        say("started " + ", ".join(f"{k.name} (pid {k.proc.pid})" for k in self.kids) + "; Ctrl+C stops them all")
        status = 0
        while not self.stopping.wait(0.2):
            culprit = self.look_after()
            if culprit is not None:
                say(f"{culprit.name} died {GIVE_UP_DEATHS} times within {GIVE_UP_WINDOW:.0f} s (last exit status "
                    f"{culprit.proc.returncode}; its own lines above say why); stopping everything")
                status = 1
                break
        self.stop_all()
        return status

    def _signalled(self, *_) -> None:
        self.hurry = self.stopping.is_set()
        self.stopping.set()

    def look_after(self) -> Child | None:
        """Restart children that died; the child that is crash-looping, if one is."""
        now = time.monotonic()
        for kid in self.kids:
            if kid.done:
                continue
            if kid.restart_at is not None:
                if now >= kid.restart_at:
                    kid.start()
                    say(f"{kid.name} restarted (pid {kid.proc.pid})")
                continue
            code = kid.proc.poll()
            if code is None:
                continue
            if code == 0:
                kid.done = True
                say(f"{kid.name} finished")
                continue
            kid.restart_at = now + kid.died(now)
            if kid.crash_looping():
                return kid
            say(f"{kid.name} died (exit status {code}); restarting in {kid.restart_at - now:.0f} s")
        return None

    def stop_all(self) -> None:
        running = [k for k in self.kids if k.alive()]
        say("stopping " + (", ".join(k.name for k in running) or "nothing"))
        for kid in running:
            kid.proc.send_signal(kid.stop_signal)
        deadline = time.monotonic() + STOP_GRACE
        while any(k.alive() for k in running) and time.monotonic() < deadline and not self.hurry:
            time.sleep(0.1)
        for kid in running:
            if kid.alive():
                say(f"{kid.name} killed" + ("" if self.hurry else f": not stopped within {STOP_GRACE:.0f} s"))
        for kid in self.kids:
            if kid.proc is not None:
                _kill_group(kid.proc.pid)          # whatever is left of it (gunicorn's workers, …)
                kid.proc.wait()
        say("all stopped")


def _kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def main() -> int:
    return Supervisor(children()).run()
