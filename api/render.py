"""Rows → JSON bodies of the API. Times are ISO 8601 with the district's offset (2026-11-26T09:30:00+08:00)."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from settings import get_settings
from workorders.catalogue import Category
from workorders.privacy import public_place_name
from workorders.states import STATES, allowed_actions
from workorders.vocabulary import CHANNELS, SATISFACTION

# Internal row ids never leave the server: tickets are known by their number. The evaluation token is the
# citizen's credential to rate the work (it reaches them in the SMS only): no API answer carries it.
HIDDEN_TICKET_FIELDS = ("id", "related_ticket_id", "merged_into_id", "evaluation_token")


def iso(value: Any) -> Any:
    """Datetimes in the district's time zone with their offset; dates as YYYY-MM-DD; anything else unchanged."""
    if isinstance(value, datetime):
        if value.tzinfo is None:   # never expected (all columns are timestamptz); refuse to guess silently
            raise ValueError(f"naive datetime {value!r}")
        return value.astimezone(ZoneInfo(get_settings().timezone)).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return iso(value)


def ticket_json(ticket: dict) -> dict:
    body = {k: _plain(v) for k, v in ticket.items() if k not in HIDDEN_TICKET_FIELDS}
    body["state_label"] = STATES.get(ticket["state"], ticket["state"])
    body["channel_label"] = CHANNELS.get(ticket["channel"], ticket["channel"])
    body["allowed_actions"] = allowed_actions(ticket["state"])
    if ticket.get("satisfaction"):
        body["satisfaction_label"] = SATISFACTION.get(ticket["satisfaction"])
    return body


def photo_json(photo: dict, base_url: str = "") -> dict:
    """A stored photo (services.media.photo_view) with its absolute URL."""
    return {**{k: _plain(v) for k, v in photo.items() if k != "path"}, "url": base_url + photo["path"]}


def event_json(event: dict) -> dict:
    return {k: _plain(v) for k, v in event.items() if k != "id"}


def duplicate_json(ticket: dict) -> dict:
    """A likely duplicate offered to the caller: enough to decide on a merge, no personal data — its place (street
    and grid; an elder's alarm: the community), never the address somebody else typed."""
    return {"number": ticket["number"], "state": ticket["state"], "category_code": ticket["category_code"],
            "address": public_place_name(ticket), "registered_at": iso(ticket["registered_at"]),
            "metres": round(float(ticket["metres"]), 1)}


def evaluated_json(ticket: dict) -> dict:
    """What the citizen who holds the evaluation link is told: the outcome, nothing about anybody."""
    return {"number": ticket["number"], "state": ticket["state"], "state_label": STATES.get(ticket["state"]),
            "satisfaction": ticket["satisfaction"], "evaluated_at": iso(ticket["evaluated_at"])}


def category_json(category: Category) -> dict:
    return {
        "code": category.code, "name": category.name, "complexity": category.complexity,
        "priority": category.priority, "departments": list(category.departments),
        "arrival_minutes": category.arrival_minutes, "resolve_hours": category.resolve_hours,
        "default_variant": category.default_variant,
        "variants": [{"code": v.code, "name": v.name} for v in category.variants.values()],
    }


def place_json(place: dict) -> dict:
    return {"name": place["name"], "kind": place["kind"], "grid_code": place["grid_code"],
            "lon": place["lon"], "lat": place["lat"]}


def supervision_json(row: dict) -> dict:
    return {k: _plain(v) for k, v in row.items()}


# Handling (issue 11): the records' own ids are how a client names them (an extension to decide); the ticket's
# internal id is not.
EXTENSION_FIELDS = ("id", "number", "status", "reason", "previous_due_at", "requested_due_at", "requested_by",
                    "requested_at", "decided_by", "decided_at", "decision_note", "resolve_due_at")
HOLD_FIELDS = ("id", "number", "reason", "held_by", "held_at", "ends_at", "resumed_by", "resumed_at",
               "counted_seconds", "resolve_due_at", "arrival_due_at")
ASSIST_FIELDS = ("id", "number", "department_code", "department_name", "answer", "answered_by", "answered_at")


def _picked(row: dict, fields: tuple[str, ...]) -> dict:
    return {k: _plain(row[k]) for k in fields if k in row}


def extension_json(row: dict) -> dict:
    return _picked(row, EXTENSION_FIELDS)


def hold_json(row: dict) -> dict:
    return _picked(row, HOLD_FIELDS)


def assist_json(row: dict) -> dict:
    return _picked(row, ASSIST_FIELDS)
