"""python -m etl history [--tickets 23500] [--months 18] [--seed N] [--force]: a realistic past.

About the seed's scale of Tiedong's 96715 platform: ~23,500 requests over the 18 months ending now, written
THROUGH THE SERVICES (services.tickets.create_ticket with a past registration time, then transition/evaluate with
past times), so every ticket has the same rows, events, supervisions and deadlines live intake would give it.

What shapes it:
- seasons: heating complaints from 1 November to 31 March (Anshan's heating season), peaking as heating starts
  and in cold snaps; burst water pipes in cold snaps; noise on summer evenings; potholes in the spring thaw;
- a daily temperature (seasonal curve plus a persistent random anomaly, which makes the cold snaps);
- daily and weekly rhythm (office hours, fewer reports at weekends), hotline the majority channel;
- outcomes: ~99.8 % closed, ~95 % resolved on time, ~95 % satisfied among those who rate; a few refusals,
  returns and re-dispatches, escalations of late tickets, joint meetings, reopenings after a 不满意, duplicates
  merged into the first report.

Marking and idempotency: every generated ticket has ``source_ref = 'history:<seed>'``. The command does nothing
when history exists, unless ``--force``, which deletes the generated tickets only (never live ones).

Events: the services write an outbox row for every change, ~170,000 in all. Publishing them to the live stream
would only flood the live screens with the past, so each history transaction marks its own outbox rows published
before it commits: the relay never sees them, and the rows stay as the record of what happened.

Crews are not assigned: history must not move today's crews (dispatching a crew changes its live status).

Speed: one transaction per batch of tickets, and two worker processes on disjoint ranges of days; the plan is
made once from the seed, so the result does not depend on the number of workers.
"""
from __future__ import annotations

import argparse
import math
import multiprocessing
import sys
import time as clock
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from workorders.demand import (CATEGORY_WEIGHTS, CHANNEL_ONLY, CHANNEL_WEIGHTS, DESCRIPTIONS, HOUR_PROFILES,
                               OFFICE_HOURS, OPERATORS, WEEKDAY_FACTOR, seasonal_factor)

DEFAULT_TICKETS = 23_500
DEFAULT_MONTHS = 18
DEFAULT_SEED = 96715
BATCH_TICKETS = 250

# ------------------------------------------------------------------------------------------------ weather

def temperatures(days: list[date], rng: np.random.Generator) -> np.ndarray:
    """Daily mean °C in Anshan: seasonal curve (about −9 °C in late January, +25 °C in late July) plus a random
    anomaly that persists for days (AR(1), sd ≈ 4 °C): the cold snaps and heat waves."""
    doy = np.array([d.timetuple().tm_yday for d in days], dtype=float)
    seasonal = 8.5 - 17.0 * np.cos(2 * math.pi * (doy - 22) / 365.25)
    anomaly = np.zeros(len(days))
    phi, sd = 0.85, 4.0
    for i in range(1, len(days)):
        anomaly[i] = phi * anomaly[i - 1] + rng.normal(0, sd * math.sqrt(1 - phi ** 2))
    return seasonal + anomaly


# ------------------------------------------------------------------------------------------------ the plan

@dataclass
class Step:
    at: datetime
    ticket: int                 # index into the plan
    seq: int                    # order within the ticket (ties in time)
    action: str                 # create | evaluate | a transition action
    actor: str = "system"
    reason: str | None = None
    department: str | None = None
    data: dict[str, Any] | None = None
    satisfaction: str | None = None
    reopen: bool = True


@dataclass
class PlannedTicket:
    index: int
    category: str
    channel: str
    registered_at: datetime
    request: Any                # services.tickets.NewTicket
    steps: list[Step] = field(default_factory=list)
    master: int | None = None   # a duplicate: the index of the ticket it is merged into
    batch: int = 0


@dataclass(frozen=True)
class Odds:
    """How things tend to go (chosen so the history lands near the platform's published figures)."""
    refuse: float = 0.004
    duplicate: float = 0.012
    returned: float = 0.03            # of categories with another department to send the ticket to
    joint_meeting: float = 0.006      # of complex and normal non-emergency tickets
    late: float = 0.035
    late_arrival: float = 0.06
    evaluated: float = 0.88
    satisfied: float = 0.83
    basically: float = 0.095          # the rest of the first ratings: 不满意
    reopen_unsatisfied: float = 0.4
    second_satisfied: float = 0.95


