"""How people act, for the history plan and the live simulator alike: the odds of each outcome, how long the desk,
the crews and the citizens take, the citizen's rating, which crew the desk sends, and what comes next for a ticket.
Pure functions of a random generator and plain values."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np


@dataclass(frozen=True)
class Odds:
    """How things tend to go (chosen so that the history lands near the platform's published figures; the live
    simulator follows the same citizens)."""
    # The citizen, called back or sent the evaluation SMS after the resolution.
    evaluated: float = 0.88
    satisfied: float = 0.83
    basically: float = 0.095          # the rest of the first ratings: 不满意
    # The history's tickets.
    refuse: float = 0.004
    duplicate: float = 0.012
    returned: float = 0.03            # of categories with another department to send the ticket to
    joint_meeting: float = 0.006      # of complex and normal non-emergency tickets
    late: float = 0.035
    late_arrival: float = 0.06
    reopen_unsatisfied: float = 0.4   # the live simulator reopens every first 不满意
    second_satisfied: float = 0.95
    # The live desk and crews.
    human_share: float = 0.35         # non-emergency tickets left for a dispatcher on the map
    traffic_jam: float = 0.06         # a drive at a crawl: most of the late arrivals


# ------------------------------------------------------------------------------------------------ timings

# Minutes on site before the matter is resolved (the crew's handling time).
HANDLING_MINUTES = {
    "water_leak": (40, 150), "heating_cold": (30, 120), "power_fault": (30, 120), "gas_leak": (45, 180),
    "public_security": (15, 60), "housing_repair": (60, 240), "sanitation": (20, 90), "road_damage": (60, 240),
    "streetlight": (30, 120), "noise": (10, 40), "neighbour_dispute": (20, 90), "greening": (40, 150),
    "other": (15, 60),
}


def desk_minutes(rng: np.random.Generator, emergency: bool) -> float:
    """From registration (or reopening) to the dispatch."""
    return float(rng.uniform(1, 4) if emergency else rng.uniform(5, 40))


def prep_minutes(rng: np.random.Generator, emergency: bool) -> float:
    """From dispatch to the crew driving off (signing for the ticket, loading the van)."""
    return float(rng.uniform(1, 3) if emergency else rng.uniform(3, 15))


def drive_speed(rng: np.random.Generator, base_kmh: float, odds: Odds = Odds()) -> float:
    if rng.random() < odds.traffic_jam:
        return base_kmh * float(rng.uniform(0.25, 0.45))
    return base_kmh * float(rng.uniform(0.85, 1.2))


def handling_minutes(rng: np.random.Generator, category: str) -> float:
    low, high = HANDLING_MINUTES.get(category, (20, 90))
    return float(rng.uniform(low, high))


# ------------------------------------------------------------------------------------------------ the citizen

def citizen_rating(rng: np.random.Generator, has_phone: bool, odds: Odds = Odds()) -> str | None:
    """The citizen's answer to the evaluation call or SMS, or None when there is none (the operator closes later)."""
    if not has_phone or rng.random() >= odds.evaluated:
        return None
    u = rng.random()
    return "satisfied" if u < odds.satisfied else ("basically" if u < odds.satisfied + odds.basically
                                                    else "unsatisfied")


UNSATISFIED_COMMENTS = ("问题没有彻底解决", "处理人员态度不好", "过了两天又坏了", "只是临时处理了一下")


# ------------------------------------------------------------------------------------------------ crew choice

def able_departments(ticket: dict, category_departments: Sequence[str]) -> set[str]:
    return {ticket["lead_department_code"], *ticket["co_department_codes"], *category_departments}


def choose_crew(ticket: dict, options: list[dict], category_departments: Sequence[str],
                busy: set[str] = frozenset()) -> dict | None:
    """The nearest free crew of a department that handles the ticket; a matter the community handles goes to
    the cell's own grid worker first. ``options`` come nearest first (services.dispatch.crew_options)."""
    free = [c for c in options if c["code"] not in busy]
    if ticket.get("handled_by_community"):
        own = [c for c in free if c.get("grid_code") and c["grid_code"] == ticket["grid_code"]]
        if own:
            return own[0]
    able = able_departments(ticket, category_departments)
    return next((c for c in free if c["department_code"] in able), None)


# ------------------------------------------------------------------------------------------------ what next

def next_step(ticket: dict) -> str:
    """What the simulator does next with a ticket in this state (after a refusal, a person's action on the map,
    or a restart): dispatch | drive (the crew to the ticket) | resolve | answer (as the citizen) | close | finish.
    ``on_site_at`` keeps the first visit, so a reopened ticket has one already: only the state says where it is;
    an escalated ticket is on site when a crew has been there."""
    state = ticket["state"]
    if state in ("registered", "returned", "reopened"):
        return "dispatch"
    if state == "escalated" and not ticket["on_site_at"]:
        return "drive" if ticket["crew_code"] else "dispatch"
    if state in ("dispatched", "accepted"):
        return "drive"
    if state in ("on_site", "escalated", "joint_meeting"):
        return "resolve"
    if state == "resolved":
        return "answer"
    if state == "evaluated":
        return "close"
    return "finish"                     # closed, merged, refused
