"""The live simulator's engine: realistic load on the real services, so a newcomer sees a living map.

Requests arrive by hour of day, weekday and season (simulation/arrivals.py) through the real intake; the engine
then plays the dispatch desk (emergencies go to the nearest able crew at once, some other tickets are left for a
person to dispatch on the map), drives each crew along the streets to the ticket and back home while posting its
positions, records the arrival, resolves after a realistic handling time, and answers as the citizen (mostly
satisfied; 不满意 reopens the ticket). Odds and timings are simulation/behaviour.py's, drives simulation/movement.py's.

Services. Every call into the product (intake, transitions, evaluations, crew options, positions, and the reads of
tickets, places and crews) comes in through one ``Services`` object given to the constructor: ``python -m
simulation`` wires the real ones (simulation/cli.py), unit tests pass recorders.

Time. A simulated clock starts at the real now (or ``start``) and runs ``speed`` times faster; it decides the
demand (hour of day, season) and every wait (desk, drive, handling, the citizen's answer). The services record the
wall-clock time of each step, so screens, deadlines and escalation all see one coherent present: at speed 60 a
20-minute drive takes 20 real seconds (and so, at that speed, arrivals are early against the real deadlines).

Robustness. A person may act on the same ticket on the map (dispatch it, refuse it, close it): a refused
transition is logged on one line and the simulator follows the ticket's real state from there. Redis down: the
positions pause (logged once) while tickets still go through PostGIS. A restarted simulator carries on with its
unfinished tickets (marked ``source_ref = 'simulate:<seed>'``), so no crew stays en route for ever.
"""
from __future__ import annotations

import heapq
import logging
import math
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Callable
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy.exc import DBAPIError

from services.tickets import NotFound
from workorders.contract import IntakeError, NewTicket
from settings import get_settings
from simulation.arrivals import Demand, Places, one_of
from simulation.behaviour import (UNSATISFIED_COMMENTS, Odds, choose_crew, citizen_rating, desk_minutes,
                                  drive_speed, handling_minutes, next_step, prep_minutes)
from simulation.demand import OPERATORS
from simulation.movement import Point, Trip, street_path
from workorders.catalogue import Category
from workorders.states import ACTIONS, TransitionRefused

log = logging.getLogger("simulate")

DISPATCHABLE = ACTIONS["dispatch"].sources      # the transition table's: where a dispatch may start