def make_plan(catalogue: dict, locations: list[dict], *, tickets: int, months: int, seed: int, end: datetime,
              tz: ZoneInfo, cutoff_hour: int, odds: Odds = Odds()) -> list[PlannedTicket]:
    """Every ticket of the history with its steps, from the seed alone (no database)."""
    from services.tickets import NewTicket
    from workorders.deadlines import compute_deadlines
    rng = np.random.default_rng(seed)
    end_local = end.astimezone(tz)
    first_day = (end_local - timedelta(days=round(months * 30.44))).date()
    days = [first_day + timedelta(days=i) for i in range((end_local.date() - first_day).days + 1)]
    temps = temperatures(days, rng)
    categories = [c for c in CATEGORY_WEIGHTS if c in catalogue]
    weights = np.array([[CATEGORY_WEIGHTS[c] * seasonal_factor(c, d, t) * WEEKDAY_FACTOR[d.weekday()]
                         for c in categories] for d, t in zip(days, temps)])
    today_start = datetime.combine(days[-1], time(), tzinfo=tz)
    elapsed_today = (end_local - today_start) / timedelta(days=1)
    weights[-1] *= elapsed_today                  # the history ends now: only today's hours so far
    duplicates = int(round(tickets * odds.duplicate))
    counts = rng.multinomial(tickets - duplicates, (weights / weights.sum()).ravel()).reshape(weights.shape)
    pools = {"any": locations}
    for loc in locations:
        pools.setdefault(loc["kind"], []).append(loc)
    plan: list[PlannedTicket] = []
    for di, day in enumerate(days):
        for ci, code in enumerate(categories):
            for _ in range(counts[di, ci]):
                registered = _moment(rng, day, code, tz)
                if registered >= end:            # an hour of today still to come: some time earlier today
                    registered = (today_start + (end_local - today_start) * float(rng.uniform(0, 1))).astimezone(
                        timezone.utc)
                plan.append(_ticket(rng, len(plan), code, registered, pools, NewTicket, seed))
    plan.sort(key=lambda p: p.registered_at)
    for i, p in enumerate(plan):
        p.index = i
    for p in plan:
        category = catalogue[p.category]
        deadlines = compute_deadlines(category, p.registered_at, p.request.variant, tz=tz, cutoff_hour=cutoff_hour)
        p.steps = lifecycle(rng, p, category, deadlines, odds)
    _add_duplicates(rng, plan, duplicates, odds, NewTicket, seed)
    plan = [_cut(p, end) for p in plan]
    _assign_batches(plan, tz)
    return plan


def _moment(rng: np.random.Generator, day: date, category: str, tz: ZoneInfo) -> datetime:
    profile = np.array(HOUR_PROFILES.get(category, OFFICE_HOURS))
    hour = int(rng.choice(24, p=profile / profile.sum()))
    local = datetime.combine(day, time(hour), tzinfo=tz) + timedelta(seconds=float(rng.uniform(0, 3600)))
    return local.astimezone(timezone.utc)


def _channel(rng: np.random.Generator, category: str) -> str:
    names = [c for c in CHANNEL_WEIGHTS if c not in CHANNEL_ONLY or category in CHANNEL_ONLY[c]]
    w = np.array([CHANNEL_WEIGHTS[c] for c in names])
    return str(names[int(rng.choice(len(names), p=w / w.sum()))])


def _ticket(rng, index: int, code: str, registered: datetime, pools: dict[str, list[dict]], NewTicket, seed: int
            ) -> PlannedTicket:
    from etl.names import mobile_phone, person_name
    channel = _channel(rng, code)
    # Residents' matters come from their building; what is seen outdoors anywhere people are (camera points).
    indoor = code in ("heating_cold", "housing_repair", "neighbour_dispute", "noise", "gas_leak", "power_fault")
    kind = "building" if indoor or rng.random() < 0.45 else "camera"
    place = _pick(rng, pools, kind)
    anonymous = channel in ("grid_worker", "api") or rng.random() < 0.05
    request = NewTicket(
        channel=channel, category=code, description=str(rng.choice(DESCRIPTIONS[code])),
        lon=place["lon"], lat=place["lat"], address=place["address"],
        variant=("outdoor" if rng.random() < 0.2 else "indoor") if code == "heating_cold" else None,
        citizen_name=None if anonymous else person_name(rng),
        citizen_phone=None if anonymous else mobile_phone(rng),
        source_ref=f"history:{seed}", registered_at=registered)
    return PlannedTicket(index, code, channel, registered, request)


