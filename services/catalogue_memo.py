"""The category catalogue kept in each process's memory for intake (issue 12): read again only when the stamp of
migration 0029 (read with the ticket's location, geo.intake.place_and_stamp) says it changed, instead of every
category read and parsed on every ticket. Any write to the catalogue, committed or in the caller's own
transaction, changes the stamp, so a ticket is never registered under rules the database no longer holds."""
from __future__ import annotations

import threading
import time
from datetime import datetime

from sqlalchemy import Connection

from geo import catalogue as catalogue_sql
from geo import open311 as open311_sql
from workorders.catalogue import Category, category_from_row, rows_in_force

_lock = threading.Lock()
# database URL → (stamp, every row, the parsed Category of each (code, version) met so far)
_kept: dict[str, tuple[str, list[dict], dict[tuple[str, int | None], Category]]] = {}


def catalogue_at(conn: Connection, stamp: str, at: datetime) -> dict[str, tuple[Category, int | None]]:
    """Each category in force at ``at`` with its version (None: a category row without versions), by code, for
    the catalogue whose stamp is ``stamp``."""
    rows, parsed = _rows(conn, stamp)
    catalogue = {}
    for code, row in rows_in_force(rows, at).items():
        key = (code, row["version"])
        if key not in parsed:
            parsed[key] = category_from_row(row)
        catalogue[code] = (parsed[key], row["version"])
    return catalogue


def _rows(conn: Connection, stamp: str) -> tuple[list[dict], dict]:
    where = conn.engine.url.render_as_string(hide_password=True)
    kept = _kept.get(where)
    if kept is not None and kept[0] == stamp:
        return kept[1], kept[2]
    read_stamp, rows = catalogue_sql.catalogue_history(conn)
    with _lock:
        _kept[where] = (read_stamp, rows, {})
        return rows, _kept[where][2]


# The Open311 services (each category with its lead unit's name) are read by every Open311 POST to find the
# service asked for: ~1.3 ms of a ~11 ms request. Kept per database while the stamp holds; a unit's name is not
# under the stamp, so the list is also read again after LEAD_NAMES_MAX_AGE_S (a renamed unit shows within it).
# Intake itself still validates against the catalogue in force (catalogue_at), so nothing is registered under
# rules the database no longer holds.
LEAD_NAMES_MAX_AGE_S = 60.0
_services: dict[str, tuple[str, float, list[tuple[Category, str]]]] = {}     # database URL → (stamp, read at, …)


def categories_with_lead_names(conn: Connection) -> list[tuple[Category, str]]:
    """Every category with its lead unit's name, by code (geo.open311.service_rows, parsed), read again only when
    the catalogue's stamp changed or the list is old."""
    where = conn.engine.url.render_as_string(hide_password=True)
    stamp = catalogue_sql.catalogue_stamp(conn)
    kept = _services.get(where)
    if kept is not None and kept[0] == stamp and time.monotonic() - kept[1] < LEAD_NAMES_MAX_AGE_S:
        return kept[2]
    parsed = [(category_from_row(row), row["lead_department_name"]) for row in open311_sql.service_rows(conn)]
    _services[where] = (stamp, time.monotonic(), parsed)
    return parsed
