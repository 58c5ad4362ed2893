"""SQL of ticket photos (table ticket_photos, migration 0009): the rows that say a stored photo exists."""
from __future__ import annotations

from typing import Any, Iterable

from sqlalchemy import Connection, text

PHOTO_COLUMNS = """p.id, p.public_id, p.ticket_id, p.event_id, p.content_type, p.width, p.height, p.size_bytes,
    p.sha256, p.original_name, p.source, p.uploaded_by, p.public, p.created_at"""


def insert_photo(conn: Connection, row: dict[str, Any]) -> int:
    columns = list(row)
    return conn.execute(text(f"""
        INSERT INTO ticket_photos ({', '.join(columns)}) VALUES ({', '.join(':' + c for c in columns)})
        RETURNING id"""), row).scalar()


def photo_with_ticket(conn: Connection, public_id: str) -> dict | None:
    """The photo and what its rights are checked against: the ticket's number, units and place."""
    row = conn.execute(text(f"""
        SELECT {PHOTO_COLUMNS}, t.number, t.channel, t.lead_department_code, t.co_department_codes,
               t.street_code, t.community_code, t.grid_code, t.crew_code
        FROM ticket_photos p JOIN tickets t ON t.id = p.ticket_id WHERE p.public_id = :public_id"""),
        {"public_id": public_id}).mappings().first()
    return dict(row) if row else None


def photos_of_ticket(conn: Connection, ticket_id: int) -> list[dict]:
    return [dict(r) for r in conn.execute(text(f"""
        SELECT {PHOTO_COLUMNS} FROM ticket_photos p WHERE p.ticket_id = :t ORDER BY p.id"""), {"t": ticket_id})
        .mappings()]


def first_photos(conn: Connection, ticket_ids: Iterable[int]) -> dict[int, dict]:
    """The first photo of each ticket that has one (Open311 shows one media_url per request)."""
    ids = sorted(set(ticket_ids))
    if not ids:
        return {}
    rows = conn.execute(text(f"""
        SELECT DISTINCT ON (p.ticket_id) {PHOTO_COLUMNS} FROM ticket_photos p
        WHERE p.ticket_id = ANY(:ids) ORDER BY p.ticket_id, p.id"""), {"ids": ids}).mappings()
    return {r["ticket_id"]: dict(r) for r in rows}


def known_public_ids(conn: Connection, public_ids: Iterable[str]) -> set[str]:
    ids = sorted(set(public_ids))
    if not ids:
        return set()
    return set(conn.execute(text("SELECT public_id FROM ticket_photos WHERE public_id = ANY(:ids)"),
                            {"ids": ids}).scalars())


def count_photos(conn: Connection, ticket_id: int) -> int:
    return conn.execute(text("SELECT count(*) FROM ticket_photos WHERE ticket_id = :t"), {"t": ticket_id}).scalar()
