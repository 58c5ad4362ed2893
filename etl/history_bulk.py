"""The set-based writer of `python -m etl history` (the default; `--through-services` is the slow path).

It runs the same plan through the same loop (etl.history_steps.execute_batch) as the service path, but each step is
applied to the ticket in memory by BulkWriter, which follows services.tickets rule for rule (intake: category
version in force, place, deadlines, routing, number; transitions: the state table, the policy, each action's
effects, supervisions, joint meetings, merges, the evaluation). A chunk of whole batches (~5,000 tickets) is then
written at once by geo/bulk_history.py: one statement for its ids and one for its day counters (a short
transaction before its steps run), then COPY of its tickets, events, supervisions and joint meetings and one
statement for its repeat links (one transaction, sent by a second thread while the next chunk is prepared). The
analytics aggregate is rebuilt once at the end (etl/history.py).

Not written: outbox rows. The service path writes one per change and marks them published at once, so the relay
never sends them; nothing reads a published row but the retention that deletes it. The ticket's events are the
record. tests/integration/test_history_bulk.py holds both paths to the same rows.
"""
from __future__ import annotations

import bisect
import secrets
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from etl.history_steps import Outcome, execute_batch, registrar
from simulation.plan import PlannedTicket
from workorders import policy
from workorders.catalogue import Category, category_from_row
from workorders.contract import IntakeError, phone_digits
from workorders.deadlines import compute_deadlines
from workorders.handling import HELD_FLAG
from workorders.routing import RoutingExhausted, route
from workorders.states import ACTIONS, FINAL_STATES, TransitionRefused, next_state
from workorders.vocabulary import CHANNELS, LEVEL_NAMES, SATISFACTION

CHUNK_TICKETS = 5_000
DISTRICT_CENTER = "区指挥中心"          # who answers a supervision at the district level (services.tickets)


@dataclass
class Intake:
    """What services.tickets._create decides for a planned ticket before anything is written."""
    category: Category
    version: int | None
    place: dict
    lon: float
    lat: float


class Reference:
    """What intake reads from the database, read once for the whole history."""

    def __init__(self, conn, locations: list[tuple[float, float]], tz: ZoneInfo, cutoff_hour: int):
        from geo import bulk_history as sql
        from geo import catalogue as catalogue_sql
        from geo.grids import places_at
        self.tz, self.cutoff_hour = tz, cutoff_hour
        self.versions: dict[str, list[tuple[datetime, int, Category]]] = {}
        self.unversioned: dict[str, Category] = {}
        rows = catalogue_sql.catalogue_history(conn)[1]
        for row in sorted(rows, key=lambda r: (r["version"] is not None, r["valid_from"] or 0, r["version"] or 0)):
            category = category_from_row(row)
            if row["version"] is None:
                self.unversioned[row["code"]] = category
            else:
                self.versions.setdefault(row["code"], []).append((row["valid_from"], row["version"], category))
        points = sorted(set(locations))
        self.places = dict(zip(points, places_at(conn, points, ("grid_code", "community_code", "street_code"))))
        self.department_names = sql.department_names(conn)
        self.street_names = sql.street_names_by_community(conn)

    def category_at(self, code: str, at: datetime) -> tuple[Category, int | None] | None:
        """workorders.catalogue.rows_in_force for one code, by bisection (it runs once per planned ticket): the
        newest version in force at ``at`` (ties: the higher version), else the category row itself when no version
        is in force yet, else None (unknown then)."""
        versions = self.versions.get(code, [])
        in_force = bisect.bisect_right([v[0] for v in versions], at)
        if in_force:
            latest = versions[in_force - 1][0]
            valid_from, version, category = max(v for v in versions[:in_force] if v[0] == latest)
            return category, version
        return (self.unversioned[code], None) if code in self.unversioned else None

    def intake(self, ticket: PlannedTicket) -> Intake:
        """services.tickets._validate and _locate for a planned ticket (lat/lon always given), or IntakeError."""
        request = ticket.request
        if request.channel not in CHANNELS:
            raise IntakeError("channel", f"未知渠道 {request.channel!r}（可选：{', '.join(CHANNELS)}）")
        found = self.category_at(request.category, ticket.registered_at)
        if found is None:
            raise IntakeError("category", f"未知事项类别 {request.category!r}")
        category, version = found
        if request.variant and request.variant not in category.variants:
            raise IntakeError("variant", f"{category.name} 没有子类 {request.variant!r}")
        place = self.places.get((request.lon, request.lat))
        if place is None:
            raise IntakeError("location", f"该位置不在本辖区内 (lat={request.lat:.6f}, lon={request.lon:.6f} "
                                          "is outside the district)")
        return Intake(category, version, place, request.lon, request.lat)


