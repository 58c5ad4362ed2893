"""The wall's ticker reads the newest escalations and joint meetings of the day: a partial index on their time, so
it stays an index scan at millions of ticket events.

Revision ID: 0027
Revises: 0022
"""
from typing import Sequence, Union

from alembic import op

revision: str = "0027"
down_revision: Union[str, Sequence[str], None] = "0022"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.execute("CREATE INDEX ix_ticket_events_notable ON ticket_events (at) "
               "WHERE action IN ('escalate', 'joint_meeting')")


def downgrade() -> None:
    op.execute("DROP INDEX ix_ticket_events_notable")
