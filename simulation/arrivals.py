"""The live request sequence: when citizens report (a Poisson process following hour, weekday and season) and what
each one says, from where, by which door. Same seed, start and places → the same sequence.

Category shares, hour profiles, channel mix and texts are the demand model's (simulation/demand.py), so the live
load continues the generated past.
"""
from __future__ import annotations

import bisect
import itertools
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Sequence
from zoneinfo import ZoneInfo

import numpy as np

from workorders.contract import NewTicket
from simulation.demand import (CATEGORY_WEIGHTS, DESCRIPTIONS, LIVE, OPERATORS, WEEKDAY_FACTOR, category_intensity,
                               channel_weights, demand_shape, hour_weights, season_factor)
from simulation.names import mobile_phone, person_name

# Tiedong's 96715 platform: ~23,500 requests over 18 months, about 45 a day.
DAILY_TICKETS = 45.0

INDOOR = frozenset({"heating_cold", "housing_repair", "neighbour_dispute", "noise", "gas_leak", "power_fault",
                    "water_leak"})
ANONYMOUS_SHARE = 0.05
DESCRIPTION_ENDINGS = ("", "", "", "，请尽快派人处理", "，希望尽快解决", "，已经持续两天了", "，之前反映过一次还没解决",
                       "，麻烦相关部门来看看")


@lru_cache(maxsize=1)
def yearly_shape() -> tuple[float, float]:
    """Mean and peak of ``demand_shape`` over a year of hours (2025, a year without 29 February)."""
    days = [date(2025, 1, 1) + timedelta(days=i) for i in range(365)]
    cats = list(CATEGORY_WEIGHTS)
    season = np.array([[CATEGORY_WEIGHTS[c] * season_factor(c, d) for c in cats] for d in days])
    hours = np.array([hour_weights(c) for c in cats])                       # categories × 24
    weekday = np.array([WEEKDAY_FACTOR[d.weekday()] for d in days])
    shape = (season @ hours) * weekday[:, None]                             # days × 24
    return float(shape.mean()), float(shape.max())


def default_rate() -> float:
    """Tickets per simulated hour at the year's peak such that a year averages DAILY_TICKETS a day."""
    mean, peak = yearly_shape()
    return DAILY_TICKETS / 24.0 * peak / mean


def one_of(rng: np.random.Generator, items: Sequence[str]) -> str:
    return items[int(rng.integers(len(items)))]


def pick(rng: np.random.Generator, weights: dict[str, float]) -> str:
    """One key drawn with probability proportional to its weight."""
    keys = list(weights)
    cumulative = list(itertools.accumulate(weights[k] for k in keys))
    return keys[min(bisect.bisect_right(cumulative, rng.random() * cumulative[-1]), len(keys) - 1)]


@dataclass
class Places:
    """Where requests come from. Every grid cell holds about the same population (the reference data cuts cells
    by population), so a cell drawn uniformly is a population-weighted draw: small downtown cells get more
    requests per km². Residents' matters come from a numbered building of the cell when it has one."""
    grids: list[dict]                   # geo.simulation.report_places
    elders: list[dict] = field(default_factory=list)   # geo.simulation.elder_homes

    def pick(self, rng: np.random.Generator, indoor: bool) -> dict:
        grid = self.grids[int(rng.integers(len(self.grids)))]
        pool = grid["building"] if indoor and grid["building"] else (grid["outdoor"] or grid["building"])
        lon, lat, address = pool[int(rng.integers(len(pool)))]
        if indoor:      # a resident gives the building and entrance; cells without gazetteer buildings: 小区 楼号
            address = address or f"{grid['community_name']}{int(rng.integers(1, 40))}号楼"
            address = f"{address}{int(rng.integers(1, 7))}单元"
        return {"lon": lon, "lat": lat, "address": address, "grid": grid}

    def elder(self, rng: np.random.Generator) -> dict | None:
        return self.elders[int(rng.integers(len(self.elders)))] if self.elders else None


class Demand:
    """The request sequence: a Poisson process whose rate follows hour, weekday and season (drawn by thinning),
    and the content of each request. Same seed, start and places → the same sequence."""

    def __init__(self, places: Places, *, rate: float | None = None, seed: int = 96715, tz: ZoneInfo,
                 categories: Sequence[str] | None = None, marker: str | None = None):
        self.places = places
        self.rate = rate if rate is not None else default_rate()
        if self.rate <= 0:
            raise ValueError("rate must be positive")
        self.peak = yearly_shape()[1]
        self.tz = tz
        self.rng = np.random.default_rng(np.random.SeedSequence(seed).spawn(1)[0])
        self.categories = [c for c in CATEGORY_WEIGHTS if categories is None or c in categories]
        self.marker = marker or f"simulate:{seed}"

    def rate_at(self, at: datetime) -> float:
        """Expected tickets per simulated hour at ``at``."""
        return self.rate * demand_shape(at.astimezone(self.tz)) / self.peak

    def next_arrival(self, after: datetime) -> datetime:
        t = after
        while True:
            t += timedelta(hours=float(self.rng.exponential(1.0 / self.rate)))
            if self.rng.random() * self.peak <= demand_shape(t.astimezone(self.tz)):
                return t

    def request(self, at: datetime) -> NewTicket:
        """One citizen's request at ``at``."""
        rng = self.rng
        intensity = category_intensity(at.astimezone(self.tz))
        category = pick(rng, {c: intensity[c] for c in self.categories if intensity[c] > 0})
        channel = pick(rng, channel_weights(category, LIVE))
        place = self.places.pick(rng, category in INDOOR)
        text = one_of(rng, DESCRIPTIONS[category]) + one_of(rng, DESCRIPTION_ENDINGS)
        name, phone, by, priority = person_name(rng), mobile_phone(rng), None, None
        if channel == "hotline":
            by = one_of(rng, OPERATORS)
        elif channel == "police_110":
            text, by = f"110转办：{text}", "110指挥中心"
        elif channel == "grid_worker":      # seen on patrol: the worker reports it, no citizen behind it
            grid = place["grid"]
            text, by, name, phone = f"网格员巡查发现：{text}", f"网格员{grid['worker_name']}", None, None
        elif channel == "elder_phone":      # at a registered elder's home, as the one-key phone would place it
            elder = self.places.elder(rng)
            if elder:
                place = {**elder, "grid": None}
                name, phone, priority = elder["elder_name"], elder["phone"], 1
                text = f"一键通呼叫：{text}"
        if name and channel != "elder_phone" and rng.random() < ANONYMOUS_SHARE:
            name, phone = None, None
        variant = None
        if category == "heating_cold":
            variant = "outdoor" if rng.random() < 0.2 else "indoor"
        return NewTicket(channel=channel, category=category, description=text, lon=place["lon"], lat=place["lat"],
                         address=place.get("address"), variant=variant, citizen_name=name, citizen_phone=phone,
                         priority=priority, source_ref=self.marker, registered_by=by)
