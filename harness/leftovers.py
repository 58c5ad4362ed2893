"""What many earlier test runs leave in a shared database, at once: late open tickets of one unit (dispatched with
the arrival deadline gone, accepted past the resolution deadline), open 督办单 due soon, undecided 联席会 and active
users whose names sort first. Every list of the product is capped and sorted by deadline or name, so these fill the
first pages; a test that still finds its own ticket or user does not depend on what ran before it.

    python -m harness.leftovers add [--tickets 600]     python -m harness.leftovers remove

Marked by their number's (or username's) prefix and removed with ``remove``. They bypass the services on purpose
(no events, no outbox), like harness/bulk_tickets.py."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sqlalchemy import text

PREFIX = "LEFT"
USER_PREFIX = "aa-left-"        # before every name the tests make (adm-…, e2e-…, t-…)


def add(engine, tickets: int = 600, department: str = "water", category: str = "water_leak") -> dict[str, int]:
    """``tickets`` late open tickets of ``department`` (half dispatched, half accepted, deadlines 1–15 days gone),
    an open 督办单 on every third, an undecided 联席会 (dated in the coming days) on every tenth, and 520 users."""
    with engine.begin() as conn:
        added = conn.execute(text("""
            WITH cell AS (SELECT g.code, g.community_code, c.street_code, ST_PointOnSurface(g.geom) AS geom
                          FROM grids g JOIN communities c ON c.code = g.community_code ORDER BY g.code LIMIT 1),
            picks AS (SELECT i, now() - interval '16 days' + (i % 360) * interval '1 hour' AS at
                      FROM generate_series(1, :n) i)
            INSERT INTO tickets (number, channel, category_code, description, geom, grid_code, community_code,
                                 street_code, priority, complexity, lead_department_code, state, registered_at,
                                 updated_at, dispatched_at, accepted_at, arrival_due_at, resolve_due_at, source_ref)
            SELECT :prefix || lpad(p.i::text, 8, '0'), 'hotline', :category, '测试遗留：超时未办', c.geom, c.code,
                   c.community_code, c.street_code, 3, 'normal', :department,
                   CASE WHEN p.i % 2 = 0 THEN 'dispatched' ELSE 'accepted' END, p.at, p.at, p.at,
                   CASE WHEN p.i % 2 = 1 THEN p.at + interval '10 minutes' END,
                   p.at + interval '30 minutes', p.at + interval '1 day', 'leftover-test'
            FROM picks p CROSS JOIN cell c"""),
            {"n": tickets, "prefix": PREFIX, "department": department, "category": category}).rowcount
        orders = conn.execute(text("""
            INSERT INTO supervision_orders (ticket_id, department_code, responsible_person, due_on, demand,
                                            issued_by, issued_at)
            SELECT t.id, t.lead_department_code, '遗留责任人', current_date + (t.id % 3)::int, '测试遗留督办',
                   'leftovers', now() - interval '1 day'
            FROM tickets t WHERE t.number LIKE :p AND t.id % 3 = 0"""), {"p": PREFIX + "%"}).rowcount
        meetings = conn.execute(text("""
            INSERT INTO joint_meetings (ticket_id, meeting_date, department_codes, convened_by, created_at)
            SELECT t.id, current_date + (1 + t.id % 5)::int, ARRAY[t.lead_department_code, 'cgj'], 'leftovers',
                   now() - interval '1 day'
            FROM tickets t WHERE t.number LIKE :p AND t.id % 10 = 0"""), {"p": PREFIX + "%"}).rowcount
        users = conn.execute(text("""
            INSERT INTO users (username, display_name, password_hash, roles, department_code)
            SELECT :u || lpad(i::text, 4, '0'), '测试遗留', '!', ARRAY['department']::varchar[], :department
            FROM generate_series(1, 520) i ON CONFLICT DO NOTHING"""),
            {"u": USER_PREFIX, "department": department}).rowcount
    return {"tickets": added, "orders": orders, "meetings": meetings, "users": users}


def remove(engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM tickets WHERE number LIKE :p"), {"p": PREFIX + "%"})     # cascades
        conn.execute(text("DELETE FROM users WHERE username LIKE :u"), {"u": USER_PREFIX + "%"})


def main() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from geo.db import get_engine
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=("add", "remove"))
    parser.add_argument("--tickets", type=int, default=600)
    args = parser.parse_args()
    if args.action == "add":
        print(add(get_engine(), args.tickets))
    else:
        remove(get_engine())


if __name__ == "__main__":
    main()
