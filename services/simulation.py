"""The live simulator: realistic load on the real services, so a newcomer sees a living map.

Requests arrive by hour of day, weekday and season through the real intake (``create_ticket``); the simulator
then plays the dispatch desk (emergencies go to the nearest able crew at once, some other tickets are left for a
person to dispatch on the map), drives each crew along the streets to the ticket and back home while posting its
positions (``report_position``), records the arrival, resolves after a realistic handling time, and answers as the
citizen (mostly satisfied; 不满意 reopens the ticket).

Time. A simulated clock starts at the real now (or ``start``) and runs ``speed`` times faster; it decides the
demand (hour of day, season) and every wait (desk, drive, handling, the citizen's answer). The services record the
wall-clock time of each step, so screens, deadlines and escalation all see one coherent present: at speed 60 a
20-minute drive takes 20 real seconds (and so, at that speed, arrivals are early against the real deadlines).

Robustness. A person may act on the same ticket on the map (dispatch it, refuse it, close it): a refused
transition is logged on one line and the simulator follows the ticket's real state from there. Redis down: the
positions pause (logged once) while tickets still go through PostGIS. A restarted simulator carries on with its
unfinished tickets (marked ``source_ref = 'simulate:<seed>'``), so no crew stays en route for ever.

Pure parts (the demand model, places, movement, timings, the choice of crew) are functions and small classes
without I/O, tested in tests/unit/test_simulation*.py; the ``Simulator`` class does the I/O.
"""
from __future__ import annotations

import bisect
import heapq
import itertools
import logging
import math
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from typing import Callable, Sequence
from zoneinfo import ZoneInfo

import numpy as np

from etl.names import mobile_phone, person_name
from geo.crs import metres_per_degree
from workorders.demand import (CATEGORY_WEIGHTS, CHANNEL_ONLY, DESCRIPTIONS, HOUR_PROFILES, OFFICE_HOURS, OPERATORS,
                               WEEKDAY_FACTOR, in_heating_season, seasonal_factor)

log = logging.getLogger("simulate")

# Tiedong's 96715 platform: ~23,500 requests over 18 months, about 45 a day.
DAILY_TICKETS = 45.0

# ------------------------------------------------------------------------------------------------ demand model
# Category shares, hour profiles and texts are the history generator's (workorders/demand.py), so the live load
# continues the generated past; the seasons are recomputed here from the climate alone (no weather anomaly).

# Channel mix of live intake (the hotline is the main door, ~55 %). CHANNEL_ONLY (from the history) limits some
# channels to the matters they bring; 110 passes on most public-security calls.
CHANNEL_WEIGHTS = {"hotline": 0.46, "grid_worker": 0.20, "web": 0.11, "elder_phone": 0.09, "walk_in": 0.05,
                   "letter": 0.04, "police_110": 0.05}
POLICE_110_SECURITY_BOOST = 12.0
INDOOR = frozenset({"heating_cold", "housing_repair", "neighbour_dispute", "noise", "gas_leak", "power_fault",
                    "water_leak"})
ANONYMOUS_SHARE = 0.05
DESCRIPTION_ENDINGS = ("", "", "", "，请尽快派人处理", "，希望尽快解决", "，已经持续两天了", "，之前反映过一次还没解决",
                       "，麻烦相关部门来看看")


def climate_temperature(day: date) -> float:
    """Anshan's mean daily temperature by the calendar (about −8.5 °C late January, +25.5 °C late July)."""
    return 8.5 - 17.0 * math.cos(2 * math.pi * (day.timetuple().tm_yday - 22) / 365.25)


@lru_cache(maxsize=8192)
def season_factor(category: str, day: date) -> float:
    """How much more (or less) often a category is reported on ``day`` than on an average day."""
    temp = climate_temperature(day)
    if category == "heating_cold":        # only in the heating season (1 November – 31 March)
        return seasonal_factor(category, day, temp) if in_heating_season(day) else 0.0
    if category == "water_leak":          # frozen and burst pipes: more the colder it is
        return 0.8 + 0.06 * max(0.0, 2.0 - temp)
    return seasonal_factor(category, day, temp)


