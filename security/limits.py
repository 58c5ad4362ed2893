"""Rate limits per client address, counted in Redis (the ``limits`` library, the engine of Flask-Limiter), so
every dashboard process shares them and a restart forgets nothing. A refusal is a 429 with ``Retry-After``.

Where they apply, each named after its setting:
- ``login``: POST /login (counted by the view itself, which answers the form with the message).
- ``anonymous_intake``: POST /api/v1/tickets without an API key, Open311 POST requests, and the /report form's
  submission (the Dash callback that writes ``report-result-data``, found by its identity), and a resident's
  sign-up and written opinion on a 民主恳谈's public page.
- ``lookup``: tracking-number and evaluation-token look-ups — the /track and /evaluate pages and their
  callbacks, POST /api/v1/evaluations/<token>, Open311 GET requests/<id> and tokens/<token>; a 民主恳谈's public
  page by its number.
"""
from __future__ import annotations

import logging
import math
import time
from functools import lru_cache

import redis

from flask import Flask, Response, jsonify, request
from limits import RateLimitItem, parse_many
from limits.errors import StorageError
from limits.storage import RedisStorage
from limits.strategies import FixedWindowRateLimiter

from settings import get_settings


class RateLimited(Exception):
    def __init__(self, name: str, retry_after: int):
        super().__init__(f"rate limit {name}: retry after {retry_after} s")
        self.name, self.retry_after = name, retry_after


# Flask endpoint (and method) → limit; a condition can exempt requests (a caller with an API key).
HTTP_LIMITS: dict[tuple[str, str], str] = {
    ("api_v1.create_ticket", "POST"): "anonymous_intake",
    ("open311.requests", "POST"): "anonymous_intake",
    ("api_v1.evaluate", "POST"): "lookup",
    ("open311.one_request", "GET"): "lookup",
    ("open311.token", "GET"): "lookup",
}
KEYED_EXEMPT = frozenset({"api_v1.create_ticket"})     # anonymous only: a key holder is known and accountable
# Dash callbacks, by an output (component id, property) that identifies them.
CALLBACK_LIMITS: dict[tuple[str, str], str] = {
    ("report-result-data", "data"): "anonymous_intake",
    ("track-result", "children"): "lookup",
    ("evaluate-result", "children"): "lookup",
    ("cpub-sign-up-message", "children"): "anonymous_intake",     # /consultation/<number>: sign-up, opinion
    ("cpub-opinion-message", "children"): "anonymous_intake",
}
# Pages whose layout looks something up (by the path the page is registered at).
PAGE_LIMITS: dict[str, str] = {"/track/<number>": "lookup", "/evaluate/<token>": "lookup",
                               "/consultation/<number>": "lookup"}


@lru_cache(maxsize=4)
def _limiter(redis_url: str) -> FixedWindowRateLimiter:
    return FixedWindowRateLimiter(RedisStorage(redis_url, key_prefix="ratelimit"))


@lru_cache(maxsize=32)
def _items(spec: str) -> tuple[RateLimitItem, ...]:
    return tuple(parse_many(spec))


log = logging.getLogger(__name__)
_UNCOUNTED_LOG_EVERY_S = 60.0
_last_uncounted_log = 0.0


def hit(name: str, key: str | None = None) -> None:
    """Count one request against the limit ``name`` for ``key`` (default: the client address); raise
    RateLimited when any of the limit's windows is full.

    While Redis is unreachable the request is let through uncounted: a citizen's report or a ticket must not be
    refused because the counters are away (intake goes on through a Redis outage), so limits fail open, with a
    warning at most once a minute."""
    s = get_settings()
    limiter = _limiter(s.redis_url)
    who = key or request.remote_addr or "unknown"
    try:
        for item in _items(getattr(s, f"rate_limit_{name}")):
            if not limiter.hit(item, name, who):
                reset, _remaining = limiter.get_window_stats(item, name, who)
                raise RateLimited(name, max(1, math.ceil(reset - time.time())))
    except (redis.RedisError, StorageError, OSError) as error:
        _warn_uncounted(name, error)


def _warn_uncounted(name: str, error: Exception) -> None:
    global _last_uncounted_log
    if time.monotonic() - _last_uncounted_log >= _UNCOUNTED_LOG_EVERY_S:
        _last_uncounted_log = time.monotonic()
        log.warning("rate limit %s not counted, Redis unreachable (%s): requests pass", name, error)


def too_many_requests(error: RateLimited) -> Response:
    response = jsonify(error={"code": "rate_limited", "message": f"请求过于频繁，请 {error.retry_after} 秒后再试",
                              "field": None})
    response.status_code = 429
    response.headers["Retry-After"] = str(error.retry_after)
    return response


def limit_endpoint() -> Response | None:
    """before_request: the HTTP limits of the table above. Answers here rather than raising, so that a
    blueprint's own catch-all error handler (Open311's) cannot turn the 429 into something else."""
    name = HTTP_LIMITS.get((request.endpoint or "", request.method))
    if name is None:
        return None
    if request.endpoint in KEYED_EXEMPT and (request.headers.get("X-API-Key") or request.args.get("api_key")):
        return None
    try:
        hit(name)
    except RateLimited as error:
        return too_many_requests(error)
    return None


def callback_limit(outputs: list[tuple[str, str]]) -> str | None:
    for output in outputs:
        if output in CALLBACK_LIMITS:
            return CALLBACK_LIMITS[output]
    return None


def install(server: Flask) -> None:
    for spec in (get_settings().rate_limit_login, get_settings().rate_limit_anonymous_intake,
                 get_settings().rate_limit_lookup):
        _items(spec)            # a malformed limit is a start-up error, not a 500 on the first request
    server.before_request(limit_endpoint)
