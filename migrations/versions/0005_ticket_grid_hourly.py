"""Pre-aggregated tickets for the leader view (/analytics): counts per grid × registration hour × category ×
channel × lead department, kept exact by an incremental refresh.

- ``ticket_grid_hourly``: the counts (definitions of geo.stats, evaluated at the refresh time).
- ``ticket_hours_dirty``: an append-only log of the registration hours whose tickets changed, written by
  statement-level triggers on ``tickets`` (insert, update, delete). The refresh takes the log and re-aggregates
  those hours only. A trigger, not a timestamp watermark: the history generator writes tickets with past
  ``updated_at`` values, and a deleted ticket leaves no timestamp behind. No unique key on the log, so two
  transactions touching the same hour never wait for each other.
- ``analytics_refresh``: when the aggregate was last brought up to date (the "now" its deadline counts use); no
  row yet means the first refresh aggregates every ticket.
- Partial indexes: the tickets whose deadlines pass without any change to the row (the counts that depend on the
  clock), and ticket returns (the department ranking counts them from the events).

Revision ID: 0005
Revises: 0004
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: Union[str, Sequence[str], None] = "0004"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

MEASURES = ("received", "closed", "due", "on_time", "arrival_due", "arrived_on_time", "evaluated", "satisfied",
            "reopened", "escalated", "returned")

# One trigger per event: PostgreSQL allows transition tables only on single-event triggers.
MARK_FUNCTION = """
CREATE FUNCTION analytics_mark_ticket_hours() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        INSERT INTO ticket_hours_dirty (hour)
        SELECT DISTINCT date_trunc('hour', registered_at, 'UTC') FROM old_rows;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO ticket_hours_dirty (hour)
        SELECT DISTINCT date_trunc('hour', registered_at, 'UTC') FROM new_rows;
    END IF;
    RETURN NULL;
END $$"""

TRIGGERS = {
    "analytics_tickets_inserted": "AFTER INSERT ON tickets REFERENCING NEW TABLE AS new_rows",
    "analytics_tickets_updated": "AFTER UPDATE ON tickets REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
    "analytics_tickets_deleted": "AFTER DELETE ON tickets REFERENCING OLD TABLE AS old_rows",
}


def upgrade() -> None:
    op.create_table(
        "ticket_grid_hourly",
        sa.Column("hour", sa.DateTime(timezone=True), nullable=False),
        sa.Column("grid_code", sa.String(32), nullable=False),
        sa.Column("street_code", sa.String(32), nullable=False),
        sa.Column("category_code", sa.String(32), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("department_code", sa.String(32), nullable=False),
        *[sa.Column(m, sa.Integer(), nullable=False, server_default="0") for m in MEASURES],
        sa.PrimaryKeyConstraint("hour", "grid_code", "street_code", "category_code", "channel", "department_code",
                                name=op.f("pk_ticket_grid_hourly")),
    )
    op.create_table(
        "ticket_hours_dirty",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("hour", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_hours_dirty")),
    )
    op.create_table(
        "analytics_refresh",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("refreshed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("full_refresh_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_analytics_refresh")),
    )
    op.create_index("ix_tickets_unresolved_due", "tickets", ["resolve_due_at"],
                    postgresql_where=sa.text("resolved_at IS NULL"))
    op.create_index("ix_tickets_arrival_pending", "tickets", ["arrival_due_at"],
                    postgresql_where=sa.text("on_site_at IS NULL AND arrival_due_at IS NOT NULL"))
    op.create_index("ix_ticket_events_returns", "ticket_events", ["ticket_id"],
                    postgresql_where=sa.text("action = 'return'"))
    op.execute(MARK_FUNCTION)
    for name, when in TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {when} FOR EACH STATEMENT EXECUTE FUNCTION analytics_mark_ticket_hours()")


def downgrade() -> None:
    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name} ON tickets")
    op.execute("DROP FUNCTION IF EXISTS analytics_mark_ticket_hours()")
    op.drop_index("ix_ticket_events_returns", table_name="ticket_events")
    op.drop_index("ix_tickets_arrival_pending", table_name="tickets")
    op.drop_index("ix_tickets_unresolved_due", table_name="tickets")
    op.drop_table("analytics_refresh")
    op.drop_table("ticket_hours_dirty")
    op.drop_table("ticket_grid_hourly")
