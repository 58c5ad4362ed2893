"""Make sure PostGIS and Redis answer, then write the environment file the Makefile sources.

Order of preference, for each service:
  1. DATABASE_URL / REDIS_URL when set;
  2. PostgreSQL on 127.0.0.1:5432 / Redis on 127.0.0.1:6379 when they answer;
  3. private instances under ./var started from the system's binaries.
Missing Debian packages (PostGIS, PostgreSQL, Redis, Chromium for the browser tests) are installed when this runs as
root; otherwise it stops with a message naming exactly what to install, or to use `docker compose up -d db redis`.

Runs inside .venv (it uses psycopg2 and redis from requirements.txt).
"""
from __future__ import annotations

import argparse
import glob
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg2
import redis
from psycopg2 import sql

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"
PRIVATE_PG_PORT = 55432
PRIVATE_REDIS_PORT = 56379
DOCKER_HINT = "or start the project's own services with `docker compose up -d db redis`"
_apt_updated = False


def say(msg: str) -> None:
    print(f"[prepare] {msg}", flush=True)


def fail(msg: str) -> None:
    print(f"[prepare] ERROR: {msg}", file=sys.stderr, flush=True)
    sys.exit(1)


def is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def apt_install(*packages: str) -> bool:
    """Install Debian packages when we may; False when we may not (not root or no apt)."""
    global _apt_updated
    if not (is_root() and shutil.which("apt-get")):
        return False
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    if not _apt_updated:
        say("apt-get update")
        subprocess.run(["apt-get", "update", "-q"], check=False, env=env, stdout=subprocess.DEVNULL)
        _apt_updated = True
    say(f"apt-get install {' '.join(packages)}")
    done = subprocess.run(["apt-get", "install", "-y", "-q", *packages], env=env, stdout=subprocess.DEVNULL)
    return done.returncode == 0


def dpkg_installed(package: str) -> bool:
    out = subprocess.run(["dpkg-query", "-W", "-f=${Status}", package], capture_output=True, text=True)
    return out.returncode == 0 and "install ok installed" in out.stdout


# ---------------------------------------------------------------- PostgreSQL

def with_database(url: str, dbname: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + dbname, parts.query, parts.fragment))


def pg_answers(url: str) -> bool:
    try:
        psycopg2.connect(url, connect_timeout=3).close()
        return True
    except psycopg2.OperationalError:
        return False


def pg_binaries() -> Path | None:
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if Path(candidate, "initdb").exists():
            return Path(candidate)
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def start_private_postgres() -> str:
    """A PostgreSQL of our own under ./var/pg on port 55432 (initdb refuses root: run it as `postgres`)."""
    url = f"postgresql://postgres@127.0.0.1:{PRIVATE_PG_PORT}/postgres"
    if pg_answers(url):
        return url
    bindir = pg_binaries()
    if bindir is None and apt_install("postgresql-15", "postgresql-15-postgis-3"):
        bindir = pg_binaries()
    if bindir is None:
        fail("no PostgreSQL answers and none is installed: install `postgresql-15 postgresql-15-postgis-3`, "
             f"set DATABASE_URL, {DOCKER_HINT}")
    data, run = VAR / "pg", VAR / "pg-run"
    for folder in (data, run):
        folder.mkdir(parents=True, exist_ok=True)
    as_user: list[str] = []
    if is_root():  # PostgreSQL refuses to run as root
        as_user = ["runuser", "-u", "postgres", "--"]
        for folder in (data, run):
            shutil.chown(folder, "postgres")
    if not (data / "PG_VERSION").exists():
        say(f"initdb {data}")
        subprocess.run([*as_user, str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
                        "-E", "UTF8", "--locale=C.UTF-8"], check=True, stdout=subprocess.DEVNULL)
    say(f"starting private PostgreSQL on 127.0.0.1:{PRIVATE_PG_PORT}")
    subprocess.run([*as_user, str(bindir / "pg_ctl"), "-D", str(data), "-l", str(run / "postgres.log"), "-w",
                    "-o", f"-p {PRIVATE_PG_PORT} -k {run} -c listen_addresses=127.0.0.1", "start"], check=True)
    return url


def resolve_postgres(dbname: str) -> str:
    if os.environ.get("DATABASE_URL"):
        url = os.environ["DATABASE_URL"]
        server_url = with_database(url, "postgres")
        if not pg_answers(url) and not pg_answers(server_url):
            fail(f"DATABASE_URL does not answer: {url}")
        return url if dbname == "" else with_database(url, urlsplit(url).path.lstrip("/") + dbname)
    local = "postgresql://postgres@127.0.0.1:5432/postgres"
    server = local if pg_answers(local) else start_private_postgres()
    return with_database(server, "tiedong" + dbname)


