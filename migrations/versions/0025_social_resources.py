"""Social forces (社会力量, issue 13): organisations, volunteer teams and public-welfare posts with the grid cells each
covers; the one-key-phone registry's emergency contact.

A resource points at its street and community by code and its covered cells by code (no foreign key: `etl
reference --force` replaces the reference rows, and a resource outlives that). ``code`` is the number people quote
(ZZ… an organisation, ZY… a volunteer team, GY… a post), its running part from one sequence. The elders of the
one-key phones stay in ``elder_devices`` (one registry, the one an alarm is raised from); they gain the contact a
grid worker calls when the elder does not answer.
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0025"
down_revision: Union[str, Sequence[str], None] = "0024"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

KINDS = "('社会组织', '志愿服务队', '治安巡逻岗', '4050社区保安', '环卫岗', '交通协管岗', '保洁绿化保安岗')"


def upgrade() -> None:
    op.execute("CREATE SEQUENCE social_resources_code_seq")
    op.create_table(
        "social_resources",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("street_code", sa.String(32), nullable=False),
        sa.Column("community_code", sa.String(32)),
        sa.Column("members", sa.Integer(), nullable=False, server_default="1"),
        sa.Column("leader", sa.Text()),
        sa.Column("phone", sa.String(32)),
        sa.Column("note", sa.Text()),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(f"kind IN {KINDS}", name="kind"),
        sa.CheckConstraint("members BETWEEN 1 AND 10000", name="members"),
        sa.UniqueConstraint("code", name="uq_social_resources_code"),
    )
    op.create_index("ix_social_resources_street_kind", "social_resources", ["street_code", "kind"])
    op.create_table(
        "social_resource_grids",
        sa.Column("resource_id", sa.BigInteger(), nullable=False),
        sa.Column("grid_code", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("resource_id", "grid_code", name="pk_social_resource_grids"),
        sa.ForeignKeyConstraint(["resource_id"], ["social_resources.id"], name="fk_social_resource_grids_resource",
                                ondelete="CASCADE"),
    )
    op.create_index("ix_social_resource_grids_grid", "social_resource_grids", ["grid_code"])
    op.add_column("elder_devices", sa.Column("contact_name", sa.Text()))
    op.add_column("elder_devices", sa.Column("contact_phone", sa.String(32)))


def downgrade() -> None:
    op.drop_column("elder_devices", "contact_phone")
    op.drop_column("elder_devices", "contact_name")
    op.drop_table("social_resource_grids")
    op.drop_table("social_resources")
    op.execute("DROP SEQUENCE social_resources_code_seq")
