"""Supervision (督办) records: 督办单 to a unit with a responsible person and a deadline, the unit's answer and
the outcome; 问责 (accountability) of a person; who convened a 联席会 and when its decision was recorded; links
between a ticket and the earlier, closed tickets it repeats (same caller or same place and category).

Revision ID: 0012
Revises: 0010
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0012"
down_revision: Union[str, Sequence[str], None] = "0021"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "supervision_orders",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("ticket_id", sa.BigInteger, sa.ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False,
                  index=True),
        sa.Column("department_code", sa.String(32), sa.ForeignKey("departments.code"), nullable=False, index=True),
        sa.Column("responsible_person", sa.Text, nullable=False),
        sa.Column("due_on", sa.Date, nullable=False),
        sa.Column("demand", sa.Text, nullable=False),
        sa.Column("issued_by", sa.Text, nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answer", sa.Text),
        sa.Column("answered_at", sa.DateTime(timezone=True)),
        sa.Column("outcome", sa.String(16)),
        sa.Column("outcome_note", sa.Text),
        sa.Column("closed_by", sa.Text),
        sa.Column("closed_at", sa.DateTime(timezone=True)),
        sa.CheckConstraint("outcome IS NULL OR outcome IN ('resolved', 'partly', 'unresolved')",
                           name="supervision_order_outcome"),
    )
    op.create_table(
        "accountabilities",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("ticket_id", sa.BigInteger, sa.ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False,
                  index=True),
        sa.Column("order_id", sa.BigInteger, sa.ForeignKey("supervision_orders.id", ondelete="SET NULL")),
        sa.Column("person", sa.Text, nullable=False),
        sa.Column("measure", sa.String(16), nullable=False),
        sa.Column("decided_on", sa.Date, nullable=False),
        sa.Column("note", sa.Text),
        sa.Column("recorded_by", sa.Text, nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.add_column("joint_meetings", sa.Column("convened_by", sa.Text))
    op.add_column("joint_meetings", sa.Column("decided_at", sa.DateTime(timezone=True)))
    op.create_table(
        "ticket_links",
        sa.Column("ticket_id", sa.BigInteger, sa.ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("earlier_id", sa.BigInteger, sa.ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("reasons", postgresql.ARRAY(sa.String(16)), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_ticket_links_earlier_id", "ticket_links", ["earlier_id"])
    # Intake looks for a closed ticket of the same caller or the same place and category within 30 days.
    op.create_index("ix_tickets_closed_at", "tickets", ["closed_at"], postgresql_where=sa.text("closed_at IS NOT NULL"))


def downgrade() -> None:
    op.drop_index("ix_tickets_closed_at", table_name="tickets")
    op.drop_index("ix_ticket_links_earlier_id", table_name="ticket_links")
    op.drop_table("ticket_links")
    op.drop_column("joint_meetings", "decided_at")
    op.drop_column("joint_meetings", "convened_by")
    op.drop_table("accountabilities")
    op.drop_table("supervision_orders")