def _pick(rng, pools: dict[str, list[dict]], kind: str) -> dict:
    pool = pools.get(kind) or pools["any"]
    return pool[int(rng.integers(len(pool)))]


def _minutes(m: float) -> timedelta:
    return timedelta(minutes=float(m))


RETURN_REASON = "经核实不属于本单位职责，申请退回重派"
REFUSE_REASON = "不属于政务服务受理范围，已向来电人解释"


class Timeline:
    """The steps of one ticket, each strictly after the one before."""

    def __init__(self, ticket: int, start: datetime):
        self.ticket = ticket
        self.steps = [Step(start, ticket, 0, "create")]

    def add(self, at: datetime, action: str, actor: str, **kw) -> datetime:
        at = max(at, self.steps[-1].at + timedelta(seconds=30))
        self.steps.append(Step(at, self.ticket, len(self.steps), action, actor, **kw))
        return at


# Actor placeholder: the ticket's lead department when the step runs (it changes when a ticket is returned).
CURRENT_LEAD = "@lead"
# Department placeholder: where a returned ticket goes next (see _next_department).
NEXT_DEPARTMENT = "@next"


def lifecycle(rng: np.random.Generator, ticket: PlannedTicket, category, deadlines, odds: Odds) -> list[Step]:
    """The steps of one ticket from intake to closure, at plausible times (cut at the end of the history later)."""
    reg, due = ticket.registered_at, deadlines.resolve_due_at
    operator = str(rng.choice(OPERATORS))
    line = Timeline(ticket.index, reg)
    if rng.random() < odds.refuse:
        line.add(reg + _minutes(rng.uniform(8, 60)), "refuse", operator, reason=REFUSE_REASON)
        return line.steps
    urgent = category.arrival_minutes is not None
    t = line.add(reg + _minutes(rng.uniform(1, 6) if urgent else rng.uniform(5, 45)), "dispatch", operator)
    if (len(category.departments) > 1 or category.code == "other") and rng.random() < odds.returned:
        t = line.add(t + _minutes(rng.uniform(10, 120)), "return", CURRENT_LEAD, reason=RETURN_REASON)
        t = line.add(t + _minutes(rng.uniform(10, 60)), "dispatch", operator, department=NEXT_DEPARTMENT)
    t = line.add(t + _minutes(rng.uniform(1, 5) if urgent else rng.uniform(3, 40)), "accept", CURRENT_LEAD)
    if urgent:
        late = rng.random() < odds.late_arrival
        factor = rng.uniform(1.05, 2.2) if late else rng.uniform(0.3, 0.95)
        t = line.add(reg + _minutes(category.arrival_minutes * factor), "arrive", CURRENT_LEAD)
    elif rng.random() < 0.55:
        t = line.add(t + (due - t) * float(rng.uniform(0.05, 0.4)), "arrive", CURRENT_LEAD)
    joint = category.complexity != "simple" and not urgent and rng.random() < odds.joint_meeting
    if joint:
        t = line.add(t + _minutes(rng.uniform(120, 2880)), "joint_meeting", "区指挥中心",
                     data={"departments": list(category.departments),
                           "decision": "联席会议明确牵头单位和办理时限"})
    resolve = _resolve_time(rng, reg, due, t, urgent, odds)
    if not joint:   # a joint meeting is the higher level already (and escalate does not apply to it)
        t = _escalations(line, rng, due, t, resolve)
    t = line.add(resolve, "resolve", CURRENT_LEAD)
    _after_resolve(line, rng, t, operator, odds)
    return line.steps


def _resolve_time(rng, reg: datetime, due: datetime, after: datetime, urgent: bool, odds: Odds) -> datetime:
    if rng.random() < odds.late:
        return max(due, after) + _minutes(10 + rng.exponential(14 * 60))
    share = rng.beta(1.3, 6.0) if urgent else rng.beta(1.6, 3.2)
    at = reg + (due - reg) * float(share)
    # On time: after the last step and before the deadline (when the steps left room for it).
    return min(max(at, after + _minutes(rng.uniform(10, 90))), max(due - _minutes(1), after + _minutes(5)))


def _escalations(line: Timeline, rng, due: datetime, t: datetime, resolve: datetime) -> datetime:
    """A late ticket goes up a level when the escalation job next runs, and again a day later (→ 街道 → 区)."""
    for grace_hours, level in ((0.0, "街道"), (24.0, "区")):
        at = max(due + timedelta(hours=grace_hours) + _minutes(rng.uniform(1, 15)), t + _minutes(1))
        if at >= resolve - _minutes(1):
            break
        t = line.add(at, "escalate", "system", reason=f"超过办理时限，升级至{level}督办")
    return t


