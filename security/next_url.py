"""Where to go after signing in: only a path on this site (``/hotline?channel=letter``), never another site.

``//evil.example``, ``/\\evil.example``, ``https://evil.example``, ``javascript:…`` and anything with control
characters are refused; browsers read some of them as another host.
"""
from __future__ import annotations

from urllib.parse import quote, urlsplit

MAX_NEXT = 500


def safe_next(value: str | None) -> str | None:
    """``value`` when it is a same-site path (with its query), else None."""
    if not value or len(value) > MAX_NEXT or not value.startswith("/"):
        return None
    if value.startswith(("//", "/\\")) or "\\" in value or any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        return None
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return None
    return value


def login_url(path: str) -> str:
    """/login with ``next`` set to ``path`` (when it is one worth coming back to)."""
    target = safe_next(path)
    if not target or target == "/" or target.startswith("/login"):
        return "/login"
    return "/login?next=" + quote(target, safe="/")
