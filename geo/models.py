"""Reference tables of the district. Every table: text code as key, geometry column ``geom`` in
SRID 4326 with a GiST index, so QGIS opens each one as a layer."""
from __future__ import annotations

from geoalchemy2 import Geometry
from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, MetaData, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

SRID = 4326

# Stable constraint names so Alembic migrations can refer to them.
metadata = MetaData(naming_convention={
    "pk": "pk_%(table_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ix": "ix_%(table_name)s_%(column_0_name)s",
})


class Base(DeclarativeBase):
    metadata = metadata


def area(kind: str = "MULTIPOLYGON"):
    # spatial_index=True makes GeoAlchemy2 create the GiST index named idx_<table>_geom.
    return Geometry(kind, srid=SRID, spatial_index=True)


class District(Base):
    __tablename__ = "districts"
    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    geom = mapped_column(area(), nullable=False)


class Street(Base):
    __tablename__ = "streets"
    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    district_code: Mapped[str] = mapped_column(ForeignKey("districts.code", ondelete="RESTRICT"), index=True)
    geom = mapped_column(area(), nullable=False)


class Community(Base):
    __tablename__ = "communities"
    __table_args__ = (CheckConstraint("kind IN ('社区', '村')", name="kind"),)
    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(8), default="社区")
    street_code: Mapped[str] = mapped_column(ForeignKey("streets.code", ondelete="RESTRICT"), index=True)
    geom = mapped_column(area(), nullable=False)


class Grid(Base):
    __tablename__ = "grids"
    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    community_code: Mapped[str] = mapped_column(ForeignKey("communities.code", ondelete="RESTRICT"), index=True)
    worker_name: Mapped[str | None] = mapped_column(Text)   # 网格员
    worker_phone: Mapped[str | None] = mapped_column(String(32))
    cadre_name: Mapped[str | None] = mapped_column(Text)    # 综治干部
    cadre_phone: Mapped[str | None] = mapped_column(String(32))
    geom = mapped_column(area(), nullable=False)


class Department(Base):
    __tablename__ = "departments"
    __table_args__ = (CheckConstraint(
        "kind IN ('district_office', 'utility', 'police', 'court', 'mass_org', 'street_office', 'other')",
        name="kind"),)
    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(32))
    resident_in_center: Mapped[bool] = mapped_column(Boolean, default=False)  # 入驻中心
    phone: Mapped[str | None] = mapped_column(String(32))


class Camera(Base):
    __tablename__ = "cameras"
    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str | None] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(32), default="枪机")
    grid_code: Mapped[str] = mapped_column(ForeignKey("grids.code", ondelete="RESTRICT"), index=True)
    geom = mapped_column(area("POINT"), nullable=False)


CREW_STATUSES = ("available", "en_route", "on_scene", "off_duty")