def _after_resolve(line: Timeline, rng, t: datetime, operator: str, odds: Odds) -> None:
    if rng.random() >= odds.evaluated:     # no answer to the callback: the operator closes it after a few days
        line.add(t + _minutes(rng.uniform(24, 48) * 60), "close", operator)
        return
    rating = _rating(rng, odds)
    reopen = rating == "unsatisfied" and rng.random() < odds.reopen_unsatisfied
    # The callback (回访) mostly reaches the citizen the same day, else the next.
    delay = rng.uniform(30, 8 * 60) if rng.random() < 0.75 else rng.uniform(8 * 60, 30 * 60)
    t = line.add(t + _minutes(delay), "evaluate", "citizen", satisfaction=rating, reopen=reopen)
    if not reopen:
        return
    # 不满意 → reopened → dispatched again → resolved → rated again (then closed, whatever the rating).
    t = line.add(t + _minutes(rng.uniform(30, 180)), "dispatch", operator)
    t = line.add(t + _minutes(rng.uniform(10, 60)), "accept", CURRENT_LEAD)
    t = line.add(t + _minutes(rng.uniform(60, 24 * 60)), "resolve", CURRENT_LEAD)
    second = "satisfied" if rng.random() < odds.second_satisfied else "unsatisfied"
    line.add(t + _minutes(rng.uniform(60, 24 * 60)), "evaluate", "citizen", satisfaction=second, reopen=False)


def _rating(rng, odds: Odds) -> str:
    u = rng.random()
    return "satisfied" if u < odds.satisfied else ("basically" if u < odds.satisfied + odds.basically
                                                    else "unsatisfied")


def _add_duplicates(rng, plan: list[PlannedTicket], count: int, odds: Odds, NewTicket, seed: int) -> None:
    """Second reports of the same matter at the same place, merged into the first while it is still open."""
    candidates = [p for p in plan if len(p.steps) > 3 and p.steps[1].action == "dispatch"]
    if not candidates or count <= 0:
        return
    for master in (candidates[int(i)] for i in rng.choice(len(candidates), size=count, replace=True)):
        resolve = next(s.at for s in master.steps if s.action == "resolve")
        window = min(_minutes(90), (resolve - master.registered_at) * 0.8)
        registered = master.registered_at + _minutes(2) + window * float(rng.uniform(0, 1))
        index = len(plan)
        request = NewTicket(
            channel=_channel(rng, master.category), category=master.category,
            description=master.request.description, lon=master.request.lon, lat=master.request.lat,
            address=master.request.address, variant=master.request.variant,
            source_ref=f"history:{seed}", registered_at=registered)
        dup = PlannedTicket(index, master.category, request.channel, registered, request, master=master.index)
        line = Timeline(index, registered)
        line.add(registered + _minutes(rng.uniform(2, 20)), "merge", str(rng.choice(OPERATORS)),
                 reason="重复反映，合并至首报工单")
        dup.steps = line.steps
        plan.append(dup)


def _cut(ticket: PlannedTicket, end: datetime) -> PlannedTicket:
    """Drop the steps that lie in the future: recent tickets are still open, as they would be."""
    ticket.steps = [s for s in ticket.steps if s.at < end]
    return ticket


def _assign_batches(plan: list[PlannedTicket], tz: ZoneInfo, size: int = BATCH_TICKETS) -> None:
    """Consecutive tickets (a duplicate goes with its first report) in batches that never split a local day
    between two batches of different workers: batches are cut at day boundaries once they are full."""
    batch, in_batch, day = 0, 0, None
    for p in plan:
        if p.master is not None:
            continue
        this_day = p.registered_at.astimezone(tz).date()
        if in_batch >= size and this_day != day:
            batch, in_batch = batch + 1, 0
        p.batch, day = batch, this_day
        in_batch += 1
    for p in plan:
        if p.master is not None:
            p.batch = plan[p.master].batch


# ------------------------------------------------------------------------------------------------ running it

@dataclass
class Outcome:
    tickets: int = 0
    steps: int = 0                                       # transitions and ratings after intake
    refused: list[str] = field(default_factory=list)     # steps the services refused (a plan defect): one line each

    def add(self, other: "Outcome") -> None:
        self.tickets += other.tickets
        self.steps += other.steps
        self.refused.extend(other.refused)


