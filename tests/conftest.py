"""Shared fixtures: a real PostGIS (DATABASE_URL, prepared by `make test`) and a real Redis (REDIS_URL)."""
from __future__ import annotations

import os

# Every test speaks from 127.0.0.1, so the product's per-address rate limits would throttle the suite itself. They
# stay on with room for a whole run (browser tests sign in dozens of times); tests/integration/test_security.py
# checks them at small sizes. Set before anything reads the settings.
for _limit in ("RATE_LIMIT_LOGIN", "RATE_LIMIT_ANONYMOUS_INTAKE", "RATE_LIMIT_LOOKUP"):
    os.environ.setdefault(_limit, "100000/hour")
os.environ.setdefault("LOGIN_ADDRESS_FAILURES", "1000")
# One OpenMP thread per process: the suite runs in several processes on two cores, and scikit-learn's gradient
# boosting with a thread per core spins against the others (a model test took 47 s with two threads, 15 s with one).
os.environ.setdefault("OMP_NUM_THREADS", "1")


from contextlib import contextmanager
from typing import Iterator
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg2
import pytest
import redis
from psycopg2 import sql

from geo.db import make_engine
from settings import get_settings

ROOT = Path(__file__).resolve().parent.parent


def _with_db(url: str, name: str) -> str:
    p = urlsplit(url)
    return urlunsplit((p.scheme, p.netloc, "/" + name, p.query, p.fragment))


def _own_worker_stores() -> None:
    """Under pytest-xdist (`make test` runs the suite in parallel), each worker gets a copy of the prepared test
    database and a Redis index of its own, so that no test sees another's tickets, streams or users: the suite stays
    as deterministic as a single run. The copy is made from the migrated, seeded database `make test` prepared
    (CREATE DATABASE … TEMPLATE takes a second), before anything reads the settings (they are read on first use);
    the apps and CLIs the tests start inherit the environment."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker or "DATABASE_URL" not in os.environ:
        return
    index = int(worker.removeprefix("gw"))
    template = urlsplit(os.environ["DATABASE_URL"]).path.lstrip("/")
    name = f"{template}_{worker}"
    admin = _admin(os.environ["DATABASE_URL"])
    with admin.cursor() as cur:
        cur.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        for _attempt in range(60):         # two workers copying the same template at once: one waits for the other
            try:
                cur.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(name),
                                                                             sql.Identifier(template)))
                break
            except psycopg2.errors.ObjectInUse:
                time.sleep(0.5)
        else:
            raise RuntimeError(f"could not copy {template} for worker {worker}: it stays in use")
    admin.close()
    os.environ["DATABASE_URL"] = _with_db(os.environ["DATABASE_URL"], name)
    redis_url = urlsplit(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15"))
    base_index = int(redis_url.path.lstrip("/") or 0)
    own = (base_index - 3 - index) % 16 if index else base_index       # 15 → 15, 12, 11, 10 (14 is the bench's)
    os.environ["REDIS_URL"] = urlunsplit((redis_url.scheme, redis_url.netloc, f"/{own}", redis_url.query,
                                          redis_url.fragment))
    redis.Redis.from_url(os.environ["REDIS_URL"]).flushdb()


@pytest.fixture(scope="session")
def database_url() -> str:
    return get_settings().database_url


@pytest.fixture(scope="session")
def engine(database_url):
    """The test database, migrated and holding the Tiedong reference data (`make test` loads it; this makes sure)."""
    from etl.reference import load_reference_and_catalogue
    eng = make_engine(database_url)
    load_reference_and_catalogue(engine=eng, quiet=True)
    yield eng
    eng.dispose()


def _admin(url: str):
    conn = psycopg2.connect(_with_db(url, "postgres"))
    conn.autocommit = True
    return conn


_own_worker_stores()


@contextmanager
def scratch_database(database_url: str, label: str = "scratch") -> Iterator[str]:
    """A brand-new database beside the test database, migrated to head; dropped when the block ends."""
    name = f"{urlsplit(database_url).path.lstrip('/')}_{label}_{uuid.uuid4().hex[:8]}"
    admin = _admin(database_url)
    with admin.cursor() as cur:
        cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = _with_db(database_url, name)
    try:
        subprocess.run([sys.executable, "-m", "alembic", "upgrade", "head"], cwd=ROOT, check=True,
                       env={**os.environ, "DATABASE_URL": url}, capture_output=True)
        yield url
    finally:
        with admin.cursor() as cur:
            cur.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        admin.close()


@pytest.fixture
def scratch_url(database_url):
    """A brand-new empty database, migrated to head, dropped after the test."""
    with scratch_database(database_url) as url:
        yield url


@pytest.fixture
def scratch_engine(scratch_url):
    eng = make_engine(scratch_url)
    yield eng
    eng.dispose()


@pytest.fixture
def private_redis():
    """A redis-server of this test only (tests/private_redis.py), gone after it."""
    from tests.private_redis import PrivateRedis
    server = PrivateRedis()
    server.start()
    yield server
    server.stop()