@lru_cache(maxsize=None)
def hour_weights(category: str) -> tuple[float, ...]:
    """The category's 24 local-hour weights, mean 1."""
    profile = np.array(HOUR_PROFILES.get(category, OFFICE_HOURS), dtype=float)
    return tuple(profile / profile.mean())


def category_intensity(local: datetime) -> dict[str, float]:
    """Relative intensity of each category at a local time (share × season × hour of day × weekday)."""
    day, weekday = local.date(), WEEKDAY_FACTOR[local.weekday()]
    return {c: w * season_factor(c, day) * hour_weights(c)[local.hour] * weekday for c, w in CATEGORY_WEIGHTS.items()}


def demand_shape(local: datetime) -> float:
    return sum(category_intensity(local).values())


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


def channel_weights(category: str) -> dict[str, float]:
    weights = {c: w for c, w in CHANNEL_WEIGHTS.items() if c not in CHANNEL_ONLY or category in CHANNEL_ONLY[c]}
    if category == "public_security" and "police_110" in weights:
        weights["police_110"] *= POLICE_110_SECURITY_BOOST
    return weights


def _one_of(rng: np.random.Generator, items: Sequence[str]) -> str:
    return items[int(rng.integers(len(items)))]


def _pick(rng: np.random.Generator, weights: dict[str, float]) -> str:
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

    def request(self, at: datetime):
        """One citizen's request at ``at`` (a services.tickets.NewTicket)."""
        from services.tickets import NewTicket
        rng = self.rng
        intensity = category_intensity(at.astimezone(self.tz))
        category = _pick(rng, {c: intensity[c] for c in self.categories if intensity[c] > 0})
        channel = _pick(rng, channel_weights(category))
        place = self.places.pick(rng, category in INDOOR)
        text = _one_of(rng, DESCRIPTIONS[category]) + _one_of(rng, DESCRIPTION_ENDINGS)
        name, phone, by, priority = person_name(rng), mobile_phone(rng), None, None
        if channel == "hotline":
            by = _one_of(rng, OPERATORS)
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


# ------------------------------------------------------------------------------------------------ movement

Point = tuple[float, float]           # (lon, lat)


def metres_between(a: Point, b: Point) -> float:
    mx, my = metres_per_degree((a[1] + b[1]) / 2)
    return math.hypot((b[0] - a[0]) * mx, (b[1] - a[1]) * my)


def travel_seconds(metres: float, speed_kmh: float) -> float:
    return metres / (speed_kmh / 3.6)


def street_path(start: Point, end: Point, rng: np.random.Generator) -> list[Point]:
    """Start, one corner, end: a crew follows the street grid rather than flying (about 1.27× the straight line)."""
    corner = (end[0], start[1]) if rng.random() < 0.5 else (start[0], end[1])
    return [start, corner, end]


@dataclass(frozen=True)
class Trip:
    """A drive along ``points`` at a constant speed, leaving at ``depart`` (simulated seconds)."""
    points: tuple[Point, ...]
    depart: float
    speed_kmh: float

    @property
    def legs(self) -> list[float]:
        return [metres_between(a, b) for a, b in itertools.pairwise(self.points)]

    @property
    def metres(self) -> float:
        return sum(self.legs)

    @property
    def arrive(self) -> float:
        return self.depart + travel_seconds(self.metres, self.speed_kmh)

    @property
    def end(self) -> Point:
        return self.points[-1]

    def position(self, at: float) -> Point:
        """Where the crew is at simulated second ``at`` (the start before leaving, the end after arriving)."""
        left = max(0.0, at - self.depart) * self.speed_kmh / 3.6
        for (a, b), leg in zip(itertools.pairwise(self.points), self.legs, strict=True):
            if left <= leg:
                f = left / leg if leg > 0 else 1.0
                return (a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f)
            left -= leg
        return self.end


