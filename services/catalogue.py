"""What a ticket is filed against: the category catalogue, the gazetteer's places, the departments and crews.

Reads for the doors (the API's /categories and /places, Open311's services, the intake forms); each opens its own
connection, so a door never holds one.
"""
from __future__ import annotations

from geo import crews as crew_db
from geo import tickets as ticket_db
from geo.db import get_engine
from services import catalogue_memo
from services.tickets import IntakeError, categories as catalogue_of
from workorders.catalogue import Category


def categories() -> dict[str, Category]:
    """The catalogue as the database holds it (config/categories.yaml, loaded), by code."""
    with get_engine().connect() as conn:
        return catalogue_of(conn)


def categories_with_lead_names() -> list[tuple[Category, str]]:
    """Every category with the name of its lead department, by code (kept while the catalogue's stamp holds)."""
    with get_engine().connect() as conn:
        return catalogue_memo.categories_with_lead_names(conn)


def search_places(query: str, limit: int = 8) -> list[dict]:
    """Gazetteer matches of ``query``, best first."""
    with get_engine().connect() as conn:
        return ticket_db.search_places(conn, query, limit=limit)


def check_references(department: str | None = None, crew: str | None = None) -> None:
    """A department or crew that does not exist is the caller's typo: IntakeError naming it (not a refused
    transition)."""
    if not (department or crew):
        return
    with get_engine().connect() as conn:
        if department and department not in ticket_db.department_codes(conn):
            raise IntakeError("department", f"没有部门 {department!r}")
        if crew and not crew_db.crew_exists(conn, crew):
            raise IntakeError("crew", f"没有队伍 {crew!r}")
