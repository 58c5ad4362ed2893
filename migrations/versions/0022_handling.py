"""Handling records (issue 11): 申请延期 (a unit asks for a later resolution deadline; a supervisor or the district
approves or refuses), 挂起 (a hold stops the clock; on resume the deadlines move by the time held) and 协办 (the
co-handling units' answers to their part of a ticket).

At most one pending extension and one open hold per ticket (partial unique indexes: two requests at once cannot
both be pending). While a hold is open the ticket also carries the flag ``held`` (tickets.flags), which the
escalation sweeps skip.

Revision ID: 0022
Revises: 0012
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: Union[str, Sequence[str], None] = "0012"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def _ticket() -> sa.Column:
    return sa.Column("ticket_id", sa.BigInteger, sa.ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False,
                     index=True)


def upgrade() -> None:
    op.create_table(
        "ticket_extensions",
        sa.Column("id", sa.BigInteger, primary_key=True),
        _ticket(),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("previous_due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("requested_due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(16), nullable=False, server_default="pending"),
        sa.Column("requested_by", sa.Text, nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.Text),
        sa.Column("decided_at", sa.DateTime(timezone=True)),
        sa.Column("decision_note", sa.Text),
        sa.CheckConstraint("status IN ('pending', 'approved', 'refused')", name="ticket_extension_status"),
        sa.CheckConstraint("requested_due_at > previous_due_at", name="ticket_extension_later"),
    )
    op.create_index("ux_ticket_extensions_pending", "ticket_extensions", ["ticket_id"], unique=True,
                    postgresql_where=sa.text("status = 'pending'"))
    op.create_table(
        "ticket_holds",
        sa.Column("id", sa.BigInteger, primary_key=True),
        _ticket(),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("held_by", sa.Text, nullable=False),
        sa.Column("held_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resumed_by", sa.Text),
        sa.Column("resumed_at", sa.DateTime(timezone=True)),
        sa.Column("counted_seconds", sa.Float),          # what the deadlines moved by (≤ HOLD_MAX_HOURS)
    )
    op.create_index("ux_ticket_holds_open", "ticket_holds", ["ticket_id"], unique=True,
                    postgresql_where=sa.text("resumed_at IS NULL"))
    # The sweep looks for open holds past their maximum.
    op.create_index("ix_ticket_holds_open_since", "ticket_holds", ["held_at"],
                    postgresql_where=sa.text("resumed_at IS NULL"))
    op.create_table(
        "ticket_assists",
        sa.Column("id", sa.BigInteger, primary_key=True),
        _ticket(),
        sa.Column("department_code", sa.String(32), sa.ForeignKey("departments.code"), nullable=False),
        sa.Column("answer", sa.Text, nullable=False),
        sa.Column("answered_by", sa.Text, nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("ticket_assists")
    op.drop_index("ix_ticket_holds_open_since", table_name="ticket_holds")
    op.drop_index("ux_ticket_holds_open", table_name="ticket_holds")
    op.drop_table("ticket_holds")
    op.drop_index("ux_ticket_extensions_pending", table_name="ticket_extensions")
    op.drop_table("ticket_extensions")
