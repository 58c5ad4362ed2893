"""What the API tests send, store and check: a valid ticket body, a key of a chosen value, the API's one error shape."""
from __future__ import annotations

import hashlib

from sqlalchemy import text

from tests.fresh import new_phone


def add_api_key(engine, name: str, key: str, active: bool = True) -> None:
    """As create-api-key stores it: the sha256 hex of the key, never the key."""
    with engine.begin() as conn:
        conn.execute(text("""INSERT INTO api_keys (name, key_hash, active, created_at)
                             VALUES (:name, :hash, :active, now())"""),
                     {"name": name, "hash": hashlib.sha256(key.encode()).hexdigest(), "active": active})


def ticket_body(spot: dict, **fields) -> dict:
    """A valid POST /api/v1/tickets body at ``spot`` (a new caller each time); ``fields`` override, None drops."""
    body = {"category": "road_damage", "description": "胜利路人行道地砖松动，老人易绊倒", "lat": spot["lat"],
            "lon": spot["lon"], "citizen_name": "王建国", "citizen_phone": new_phone()}
    body.update(fields)
    return {k: v for k, v in body.items() if v is not None}


def error_of(answer) -> dict:
    """The error object of an answer, after checking it has the API's error shape."""
    body = answer.get_json()
    assert answer.mimetype == "application/json", answer.data[:200]
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "field"}, body
    assert body["error"]["message"]
    return body["error"]
