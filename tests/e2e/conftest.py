"""A real dashboard process and a real headless Chromium for browser tests."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.e2e.browser import sign_in, start_chromium

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_app(database_url: str, port: int, extra_env: dict | None = None) -> subprocess.Popen:
    """`python app.py` on ``port`` against ``database_url``, answering /healthz before this returns."""
    log = open(ROOT / "var" / f"e2e-app-{port}.log", "a") if (ROOT / "var").is_dir() else subprocess.DEVNULL
    proc = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                            env={**os.environ, "DATABASE_URL": database_url, "PORT": str(port), **(extra_env or {})})
    wait_healthy(f"http://127.0.0.1:{port}", proc)
    return proc


def wait_healthy(url: str, proc: subprocess.Popen, timeout: float = 60) -> None:
    """Wait until the server ``proc`` answers /healthz at ``url``; kill it and raise if it dies or never does.

    Any answer counts, 503 included: a server started without its relay (some tests want that) is up but
    reports relay lag."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url + "/healthz", timeout=2)
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError(f"{' '.join(map(str, proc.args))} exited with {proc.returncode}")
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError(f"{url} did not answer within {timeout:.0f} s")


@pytest.fixture(scope="session")
def app_url(engine, database_url):
    """The dashboard on a free port against the test database (the engine fixture made sure data is there)."""
    port = free_port()
    proc = start_app(database_url, port)
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    proc.wait(10)


def pytest_configure(config):
    config.addinivalue_line("markers", "signed_in_as(*roles): the browser fixture signs in a user with these roles")


def roles_for(request) -> tuple[str, ...]:
    """Who the screen under test is for: the test's ``signed_in_as`` mark, else its module's ``SIGNED_IN_AS``."""
    mark = request.node.get_closest_marker("signed_in_as")
    if mark:
        return mark.args
    role = getattr(request.module, "SIGNED_IN_AS", None)
    return (role,) if role else ()


@pytest.fixture
def browser(request):
    """Headless Chromium, signed in through /login as the role the screen is for (nobody for citizens' pages)."""
    driver = start_chromium(1600, 1000)
    roles = roles_for(request)
    if roles:
        sign_in(driver, request.getfixturevalue("app_url"), *roles)
    yield driver
    driver.quit()
