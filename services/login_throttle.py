"""Repeated sign-in failures: an account is locked for a while, an address has to wait longer and longer.

Kept in Redis (not in the process), so a restart of the app forgets nothing and every dashboard process sees
the same counts. The account counter is kept for whatever name was typed, existing or not: the answer never
tells an outsider which usernames exist.

Keys (all expire by themselves):
  auth:fails:user:<name>   failures of that name within the window      auth:lock:user:<name>   the lock
  auth:fails:addr:<addr>   failures from that address within the window auth:wait:addr:<addr>   its wait
"""
from __future__ import annotations

import functools
import logging
import math
from dataclasses import dataclass

import redis

from events.bus import get_redis
from settings import get_settings

MAX_ADDRESS_WAIT_S = 300
log = logging.getLogger(__name__)


def _fails_open(count):
    """While Redis is unreachable sign-in goes on without the counters (staff must be able to sign in during an
    outage; each try still costs an argon2 verification), and the outage is logged."""
    @functools.wraps(count)
    def counted(*args, **kwargs):
        try:
            return count(*args, **kwargs)
        except redis.RedisError as error:
            log.warning("sign-in throttle not counted, Redis unreachable (%s)", error)
            return None
    return counted


@dataclass(frozen=True)
class Refusal:
    reason: str            # "account_locked" | "address_slowed"
    retry_after: int       # seconds

    @property
    def message(self) -> str:
        minutes = max(1, math.ceil(self.retry_after / 60))
        if self.reason == "account_locked":
            return f"登录失败次数过多，该账户已暂时锁定，请 {minutes} 分钟后再试"
        return f"登录尝试过于频繁，请 {self.retry_after} 秒后再试"


def _keys(username: str, address: str | None) -> dict[str, str]:
    name, addr = username.strip().lower()[:64], address or "unknown"
    return {"user_fails": f"auth:fails:user:{name}", "user_lock": f"auth:lock:user:{name}",
            "addr_fails": f"auth:fails:addr:{addr}", "addr_wait": f"auth:wait:addr:{addr}"}


@_fails_open
def check(username: str, address: str | None, r: redis.Redis | None = None) -> Refusal | None:
    """Whether a sign-in may be tried now; a Refusal says why not and for how long."""
    r = r or get_redis()
    keys = _keys(username, address)
    pipe = r.pipeline(transaction=False)
    pipe.pttl(keys["user_lock"])
    pipe.pttl(keys["addr_wait"])
    lock_ms, wait_ms = pipe.execute()
    if lock_ms and lock_ms > 0:
        return Refusal("account_locked", math.ceil(lock_ms / 1000))
    if wait_ms and wait_ms > 0:
        return Refusal("address_slowed", math.ceil(wait_ms / 1000))
    return None


@_fails_open
def failed(username: str, address: str | None, r: redis.Redis | None = None) -> Refusal | None:
    """Count a failure; the Refusal that now applies (the lock it caused, the wait it set), if any."""
    s = get_settings()
    r = r or get_redis()
    keys = _keys(username, address)
    window = int(s.login_failure_window_minutes * 60)
    pipe = r.pipeline(transaction=True)
    pipe.incr(keys["user_fails"])
    pipe.expire(keys["user_fails"], window, nx=True)
    pipe.incr(keys["addr_fails"])
    pipe.expire(keys["addr_fails"], window, nx=True)
    user_fails, _, addr_fails, _ = pipe.execute()
    if user_fails >= s.login_max_failures:
        lock = int(s.login_lockout_minutes * 60)
        r.set(keys["user_lock"], 1, ex=lock)
        r.delete(keys["user_fails"])
        return Refusal("account_locked", lock)
    excess = addr_fails - s.login_address_failures
    if excess >= 0:
        wait = min(2 ** min(excess, 16), MAX_ADDRESS_WAIT_S)
        r.set(keys["addr_wait"], 1, ex=wait)
        return Refusal("address_slowed", wait)
    return None


@_fails_open
def succeeded(username: str, address: str | None, r: redis.Redis | None = None) -> None:
    """A good password clears that account's failures (the address keeps its count: it may be guessing others)."""
    (r or get_redis()).delete(_keys(username, address)["user_fails"])


def unlock(username: str, r: redis.Redis | None = None) -> None:
    """An administrator's new password also lifts the lock."""
    keys = _keys(username, None)
    (r or get_redis()).delete(keys["user_fails"], keys["user_lock"])