class BulkWriter:
    """services.tickets' rules applied to tickets in memory; the rows to write accumulate in ``tickets``,
    ``events``, ``supervisions`` and ``meetings`` (ticket ids reserved up front)."""

    def __init__(self, reference: Reference, intakes: dict[int, Intake | IntakeError], ids: list[int],
                 first_numbers: dict[date, int]):
        self.reference = reference
        self.intakes = intakes
        self.ids = iter(ids)
        self.next_number = dict(first_numbers)
        self.tickets: dict[str, dict] = {}          # by number, in the order of registration
        self.by_token: dict[str, dict] = {}
        self.categories: dict[int, Category] = {}    # by ticket id: the version it was registered under
        self.returned: dict[int, set[str]] = {}      # by ticket id: departments that returned it
        self.events: list[tuple] = []
        self.supervisions: list[list] = []
        self.open_supervisions: dict[int, list[list]] = {}   # by ticket id: those a resolve closes
        self.allowed: set[str] = set()               # actions the policy let the history's principals run
        self.meetings: list[tuple] = []

    # ------------------------------------------------------------------------------------------ intake

    def create(self, ticket: PlannedTicket, at: datetime) -> dict:
        intake = self.intakes[ticket.index]
        if isinstance(intake, IntakeError):
            raise intake
        request, category = ticket.request, intake.category
        principal = registrar(request)
        if principal is not None or request.channel not in ("api", "web"):
            policy.require_intake(principal, request.channel)
        registered_by = principal.label if principal else None
        deadlines = compute_deadlines(category, at, request.variant, tz=self.reference.tz,
                                      cutoff_hour=self.reference.cutoff_hour)
        routed = route(category, intake.place["street_code"])
        row = {
            "id": next(self.ids), "number": self._number(at), "channel": request.channel,
            "category_code": category.code, "category_version": intake.version,
            "variant": request.variant or category.default_variant, "description": request.description.strip(),
            "lon": intake.lon, "lat": intake.lat, **intake.place, "address": request.address,
            "citizen_name": request.citizen_name, "citizen_phone": phone_digits(request.citizen_phone) or None,
            "priority": request.priority or category.priority, "complexity": category.complexity,
            "lead_department_code": routed.lead_department, "co_department_codes": list(routed.co_departments),
            "handled_by_community": routed.handled_by_community, "state": "registered", "escalation_level": 0,
            "supervised": False, "returned_count": 0, "reopened_count": 0, "merged_into_id": None, "flags": [],
            "attributes": request.attributes or {}, "source_ref": request.source_ref,
            "registered_by": registered_by, "registered_at": at, "dispatched_at": None, "accepted_at": None,
            "on_site_at": None, "resolved_at": None, "evaluated_at": None, "closed_at": None, "updated_at": at,
            "arrival_due_at": deadlines.arrival_due_at, "resolve_due_at": deadlines.resolve_due_at,
            "evaluation_token": None, "satisfaction": None, "evaluation_comment": None, "children": [],
        }
        self.tickets[row["number"]] = row
        self.categories[row["id"]] = category
        self.returned[row["id"]] = set()
        self._event(row, at, registered_by or CHANNELS[request.channel], "register", None, "registered",
                    data={"channel": request.channel})
        return row

    def _number(self, at: datetime) -> str:
        day = at.astimezone(self.reference.tz).date()
        seq = self.next_number[day]
        self.next_number[day] = seq + 1
        return f"{day:%Y%m%d}-{seq:06d}"

    # ------------------------------------------------------------------------------------------ transitions

    def transition(self, number: str, action: str, actor: str, reason: str | None, department: str | None,
                   data: dict | None, at: datetime) -> dict:
        """services.tickets.transition for a system principal named ``actor`` (no crew: history moves none)."""
        ticket = self.tickets.get(number)
        if ticket is None:
            raise _not_found(f"没有工单 {number}")
        if action in policy.ACTION_RIGHTS and action not in self.allowed:
            # A system principal's rights do not depend on the ticket (policy.can): asked once an action.
            policy.require_action(policy.system_principal(actor), action, policy.Target.of_ticket(ticket))
            self.allowed.add(action)
        target = next_state(ticket["state"], action, reason)
        if HELD_FLAG in ticket["flags"]:
            raise TransitionRefused(f"工单 {number} 已挂起，请先恢复办理再{ACTIONS[action].label}")
        data = data or {}
        changes = self._effects(ticket, action, reason, department, data, at)
        before = ticket["state"]
        returned_by = ticket["lead_department_code"]
        ticket.update(changes, state=target, updated_at=at)
        self._event(ticket, at, actor, action, before, target, reason,
                    {**data, **({"department": department} if department else {}),
                     **({"returned_by": returned_by} if action == "return" else {})})
        if action == "close":
            for child in ticket["children"]:          # services.tickets._close_merged
                child.update(closed_at=at, updated_at=at)
                self._event(child, at, actor, "notify_closed", child["state"], child["state"],
                            data={"master": ticket["number"]})
        return ticket

    def _effects(self, ticket: dict, action: str, reason: str | None, department: str | None, data: dict,
                 at: datetime) -> dict:
        """services.tickets._effects, without crews."""
        if action == "dispatch":
            changes = {"dispatched_at": ticket["dispatched_at"] or at}
            if department:
                if department not in self.reference.department_names:
                    raise TransitionRefused(f"unknown department {department!r}")
                changes["lead_department_code"] = department
            return changes
        if action == "accept":
            return {"accepted_at": ticket["accepted_at"] or at}
        if action == "return":
            self.returned[ticket["id"]].add(ticket["lead_department_code"])
            return {"returned_count": ticket["returned_count"] + 1, **self._reroute(ticket)}
        if action == "arrive":
            return {"on_site_at": ticket["on_site_at"] or at}
        if action == "resolve":
            token = ticket["evaluation_token"] or secrets.token_urlsafe(18)
            self.by_token[token] = ticket
            for supervision in self.open_supervisions.pop(ticket["id"], []):
                supervision[6] = at
            return {"resolved_at": at, "evaluation_token": token}
        if action == "reopen":
            return {"reopened_count": ticket["reopened_count"] + 1, "resolved_at": None}
        if action == "close":
            return {"closed_at": at}
        if action == "escalate":
            step = 0 if data.get("arrival_breach") else 1
            level = min(ticket["escalation_level"] + step, len(LEVEL_NAMES) - 1)
            supervision = [ticket["id"], level, self._answerable(ticket, level), None, reason, at, None]
            self.supervisions.append(supervision)
            self.open_supervisions.setdefault(ticket["id"], []).append(supervision)
            return {"escalation_level": level, "supervised": True}
        if action == "joint_meeting":
            departments = data.get("departments") or [ticket["lead_department_code"], *ticket["co_department_codes"]]
            meeting_date = date.fromisoformat(str(data.get("meeting_date") or at.date()))
            self.meetings.append((ticket["id"], meeting_date, departments, data.get("decision"),
                                  data.get("follow_up"), at))
            return {}
        if action == "merge":
            into = self.tickets.get(data.get("into") or "")
            if into is None or into["id"] == ticket["id"]:
                raise TransitionRefused("merge needs the number of another ticket in 'into'")
            if into["state"] in FINAL_STATES:
                raise TransitionRefused(f"cannot merge into {into['number']}: it is {into['state']}")
            into["children"].append(ticket)
            return {"merged_into_id": into["id"]}
        return {}

    def _reroute(self, ticket: dict) -> dict:
        """services.tickets._reroute: the next department of the category that has not returned it."""
        try:
            routed = route(self.categories[ticket["id"]], ticket["street_code"],
                           exclude=frozenset(self.returned[ticket["id"]]))
        except RoutingExhausted:
            return {}
        return {"lead_department_code": routed.lead_department, "co_department_codes": list(routed.co_departments),
                "handled_by_community": False}

    def _answerable(self, ticket: dict, level: int) -> str:
        if level >= 2:
            return DISTRICT_CENTER
        if ticket["handled_by_community"]:
            return self.reference.street_names[ticket["community_code"]]
        return self.reference.department_names[ticket["lead_department_code"]]

    # ------------------------------------------------------------------------------------------ evaluation

    def evaluate(self, token: str, satisfaction: str, reopen: bool, at: datetime) -> dict:
        """services.tickets.evaluate (no comment: the plan's citizens write none)."""
        if satisfaction not in SATISFACTION:
            raise IntakeError("satisfaction", f"评价应为 {' / '.join(SATISFACTION)}")
        ticket = self.by_token.get(token)
        if ticket is None:
            raise _not_found("评价链接无效")
        if ticket["state"] != "resolved":
            raise TransitionRefused(f"工单 {ticket['number']} 当前不可评价（{ticket['state']}）")
        ticket.update(satisfaction=satisfaction, evaluation_comment=None, evaluated_at=at)
        citizen = policy.CITIZEN.label
        self.transition(ticket["number"], "evaluate", citizen, None, None, {"satisfaction": satisfaction}, at)
        follow = "reopen" if satisfaction == "unsatisfied" and reopen else "close"
        return self.transition(ticket["number"], follow, citizen, "群众不满意" if follow == "reopen" else None, None,
                               None, at)

    # ------------------------------------------------------------------------------------------ rows

    def _event(self, ticket: dict, at: datetime, actor: str, action: str, before: str | None, after: str | None,
               reason: str | None = None, data: dict | None = None) -> None:
        self.events.append((ticket["id"], at, actor, action, before, after, reason, data or {}))

    def ticket_rows(self):
        from geo.bulk_history import TICKET_COLUMNS, point
        for ticket in self.tickets.values():
            yield [point(ticket["lon"], ticket["lat"]) if c == "geom" else ticket[c] for c in TICKET_COLUMNS]


