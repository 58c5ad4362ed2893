"""Dispute screening rounds (矛盾纠纷排查, issue 13): each community's regular round of going door to door, with the
disputes it found and resolved ahead (before they became a mediation case) and the stability hazards it found and
removed. The district's reported figures (2,546 disputes resolved ahead, 196 hazards removed) are the sums of these
rows, never constants.

Community and street are codes without a foreign key, as for disputes (a round outlives `etl reference --force`).
One round per community and day: a second report of the same round is a mistake, not a new round.
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0028"
down_revision: Union[str, Sequence[str], None] = "0026"     # one head on this branch; the lead re-chains
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "mediation_screenings",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column("street_code", sa.String(32), nullable=False),
        sa.Column("community_code", sa.String(32), nullable=False),
        sa.Column("screened_on", sa.Date(), nullable=False),
        sa.Column("disputes_found", sa.Integer(), nullable=False),
        sa.Column("disputes_resolved", sa.Integer(), nullable=False),
        sa.Column("hazards_found", sa.Integer(), nullable=False),
        sa.Column("hazards_removed", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text()),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.text("now()")),
        sa.CheckConstraint("disputes_resolved BETWEEN 0 AND disputes_found", name="disputes_resolved"),
        sa.CheckConstraint("hazards_removed BETWEEN 0 AND hazards_found", name="hazards_removed"),
        sa.UniqueConstraint("community_code", "screened_on", name="uq_mediation_screenings_round"),
    )
    op.create_index("ix_mediation_screenings_street", "mediation_screenings", ["street_code", "screened_on"])


def downgrade() -> None:
    op.drop_table("mediation_screenings")
