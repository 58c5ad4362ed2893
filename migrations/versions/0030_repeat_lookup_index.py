"""Intake looks for the closed tickets a new one repeats (same category, closed within 30 days, same caller or
place: geo.intake's ``earlier``): an index on (category, closing time) of closed tickets, so that look-up reads one
category's month instead of a month of every category (ix_tickets_closed_at) or every closed ticket of the
category (ix_tickets_category_code) — at a million tickets, tens of thousands of rows for each ticket registered.

Revision ID: 0030
Revises: 0029
"""
from typing import Sequence, Union

from alembic import op

revision: str = "0030"
down_revision: Union[str, Sequence[str], None] = "0029"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.execute("CREATE INDEX ix_tickets_repeat_lookup ON tickets (category_code, closed_at) "
               "WHERE state = 'closed' AND merged_into_id IS NULL")


def downgrade() -> None:
    op.execute("DROP INDEX ix_tickets_repeat_lookup")