class Crew(Base):
    __tablename__ = "crews"
    __table_args__ = (CheckConstraint(
        "status IN ('available', 'en_route', 'on_scene', 'off_duty')", name="status"),)
    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    department_code: Mapped[str] = mapped_column(ForeignKey("departments.code", ondelete="RESTRICT"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    # Grid workers are crews of their own grid; other crews roam the district.
    grid_code: Mapped[str | None] = mapped_column(ForeignKey("grids.code", ondelete="SET NULL"), index=True)
    members: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(16), default="available")
    home_geom = mapped_column(Geometry("POINT", srid=SRID, spatial_index=False), nullable=False)
    geom = mapped_column(area("POINT"), nullable=False)  # current position
    # A police unit's or an auxiliary policeman's station (police_stations, migration 0026; the foreign key is the
    # migration's, the stations are no reference table).
    station_code: Mapped[str | None] = mapped_column(String(32))


LAYER_MODELS = {
    "district": District, "streets": Street, "communities": Community,
    "grids": Grid, "cameras": Camera, "crews": Crew,
}


# ------------------------------------------------------------------------------------------- work orders (工单)
from sqlalchemy import (BigInteger, Date, DateTime, Float, Identity, Index, SmallInteger,  # noqa: E402
                        UniqueConstraint, text)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB  # noqa: E402


class Category(Base):
    """The category catalogue as loaded from config/categories.yaml (the YAML stays the source)."""
    __tablename__ = "categories"
    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    complexity: Mapped[str] = mapped_column(String(8))
    priority: Mapped[int] = mapped_column(SmallInteger)
    lead_department_code: Mapped[str] = mapped_column(ForeignKey("departments.code"))
    rules = mapped_column(JSONB, nullable=False)
    version: Mapped[int] = mapped_column(Integer, server_default="1")      # migration 0023: the current version


class CategoryVersion(Base):
    """Every version of a category (migration 0023): its rules, in force from ``valid_from``, who changed what."""
    __tablename__ = "category_versions"
    __table_args__ = (UniqueConstraint("category_code", "version", name="uq_category_versions_code_version"),
                      Index("ix_category_versions_in_force", "category_code", "valid_from"),
                      CheckConstraint("source IN ('initial', 'file', 'editor')", name="category_version_source"))
    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    category_code: Mapped[str] = mapped_column(ForeignKey("categories.code", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(Text)
    complexity: Mapped[str] = mapped_column(String(8))
    priority: Mapped[int] = mapped_column(SmallInteger)
    lead_department_code: Mapped[str] = mapped_column(ForeignKey("departments.code"))
    rules = mapped_column(JSONB, nullable=False)
    valid_from = mapped_column(DateTime(timezone=True), nullable=False)
    changed_at = mapped_column(DateTime(timezone=True), nullable=False)
    changed_by: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(16))       # initial | file (etl categories) | editor (/admin)
    changes = mapped_column(JSONB, nullable=False, server_default="[]")


class Ticket(Base):
    __tablename__ = "tickets"
    __table_args__ = (
        CheckConstraint("complexity IN ('simple', 'normal', 'complex')", name="complexity"),
        Index("ix_tickets_open_due", "resolve_due_at", postgresql_where=text(
            "state NOT IN ('closed', 'merged', 'refused', 'resolved', 'evaluated')")),
        # migration 0004: closing looks up merged duplicates; deleting checks references
        Index("ix_tickets_merged_into_id", "merged_into_id", postgresql_where=text("merged_into_id IS NOT NULL")),
        Index("ix_tickets_related_ticket_id", "related_ticket_id",
              postgresql_where=text("related_ticket_id IS NOT NULL")),
        # migration 0005: the analytics refresh finds the tickets whose deadlines passed since it last ran
        Index("ix_tickets_unresolved_due", "resolve_due_at", postgresql_where=text("resolved_at IS NULL")),
        Index("ix_tickets_arrival_pending", "arrival_due_at",
              postgresql_where=text("on_site_at IS NULL AND arrival_due_at IS NOT NULL")),
        # migration 0012: intake looks for closed tickets the new one repeats
        Index("ix_tickets_closed_at", "closed_at", postgresql_where=text("closed_at IS NOT NULL")),
        # migration 0030: … by category and closing time (geo.intake's ``earlier``)
        Index("ix_tickets_repeat_lookup", "category_code", "closed_at",
              postgresql_where=text("state = 'closed' AND merged_into_id IS NULL")),
    )
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)          # 20261126-000123
    channel: Mapped[str] = mapped_column(String(16), index=True)
    category_code: Mapped[str] = mapped_column(ForeignKey("categories.code"), index=True)
    category_version: Mapped[int | None] = mapped_column(Integer)   # migration 0023; NULL: registered before it
    variant: Mapped[str | None] = mapped_column(String(32))
    description: Mapped[str] = mapped_column(Text)
    geom = mapped_column(area("POINT"), nullable=False)
    grid_code: Mapped[str] = mapped_column(ForeignKey("grids.code"), index=True)
    community_code: Mapped[str] = mapped_column(ForeignKey("communities.code"), index=True)
    street_code: Mapped[str] = mapped_column(ForeignKey("streets.code"), index=True)
    address: Mapped[str | None] = mapped_column(Text)
    citizen_name: Mapped[str | None] = mapped_column(Text)    # personal data: masked on every public screen
    citizen_phone: Mapped[str | None] = mapped_column(String(32), index=True)
    priority: Mapped[int] = mapped_column(SmallInteger)       # 1 most urgent … 4
    complexity: Mapped[str] = mapped_column(String(8))
    lead_department_code: Mapped[str] = mapped_column(ForeignKey("departments.code"), index=True)
    co_department_codes: Mapped[list[str]] = mapped_column(ARRAY(String(32)), server_default="{}")
    handled_by_community: Mapped[bool] = mapped_column(Boolean, server_default="false")
    state: Mapped[str] = mapped_column(String(16), index=True)
    escalation_level: Mapped[int] = mapped_column(SmallInteger, server_default="0")
    supervised: Mapped[bool] = mapped_column(Boolean, server_default="false")
    returned_count: Mapped[int] = mapped_column(Integer, server_default="0")
    reopened_count: Mapped[int] = mapped_column(Integer, server_default="0")
    crew_code: Mapped[str | None] = mapped_column(ForeignKey("crews.code"), index=True)
    related_ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))   # 越级: the original
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    flags: Mapped[list[str]] = mapped_column(ARRAY(String(32)), server_default="{}")
    media_url: Mapped[str | None] = mapped_column(Text)
    attributes = mapped_column(JSONB, server_default="{}", nullable=False)
    source_ref: Mapped[str | None] = mapped_column(Text)     # device id, 110 incident number, Open311 account …
    registered_by: Mapped[str | None] = mapped_column(Text)
    registered_at = mapped_column(DateTime(timezone=True), nullable=False, index=True)
    dispatched_at = mapped_column(DateTime(timezone=True))
    accepted_at = mapped_column(DateTime(timezone=True))
    on_site_at = mapped_column(DateTime(timezone=True))
    resolved_at = mapped_column(DateTime(timezone=True))
    evaluated_at = mapped_column(DateTime(timezone=True))
    closed_at = mapped_column(DateTime(timezone=True))
    updated_at = mapped_column(DateTime(timezone=True), nullable=False)
    arrival_due_at = mapped_column(DateTime(timezone=True))
    resolve_due_at = mapped_column(DateTime(timezone=True), nullable=False)
    evaluation_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    satisfaction: Mapped[str | None] = mapped_column(String(16))   # satisfied / basically / unsatisfied
    evaluation_comment: Mapped[str | None] = mapped_column(Text)