# ------------------------------------------------------------------------------------------------ timings

# Minutes on site before the matter is resolved (the crew's handling time).
HANDLING_MINUTES = {
    "water_leak": (40, 150), "heating_cold": (30, 120), "power_fault": (30, 120), "gas_leak": (45, 180),
    "public_security": (15, 60), "housing_repair": (60, 240), "sanitation": (20, 90), "road_damage": (60, 240),
    "streetlight": (30, 120), "noise": (10, 40), "neighbour_dispute": (20, 90), "greening": (40, 150),
    "other": (15, 60),
}


@dataclass(frozen=True)
class Odds:
    """How things tend to go (in line with the history generator's odds)."""
    human_share: float = 0.35       # non-emergency tickets left for a dispatcher on the map
    traffic_jam: float = 0.06       # a drive at a crawl: most of the late arrivals
    evaluated: float = 0.88         # citizens with a phone who answer the evaluation SMS
    satisfied: float = 0.83
    basically: float = 0.10         # the rest: 不满意, which reopens the ticket (once)


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


def citizen_rating(rng: np.random.Generator, has_phone: bool, odds: Odds = Odds()) -> str | None:
    """The citizen's answer to the evaluation SMS, or None when there is none (the operator closes later)."""
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


# ------------------------------------------------------------------------------------------------ the engine

@dataclass
class Options:
    speed: float = 60.0
    rate: float | None = None           # tickets per simulated hour at the year's peak; None: 45 a day
    burst: int = 0
    seed: int = 96715
    duration: float | None = None       # real seconds; None: until stopped
    start: datetime | None = None       # simulated clock start; None: now
    human_share: float = Odds.human_share
    human_wait: float = 180.0           # real seconds a ticket left to a person waits before the desk takes it
    max_posts: float = 5.0              # position posts per real second, all crews together
    resume: bool = True
    report_every: float = 60.0          # real seconds between progress lines


@dataclass
class Stats:
    created: int = 0
    dispatched: int = 0
    left_to_people: int = 0
    taken_by_people: int = 0
    arrived: int = 0
    late_arrivals: int = 0
    resolved: int = 0
    evaluated: int = 0
    reopened: int = 0
    closed: int = 0
    refused: int = 0
    resumed: int = 0
    positions: int = 0
    positions_skipped: int = 0

    def line(self) -> str:
        return (f"tickets {self.created} · left for people {self.left_to_people} (taken {self.taken_by_people}) · "
                f"dispatched by the desk {self.dispatched} · "
                f"arrived {self.arrived} (late {self.late_arrivals}) · resolved {self.resolved} · "
                f"evaluated {self.evaluated} (reopened {self.reopened}) · closed {self.closed} · "
                f"refused transitions {self.refused} · positions {self.positions} (skipped {self.positions_skipped})")


class SimClock:
    """Simulated seconds since the start, running ``speed`` times faster than the wall clock."""

    def __init__(self, start: datetime, speed: float, monotonic: Callable[[], float] = time.monotonic):
        self.start, self.speed, self._monotonic = start, speed, monotonic
        self._t0 = monotonic()

    def now(self) -> float:
        return (self._monotonic() - self._t0) * self.speed

    def at(self, seconds: float) -> datetime:
        return self.start + timedelta(seconds=seconds)

    def seconds(self, at: datetime) -> float:
        return (at - self.start).total_seconds()

    def real(self, sim_seconds: float) -> float:
        return sim_seconds / self.speed


@dataclass
class TicketRun:
    """What the simulator knows of one of its tickets."""
    number: str
    category: str
    emergency: bool
    point: Point
    has_phone: bool
    crew: str | None = None
    evaluation_token: str | None = None
    reopened: int = 0
    crew_waits: int = 0
    people_until: float | None = None   # monotonic deadline while left for a person to dispatch
    generation: int = 0                 # a newer scheduled step makes older ones stale


