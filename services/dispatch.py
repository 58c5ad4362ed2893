"""Dispatch (派单): what a dispatcher sees for a cell or a ticket, and the one-click assignment."""
from __future__ import annotations

from datetime import datetime, timedelta

from geo import crews as crews_db
from geo import tickets as tickets_db
from geo.db import get_engine
from geo.queries import grid_detail
from services.tickets import NotFound, Transitioned, category_of_ticket, transition, utcnow
from services import predictions
from settings import get_settings
from workorders.assignment import Choice, Waiting, recommend
from workorders.policy import Principal
from workorders.states import OPEN_STATES

DISPATCHABLE = ("registered", "returned", "reopened", "escalated")
# The recommendation weighs the selected ticket against the others waiting whose arrival deadline lies within this
# horizon either way (due soon, or late by less; at most ADVICE_RIVALS, the most urgent): a crew kept for a ticket
# due tomorrow helps nobody, and one late for hours is the desk's to chase, not the plan's to weigh.
ADVICE_HORIZON = timedelta(hours=2)
ADVICE_RIVALS = 15


def eta_minutes(metres: float, speed_kmh: float) -> float:
    return metres / (speed_kmh * 1000 / 60)


def crew_options(ticket: dict, now: datetime, limit: int = 6) -> list[dict]:
    """Nearest available crews able to handle the ticket's category, with a straight-line ETA and whether
    they can still make the arrival deadline."""
    speed = get_settings().crew_speed_kmh
    with get_engine().connect() as conn:
        category = category_of_ticket(conn, ticket)
        departments = sorted({ticket["lead_department_code"], *ticket["co_department_codes"],
                              *category.departments})
        crews = crews_db.nearest_crews(conn, ticket["lon"], ticket["lat"], departments, ticket["grid_code"], limit)
    for crew in crews:
        crew["eta_minutes"] = eta_minutes(crew["metres"], speed)
        due = ticket["arrival_due_at"]
        crew["late"] = bool(due and now + timedelta(minutes=crew["eta_minutes"]) > due)
    return crews


def cell_panel(grid_code: str, selected: str | None = None, now: datetime | None = None) -> dict | None:
    """The cell, its open tickets by deadline, and for the selected (or most urgent) ticket: crews and cameras."""
    now = now or utcnow()
    with get_engine().connect() as conn:
        cell = grid_detail(conn, grid_code)
        if cell is None:
            return None
        tickets = tickets_db.list_tickets(conn, {"grid": grid_code, "state": sorted(OPEN_STATES)}, limit=200)
    tickets.sort(key=lambda t: (t["arrival_due_at"] or t["resolve_due_at"], t["resolve_due_at"]))
    chosen = next((t for t in tickets if t["number"] == selected), tickets[0] if tickets else None)
    options, cameras, advice = [], [], None
    if chosen:
        options = crew_options(chosen, now) if chosen["state"] in DISPATCHABLE else []
        advice = recommendation(chosen, now) if options else None
        with get_engine().connect() as conn:
            cameras = crews_db.nearest_cameras(conn, chosen["lon"], chosen["lat"])
    risk = predictions.risks([t["number"] for t in tickets])
    for ticket in tickets:
        ticket["risk"] = _late_chance(ticket, risk.get(ticket["number"]))
    return {"cell": cell, "tickets": tickets, "selected": chosen, "crews": options, "cameras": cameras,
            "advice": advice}


def _late_chance(ticket: dict, risk: dict | None) -> float | None:
    """The chance the panel shows: of the arrival deadline while no crew is there, else of the resolution one
    (services.predictions.late_risk, which /work shows too)."""
    found = predictions.late_risk(ticket, risk)
    return found[0] if found else None


def recommendation(selected: dict, now: datetime) -> Choice | None:
    """The crew for ``selected`` in the plan that misses the fewest deadlines of every ticket now waiting for a crew
    with an arrival deadline in the next ADVICE_HORIZON (workorders/assignment.py), and why it is not simply the
    nearest. None when the ticket has no arrival deadline (nothing to race against)."""
    if not selected["arrival_due_at"] or selected["on_site_at"]:
        return None
    with get_engine().connect() as conn:
        waiting = tickets_db.list_tickets(conn, {"state": list(DISPATCHABLE)}, limit=500)
    rivals = [t for t in waiting if t["arrival_due_at"] and not t["on_site_at"]
              and abs(t["arrival_due_at"] - now) <= ADVICE_HORIZON and t["number"] != selected["number"]]
    rivals.sort(key=lambda t: t["arrival_due_at"])
    offers, crews = [], set()
    for ticket in [selected, *rivals[:ADVICE_RIVALS]]:
        etas = {c["code"]: c["eta_minutes"] for c in crew_options(ticket, now)}
        crews |= set(etas)
        offers.append(Waiting(ticket["number"], ticket["priority"],
                              (ticket["arrival_due_at"] - now).total_seconds() / 60, etas))
    return next(c for c in recommend(offers, sorted(crews)) if c.number == selected["number"])


def grid_of_ticket(number: str) -> str:
    with get_engine().connect() as conn:
        ticket = tickets_db.ticket_by_number(conn, number)
    if ticket is None:
        raise NotFound(f"没有工单 {number}")
    return ticket["grid_code"]


def assign(number: str, crew: str, principal: Principal) -> Transitioned:
    """One click: ticket → dispatched with this crew, crew → en route; every open screen hears it on the stream.
    ``principal`` needs the dispatch right (services.tickets.transition asks the policy)."""
    return transition(number, "dispatch", principal, crew=crew)


def record_arrival(number: str, principal: Principal,
                   now: datetime | None = None) -> tuple[Transitioned, float | None]:
    """Crew on site; returns minutes late against the arrival deadline (negative = early, None = no deadline)."""
    done = transition(number, "arrive", principal, now=now)
    due, at = done.ticket["arrival_due_at"], done.ticket["on_site_at"]
    return done, ((at - due).total_seconds() / 60 if due else None)