class TicketEvent(Base):
    """Every change of a ticket: who, when, what, why. The ticket's full history."""
    __tablename__ = "ticket_events"
    # migration 0005: the department ranking counts returns
    # migration 0027: the wall's ticker of escalations and joint meetings
    __table_args__ = (Index("ix_ticket_events_returns", "ticket_id", postgresql_where=text("action = 'return'")),
                      Index("ix_ticket_events_notable", "at",
                            postgresql_where=text("action IN ('escalate', 'joint_meeting')")))
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    at = mapped_column(DateTime(timezone=True), nullable=False)
    actor: Mapped[str] = mapped_column(Text)
    action: Mapped[str] = mapped_column(String(32))
    from_state: Mapped[str | None] = mapped_column(String(16))
    to_state: Mapped[str | None] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text)
    data = mapped_column(JSONB, server_default="{}", nullable=False)


class Outbox(Base):
    """Events written in the same transaction as the change; a relay publishes them to Redis."""
    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_unpublished", "id", postgresql_where=text("published_at IS NULL")),
                      Index("ix_outbox_created_brin", "created_at", postgresql_using="brin"))
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    topic: Mapped[str] = mapped_column(String(32))
    event_type: Mapped[str] = mapped_column(String(32))
    payload = mapped_column(JSONB, nullable=False)
    created_at = mapped_column(DateTime(timezone=True), nullable=False)
    published_at = mapped_column(DateTime(timezone=True))


