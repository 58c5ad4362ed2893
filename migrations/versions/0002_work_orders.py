"""Work orders: categories, tickets and their events, outbox, idempotency keys, API keys, elder devices,
supervision, joint meetings, ticket counters and the address gazetteer.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 22:53:50.494436

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision: str = '0002'
down_revision: Union[str, Sequence[str], None] = '0001'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")   # fuzzy address search
    op.create_table('outbox',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('topic', sa.String(length=32), nullable=False),
    sa.Column('event_type', sa.String(length=32), nullable=False),
    sa.Column('payload', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox'))
    )
    op.create_index('ix_outbox_unpublished', 'outbox', ['id'], unique=False, postgresql_where=sa.text('published_at IS NULL'))
    op.create_table('ticket_counters',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('last', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('day', name=op.f('pk_ticket_counters'))
    )
    op.create_table('categories',
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('complexity', sa.String(length=8), nullable=False),
    sa.Column('priority', sa.SmallInteger(), nullable=False),
    sa.Column('lead_department_code', sa.String(length=32), nullable=False),
    sa.Column('rules', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.ForeignKeyConstraint(['lead_department_code'], ['departments.code'], name=op.f('fk_categories_lead_department_code')),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_categories'))
    )
    op.create_geospatial_table('elder_devices',
    sa.Column('device_id', sa.String(length=64), nullable=False),
    sa.Column('elder_name', sa.Text(), nullable=False),
    sa.Column('phone', sa.String(length=32), nullable=True),
    sa.Column('address', sa.Text(), nullable=True),
    sa.Column('grid_code', sa.String(length=32), nullable=False),
    sa.Column('geom', Geometry(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.ForeignKeyConstraint(['grid_code'], ['grids.code'], name=op.f('fk_elder_devices_grid_code')),
    sa.PrimaryKeyConstraint('device_id', name=op.f('pk_elder_devices'))
    )
    op.create_geospatial_index('idx_elder_devices_geom', 'elder_devices', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index(op.f('ix_elder_devices_grid_code'), 'elder_devices', ['grid_code'], unique=False)
    op.create_geospatial_table('places',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('search_text', sa.Text(), nullable=False),
    sa.Column('grid_code', sa.String(length=32), nullable=True),
    sa.Column('geom', Geometry(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.ForeignKeyConstraint(['grid_code'], ['grids.code'], name=op.f('fk_places_grid_code'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_places'))
    )
    op.create_geospatial_index('idx_places_geom', 'places', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index(op.f('ix_places_grid_code'), 'places', ['grid_code'], unique=False)
    op.create_index('ix_places_name_trgm', 'places', ['search_text'], unique=False, postgresql_using='gin', postgresql_ops={'search_text': 'gin_trgm_ops'})
    op.create_table('api_keys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('crew_code', sa.String(length=32), nullable=True),
    sa.Column('active', sa.Boolean(), server_default='true', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['crew_code'], ['crews.code'], name=op.f('fk_api_keys_crew_code')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_keys')),
    sa.UniqueConstraint('key_hash', name=op.f('uq_api_keys_key_hash')),
    sa.UniqueConstraint('name', name=op.f('uq_api_keys_name'))
    )
    op.create_geospatial_table('tickets',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('number', sa.String(length=20), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('category_code', sa.String(length=32), nullable=False),
    sa.Column('variant', sa.String(length=32), nullable=True),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('geom', Geometry(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('grid_code', sa.String(length=32), nullable=False),
    sa.Column('community_code', sa.String(length=32), nullable=False),
    sa.Column('street_code', sa.String(length=32), nullable=False),
    sa.Column('address', sa.Text(), nullable=True),
    sa.Column('citizen_name', sa.Text(), nullable=True),
    sa.Column('citizen_phone', sa.String(length=32), nullable=True),
    sa.Column('priority', sa.SmallInteger(), nullable=False),
    sa.Column('complexity', sa.String(length=8), nullable=False),
    sa.Column('lead_department_code', sa.String(length=32), nullable=False),
    sa.Column('co_department_codes', postgresql.ARRAY(sa.String(length=32)), server_default='{}', nullable=False),
    sa.Column('handled_by_community', sa.Boolean(), server_default='false', nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('escalation_level', sa.SmallInteger(), server_default='0', nullable=False),
    sa.Column('supervised', sa.Boolean(), server_default='false', nullable=False),
    sa.Column('returned_count', sa.Integer(), server_default='0', nullable=False),
    sa.Column('reopened_count', sa.Integer(), server_default='0', nullable=False),
    sa.Column('crew_code', sa.String(length=32), nullable=True),
    sa.Column('related_ticket_id', sa.BigInteger(), nullable=True),
    sa.Column('merged_into_id', sa.BigInteger(), nullable=True),
    sa.Column('flags', postgresql.ARRAY(sa.String(length=32)), server_default='{}', nullable=False),
    sa.Column('media_url', sa.Text(), nullable=True),
    sa.Column('attributes', postgresql.JSONB(astext_type=sa.Text()), server_default='{}', nullable=False),
    sa.Column('source_ref', sa.Text(), nullable=True),
    sa.Column('registered_by', sa.Text(), nullable=True),
    sa.Column('registered_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('dispatched_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('accepted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('on_site_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('evaluated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('arrival_due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolve_due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('evaluation_token', sa.String(length=64), nullable=True),
    sa.Column('satisfaction', sa.String(length=16), nullable=True),
    sa.Column('evaluation_comment', sa.Text(), nullable=True),
    sa.CheckConstraint("complexity IN ('simple', 'normal', 'complex')", name=op.f('ck_tickets_complexity')),
    sa.ForeignKeyConstraint(['category_code'], ['categories.code'], name=op.f('fk_tickets_category_code')),
    sa.ForeignKeyConstraint(['community_code'], ['communities.code'], name=op.f('fk_tickets_community_code')),
    sa.ForeignKeyConstraint(['crew_code'], ['crews.code'], name=op.f('fk_tickets_crew_code')),
    sa.ForeignKeyConstraint(['grid_code'], ['grids.code'], name=op.f('fk_tickets_grid_code')),
    sa.ForeignKeyConstraint(['lead_department_code'], ['departments.code'], name=op.f('fk_tickets_lead_department_code')),
    sa.ForeignKeyConstraint(['merged_into_id'], ['tickets.id'], name=op.f('fk_tickets_merged_into_id')),
    sa.ForeignKeyConstraint(['related_ticket_id'], ['tickets.id'], name=op.f('fk_tickets_related_ticket_id')),
    sa.ForeignKeyConstraint(['street_code'], ['streets.code'], name=op.f('fk_tickets_street_code')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tickets')),
    sa.UniqueConstraint('evaluation_token', name=op.f('uq_tickets_evaluation_token')),
    sa.UniqueConstraint('number', name=op.f('uq_tickets_number'))
    )
    op.create_geospatial_index('idx_tickets_geom', 'tickets', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index(op.f('ix_tickets_category_code'), 'tickets', ['category_code'], unique=False)
    op.create_index(op.f('ix_tickets_channel'), 'tickets', ['channel'], unique=False)
    op.create_index(op.f('ix_tickets_citizen_phone'), 'tickets', ['citizen_phone'], unique=False)
    op.create_index(op.f('ix_tickets_community_code'), 'tickets', ['community_code'], unique=False)
    op.create_index(op.f('ix_tickets_crew_code'), 'tickets', ['crew_code'], unique=False)
    op.create_index(op.f('ix_tickets_grid_code'), 'tickets', ['grid_code'], unique=False)
    op.create_index(op.f('ix_tickets_lead_department_code'), 'tickets', ['lead_department_code'], unique=False)
    op.create_index('ix_tickets_open_due', 'tickets', ['resolve_due_at'], unique=False, postgresql_where=sa.text("state NOT IN ('closed', 'merged', 'refused', 'resolved', 'evaluated')"))
    op.create_index(op.f('ix_tickets_registered_at'), 'tickets', ['registered_at'], unique=False)
    op.create_index(op.f('ix_tickets_state'), 'tickets', ['state'], unique=False)
    op.create_index(op.f('ix_tickets_street_code'), 'tickets', ['street_code'], unique=False)
    op.create_table('idempotency_keys',
    sa.Column('scope', sa.String(length=64), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('request_hash', sa.String(length=64), nullable=False),
    sa.Column('ticket_id', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_idempotency_keys_ticket_id'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('scope', 'key', name=op.f('pk_idempotency_keys'))
    )
    op.create_table('joint_meetings',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('ticket_id', sa.BigInteger(), nullable=False),
    sa.Column('meeting_date', sa.Date(), nullable=False),
    sa.Column('department_codes', postgresql.ARRAY(sa.String(length=32)), nullable=False),
    sa.Column('decision', sa.Text(), nullable=True),
    sa.Column('follow_up', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_joint_meetings_ticket_id'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_joint_meetings'))
    )
    op.create_index(op.f('ix_joint_meetings_ticket_id'), 'joint_meetings', ['ticket_id'], unique=False)
    op.create_table('supervisions',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('ticket_id', sa.BigInteger(), nullable=False),
    sa.Column('level', sa.SmallInteger(), nullable=False),
    sa.Column('unit', sa.Text(), nullable=False),
    sa.Column('person', sa.Text(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_supervisions_ticket_id'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supervisions'))
    )
    op.create_index(op.f('ix_supervisions_ticket_id'), 'supervisions', ['ticket_id'], unique=False)
    op.create_table('ticket_events',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('ticket_id', sa.BigInteger(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.Text(), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('from_state', sa.String(length=16), nullable=True),
    sa.Column('to_state', sa.String(length=16), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('data', postgresql.JSONB(astext_type=sa.Text()), server_default='{}', nullable=False),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_ticket_events_ticket_id'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ticket_events'))
    )
    op.create_index(op.f('ix_ticket_events_ticket_id'), 'ticket_events', ['ticket_id'], unique=False)
    op.create_table('supervision_actions',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('supervision_id', sa.BigInteger(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.Text(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['supervision_id'], ['supervisions.id'], name=op.f('fk_supervision_actions_supervision_id'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supervision_actions'))
    )
    op.create_index(op.f('ix_supervision_actions_supervision_id'), 'supervision_actions', ['supervision_id'], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index(op.f('ix_supervision_actions_supervision_id'), table_name='supervision_actions')
    op.drop_table('supervision_actions')
    op.drop_index(op.f('ix_ticket_events_ticket_id'), table_name='ticket_events')
    op.drop_table('ticket_events')
    op.drop_index(op.f('ix_supervisions_ticket_id'), table_name='supervisions')
    op.drop_table('supervisions')
    op.drop_index(op.f('ix_joint_meetings_ticket_id'), table_name='joint_meetings')
    op.drop_table('joint_meetings')
    op.drop_table('idempotency_keys')
    op.drop_index(op.f('ix_tickets_street_code'), table_name='tickets')
    op.drop_index(op.f('ix_tickets_state'), table_name='tickets')
    op.drop_index(op.f('ix_tickets_registered_at'), table_name='tickets')
    op.drop_index('ix_tickets_open_due', table_name='tickets', postgresql_where=sa.text("state NOT IN ('closed', 'merged', 'refused', 'resolved', 'evaluated')"))
    op.drop_index(op.f('ix_tickets_lead_department_code'), table_name='tickets')
    op.drop_index(op.f('ix_tickets_grid_code'), table_name='tickets')
    op.drop_index(op.f('ix_tickets_crew_code'), table_name='tickets')
    op.drop_index(op.f('ix_tickets_community_code'), table_name='tickets')
    op.drop_index(op.f('ix_tickets_citizen_phone'), table_name='tickets')
    op.drop_index(op.f('ix_tickets_channel'), table_name='tickets')
    op.drop_index(op.f('ix_tickets_category_code'), table_name='tickets')
    op.drop_geospatial_index('idx_tickets_geom', table_name='tickets', postgresql_using='gist', column_name='geom')
    op.drop_geospatial_table('tickets')
    op.drop_table('api_keys')
    op.drop_index('ix_places_name_trgm', table_name='places', postgresql_using='gin', postgresql_ops={'search_text': 'gin_trgm_ops'})
    op.drop_index(op.f('ix_places_grid_code'), table_name='places')
    op.drop_geospatial_index('idx_places_geom', table_name='places', postgresql_using='gist', column_name='geom')
    op.drop_geospatial_table('places')
    op.drop_index(op.f('ix_elder_devices_grid_code'), table_name='elder_devices')
    op.drop_geospatial_index('idx_elder_devices_geom', table_name='elder_devices', postgresql_using='gist', column_name='geom')
    op.drop_geospatial_table('elder_devices')
    op.drop_table('categories')
    op.drop_table('ticket_counters')
    op.drop_index('ix_outbox_unpublished', table_name='outbox', postgresql_where=sa.text('published_at IS NULL'))
    op.drop_table('outbox')