def _not_found(message: str) -> Exception:
    from services.tickets import NotFound as ServiceNotFound
    return ServiceNotFound(message)


# ------------------------------------------------------------------------------------------------ writing

def write_bulk(engine, plan: list[PlannedTicket], tz: ZoneInfo, cutoff_hour: int, progress=None):
    """Write ``plan`` a chunk of whole batches at a time; the Outcome of all.

    Two threads, so that Python and PostgreSQL work at once: this one reserves a chunk's ids and numbers (a short
    transaction of its own), runs its steps in memory and renders its rows as COPY text; the writer thread sends
    each chunk in one transaction of its own, in order (a chunk's repeat links read the chunks before it). A
    failure stops both; chunks committed stay, as the service path's batches do, and numbers reserved for a chunk
    that was not written are gaps in that day's numbering, never reused."""
    import queue
    import threading
    with engine.connect() as conn:
        reference = Reference(conn, [(p.request.lon, p.request.lat) for p in plan], tz, cutoff_hour)
    outcome = Outcome()
    ready: queue.Queue = queue.Queue(maxsize=2)
    failed: list[BaseException] = []

    def send() -> None:
        while (chunk := ready.get()) is not None:
            if failed:
                continue                     # drain after a failure: the producer is told and stops
            try:
                with engine.begin() as conn:
                    write_chunk(conn, chunk)
                if progress is not None:
                    progress(chunk.size)
            except BaseException as error:   # noqa: BLE001 - re-raised in the caller's thread below
                failed.append(error)

    writer = threading.Thread(target=send, name="history-writer", daemon=True)
    writer.start()
    try:
        written, analyzed = 0, 0
        for batches in _chunks(plan):
            if failed:
                break
            size = sum(len(batch) for batch in batches)
            # Fresh planner statistics whenever the history has doubled since the last ones (log2 of the chunks).
            analyze = written + size > 2 * analyzed
            with engine.begin() as conn:
                chunk = prepare_chunk(conn, reference, batches, analyze)
            outcome.add(chunk.outcome)
            ready.put(chunk)
            written += size
            analyzed = written if analyze else analyzed
    finally:
        ready.put(None)
        writer.join()
    if failed:
        raise failed[0]
    return outcome


