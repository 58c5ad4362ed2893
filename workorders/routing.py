"""Routing (分转): which unit handles a request, from its category and where it is."""
from __future__ import annotations

from dataclasses import dataclass

from workorders.catalogue import Category


@dataclass(frozen=True)
class Route:
    lead_department: str
    co_departments: tuple[str, ...]
    handled_by_community: bool


def route(category: Category, street_code: str, exclude: frozenset[str] = frozenset()) -> Route:
    """Lead and co-handling departments; simple matters of community-level categories stay in the community.

    ``exclude`` holds departments that already sent this ticket back: re-routing skips them.
    """
    lead = category.by_street.get(street_code, category.lead)
    candidates = [lead, *[d for d in category.departments if d != lead]]
    remaining = [d for d in candidates if d not in exclude]
    if not remaining:
        raise RoutingExhausted(f"every department of {category.code} has returned this ticket; "
                               "a dispatcher must choose one")
    lead, co = remaining[0], tuple(d for d in remaining[1:])
    community = category.route_to_community and category.complexity == "simple" and not exclude
    return Route(lead, co, community)


class RoutingExhausted(ValueError):
    pass
