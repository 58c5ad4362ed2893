"""Stability risk assessment of major decisions (重大决策社会稳定风险评估, issue 13): assessed projects and their
risk factors.

A project covers an area (a PostGIS multipolygon, the union of the grid cells it was drawn from, whose codes are kept
too: `etl reference --force` replaces the grids, a project outlives that). ``methods`` are the ways opinion was
gathered (a subset of five); ``level`` the resulting risk level; ``decision`` what was decided on it; ``outcome``
stays empty until the decision has been carried out. Each risk factor has its analysis and its measures.
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

revision: str = "0021"
down_revision: Union[str, Sequence[str], None] = "0013"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

METHODS = "ARRAY['听证会', '问卷调查', '公示', '专家论证', '民意评议']::text[]"


def upgrade() -> None:
    op.execute("CREATE SEQUENCE risk_projects_number_seq")
    op.create_table(
        "risk_projects",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column("number", sa.String(24), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("street_code", sa.String(32), nullable=False),
        sa.Column("grid_codes", postgresql.ARRAY(sa.String(32)), nullable=False),
        sa.Column("geom", Geometry(geometry_type="MULTIPOLYGON", srid=4326, spatial_index=False), nullable=False),
        sa.Column("methods", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("level", sa.String(2), nullable=False),
        sa.Column("decision", sa.String(8), nullable=False),
        sa.Column("outcome", sa.Text()),
        sa.Column("assessed_on", sa.Date(), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.CheckConstraint("level IN ('高', '中', '低')", name="level"),
        sa.CheckConstraint("decision IN ('准予实施', '调整后实施', '暂缓实施', '不予实施')", name="decision"),
        sa.CheckConstraint(f"cardinality(methods) > 0 AND methods <@ {METHODS}", name="methods"),
        sa.CheckConstraint("cardinality(grid_codes) > 0", name="grid_codes"),
        sa.UniqueConstraint("number", name="uq_risk_projects_number"),
    )
    op.create_index("ix_risk_projects_geom", "risk_projects", ["geom"], postgresql_using="gist")
    op.create_index("ix_risk_projects_street", "risk_projects", ["street_code", "assessed_on"])
    op.create_table(
        "risk_factors",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column("project_id", sa.BigInteger(), nullable=False),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.Column("factor", sa.Text(), nullable=False),
        sa.Column("analysis", sa.Text()),
        sa.Column("measures", sa.Text()),
        sa.ForeignKeyConstraint(["project_id"], ["risk_projects.id"], name="fk_risk_factors_project",
                                ondelete="CASCADE"),
        sa.UniqueConstraint("project_id", "position", name="uq_risk_factors_position"),
    )


def downgrade() -> None:
    op.drop_table("risk_factors")
    op.drop_table("risk_projects")
    op.execute("DROP SEQUENCE risk_projects_number_seq")