# Where a ticket of 其他 goes after the grid center sends it back (the matters it mostly turns out to be).
OTHER_DESTINATIONS = ("cgj", "zjj", "mzj", "scj", "wjj")


def _next_department(st: dict, index: int) -> str | None:
    """Where a returned ticket goes. The services re-route it on return to the category's next department; only
    when none is left (the lead is still the one that returned it) does the dispatcher choose one."""
    if st["lead"] != st.get("returned_by"):
        return None
    return next(d for d in OTHER_DESTINATIONS[index % len(OTHER_DESTINATIONS):] + OTHER_DESTINATIONS
                if d != st["returned_by"])


def execute_batch(conn, tickets: list[PlannedTicket]) -> Outcome:
    """Run the steps of ``tickets`` in time order through the services, on the caller's connection."""
    from services.tickets import IntakeError, NotFound, create_ticket, evaluate, transition
    from workorders.states import TransitionRefused
    by_index = {p.index: p for p in tickets}
    state: dict[int, dict] = {p.index: {} for p in tickets}
    outcome = Outcome()
    for step in sorted((s for p in tickets for s in p.steps), key=lambda s: (s.at, s.ticket, s.seq)):
        ticket, st = by_index[step.ticket], state[step.ticket]
        if st.get("refused"):
            continue
        try:
            if step.action == "create":
                created = create_ticket(ticket.request, now=step.at, conn=conn).ticket
                st.update(number=created["number"], lead=created["lead_department_code"])
                outcome.tickets += 1
                continue
            if step.action == "evaluate":
                after = evaluate(st["token"], step.satisfaction, reopen=step.reopen, now=step.at, conn=conn)
                st["lead"] = after["lead_department_code"]
            else:
                st.update(_transition(conn, transition, step, ticket, st, state))
            outcome.steps += 1
        except (IntakeError, TransitionRefused, NotFound, KeyError) as error:
            st["refused"] = True
            outcome.refused.append(f"history ticket #{step.ticket} ({ticket.category}, {step.at:%Y-%m-%d %H:%M}) "
                                   f"{step.action}: {error}")
    return outcome


def _transition(conn, transition, step: Step, ticket: PlannedTicket, st: dict, state: dict) -> dict:
    actor = st["lead"] if step.actor == CURRENT_LEAD else step.actor
    department = _next_department(st, ticket.index) if step.department == NEXT_DEPARTMENT else step.department
    data = step.data
    if step.action == "merge":
        data = {"into": state[ticket.master]["number"]}
    elif step.action == "joint_meeting":
        data = {**(step.data or {}), "meeting_date": step.at.date().isoformat()}
    done = transition(st["number"], step.action, actor, reason=step.reason, department=department, data=data,
                      now=step.at, conn=conn).ticket
    changes = {"lead": done["lead_department_code"]}
    if step.action == "return":
        changes["returned_by"] = actor
    if step.action == "resolve":
        changes["token"] = done["evaluation_token"]
    return changes


def run_batches(engine_url: str, tickets: list[PlannedTicket], progress=None) -> Outcome:
    """One transaction per batch; the batch's outbox rows are marked published before it commits."""
    from geo.db import make_engine
    from geo.history import tune_bulk_session
    from geo.outbox import mark_own_published
    engine = make_engine(engine_url)
    outcome = Outcome()
    try:
        batches: dict[int, list[PlannedTicket]] = {}
        for p in tickets:
            batches.setdefault(p.batch, []).append(p)
        for number in sorted(batches):
            with engine.begin() as conn:
                tune_bulk_session(conn)
                done = execute_batch(conn, batches[number])
                mark_own_published(conn, datetime.now(timezone.utc))
            outcome.add(done)
            if progress is not None:
                progress(len(batches[number]))
    finally:
        engine.dispose()
    return outcome


def _worker(engine_url: str, tickets: list[PlannedTicket], queue) -> Outcome:
    return run_batches(engine_url, tickets, progress=queue.put)


@dataclass
class HistoryReport:
    skipped: bool
    existing: int = 0
    deleted: int = 0
    outcome: Outcome = field(default_factory=Outcome)
    planned: int = 0
    seconds: float = 0.0
    first: datetime | None = None
    last: datetime | None = None