def ensure_database(url: str) -> None:
    name = urlsplit(url).path.lstrip("/")
    admin = psycopg2.connect(with_database(url, "postgres"))
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
        if cur.fetchone() is None:
            say(f"creating database {name}")
            cur.execute(sql.SQL("CREATE DATABASE {} ENCODING 'UTF8' TEMPLATE template0").format(sql.Identifier(name)))
    admin.close()


def drop_database(url: str) -> None:
    """Start the test database from nothing: rows other runs left behind (tickets, users, late work) would otherwise
    change what the tests see, and a suite that passes only on a fresh machine is no proof."""
    name = urlsplit(url).path.lstrip("/")
    admin = psycopg2.connect(with_database(url, "postgres"))
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
        if cur.fetchone() is not None:
            say(f"dropping database {name} (the tests start from a clean one)")
            cur.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
    admin.close()


def ensure_postgis(url: str) -> None:
    conn = psycopg2.connect(url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'")
        if cur.fetchone() is None:
            cur.execute("SHOW server_version_num")
            major = int(cur.fetchone()[0]) // 10000
            host = urlsplit(url).hostname or "localhost"
            package = f"postgresql-{major}-postgis-3"
            if host not in ("127.0.0.1", "localhost", "::1") or not apt_install(package):
                fail(f"PostGIS is not installed on the database server at {host}: install `{package}` there, "
                     f"{DOCKER_HINT} and set DATABASE_URL")
        cur.execute("CREATE EXTENSION IF NOT EXISTS postgis")
        cur.execute("SELECT postgis_lib_version()")
        say(f"PostGIS {cur.fetchone()[0]} ready in {urlsplit(url).path.lstrip('/')}")
    conn.close()


# ---------------------------------------------------------------- Redis

def redis_answers(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=2).ping())
    except redis.RedisError:
        return False


def start_private_redis() -> str:
    url = f"redis://127.0.0.1:{PRIVATE_REDIS_PORT}/0"
    if redis_answers(url):
        return url
    if not shutil.which("redis-server") and not apt_install("redis-server"):
        fail(f"no Redis answers and none is installed: install `redis-server`, set REDIS_URL, {DOCKER_HINT}")
    data = VAR / "redis"
    data.mkdir(parents=True, exist_ok=True)
    say(f"starting private Redis on 127.0.0.1:{PRIVATE_REDIS_PORT}")
    subprocess.run(["redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "--port", str(PRIVATE_REDIS_PORT),
                    "--dir", str(data), "--appendonly", "yes", "--logfile", str(data / "redis.log")], check=True)
    for _ in range(50):
        if redis_answers(url):
            return url
        time.sleep(0.1)
    fail(f"private Redis did not answer; see {data / 'redis.log'}")
    return url


def resolve_redis(db_index: int) -> str:
    if os.environ.get("REDIS_URL"):
        url = os.environ["REDIS_URL"]
        if not redis_answers(url):
            fail(f"REDIS_URL does not answer: {url}")
        return url
    local = f"redis://127.0.0.1:6379/{db_index}"
    return local if redis_answers(local) else start_private_redis().rsplit("/", 1)[0] + f"/{db_index}"


# ---------------------------------------------------------------- browser for e2e tests

BROWSER_PACKAGES = ("chromium", "chromium-driver", "fonts-wqy-zenhei")


def ensure_browser() -> None:
    missing = [p for p in BROWSER_PACKAGES if not dpkg_installed(p)]
    if missing and not (shutil.which("chromium") and shutil.which("chromedriver") and "fonts-wqy-zenhei" not in missing):
        if not apt_install(*missing):
            fail(f"browser tests need Debian packages: apt-get install {' '.join(missing)}")
    say("chromium " + subprocess.run(["chromium", "--version"], capture_output=True, text=True).stdout.strip())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--test", action="store_true", help="prepare the separate test database")
    parser.add_argument("--bench", action="store_true", help="prepare the separate benchmark database")
    parser.add_argument("--fresh", action="store_true", help="drop the database first (the test database)")
    parser.add_argument("--browser", action="store_true", help="also make sure Chromium is installed")
    parser.add_argument("--env-file", required=True, type=Path)
    args = parser.parse_args()

    VAR.mkdir(exist_ok=True)
    suffix = "_test" if args.test else "_bench" if args.bench else ""
    db_url = resolve_postgres(suffix)
    if args.fresh:
        drop_database(db_url)
    ensure_database(db_url)
    ensure_postgis(db_url)
    redis_url = resolve_redis(15 if args.test else 14 if args.bench else 0)
    if args.fresh:
        redis.Redis.from_url(redis_url).flushdb()       # only the test index: streams and keys of earlier runs
    if args.browser:
        ensure_browser()
    args.env_file.parent.mkdir(parents=True, exist_ok=True)
    args.env_file.write_text(f"export DATABASE_URL='{db_url}'\nexport REDIS_URL='{redis_url}'\n")
    say(f"database {db_url}  redis {redis_url}  → {args.env_file}")


if __name__ == "__main__":
    main()
