"""A redis-server of one test only (never the shared one), on a free port, that the test can kill and start again."""
from __future__ import annotations

import shutil
import subprocess
import tempfile

import redis

from harness.servers import free_port
from harness.waiting import wait_until

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


class PrivateRedis:
    """Without persistence by default (a restart comes back empty); ``persist=True`` keeps an append-only file
    written on every command, so a killed server comes back with its streams."""

    def __init__(self, persist: bool = False):
        self.port = free_port()
        self.persist = persist
        self.dir = tempfile.mkdtemp(prefix="private-redis-")
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        durability = ["--appendonly", "yes", "--appendfsync", "always"] if self.persist else ["--appendonly", "no"]
        self.process = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--dir", self.dir,
             *durability], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        probe = redis.Redis(port=self.port, socket_connect_timeout=0.5)
        wait_until(lambda: _pings(probe), f"redis-server on port {self.port}", seconds=15, step=0.05)

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.kill()
        shutil.rmtree(self.dir, ignore_errors=True)

    def client(self, **options) -> redis.Redis:
        return redis.Redis(port=self.port, socket_timeout=2, socket_connect_timeout=0.5, **options)


def _pings(client: redis.Redis) -> bool:
    try:
        return client.ping()
    except redis.RedisError:
        return False