def generate_history(*, tickets: int = DEFAULT_TICKETS, months: int = DEFAULT_MONTHS, seed: int = DEFAULT_SEED,
                     force: bool = False, end: datetime | None = None, workers: int = 2, engine=None,
                     quiet: bool = False) -> HistoryReport:
    """Plan the history from the seed and write it through the services (see the module's docstring)."""
    from geo import history as db
    from geo.db import get_engine
    from services.tickets import categories
    from settings import get_settings
    from tqdm import tqdm
    if tickets < 1 or months < 1:
        raise ValueError("--tickets and --months must be positive")
    started = clock.monotonic()
    engine = engine or get_engine()
    settings = get_settings()
    with engine.begin() as conn:
        existing = db.history_count(conn)
        if existing and not force:
            return HistoryReport(skipped=True, existing=existing)
        deleted = 0
        if existing:
            referring = db.live_references_to_history(conn)
            if referring:
                raise ValueError(f"{len(referring)} live ticket(s) refer to history tickets "
                                 f"({', '.join(referring[:5])}…); they would lose that link: nothing deleted")
            deleted = db.delete_history(conn)
        catalogue = categories(conn)
        locations = db.report_locations(conn)
    if not catalogue or not locations:
        raise ValueError("no categories or places: load the reference data first (python -m etl reference)")
    end = end or datetime.now(timezone.utc)
    plan = make_plan(catalogue, locations, tickets=tickets, months=months, seed=seed, end=end,
                     tz=ZoneInfo(settings.timezone), cutoff_hour=settings.same_day_cutoff_hour)
    plan = [p for p in plan if p.steps]
    report = HistoryReport(skipped=False, existing=existing, deleted=deleted, planned=len(plan),
                           first=min(p.registered_at for p in plan), last=max(p.registered_at for p in plan))
    url = engine.url.render_as_string(hide_password=False)
    with tqdm(total=len(plan), unit="工单", desc="history", disable=quiet, file=sys.stderr) as bar:
        if workers <= 1:
            report.outcome = run_batches(url, plan, progress=bar.update)
        else:
            report.outcome = _run_parallel(url, plan, workers, bar)
    report.seconds = clock.monotonic() - started
    return report


def _run_parallel(url: str, plan: list[PlannedTicket], workers: int, bar) -> Outcome:
    """Workers take contiguous ranges of batches (so of days: no two share a day's number counter)."""
    from concurrent.futures import ProcessPoolExecutor
    batches = sorted({p.batch for p in plan})
    share = math.ceil(len(batches) / workers)
    parts = [set(batches[i:i + share]) for i in range(0, len(batches), share)]
    context = multiprocessing.get_context("spawn")
    outcome = Outcome()
    with context.Manager() as manager, ProcessPoolExecutor(len(parts), mp_context=context) as pool:
        queue = manager.Queue()
        futures = [pool.submit(_worker, url, [p for p in plan if p.batch in part], queue)
                   for part in parts]
        while not all(f.done() for f in futures):
            try:
                bar.update(queue.get(timeout=0.5))
            except Exception:       # queue.Empty: nothing finished in the last half second
                pass
        while not queue.empty():
            bar.update(queue.get())
        for future in futures:
            outcome.add(future.result())      # re-raises a worker's error here
    return outcome


# ------------------------------------------------------------------------------------------------ CLI

def register(subparsers) -> None:
    cmd = subparsers.add_parser("history", help="generate a realistic ticket history through the services")
    cmd.add_argument("--tickets", type=int, default=DEFAULT_TICKETS, help=f"about how many (default {DEFAULT_TICKETS})")
    cmd.add_argument("--months", type=int, default=DEFAULT_MONTHS, help=f"ending now (default {DEFAULT_MONTHS})")
    cmd.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})")
    cmd.add_argument("--force", action="store_true", help="delete the generated history first (live tickets stay)")
    cmd.add_argument("--workers", type=int, default=2, help="processes writing at once (default 2)")
    cmd.add_argument("--quiet", action="store_true", help="no progress bar")
    cmd.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        report = generate_history(tickets=args.tickets, months=args.months, seed=args.seed, force=args.force,
                                  workers=args.workers, quiet=args.quiet)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if report.skipped:
        print(f"history already there ({report.existing} tickets); --force replaces it")
        return 0
    for line in report.outcome.refused:
        print(f"error: {line}", file=sys.stderr)
    deleted = f"deleted {report.deleted} old history tickets; " if report.deleted else ""
    print(f"{deleted}wrote {report.outcome.tickets} tickets and {report.outcome.steps} steps "
          f"({report.first:%Y-%m-%d} – {report.last:%Y-%m-%d}) in {report.seconds:.0f} s")
    return 1 if report.outcome.refused else 0
