"""`python -m etl categories`: load config/categories.yaml into the database (idempotent)."""
from __future__ import annotations

from pathlib import Path

from geo import tickets as db
from geo.db import get_engine
from workorders.catalogue import CATALOGUE_FILE, CatalogueError, category_to_row, load_catalogue


def load_categories(path: Path = CATALOGUE_FILE, engine=None) -> int:
    catalogue = load_catalogue(path)
    with (engine or get_engine()).begin() as conn:
        known = db.department_codes(conn)
        for category in catalogue.values():
            missing = [d for d in category.departments + tuple(category.by_street.values()) if d not in known]
            if missing:
                raise CatalogueError(f"{path.name}: category {category.code!r} names unknown department(s) "
                                     f"{', '.join(missing)}; load departments first")
        return db.upsert_categories(conn, (category_to_row(c) for c in catalogue.values()))
