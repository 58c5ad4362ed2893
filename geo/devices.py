"""SQL of the elders' one-key phones (一键通): the device registry and the alarm tickets it raises."""
from __future__ import annotations

from typing import Iterable, Sequence

import shapely
from sqlalchemy import Connection, text

from geo.grids import places_at
from workorders.states import OPEN_STATES

DEVICE_COLUMNS = "device_id, elder_name, phone, address, grid_code, ST_X(geom) AS lon, ST_Y(geom) AS lat"
# Namespace of the advisory locks taken per device (the second key is the hash of the device id).
ALARM_LOCK_NAMESPACE = 96715


def places_of_points(conn: Connection, points: Sequence[tuple[float, float]]) -> list[dict | None]:
    """For each (lon, lat): its grid, community name and kind, or None outside every grid.

    One round trip for a whole file, and the rule of intake's place lookup (geo.grids), so an elder's registered
    grid is the grid their alarm tickets land in.
    """
    return places_at(conn, points, ("grid_code", "community_name", "community_kind"))


def existing_device_ids(conn: Connection, device_ids: Iterable[str]) -> set[str]:
    return set(conn.scalars(text("SELECT device_id FROM elder_devices WHERE device_id = ANY(:ids)"),
                            {"ids": list(device_ids)}))


def upsert_devices(conn: Connection, rows: Sequence[dict]) -> None:
    """Insert or replace devices by device_id; rows carry lon/lat and the grid_code already found for them. A file
    without the contact columns keeps the contacts a device has (a registry re-imported from an older export)."""
    if not rows:
        return
    conn.execute(text("""
        INSERT INTO elder_devices (device_id, elder_name, phone, address, grid_code, geom, contact_name, contact_phone)
        VALUES (:device_id, :elder_name, :phone, :address, :grid_code, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326),
                :contact_name, :contact_phone)
        ON CONFLICT (device_id) DO UPDATE SET elder_name = EXCLUDED.elder_name, phone = EXCLUDED.phone,
            address = EXCLUDED.address, grid_code = EXCLUDED.grid_code, geom = EXCLUDED.geom,
            contact_name = coalesce(EXCLUDED.contact_name, elder_devices.contact_name),
            contact_phone = coalesce(EXCLUDED.contact_phone, elder_devices.contact_phone)"""),
        [{"contact_name": None, "contact_phone": None, **r} for r in rows])


def delete_devices(conn: Connection, device_ids: Iterable[str]) -> int:
    return conn.execute(text("DELETE FROM elder_devices WHERE device_id = ANY(:ids)"),
                        {"ids": list(device_ids)}).rowcount


def count_devices(conn: Connection) -> int:
    return conn.scalar(text("SELECT count(*) FROM elder_devices"))


def device_by_id(conn: Connection, device_id: str) -> dict | None:
    row = conn.execute(text(f"SELECT {DEVICE_COLUMNS} FROM elder_devices WHERE device_id = :id"),
                       {"id": device_id}).mappings().first()
    return dict(row) if row else None


def devices_by_ids(conn: Connection, device_ids: Iterable[str]) -> dict[str, dict]:
    rows = conn.execute(text(f"SELECT {DEVICE_COLUMNS} FROM elder_devices WHERE device_id = ANY(:ids)"),
                        {"ids": list(device_ids)}).mappings()
    return {r["device_id"]: dict(r) for r in rows}


def lock_device(conn: Connection, device_id: str) -> None:
    """Serialise alarms of one device until the transaction ends: two quick presses make one ticket."""
    conn.execute(text("SELECT pg_advisory_xact_lock(:ns, hashtext(:id))"),
                 {"ns": ALARM_LOCK_NAMESPACE, "id": device_id})


def open_alarm_ticket_id(conn: Connection, device_id: str) -> int | None:
    """The device's newest alarm ticket that is still open, if any."""
    return conn.scalar(text("""
        SELECT id FROM tickets
        WHERE channel = 'elder_phone' AND source_ref = :id AND state = ANY(:open)
        ORDER BY registered_at DESC, id DESC LIMIT 1"""), {"id": device_id, "open": sorted(OPEN_STATES)})


# ------------------------------------------------------------------------------------ for the generated registry

def building_places(conn: Connection) -> list[dict]:
    """Numbered buildings of the gazetteer (name, lon, lat) in a stable order."""
    return [dict(r) for r in conn.execute(text("""
        SELECT name, ST_X(geom) AS lon, ST_Y(geom) AS lat FROM places
        WHERE kind = 'building' ORDER BY name, id""")).mappings()]


def district_shape(conn: Connection):
    """The loaded district(s) as one shapely geometry, or None before any reference data is loaded."""
    wkb = conn.scalar(text("SELECT ST_AsBinary(ST_Union(geom)) FROM districts"))
    return shapely.from_wkb(bytes(wkb)) if wkb is not None else None