def _chunks(plan: list[PlannedTicket], size: int = CHUNK_TICKETS) -> list[list[list[PlannedTicket]]]:
    """Consecutive batches (a batch never splits a day, a duplicate is in its first report's batch), grouped
    until a group holds ``size`` tickets."""
    batches: dict[int, list[PlannedTicket]] = {}
    for p in plan:
        batches.setdefault(p.batch, []).append(p)
    chunks: list[list[list[PlannedTicket]]] = [[]]
    held = 0
    for number in sorted(batches):
        if held >= size:
            chunks.append([])
            held = 0
        chunks[-1].append(batches[number])
        held += len(batches[number])
    return [c for c in chunks if c]


@dataclass
class Chunk:
    """A chunk's rows as COPY text, and what the writer thread needs besides."""
    size: int
    outcome: object
    copies: list[tuple[str, tuple[str, ...], object]]     # (table, columns, COPY text)
    ticket_ids: list[int]
    analyze: bool


def prepare_chunk(conn, reference: Reference, batches: list[list[PlannedTicket]], analyze: bool) -> Chunk:
    """Intake decided for every ticket of the chunk, ids and numbers reserved for those accepted, the steps run
    batch by batch as the service path runs them, every row rendered for COPY."""
    from collections import Counter

    from geo import bulk_history as sql
    intakes: dict[int, Intake | IntakeError] = {}
    for ticket in (p for batch in batches for p in batch):
        try:
            intakes[ticket.index] = reference.intake(ticket)
        except IntakeError as refused:
            intakes[ticket.index] = refused
    accepted = [p for batch in batches for p in batch if isinstance(intakes[p.index], Intake)]
    days = Counter(p.registered_at.astimezone(reference.tz).date() for p in accepted)
    ids = sql.reserve_ticket_ids(conn, len(accepted)) if accepted else []
    writer = BulkWriter(reference, intakes, ids, sql.reserve_numbers(conn, dict(days)))
    outcome = Outcome()
    for batch in batches:
        outcome.add(execute_batch(writer, batch))
    copies = [("tickets", sql.TICKET_COLUMNS, sql.copy_text(writer.ticket_rows())),
              ("ticket_events", sql.EVENT_COLUMNS, sql.copy_text(writer.events)),
              ("supervisions", sql.SUPERVISION_COLUMNS, sql.copy_text(writer.supervisions)),
              ("joint_meetings", sql.MEETING_COLUMNS, sql.copy_text(writer.meetings))]
    return Chunk(sum(len(b) for b in batches), outcome, copies, [t["id"] for t in writer.tickets.values()], analyze)


def write_chunk(conn, chunk: Chunk) -> None:
    """One chunk's rows, then its repeat links (they read what is in the table)."""
    from geo import bulk_history as sql
    from settings import get_settings
    from workorders.supervision import REPEAT_FLAG
    sql.tune_session(conn)
    for table, columns, text in chunk.copies:
        sql.copy_into(conn, table, columns, text)
    if chunk.analyze:
        sql.analyze_tickets(conn)
    settings = get_settings()
    sql.link_repeats(conn, chunk.ticket_ids, settings.repeat_radius_m, settings.repeat_window_days, REPEAT_FLAG)
