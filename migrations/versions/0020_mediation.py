"""Dispute mediation (矛盾纠纷排查调处, issue 13): mediation organisations, their mediators, and dispute cases.

A case points at the grid and street it happened in by code (no foreign key: `etl reference --force` replaces the
reference rows, and a case outlives that), at its organisation and mediator, and optionally at the work order it was
turned from (a ``neighbour_dispute`` ticket; set null if that ticket is ever deleted). ``outcome`` is empty while
the case is open; closing it sets one of the four outcomes and ``closed_at``.
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: Union[str, Sequence[str], None] = "0019"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

OUTCOMES = "('调解成功', '未成功', '转诉讼', '转仲裁')"


def upgrade() -> None:
    op.create_table(
        "mediation_orgs",
        sa.Column("code", sa.String(32), primary_key=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("level", sa.String(8), nullable=False),
        sa.Column("sector", sa.Text()),
        sa.Column("street_code", sa.String(32)),
        sa.Column("community_code", sa.String(32)),
        sa.CheckConstraint("level IN ('street', 'sector')", name="level"),
    )
    op.create_table(
        "mediators",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("org_code", sa.String(32), nullable=False),
        sa.Column("phone", sa.String(32)),
        sa.ForeignKeyConstraint(["org_code"], ["mediation_orgs.code"], name="fk_mediators_org", ondelete="CASCADE"),
    )
    op.create_index("ix_mediators_org_code", "mediators", ["org_code"])
    op.execute("CREATE SEQUENCE disputes_number_seq")       # the running part of a case's number
    op.create_table(
        "disputes",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column("number", sa.String(24), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("parties", sa.Text(), nullable=False),
        sa.Column("grid_code", sa.String(32), nullable=False),
        sa.Column("street_code", sa.String(32), nullable=False),
        sa.Column("community_code", sa.String(32), nullable=False),
        sa.Column("org_code", sa.String(32), nullable=False),
        sa.Column("mediator_id", sa.BigInteger()),
        sa.Column("sessions", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("outcome", sa.String(8)),
        sa.Column("agreement", sa.Text()),
        sa.Column("ticket_id", sa.BigInteger()),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True)),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.CheckConstraint(f"outcome IS NULL OR outcome IN {OUTCOMES}", name="outcome"),
        sa.CheckConstraint("(outcome IS NULL) = (closed_at IS NULL)", name="closed_with_outcome"),
        sa.ForeignKeyConstraint(["org_code"], ["mediation_orgs.code"], name="fk_disputes_org"),
        sa.ForeignKeyConstraint(["mediator_id"], ["mediators.id"], name="fk_disputes_mediator", ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"], name="fk_disputes_ticket", ondelete="SET NULL"),
        sa.UniqueConstraint("number", name="uq_disputes_number"),
    )
    op.create_index("ix_disputes_street_outcome", "disputes", ["street_code", "outcome"])
    op.create_index("ix_disputes_open", "disputes", ["opened_at"], postgresql_where=sa.text("outcome IS NULL"))
    op.create_index("ix_disputes_ticket", "disputes", ["ticket_id"], unique=True,
                    postgresql_where=sa.text("ticket_id IS NOT NULL"))


def downgrade() -> None:
    op.drop_table("disputes")
    op.execute("DROP SEQUENCE disputes_number_seq")
    op.drop_table("mediators")
    op.drop_table("mediation_orgs")
