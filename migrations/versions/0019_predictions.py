"""Predictions (issue 14): trained breach-risk models and the latest risk of every open ticket.

``prediction_models`` keeps every trained model (kind ``arrival`` or ``resolve`` for breach risk, ``hotspot``
for tomorrow's tickets per grid cell; a version, when, what it was
judged on, whether the screens use it or the baseline) with the fitted object itself (pickled by the service that
wrote it; only the product writes this table). ``ticket_risk`` holds one row per open ticket, replaced by each
scoring sweep: the chance to miss the arrival deadline (none when the ticket has none or a crew is there) and the
resolution deadline, and which model version said so.
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0019"
down_revision: Union[str, Sequence[str], None] = "0010"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "prediction_models",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("version", sa.String(64), nullable=False),
        sa.Column("trained_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("use", sa.String(16), nullable=False),
        sa.Column("metrics", postgresql.JSONB(), nullable=False, server_default=sa.text("'{}'::jsonb")),
        sa.Column("model", sa.LargeBinary(), nullable=False),
        sa.CheckConstraint("kind IN ('arrival', 'resolve', 'hotspot')", name="kind"),
        sa.CheckConstraint("use IN ('model', 'baseline')", name="use"),
        sa.UniqueConstraint("version", name="uq_prediction_models_version"),
    )
    op.create_index("ix_prediction_models_kind", "prediction_models", ["kind", "id"])
    op.create_table(
        "ticket_risk",
        sa.Column("ticket_id", sa.BigInteger(), primary_key=True),
        sa.Column("arrival_p", sa.Float()),
        sa.Column("resolve_p", sa.Float()),
        sa.Column("arrival_version", sa.String(64)),
        sa.Column("resolve_version", sa.String(64)),
        sa.Column("scored_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"], name="fk_ticket_risk_ticket_id", ondelete="CASCADE"),
    )


def downgrade() -> None:
    op.drop_table("ticket_risk")
    op.drop_index("ix_prediction_models_kind", table_name="prediction_models")
    op.drop_table("prediction_models")
