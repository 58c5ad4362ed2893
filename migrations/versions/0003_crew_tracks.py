"""Crew tracks: every reported crew position.

Revision ID: 0003
Revises: 0002
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

revision: str = "0003"
down_revision: Union[str, Sequence[str], None] = "0002"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_geospatial_table(
        "crew_tracks",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("crew_code", sa.String(length=32), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("speed_kmh", sa.Float(), nullable=True),
        sa.Column("geom", Geometry(geometry_type="POINT", srid=4326, dimension=2, spatial_index=False,
                                   from_text="ST_GeomFromEWKT", name="geometry", nullable=False), nullable=False),
        sa.ForeignKeyConstraint(["crew_code"], ["crews.code"], name=op.f("fk_crew_tracks_crew_code"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crew_tracks")),
    )
    op.create_geospatial_index("idx_crew_tracks_geom", "crew_tracks", ["geom"], unique=False,
                               postgresql_using="gist", postgresql_ops={})
    op.create_index("ix_crew_tracks_crew_at", "crew_tracks", ["crew_code", "at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_crew_tracks_crew_at", table_name="crew_tracks")
    op.drop_geospatial_index("idx_crew_tracks_geom", table_name="crew_tracks", postgresql_using="gist",
                             column_name="geom")
    op.drop_geospatial_table("crew_tracks")