class IdempotencyKey(Base):
    __tablename__ = "idempotency_keys"
    scope: Mapped[str] = mapped_column(String(64), primary_key=True)     # who: api key name, form, device
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    created_at = mapped_column(DateTime(timezone=True), nullable=False)


class ApiKey(Base):
    __tablename__ = "api_keys"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(Text, unique=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)      # sha256 of the key; the key is shown once
    crew_code: Mapped[str | None] = mapped_column(ForeignKey("crews.code"))   # a grid worker's phone
    active: Mapped[bool] = mapped_column(Boolean, server_default="true")
    created_at = mapped_column(DateTime(timezone=True), nullable=False)


class ElderDevice(Base):
    """一键通: the registered elder behind each one-key phone."""
    __tablename__ = "elder_devices"
    device_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    elder_name: Mapped[str] = mapped_column(Text)
    phone: Mapped[str | None] = mapped_column(String(32))
    address: Mapped[str | None] = mapped_column(Text)
    grid_code: Mapped[str] = mapped_column(ForeignKey("grids.code"), index=True)
    geom = mapped_column(area("POINT"), nullable=False)
    contact_name: Mapped[str | None] = mapped_column(Text)        # whom to call when the elder does not answer
    contact_phone: Mapped[str | None] = mapped_column(String(32))


class Supervision(Base):
    """督办: a late ticket, the unit and person answerable for it, and what was done."""
    __tablename__ = "supervisions"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    level: Mapped[int] = mapped_column(SmallInteger)
    unit: Mapped[str] = mapped_column(Text)
    person: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    created_at = mapped_column(DateTime(timezone=True), nullable=False)
    closed_at = mapped_column(DateTime(timezone=True))


class SupervisionAction(Base):
    __tablename__ = "supervision_actions"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    supervision_id: Mapped[int] = mapped_column(ForeignKey("supervisions.id", ondelete="CASCADE"), index=True)
    at = mapped_column(DateTime(timezone=True), nullable=False)
    actor: Mapped[str] = mapped_column(Text)
    note: Mapped[str] = mapped_column(Text)


class JointMeeting(Base):
    """联席会: several departments decide together on one ticket."""
    __tablename__ = "joint_meetings"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    meeting_date = mapped_column(Date, nullable=False)
    department_codes: Mapped[list[str]] = mapped_column(ARRAY(String(32)))
    decision: Mapped[str | None] = mapped_column(Text)
    follow_up: Mapped[str | None] = mapped_column(Text)
    created_at = mapped_column(DateTime(timezone=True), nullable=False)
    convened_by: Mapped[str | None] = mapped_column(Text)          # migration 0012
    decided_at = mapped_column(DateTime(timezone=True))


class SupervisionOrder(Base):
    """督办单 (migration 0012): a unit is told to act on a ticket by a date, a named person answerable."""
    __tablename__ = "supervision_orders"
    __table_args__ = (CheckConstraint("outcome IS NULL OR outcome IN ('resolved', 'partly', 'unresolved')",
                                      name="supervision_order_outcome"),)
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    department_code: Mapped[str] = mapped_column(ForeignKey("departments.code"), index=True)
    responsible_person: Mapped[str] = mapped_column(Text)
    due_on = mapped_column(Date, nullable=False)
    demand: Mapped[str] = mapped_column(Text)
    issued_by: Mapped[str] = mapped_column(Text)
    issued_at = mapped_column(DateTime(timezone=True), nullable=False)
    answer: Mapped[str | None] = mapped_column(Text)
    answered_at = mapped_column(DateTime(timezone=True))
    outcome: Mapped[str | None] = mapped_column(String(16))
    outcome_note: Mapped[str | None] = mapped_column(Text)
    closed_by: Mapped[str | None] = mapped_column(Text)
    closed_at = mapped_column(DateTime(timezone=True))


class Accountability(Base):
    """问责 (migration 0012): a measure taken against a person over a ticket."""
    __tablename__ = "accountabilities"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("supervision_orders.id", ondelete="SET NULL"))
    person: Mapped[str] = mapped_column(Text)
    measure: Mapped[str] = mapped_column(String(16))
    decided_on = mapped_column(Date, nullable=False)
    note: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(Text)
    recorded_at = mapped_column(DateTime(timezone=True), nullable=False)


