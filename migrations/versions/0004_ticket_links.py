"""Indexes on the links between tickets: merged into another, and 越级 (related to an earlier one).

Closing a ticket looks up the duplicates merged into it, and deleting a ticket checks who refers to it: without
these indexes both read the whole tickets table, once per ticket.

Revision ID: 0004
Revises: 0003
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: Union[str, Sequence[str], None] = "0003"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_index("ix_tickets_merged_into_id", "tickets", ["merged_into_id"],
                    postgresql_where=sa.text("merged_into_id IS NOT NULL"))
    op.create_index("ix_tickets_related_ticket_id", "tickets", ["related_ticket_id"],
                    postgresql_where=sa.text("related_ticket_id IS NOT NULL"))


def downgrade() -> None:
    op.drop_index("ix_tickets_related_ticket_id", table_name="tickets")
    op.drop_index("ix_tickets_merged_into_id", table_name="tickets")
