"""Reference tables of the district: districts, streets, communities, grids, departments, cameras, crews.

Revision ID: 0001
Revises: 
Create Date: 2026-11-26 22:42:45.366886

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
from geoalchemy2 import Geometry

# revision identifiers, used by Alembic.
revision: str = '0001'
down_revision: Union[str, Sequence[str], None] = None
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    # PostGIS itself: installed by `make run` (Debian postgresql-15-postgis-3) or present in the postgis image.
    op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    op.create_table('departments',
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('resident_in_center', sa.Boolean(), nullable=False),
    sa.Column('phone', sa.String(length=32), nullable=True),
    sa.CheckConstraint("kind IN ('district_office', 'utility', 'police', 'court', 'mass_org', 'street_office', 'other')", name=op.f('ck_departments_kind')),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_departments'))
    )
    op.create_geospatial_table('districts',
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('geom', Geometry(geometry_type='MULTIPOLYGON', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_districts'))
    )
    op.create_geospatial_index('idx_districts_geom', 'districts', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_geospatial_table('streets',
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('district_code', sa.String(length=32), nullable=False),
    sa.Column('geom', Geometry(geometry_type='MULTIPOLYGON', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.ForeignKeyConstraint(['district_code'], ['districts.code'], name=op.f('fk_streets_district_code'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_streets'))
    )
    op.create_geospatial_index('idx_streets_geom', 'streets', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index(op.f('ix_streets_district_code'), 'streets', ['district_code'], unique=False)
    op.create_geospatial_table('communities',
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('street_code', sa.String(length=32), nullable=False),
    sa.Column('geom', Geometry(geometry_type='MULTIPOLYGON', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.CheckConstraint("kind IN ('社区', '村')", name=op.f('ck_communities_kind')),
    sa.ForeignKeyConstraint(['street_code'], ['streets.code'], name=op.f('fk_communities_street_code'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_communities'))
    )
    op.create_geospatial_index('idx_communities_geom', 'communities', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index(op.f('ix_communities_street_code'), 'communities', ['street_code'], unique=False)
    op.create_geospatial_table('grids',
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('community_code', sa.String(length=32), nullable=False),
    sa.Column('worker_name', sa.Text(), nullable=True),
    sa.Column('worker_phone', sa.String(length=32), nullable=True),
    sa.Column('cadre_name', sa.Text(), nullable=True),
    sa.Column('cadre_phone', sa.String(length=32), nullable=True),
    sa.Column('geom', Geometry(geometry_type='MULTIPOLYGON', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.ForeignKeyConstraint(['community_code'], ['communities.code'], name=op.f('fk_grids_community_code'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_grids'))
    )
    op.create_geospatial_index('idx_grids_geom', 'grids', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index(op.f('ix_grids_community_code'), 'grids', ['community_code'], unique=False)
    op.create_geospatial_table('cameras',
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.Text(), nullable=True),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('grid_code', sa.String(length=32), nullable=False),
    sa.Column('geom', Geometry(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.ForeignKeyConstraint(['grid_code'], ['grids.code'], name=op.f('fk_cameras_grid_code'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_cameras'))
    )
    op.create_geospatial_index('idx_cameras_geom', 'cameras', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index(op.f('ix_cameras_grid_code'), 'cameras', ['grid_code'], unique=False)
    op.create_geospatial_table('crews',
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('department_code', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('grid_code', sa.String(length=32), nullable=True),
    sa.Column('members', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('home_geom', Geometry(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('geom', Geometry(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.CheckConstraint("status IN ('available', 'en_route', 'on_scene', 'off_duty')", name=op.f('ck_crews_status')),
    sa.ForeignKeyConstraint(['department_code'], ['departments.code'], name=op.f('fk_crews_department_code'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['grid_code'], ['grids.code'], name=op.f('fk_crews_grid_code'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_crews'))
    )
    op.create_geospatial_index('idx_crews_geom', 'crews', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index(op.f('ix_crews_department_code'), 'crews', ['department_code'], unique=False)
    op.create_index(op.f('ix_crews_grid_code'), 'crews', ['grid_code'], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index(op.f('ix_crews_grid_code'), table_name='crews')
    op.drop_index(op.f('ix_crews_department_code'), table_name='crews')
    op.drop_geospatial_index('idx_crews_geom', table_name='crews', postgresql_using='gist', column_name='geom')
    op.drop_geospatial_table('crews')
    op.drop_index(op.f('ix_cameras_grid_code'), table_name='cameras')
    op.drop_geospatial_index('idx_cameras_geom', table_name='cameras', postgresql_using='gist', column_name='geom')
    op.drop_geospatial_table('cameras')
    op.drop_index(op.f('ix_grids_community_code'), table_name='grids')
    op.drop_geospatial_index('idx_grids_geom', table_name='grids', postgresql_using='gist', column_name='geom')
    op.drop_geospatial_table('grids')
    op.drop_index(op.f('ix_communities_street_code'), table_name='communities')
    op.drop_geospatial_index('idx_communities_geom', table_name='communities', postgresql_using='gist', column_name='geom')
    op.drop_geospatial_table('communities')
    op.drop_index(op.f('ix_streets_district_code'), table_name='streets')
    op.drop_geospatial_index('idx_streets_geom', table_name='streets', postgresql_using='gist', column_name='geom')
    op.drop_geospatial_table('streets')
    op.drop_geospatial_index('idx_districts_geom', table_name='districts', postgresql_using='gist', column_name='geom')
    op.drop_geospatial_table('districts')
    op.drop_table('departments')