class TicketLink(Base):
    """A ticket repeating an earlier closed one (migration 0012): same caller and/or same place, same category."""
    __tablename__ = "ticket_links"
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True)
    earlier_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True,
                                            index=True)
    reasons: Mapped[list[str]] = mapped_column(ARRAY(String(16)))
    created_at = mapped_column(DateTime(timezone=True), nullable=False)


class TicketCounter(Base):
    """Per-day sequence behind readable ticket numbers (row-locked increment: no gaps from rollbacks)."""
    __tablename__ = "ticket_counters"
    day = mapped_column(Date, primary_key=True)
    last: Mapped[int] = mapped_column(Integer)


class Place(Base):
    """The local gazetteer: roads with building numbers, communities, grids — for address search."""
    __tablename__ = "places"
    __table_args__ = (Index("ix_places_name_trgm", "search_text", postgresql_using="gin",
                            postgresql_ops={"search_text": "gin_trgm_ops"}),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))          # road / building / community / grid / landmark
    name: Mapped[str] = mapped_column(Text)
    search_text: Mapped[str] = mapped_column(Text)
    grid_code: Mapped[str | None] = mapped_column(ForeignKey("grids.code", ondelete="CASCADE"), index=True)
    geom = mapped_column(area("POINT"), nullable=False)


class CrewTrack(Base):
    """Where a crew has been: one row per reported position (the latest also sits in Redis and crews.geom)."""
    __tablename__ = "crew_tracks"
    __table_args__ = (Index("ix_crew_tracks_crew_at", "crew_code", "at"),
                      Index("ix_crew_tracks_at_brin", "at", postgresql_using="brin"))
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    crew_code: Mapped[str] = mapped_column(ForeignKey("crews.code", ondelete="CASCADE"))
    at = mapped_column(DateTime(timezone=True), nullable=False)
    speed_kmh: Mapped[float | None] = mapped_column(Float)
    geom = mapped_column(area("POINT"), nullable=False)


# ------------------------------------------------------------------------------------------- analytics (migration 0005)

class TicketGridHourly(Base):
    """Tickets pre-aggregated per grid × registration hour (UTC-truncated) × category × channel × lead department,
    with the counts of geo.stats as of ``analytics_refresh.refreshed_at``. Derived data: refreshed by
    geo.analytics, never written by hand."""
    __tablename__ = "ticket_grid_hourly"
    hour = mapped_column(DateTime(timezone=True), primary_key=True)
    grid_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    street_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    category_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    department_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    received: Mapped[int] = mapped_column(Integer, server_default="0")
    closed: Mapped[int] = mapped_column(Integer, server_default="0")
    due: Mapped[int] = mapped_column(Integer, server_default="0")
    on_time: Mapped[int] = mapped_column(Integer, server_default="0")
    arrival_due: Mapped[int] = mapped_column(Integer, server_default="0")
    arrived_on_time: Mapped[int] = mapped_column(Integer, server_default="0")
    evaluated: Mapped[int] = mapped_column(Integer, server_default="0")
    satisfied: Mapped[int] = mapped_column(Integer, server_default="0")
    reopened: Mapped[int] = mapped_column(Integer, server_default="0")
    escalated: Mapped[int] = mapped_column(Integer, server_default="0")
    returned: Mapped[int] = mapped_column(Integer, server_default="0")


class TicketHoursDirty(Base):
    """Registration hours whose tickets changed since the last refresh (written by triggers on tickets)."""
    __tablename__ = "ticket_hours_dirty"
    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    hour = mapped_column(DateTime(timezone=True), nullable=False)


class AnalyticsRefresh(Base):
    __tablename__ = "analytics_refresh"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    refreshed_at = mapped_column(DateTime(timezone=True), nullable=False)
    full_refresh_at = mapped_column(DateTime(timezone=True))
