"""Petitions (信访案件) and police stations (派出所), issue 13.

A petition names its petitioner, the issue, the level it was lodged at (区级 … 进京), whether it skipped a level
(越级上访), a lawyer where one takes part (涉法涉诉, 征地拆迁), the outcome once closed, and links to the work orders
and mediation cases it grew from (petition_tickets, petition_disputes; a deleted ticket or case drops its link).
Grid and street are codes without a foreign key, as for disputes (a petition outlives `etl reference --force`).

A police station's area is the union of the grid cells of the streets it polices (the cell codes are kept too);
police units and auxiliary police are crews (``crews.station_code``), so the dispatcher sends them like any crew.
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

revision: str = "0026"
down_revision: Union[str, Sequence[str], None] = "0025"     # one head on this branch; the lead re-chains
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

KINDS = "('涉法涉诉', '征地拆迁', '劳动社保', '城建管理', '环境保护', '民生救助', '其他')"
LEVELS = "('区级', '市级', '省级', '进京')"
OUTCOMES = "('已化解', '息访息诉', '依法终结', '转入法律程序')"


def upgrade() -> None:
    op.create_table(
        "police_stations",
        sa.Column("code", sa.String(32), primary_key=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("street_codes", sa.ARRAY(sa.String(32)), nullable=False),
        sa.Column("grid_codes", sa.ARRAY(sa.String(32)), nullable=False),
        sa.Column("phone", sa.String(32)),
        sa.Column("geom", Geometry("MULTIPOLYGON", srid=4326, spatial_index=False), nullable=False),
    )
    op.create_index("idx_police_stations_geom", "police_stations", ["geom"], postgresql_using="gist")
    op.add_column("crews", sa.Column("station_code", sa.String(32)))
    op.create_foreign_key("fk_crews_station_code", "crews", "police_stations", ["station_code"], ["code"],
                          ondelete="SET NULL")
    op.create_index("ix_crews_station_code", "crews", ["station_code"])
    op.execute("CREATE SEQUENCE petitions_number_seq")       # the running part of a petition's number
    op.create_table(
        "petitions",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column("number", sa.String(24), nullable=False),
        sa.Column("petitioner", sa.Text(), nullable=False),
        sa.Column("phone", sa.String(32)),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("issue", sa.Text(), nullable=False),
        sa.Column("level", sa.String(8), nullable=False),
        sa.Column("skipped_level", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("channel", sa.String(8)),
        sa.Column("grid_code", sa.String(32), nullable=False),
        sa.Column("street_code", sa.String(32), nullable=False),
        sa.Column("lawyer", sa.Text()),
        sa.Column("outcome", sa.String(8)),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True)),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.CheckConstraint(f"kind IN {KINDS}", name="kind"),
        sa.CheckConstraint(f"level IN {LEVELS}", name="level"),
        sa.CheckConstraint(f"outcome IS NULL OR outcome IN {OUTCOMES}", name="outcome"),
        sa.CheckConstraint("(outcome IS NULL) = (closed_at IS NULL)", name="closed_with_outcome"),
        sa.CheckConstraint("NOT skipped_level OR level <> '区级'", name="skipped_above_district"),
        sa.UniqueConstraint("number", name="uq_petitions_number"),
    )
    op.create_index("ix_petitions_street_outcome", "petitions", ["street_code", "outcome"])
    op.create_table(
        "petition_tickets",
        sa.Column("petition_id", sa.BigInteger(), nullable=False),
        sa.Column("ticket_id", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("petition_id", "ticket_id", name="pk_petition_tickets"),
        sa.ForeignKeyConstraint(["petition_id"], ["petitions.id"], name="fk_petition_tickets_petition",
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"], name="fk_petition_tickets_ticket", ondelete="CASCADE"),
    )
    op.create_index("ix_petition_tickets_ticket", "petition_tickets", ["ticket_id"])
    op.create_table(
        "petition_disputes",
        sa.Column("petition_id", sa.BigInteger(), nullable=False),
        sa.Column("dispute_id", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("petition_id", "dispute_id", name="pk_petition_disputes"),
        sa.ForeignKeyConstraint(["petition_id"], ["petitions.id"], name="fk_petition_disputes_petition",
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["dispute_id"], ["disputes.id"], name="fk_petition_disputes_dispute",
                                ondelete="CASCADE"),
    )


def downgrade() -> None:
    op.drop_table("petition_disputes")
    op.drop_table("petition_tickets")
    op.drop_table("petitions")
    op.execute("DROP SEQUENCE petitions_number_seq")
    op.drop_index("ix_crews_station_code", "crews")
    op.drop_constraint("fk_crews_station_code", "crews", type_="foreignkey")
    op.drop_column("crews", "station_code")
    op.drop_index("idx_police_stations_geom", "police_stations")
    op.drop_table("police_stations")
