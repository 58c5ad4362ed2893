"""API keys for Open311 POSTs: the key's holder by name, or None for a missing, unknown or revoked key.

The keys are api/auth.py's (`flask --app app:server create-api-key NAME`): one key works on /api/v1 and here.
Open311 has a single answer for all of these (403), so unlike api.auth.identify nothing here tells them apart.
"""
from __future__ import annotations

from api.auth import hash_key
from geo import api_keys
from geo.db import get_engine


def api_key_name(key: str | None) -> str | None:
    if not key or not key.strip():
        return None
    with get_engine().connect() as conn:
        holder = api_keys.api_key_by_hash(conn, hash_key(key.strip()))
    return holder["name"] if holder and holder["active"] else None