@dataclass(frozen=True)
class Services:
    """The calls the simulator makes into the product, one callable each. Refusals come back as the services'
    own errors (TransitionRefused, NotFound, IntakeError); a database outage as sqlalchemy's DBAPIError."""
    catalogue: Callable[[], dict[str, Category]]
    report_places: Callable[[int], list[dict]]          # seed → grid cells with their spots (Places.grids)
    elder_homes: Callable[[], list[dict]]
    unfinished_tickets: Callable[[], list[dict]]        # the simulator's own, of earlier runs
    ticket: Callable[[str], dict | None]                # number → the full ticket row
    ticket_states: Callable[[list[str]], dict[str, tuple[str, str | None]]]   # number → (state, crew)
    crew_place: Callable[[str], dict]                   # code → name, lon/lat, home_lon/home_lat
    create_ticket: Callable[[NewTicket], dict]          # → the ticket row
    transition: Callable[[str, str, str], dict]         # number, action, actor → the ticket row after it
    evaluate: Callable[[str, str, str | None, bool], dict]   # token, rating, comment, reopen → the ticket row
    crew_options: Callable[[dict], list[dict]]          # ticket → crews able to go, nearest first
    assign: Callable[[str, str, str], object]           # number, crew, actor
    record_arrival: Callable[[str, str], float | None]  # number, actor → minutes late (None: no deadline)
    # crew, lon, lat, km/h → the stream entry's id; None when Redis is down (the point went to PostGIS only)
    report_position: Callable[[str, float, float, float], str | None]


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
    """Brings requests in and plays the desk, the crews and the citizens for its own tickets, through ``services``,
    until ``stop`` (a threading.Event) is set, ``keep_running`` says no, or ``options.duration`` is over."""

    def __init__(self, options: Options, services: Services, stop, keep_running: Callable[[], bool] = lambda: True,
                 monotonic: Callable[[], float] = time.monotonic):
        if options.speed <= 0:
            raise ValueError("speed must be positive")
        self._real = monotonic                              # the wall clock (seconds), replaceable in tests
        self.options = options
        self.services = services
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
        self.categories = self.services.catalogue()
        places = Places(self.services.report_places(self.options.seed), self.services.elder_homes())
        carry_on = self.options.resume and self.options.duration != 0
        unfinished = self.services.unfinished_tickets() if carry_on else []
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

    def _create(self, request: NewTicket) -> None:
        try:
            ticket = self.services.create_ticket(request)
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
        """Follow a ticket (a full ticket row, or one of Services.unfinished_tickets)."""
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
        try:
            states = self.services.ticket_states([r.number for r in waiting])
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

    def _resync(self, run: TicketRun) -> None:
        """Carry on from the ticket's real state (after a refusal, a person's action, or a restart)."""
        ticket = self.services.ticket(run.number)
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
        ticket = self.services.ticket(run.number)
        if ticket is None:
            return self._finish(run)
        if ticket["state"] not in DISPATCHABLE:
            return self._resync(run)
        operator = one_of(self.rng, OPERATORS)
        busy = {c.code for c in self.crews.values() if c.ticket}
        options = self.services.crew_options(ticket)
        crew = choose_crew(ticket, options, self.categories[run.category].departments, busy)
        if crew is None:
            run.crew_waits += 1
            if run.crew_waits > MAX_CREW_WAITS:     # the department takes it on without a tracked crew
                self.services.transition(run.number, "dispatch", operator)
                self.stats.dispatched += 1
                return self._follow_crew(run, None)
            if run.crew_waits == 1:
                log.info("no free crew for %s (%s); the desk tries again", run.number, run.category)
            wait = CREW_RETRY_MINUTES[min(run.crew_waits, len(CREW_RETRY_MINUTES)) - 1]
            return self._step(run, wait, self._dispatch)
        self.services.assign(run.number, crew["code"], operator)
        self.stats.dispatched += 1
        run.crew = crew["code"]
        self._crew_run(crew["code"]).ticket = run.number
        self._step(run, prep_minutes(self.rng, run.emergency), self._depart)

    def _depart(self, run: TicketRun) -> None:
        ticket = self.services.ticket(run.number)
        if ticket is None:
            return self._finish(run)
        if ticket["crew_code"] != run.crew or ticket["state"] not in ("dispatched", "accepted", "escalated"):
            return self._resync(run)
        crew = self._crew_run(run.crew)
        if ticket["state"] == "dispatched":
            self.services.transition(run.number, "accept", crew.name)
        crew.ticket = run.number
        now = self.clock.now()
        crew.position = crew.trip.position(now) if crew.trip else crew.position   # maybe on its way home
        crew.trip = Trip(tuple(street_path(crew.position, run.point, self.rng)), now,
                         drive_speed(self.rng, self.settings.crew_speed_kmh, self.odds))
        self._post(crew, now, force=True)
        self._step_at(run, crew.trip.arrive, self._arrive)

    def _arrive(self, run: TicketRun) -> None:
        crew = self.crews.get(run.crew) if run.crew else None
        late = self.services.record_arrival(run.number, crew.name if crew else DEPARTMENT_ACTOR)
        self.stats.arrived += 1
        self.stats.late_arrivals += bool(late and late > 0)
        if crew:
            crew.position, crew.trip = run.point, None
            self._post(crew, self.clock.now(), force=True)
        self._step(run, handling_minutes(self.rng, run.category), self._resolve)

    def _resolve(self, run: TicketRun) -> None:
        crew = self.crews.get(run.crew) if run.crew else None
        done = self.services.transition(run.number, "resolve", crew.name if crew else DEPARTMENT_ACTOR)
        self.stats.resolved += 1
        run.evaluation_token = done["evaluation_token"]
        self._release(run)
        self._step(run, float(self.rng.uniform(5, 90)), self._answer)

    def _answer(self, run: TicketRun) -> None:
        """The citizen rates the result (不满意 reopens once), or never answers and the operator closes it."""
        rating = citizen_rating(self.rng, run.has_phone, self.odds)
        if rating is None or not run.evaluation_token:
            return self._step(run, float(self.rng.uniform(120, 480)), self._close)
        comment = one_of(self.rng, UNSATISFIED_COMMENTS) if rating == "unsatisfied" else None
        ticket = self.services.evaluate(run.evaluation_token, rating, comment, run.reopened == 0)
        self.stats.evaluated += 1
        if ticket["state"] == "reopened":
            run.reopened += 1
            self.stats.reopened += 1
            return self._step(run, desk_minutes(self.rng, True), self._dispatch)
        self.stats.closed += 1
        self._finish(run)

    def _close(self, run: TicketRun) -> None:
        self.services.transition(run.number, "close", one_of(self.rng, OPERATORS))
        self.stats.closed += 1
        self._finish(run)

    def _finish(self, run: TicketRun) -> None:
        self._release(run)
        self.tickets.pop(run.number, None)
        run.generation += 1

    # -------------------------------------------------------------------------------------------- crews

    def _crew_run(self, code: str) -> CrewRun:
        if code not in self.crews:
            row = self.services.crew_place(code)
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
        self._tokens -= 1
        crew.last_post = now
        moving = crew.trip is not None and crew.trip.depart <= now < crew.trip.arrive
        lon, lat = crew.trip.position(now) if crew.trip else crew.position
        if self._real() < self._positions_paused_until:
            self.stats.positions_skipped += 1
            return
        try:
            entry = self.services.report_position(crew.code, lon, lat, crew.trip.speed_kmh if moving else 0.0)
        except Exception as error:  # noqa: BLE001 - positions are decoration: never worth a crash
            self._pause_positions(f"position not reported ({error})")
            self.stats.positions_skipped += 1
            return
        if entry is None:       # Redis down: the point went to PostGIS only
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