@dataclass
class CrewRun:
    code: str
    name: str
    home: Point
    position: Point
    trip: Trip | None = None
    ticket: str | None = None           # the ticket it works on; None: heading home
    last_post: float = -math.inf        # simulated second of its last position post


MIN_POST_SIM_SECONDS = 5.0              # a moving crew reports every few simulated seconds at most
PEOPLE_POLL_SECONDS = 3.0               # how often tickets left to people are checked (real seconds)
REDIS_RETRY_SECONDS = 10.0
CREW_RETRY_MINUTES = (5, 10, 20, 40, 60)
MAX_CREW_WAITS = 8                      # then the department takes it on without a tracked crew
OFF_MAP_ARRIVAL_MINUTES = (15, 45)
DEPARTMENT_ACTOR = "承办单位"
RESUME_SPACING_SECONDS = 0.1            # real seconds between unfinished tickets taken up again at start


class SimulationError(RuntimeError):
    """The simulator cannot start (nothing to simulate on)."""


class Simulator:
    def __init__(self, options: Options, stop, keep_running: Callable[[], bool] = lambda: True,
                 monotonic: Callable[[], float] = time.monotonic):
        from settings import get_settings
        if options.speed <= 0:
            raise ValueError("speed must be positive")
        self._real = monotonic                              # the wall clock (seconds), replaceable in tests
        self.options = options
        self.stop = stop                                    # threading.Event
        self.keep_running = keep_running
        self.settings = get_settings()
        self.tz = ZoneInfo(self.settings.timezone)
        self.clock = SimClock(options.start or datetime.now(timezone.utc), options.speed, monotonic)
        self.odds = Odds(human_share=options.human_share)
        self.rng = np.random.default_rng(np.random.SeedSequence(options.seed).spawn(2)[1])   # outcomes
        self.stats = Stats()
        self.tickets: dict[str, TicketRun] = {}
        self.crews: dict[str, CrewRun] = {}
        self._agenda: list[tuple[float, int, Callable, tuple]] = []
        self._seq = 0
        self._tokens = options.max_posts
        self._last_refill = self._real()
        self._positions_paused_until = 0.0
        self._redis_down = False
        self._failing: set[str] = set()
        self._next_poll = 0.0
        self._next_report = self._real() + options.report_every
        self.categories: dict = {}
        self.demand: Demand | None = None

    # -------------------------------------------------------------------------------------------- the loop

    def run(self) -> Stats:
        self._prepare()
        now = self.clock.now()
        if self.options.burst:
            for _ in range(self.options.burst):
                self._create(self.demand.request(self.clock.at(now)))
            log.info("burst: %d tickets fired at once", self.options.burst)
        if self.options.duration == 0:
            return self.stats
        self._schedule_arrival(self.clock.at(now))
        deadline = None if self.options.duration is None else self._real() + self.options.duration
        while not self.stop.is_set() and self.keep_running():
            if deadline is not None and self._real() >= deadline:
                break
            now = self.clock.now()
            self._run_due(now)
            self._post_positions(now)
            self._watch_people()
            self._report_progress()
            self.stop.wait(self._sleep_for(now))
        log.info("stopped at simulated %s: %s", self._local(self.clock.now()), self.stats.line())
        return self.stats

    def _prepare(self) -> None:
        from geo import simulation as sim_db
        from geo.db import get_engine
        from services.tickets import categories
        with get_engine().connect() as conn:
            self.categories = categories(conn)
            places = Places(sim_db.report_places(conn, self.options.seed), sim_db.elder_homes(conn))
            carry_on = self.options.resume and self.options.duration != 0
            unfinished = sim_db.unfinished_simulated_tickets(conn) if carry_on else []
        if not places.grids or not self.categories:
            raise SimulationError("no grid cells or no categories: load the reference data first "
                                  "(python -m etl reference)")
        self.demand = Demand(places, rate=self.options.rate, seed=self.options.seed, tz=self.tz,
                             categories=list(self.categories))
        log.info("simulating from %s at %g× (%.1f tickets per simulated hour at peak, %.1f now); %d grid cells",
                 self._local(0), self.options.speed, self.demand.rate, self.demand.rate_at(self.clock.at(0)),
                 len(places.grids))
        for i, row in enumerate(unfinished):
            self._resume(row, i)
        if unfinished:
            log.info("carrying on %d unfinished tickets of earlier runs", len(unfinished))

    def _sleep_for(self, now: float) -> float:
        moving = any(c.trip for c in self.crews.values())
        cap = 0.2 if moving else 1.0
        if self._agenda:
            cap = min(cap, self.clock.real(self._agenda[0][0] - now))
        return max(0.005, cap)

    def _local(self, seconds: float) -> str:
        return self.clock.at(seconds).astimezone(self.tz).strftime("%Y-%m-%d %H:%M")

    def _report_progress(self) -> None:
        if self._real() >= self._next_report:
            self._next_report = self._real() + self.options.report_every
            log.info("simulated %s · %s", self._local(self.clock.now()), self.stats.line())

    # -------------------------------------------------------------------------------------------- agenda

    def _schedule(self, at: float, fn: Callable, *args) -> None:
        self._seq += 1
        heapq.heappush(self._agenda, (at, self._seq, fn, args))

    def _step(self, run: TicketRun, minutes: float, fn: Callable) -> None:
        """Schedule the ticket's next step in ``minutes``; any step scheduled for it before becomes stale."""
        self._step_at(run, self.clock.now() + minutes * 60, fn)

    def _step_at(self, run: TicketRun, at: float, fn: Callable) -> None:
        run.generation += 1
        self._schedule(at, self._guarded, run, run.generation, fn)

    def _run_due(self, now: float) -> None:
        while self._agenda and self._agenda[0][0] <= now and not self.stop.is_set():
            _, _, fn, args = heapq.heappop(self._agenda)
            fn(*args)

    def _guarded(self, run: TicketRun, generation: int, fn: Callable) -> None:
        """Run one step of a ticket: a refused transition is a person's doing (logged, then the ticket's real
        state is followed); a database outage retries the step; nothing ends the simulator."""
        from sqlalchemy.exc import DBAPIError
        from services.tickets import IntakeError, NotFound
        from workorders.states import TransitionRefused
        if generation != run.generation or run.number not in self.tickets:
            return
        try:
            fn(run)
            self._failing.discard("db")
        except TransitionRefused as refused:
            self.stats.refused += 1
            log.info("refused: %s %s: %s; following its state", run.number, fn.__name__.strip("_"), refused)
            self._step(run, 0, self._resync)
        except NotFound:
            log.info("gone: %s no longer exists; dropped", run.number)
            self._finish(run)
        except IntakeError as error:
            log.warning("skipped: %s %s: %s", run.number, fn.__name__.strip("_"), error)
            self._finish(run)
        except DBAPIError as error:
            if "db" not in self._failing:
                log.warning("database unavailable (%s); retrying", str(error.orig).strip().splitlines()[0])
            self._failing.add("db")
            self._schedule(self.clock.now() + 5 * self.options.speed, self._guarded, run, generation, fn)
        except Exception:  # noqa: BLE001 - a bug in one ticket's step must not end the whole simulation
            log.exception("error in %s %s; ticket dropped", run.number, fn.__name__.strip("_"))
            self._finish(run)

    # -------------------------------------------------------------------------------------------- intake

    def _schedule_arrival(self, after: datetime) -> None:
        at = self.demand.next_arrival(after)
        self._schedule(self.clock.seconds(at), self._arrival, at)

    def _arrival(self, at: datetime) -> None:
        """A request at its drawn time (not the moment the loop got to it: the sequence stays the seed's)."""
        self._create(self.demand.request(at))
        self._schedule_arrival(at)

    def _create(self, request) -> None:
        from sqlalchemy.exc import DBAPIError
        from services.tickets import IntakeError, create_ticket
        try:
            ticket = create_ticket(request).ticket
        except IntakeError as error:
            log.warning("intake refused a simulated request (%s, %s): %s", request.category, request.channel, error)
            return
        except DBAPIError as error:
            log.warning("intake failed, request dropped: %s", str(error.orig).strip().splitlines()[0])
            return
        self.stats.created += 1
        run = self._track(ticket)
        if run.emergency or self.rng.random() >= self.odds.human_share:
            self._step(run, desk_minutes(self.rng, run.emergency), self._dispatch)
        else:
            self.stats.left_to_people += 1
            run.people_until = self._real() + self.options.human_wait

    def _track(self, ticket: dict) -> TicketRun:
        """Follow a ticket (a full ticket row, or geo.simulation.unfinished_simulated_tickets's)."""
        category = self.categories[ticket["category_code"]]
        run = TicketRun(ticket["number"], category.code, category.arrival_minutes is not None,
                        (ticket["lon"], ticket["lat"]), bool(ticket["citizen_phone"]),
                        crew=ticket["crew_code"], evaluation_token=ticket["evaluation_token"],
                        reopened=ticket["reopened_count"])
        self.tickets[run.number] = run
        return run

    def _resume(self, row: dict, index: int) -> None:
        """Take up an unfinished ticket of an earlier run: its next step follows from its state then."""
        if row["category_code"] not in self.categories:
            return
        run = self._track(row)
        self.stats.resumed += 1
        # spread over real time: a long backlog must not hold up the new requests
        self._step_at(run, index * RESUME_SPACING_SECONDS * self.options.speed, self._resync)

    def _watch_people(self) -> None:
        """Tickets left for a person: follow what they did on the map, or dispatch once the wait is over."""
        if self._real() < self._next_poll:
            return
        self._next_poll = self._real() + PEOPLE_POLL_SECONDS
        waiting = [r for r in self.tickets.values() if r.people_until is not None]
        if not waiting:
            return
        from geo import simulation as sim_db
        from geo.db import get_engine
        try:
            with get_engine().connect() as conn:
                states = sim_db.ticket_states(conn, [r.number for r in waiting])
        except Exception as error:  # noqa: BLE001 - retried at the next poll
            log.debug("poll failed: %s", error)
            return
        for run in waiting:
            state = states.get(run.number, ("gone", None))[0]
            if state != "registered":
                run.people_until = None
                self.stats.taken_by_people += state == "dispatched"
                self._step(run, 0, self._resync)
            elif self._real() >= run.people_until:
                run.people_until = None
                self._step(run, 0, self._dispatch)

    # -------------------------------------------------------------------------------------------- lifecycle

    def _ticket(self, number: str) -> dict | None:
        from geo import tickets as tickets_db
        from geo.db import get_engine
        with get_engine().connect() as conn:
            return tickets_db.ticket_by_number(conn, number)

    def _resync(self, run: TicketRun) -> None:
        """Carry on from the ticket's real state (after a refusal, a person's action, or a restart)."""
        ticket = self._ticket(run.number)
        if ticket is None:
            return self._finish(run)
        run.evaluation_token = ticket["evaluation_token"]
        step = next_step(ticket)
        if step == "dispatch":
            self._step(run, desk_minutes(self.rng, run.emergency), self._dispatch)
        elif step == "drive":
            self._follow_crew(run, ticket["crew_code"])
        elif step == "resolve":
            self._step(run, handling_minutes(self.rng, run.category), self._resolve)
        elif step == "answer":
            self._step(run, float(self.rng.uniform(5, 90)), self._answer)
        elif step == "close":
            self._step(run, float(self.rng.uniform(10, 60)), self._close)
        else:
            self._finish(run)

    def _follow_crew(self, run: TicketRun, crew: str | None) -> None:
        """A dispatched ticket: drive its crew there (unless already on the way); without a crew the department
        goes by itself, off the map."""
        current = self.crews.get(crew) if crew else None
        if current and current.ticket == run.number and current.trip:     # on its way: arrives as planned
            run.crew = crew
            return self._step_at(run, current.trip.arrive, self._arrive)
        if crew and not (current and current.ticket and current.ticket != run.number):
            run.crew = crew
            return self._step(run, 0, self._depart)
        run.crew = None                             # no crew, or one already busy on another of our tickets
        self._step(run, float(self.rng.uniform(*OFF_MAP_ARRIVAL_MINUTES)), self._arrive)

    def _dispatch(self, run: TicketRun) -> None:
        from services.dispatch import DISPATCHABLE, assign, crew_options
        from services.tickets import transition, utcnow
        ticket = self._ticket(run.number)
        if ticket is None:
            return self._finish(run)
        if ticket["state"] not in DISPATCHABLE:
            return self._resync(run)
        operator = _one_of(self.rng, OPERATORS)
        busy = {c.code for c in self.crews.values() if c.ticket}
        options = crew_options(ticket, utcnow(), limit=10)
        crew = choose_crew(ticket, options, self.categories[run.category].departments, busy)
        if crew is None:
            run.crew_waits += 1
            if run.crew_waits > MAX_CREW_WAITS:     # the department takes it on without a tracked crew
                transition(run.number, "dispatch", operator)
                self.stats.dispatched += 1
                return self._follow_crew(run, None)
            if run.crew_waits == 1:
                log.info("no free crew for %s (%s); the desk tries again", run.number, run.category)
            wait = CREW_RETRY_MINUTES[min(run.crew_waits, len(CREW_RETRY_MINUTES)) - 1]
            return self._step(run, wait, self._dispatch)
        assign(run.number, crew["code"], operator)
        self.stats.dispatched += 1
        run.crew = crew["code"]
        self._crew_run(crew["code"]).ticket = run.number
        self._step(run, prep_minutes(self.rng, run.emergency), self._depart)

    def _depart(self, run: TicketRun) -> None:
        from services.tickets import transition
        ticket = self._ticket(run.number)
        if ticket is None:
            return self._finish(run)
        if ticket["crew_code"] != run.crew or ticket["state"] not in ("dispatched", "accepted", "escalated"):
            return self._resync(run)
        crew = self._crew_run(run.crew)
        if ticket["state"] == "dispatched":
            transition(run.number, "accept", crew.name)
        crew.ticket = run.number
        now = self.clock.now()
        crew.position = crew.trip.position(now) if crew.trip else crew.position   # maybe on its way home
        crew.trip = Trip(tuple(street_path(crew.position, run.point, self.rng)), now,
                         drive_speed(self.rng, self.settings.crew_speed_kmh, self.odds))
        self._post(crew, now, force=True)
        self._step_at(run, crew.trip.arrive, self._arrive)

    def _arrive(self, run: TicketRun) -> None:
        from services.dispatch import record_arrival
        crew = self.crews.get(run.crew) if run.crew else None
        _, late = record_arrival(run.number, crew.name if crew else DEPARTMENT_ACTOR)
        self.stats.arrived += 1
        self.stats.late_arrivals += bool(late and late > 0)
        if crew:
            crew.position, crew.trip = run.point, None
            self._post(crew, self.clock.now(), force=True)
        self._step(run, handling_minutes(self.rng, run.category), self._resolve)

    def _resolve(self, run: TicketRun) -> None:
        from services.tickets import transition
        crew = self.crews.get(run.crew) if run.crew else None
        done = transition(run.number, "resolve", crew.name if crew else DEPARTMENT_ACTOR)
        self.stats.resolved += 1
        run.evaluation_token = done.ticket["evaluation_token"]
        self._release(run)
        self._step(run, float(self.rng.uniform(5, 90)), self._answer)

    def _answer(self, run: TicketRun) -> None:
        """The citizen rates the result (不满意 reopens once), or never answers and the operator closes it."""
        from services.tickets import evaluate
        rating = citizen_rating(self.rng, run.has_phone, self.odds)
        if rating is None or not run.evaluation_token:
            return self._step(run, float(self.rng.uniform(120, 480)), self._close)
        comment = _one_of(self.rng, UNSATISFIED_COMMENTS) if rating == "unsatisfied" else None
        ticket = evaluate(run.evaluation_token, rating, comment, reopen=run.reopened == 0)
        self.stats.evaluated += 1
        if ticket["state"] == "reopened":
            run.reopened += 1
            self.stats.reopened += 1
            return self._step(run, desk_minutes(self.rng, True), self._dispatch)
        self.stats.closed += 1
        self._finish(run)

    def _close(self, run: TicketRun) -> None:
        from services.tickets import transition
        transition(run.number, "close", _one_of(self.rng, OPERATORS))
        self.stats.closed += 1
        self._finish(run)

    def _finish(self, run: TicketRun) -> None:
        self._release(run)
        self.tickets.pop(run.number, None)
        run.generation += 1

    # -------------------------------------------------------------------------------------------- crews

    def _crew_run(self, code: str) -> CrewRun:
        if code not in self.crews:
            from geo import simulation as sim_db
            from geo.db import get_engine
            with get_engine().connect() as conn:
                row = sim_db.crew_places(conn, [code])[code]
            self.crews[code] = CrewRun(code, row["name"], (row["home_lon"], row["home_lat"]),
                                       (row["lon"], row["lat"]))
        return self.crews[code]

    def _release(self, run: TicketRun) -> None:
        """The crew of a finished (or taken-away) ticket drives home."""
        crew = self.crews.get(run.crew) if run.crew else None
        if crew is None or crew.ticket != run.number:
            return
        now = self.clock.now()
        crew.position = crew.trip.position(now) if crew.trip else crew.position
        crew.ticket = None
        crew.trip = Trip(tuple(street_path(crew.position, crew.home, self.rng)), now,
                         drive_speed(self.rng, self.settings.crew_speed_kmh, self.odds))

    def _post_positions(self, now: float) -> None:
        """Moving crews report where they are, the longest-silent first, within the real-time budget."""
        real = self._real()
        self._tokens = min(self.options.max_posts, self._tokens + (real - self._last_refill) * self.options.max_posts)
        self._last_refill = real
        moving = sorted((c for c in self.crews.values() if c.trip), key=lambda c: c.last_post)
        for crew in moving:
            if crew.ticket is None and now >= crew.trip.arrive:      # home: last post, then off the books
                self._post(crew, now, force=True)
                del self.crews[crew.code]
            elif self._tokens >= 1 and now - crew.last_post >= MIN_POST_SIM_SECONDS and now < crew.trip.arrive:
                self._post(crew, now)

    def _post(self, crew: CrewRun, now: float, force: bool = False) -> None:
        """One position on the stream (crews:positions). Forced posts (departure, arrival, home) always go out
        but still spend the budget, so the average stays within it."""
        from services.live import report_position
        self._tokens -= 1
        crew.last_post = now
        moving = crew.trip is not None and crew.trip.depart <= now < crew.trip.arrive
        lon, lat = crew.trip.position(now) if crew.trip else crew.position
        if self._real() < self._positions_paused_until:
            self.stats.positions_skipped += 1
            return
        try:
            entry = report_position(crew.code, lon, lat, speed_kmh=crew.trip.speed_kmh if moving else 0.0)
        except Exception as error:  # noqa: BLE001 - positions are decoration: never worth a crash
            self._pause_positions(f"position not reported ({error})")
            self.stats.positions_skipped += 1
            return
        if entry is None:       # Redis down: report_position stored the point in PostGIS only
            self._pause_positions("Redis unavailable: crew positions paused (retrying every "
                                  f"{REDIS_RETRY_SECONDS:.0f} s); tickets go on through PostGIS")
            return
        if self._redis_down:
            log.warning("Redis back: crew positions resumed")
            self._redis_down = False
        self.stats.positions += 1

    def _pause_positions(self, message: str) -> None:
        if not self._redis_down:
            log.warning(message)
        self._redis_down = True
        self._positions_paused_until = self._real() + REDIS_RETRY_SECONDS
