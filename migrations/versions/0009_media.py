"""Photos of tickets: one row per stored photo, pointing at the history entry that brought it.

The image itself is a file under MEDIA_DIR (services/media.py); the row is what says it exists, who may see it and
where it came from. ``public_id`` (random, 32 hex) names the file and the URL, so photo addresses cannot be
counted through. ``public``: shown on public pages (a reply's photos the unit chose to show); Open311 uploads are
judged by OPEN311_PHOTOS_PUBLIC when served, not here, so the setting can change later.

Revision ID: 0009
Revises: 0008
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: Union[str, Sequence[str], None] = "0008"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "ticket_photos",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column("public_id", sa.String(32), nullable=False),
        sa.Column("ticket_id", sa.BigInteger(), nullable=False),
        sa.Column("event_id", sa.BigInteger()),
        sa.Column("content_type", sa.String(16), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("original_name", sa.Text()),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("uploaded_by", sa.Text(), nullable=False),
        sa.Column("public", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("content_type IN ('image/jpeg', 'image/png')", name="ck_ticket_photos_content_type"),
        sa.CheckConstraint("public_id ~ '^[0-9a-f]{32}$'", name="ck_ticket_photos_public_id"),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"], name="fk_ticket_photos_ticket_id",
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["event_id"], ["ticket_events.id"], name="fk_ticket_photos_event_id",
                                ondelete="SET NULL"),
        sa.UniqueConstraint("public_id", name="uq_ticket_photos_public_id"),
    )
    op.create_index("ix_ticket_photos_ticket_id", "ticket_photos", ["ticket_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_ticket_photos_ticket_id", table_name="ticket_photos")
    op.drop_table("ticket_photos")
