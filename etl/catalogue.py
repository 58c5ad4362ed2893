"""`python -m etl categories [FILE]`: load config/categories.yaml into the database. Each category that differs from
the one in force becomes its next version (services.admin_rules: who = this command, source = the file); the others
are left alone, so running it again changes nothing and the /admin editor's later versions stay until the file is
loaded again with other values."""
from __future__ import annotations

from pathlib import Path

from workorders.catalogue import CATALOGUE_FILE, load_catalogue


def load_categories(path: Path = CATALOGUE_FILE, engine=None) -> int:
    """The number of categories in the file (all checked, CatalogueError before anything is written)."""
    return len(load_changed(path, engine)[0])


def load_changed(path: Path = CATALOGUE_FILE, engine=None) -> tuple[dict, list]:
    """(the file's catalogue, the versions written)."""
    from services.admin_rules import load_file
    return load_catalogue(path), load_file(path, engine)
