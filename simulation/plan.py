"""The plan of a realistic past: every ticket of the history with its steps, from the seed alone (no database, no
writes). ``etl history`` (etl/history.py) writes the plan through the services.

What shapes it:
- seasons: heating complaints from 1 November to 31 March (Anshan's heating season), peaking as heating starts
  and in cold snaps; burst water pipes in cold snaps; noise on summer evenings; potholes in the spring thaw;
- a daily temperature (Anshan's climate plus a persistent random anomaly, which makes the cold snaps);
- daily and weekly rhythm (office hours, fewer reports at weekends), hotline the majority channel;
- outcomes: ~99.8 % closed, ~95 % resolved on time, ~95 % satisfied among those who rate; a few refusals,
  returns and re-dispatches, escalations of late tickets, joint meetings, reopenings after a 不满意, duplicates
  merged into the first report.

Crews are not assigned: history must not move today's crews (dispatching a crew changes its live status).
The plan is cut into batches that never split a local day, so the writer can spread them over processes without
the result depending on how many.
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from workorders.contract import NewTicket
from simulation.behaviour import Odds, citizen_rating
from simulation.demand import (CATEGORY_WEIGHTS, DESCRIPTIONS, HOUR_PROFILES, OFFICE_HOURS, OPERATORS, PAST,
                               WEEKDAY_FACTOR, channel_weights, climate_temperature, seasonal_factor)
from simulation.draws import Weighted, pick
from simulation.names import mobile_phone, person_name
from workorders.deadlines import compute_deadlines

BATCH_TICKETS = 250

# ------------------------------------------------------------------------------------------------ weather

def temperatures(days: list[date], rng: np.random.Generator) -> np.ndarray:
    """Daily mean °C in Anshan: the climate (simulation.demand.climate_temperature) plus a random anomaly that
    persists for days (AR(1), sd ≈ 4 °C): the cold snaps and heat waves."""
    seasonal = np.array([climate_temperature(d) for d in days])
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
    request: NewTicket
    steps: list[Step] = field(default_factory=list)
    master: int | None = None   # a duplicate: the index of the ticket it is merged into
    batch: int = 0


def make_plan(catalogue: dict, locations: list[dict], *, tickets: int, months: int, seed: int, end: datetime,
              tz: ZoneInfo, cutoff_hour: int, odds: Odds = Odds(), progress=None) -> list[PlannedTicket]:
    """Every ticket of the history with its steps, from the seed alone (no database). ``progress(n)`` is told of
    each ticket twice, when it is placed in time and when its life is planned (a million take minutes)."""
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
                plan.append(_ticket(rng, len(plan), code, registered, pools, seed))
        if progress is not None:
            progress(int(counts[di].sum()))
    plan.sort(key=lambda p: p.registered_at)
    for i, p in enumerate(plan):
        p.index = i
    for p in plan:
        category = catalogue[p.category]
        deadlines = compute_deadlines(category, p.registered_at, p.request.variant, tz=tz, cutoff_hour=cutoff_hour)
        p.steps = lifecycle(rng, p, category, deadlines, odds)
        if progress is not None and p.index % 1000 == 999:
            progress(1000)
    _add_duplicates(rng, plan, duplicates, odds, seed, end)
    plan = [_cut(p, end) for p in plan]
    _assign_batches(plan, tz)
    return plan


def _moment(rng: np.random.Generator, day: date, category: str, tz: ZoneInfo) -> datetime:
    hour = _hour_profile(category).index(rng)
    local = datetime.combine(day, time(hour), tzinfo=tz) + timedelta(seconds=float(rng.uniform(0, 3600)))
    return local.astimezone(timezone.utc)


@functools.cache
def _hour_profile(category: str) -> Weighted:
    return Weighted(HOUR_PROFILES.get(category, OFFICE_HOURS))


@functools.cache
def _channel_profile(category: str) -> tuple[list[str], Weighted]:
    weights = channel_weights(category, PAST)
    return list(weights), Weighted(list(weights.values()))


def _channel(rng: np.random.Generator, category: str) -> str:
    names, weights = _channel_profile(category)
    return names[weights.index(rng)]


def _ticket(rng, index: int, code: str, registered: datetime, pools: dict[str, list[dict]], seed: int
            ) -> PlannedTicket:
    channel = _channel(rng, code)
    # Residents' matters come from their building; what is seen outdoors anywhere people are (camera points).
    indoor = code in ("heating_cold", "housing_repair", "neighbour_dispute", "noise", "gas_leak", "power_fault")
    kind = "building" if indoor or rng.random() < 0.45 else "camera"
    place = _pick(rng, pools, kind)
    anonymous = channel in ("grid_worker", "api") or rng.random() < 0.05
    request = NewTicket(
        channel=channel, category=code, description=pick(rng, DESCRIPTIONS[code]),
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
# Department placeholder: where a returned ticket goes next (see next_department).
NEXT_DEPARTMENT = "@next"


def lifecycle(rng: np.random.Generator, ticket: PlannedTicket, category, deadlines, odds: Odds) -> list[Step]:
    """The steps of one ticket from intake to closure, at plausible times (cut at the end of the history later)."""
    reg, due = ticket.registered_at, deadlines.resolve_due_at
    operator = pick(rng, OPERATORS)
    line = Timeline(ticket.index, reg)
    if rng.random() < odds.refuse:
        line.add(reg + _minutes(rng.uniform(8, 60)), "refuse", operator, reason=REFUSE_REASON)
        return line.steps
    urgent = category.arrival_minutes is not None
    # The time an on-time crew has: the arrival limit, or less when the ticket is due sooner than that (an indoor
    # heating call at 23:40 is due at midnight, 室内维修不过夜): the desk then hurries every step to fit it.
    room = min(float(category.arrival_minutes or 0), (due - reg) / timedelta(minutes=1) * 0.6) if urgent else 0.0
    hurry = min(1.0, room / category.arrival_minutes) if urgent else 1.0
    t = line.add(reg + _minutes((rng.uniform(1, 6) if urgent else rng.uniform(5, 45)) * hurry), "dispatch", operator)
    if (len(category.departments) > 1 or category.code == "other") and rng.random() < odds.returned:
        t = line.add(t + _minutes(rng.uniform(10, 120)), "return", CURRENT_LEAD, reason=RETURN_REASON)
        t = line.add(t + _minutes(rng.uniform(10, 60)), "dispatch", operator, department=NEXT_DEPARTMENT)
    t = line.add(t + _minutes((rng.uniform(1, 5) if urgent else rng.uniform(3, 40)) * hurry), "accept", CURRENT_LEAD)
    if urgent:
        late = rng.random() < odds.late_arrival
        factor = rng.uniform(1.05, 2.2) if late else rng.uniform(0.3, 0.95)
        t = line.add(reg + _minutes((category.arrival_minutes if late else room) * factor), "arrive", CURRENT_LEAD)
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
    rating = citizen_rating(rng, True, odds)     # the callback (回访) tries every ticket, phone or not
    if rating is None:                     # no answer to the callback: the operator closes it after a few days
        line.add(t + _minutes(rng.uniform(24, 48) * 60), "close", operator)
        return
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


def _add_duplicates(rng, plan: list[PlannedTicket], count: int, odds: Odds, seed: int, end: datetime) -> None:
    """Second reports of the same matter at the same place, merged into the first while it is still open; one that
    would come after the end of the history is not made (the history is the past only)."""
    candidates = [p for p in plan if len(p.steps) > 3 and p.steps[1].action == "dispatch"]
    if not candidates or count <= 0:
        return
    for master in (candidates[int(i)] for i in rng.choice(len(candidates), size=count, replace=True)):
        resolve = next(s.at for s in master.steps if s.action == "resolve")
        window = min(_minutes(90), (resolve - master.registered_at) * 0.8)
        registered = master.registered_at + _minutes(2) + window * float(rng.uniform(0, 1))
        if registered >= end:
            continue
        index = len(plan)
        request = NewTicket(
            channel=_channel(rng, master.category), category=master.category,
            description=master.request.description, lon=master.request.lon, lat=master.request.lat,
            address=master.request.address, variant=master.request.variant,
            source_ref=f"history:{seed}", registered_at=registered)
        dup = PlannedTicket(index, master.category, request.channel, registered, request, master=master.index)
        line = Timeline(index, registered)
        line.add(registered + _minutes(rng.uniform(2, 20)), "merge", pick(rng, OPERATORS),
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


# Where a ticket of 其他 goes after the grid center sends it back (the matters it mostly turns out to be).
OTHER_DESTINATIONS = ("cgj", "zjj", "mzj", "scj", "wjj")


def next_department(lead: str, returned_by: str | None, index: int) -> str | None:
    """Where the ``index``-th planned ticket goes when its step says NEXT_DEPARTMENT. The services re-route a
    ticket on return to the category's next department; only when none is left (the lead is still the one that
    returned it) does the dispatcher choose one."""
    if lead != returned_by:
        return None
    return next(d for d in OTHER_DESTINATIONS[index % len(OTHER_DESTINATIONS):] + OTHER_DESTINATIONS
                if d != returned_by)
