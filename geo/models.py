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


LAYER_MODELS = {
    "district": District, "streets": Street, "communities": Community,
    "grids": Grid, "cameras": Camera, "crews": Crew,
}
