"""BRIN indexes on the time columns of the two append-only tables that retention prunes (crew_tracks.at,
outbox.created_at): a few pages each, and they let the periodic delete find old rows without a full scan.

Revision ID: 0006
Revises: 0005
"""
from typing import Sequence, Union

from alembic import op

revision: str = "0006"
down_revision: Union[str, Sequence[str], None] = "0005"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_index("ix_crew_tracks_at_brin", "crew_tracks", ["at"], postgresql_using="brin")
    op.create_index("ix_outbox_created_brin", "outbox", ["created_at"], postgresql_using="brin")


def downgrade() -> None:
    op.drop_index("ix_outbox_created_brin", table_name="outbox")
    op.drop_index("ix_crew_tracks_at_brin", table_name="crew_tracks")
