"""Work-order services: intake from every channel, transitions, evaluation, escalation, supervision.

Each public function runs in one transaction (its own, or the caller's ``conn``): the ticket, its event row and
its outbox row are written together or not at all, so an accepted ticket survives any crash after the commit.

Rights are decided here, whatever door calls: every change takes the ``policy.Principal`` who acts and asks
workorders/policy.py (``require_action`` with the ticket as the target, so a department moves only its own
tickets). The history names whoever the principal is (its ``label``), never a name a form or a body typed.
"""
from __future__ import annotations

import hashlib
import json
import secrets
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any, Iterator

from sqlalchemy import Connection
from sqlalchemy.engine import Engine

from events.wire import wire_values
from geo import catalogue as catalogue_sql
from geo import intake as intake_sql
from geo import supervision as supervision_sql
from geo import tickets as db
from geo.db import get_engine
from services import audit, catalogue_memo
from settings import get_settings
from workorders import policy
from workorders.catalogue import Category, category_from_row
from workorders.clock import local_date, local_zone
from workorders.contract import IntakeError, NewTicket, phone_digits  # noqa: F401 - doors import these here
from workorders.deadlines import compute_deadlines
from workorders.handling import HELD_FLAG
from workorders.policy import Principal
from workorders.routing import RoutingExhausted, route
from workorders import supervision as supervision_rules
from workorders.states import ACTIONS, FINAL_STATES, TransitionRefused, next_state
from workorders.vocabulary import CHANNELS, LEVEL_NAMES, SATISFACTION

ESCALATION_GRACE_HOURS = 24.0
# Trigram similarity an address needs to be placed without a human choosing (suggestion lists show weaker ones).
ADDRESS_MATCH_MIN_SCORE = 0.5
# Channels anybody may file through without being anyone (a citizen's web form, an anonymous API client): every
# other channel is registered by someone holding the ``intake`` right (an operator, a key, the simulator).
ANONYMOUS_CHANNELS = frozenset({"api", "web"})
SYSTEM = policy.system_principal("system")      # the escalation sweep; the public timeline shows its reasons


class NotFound(LookupError):
    pass


class IdempotencyConflict(ValueError):
    """The same Idempotency-Key was used before with a different request body."""


class _KeyRace(Exception):
    """Another transaction stored the same idempotency key first."""


@dataclass
class Created:
    ticket: dict
    created: bool          # False: an idempotent replay (the ticket of the first request)
    duplicates: list[dict]  # open look-alikes near the ticket, for a replay as for the first answer


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


@contextmanager
def _transaction(conn: Connection | None, engine: Engine | None = None) -> Iterator[Connection]:
    if conn is not None:
        yield conn
        return
    with (engine or get_engine()).begin() as own:
        yield own


# ------------------------------------------------------------------------------------------------ catalogue

def categories(conn: Connection) -> dict[str, Category]:
    """The catalogue by code, as it stands (each category's current version)."""
    return {row["code"]: category_from_row(row) for row in db.category_rows(conn)}


def category_of_ticket(conn: Connection, ticket: dict) -> Category:
    """The category version the ticket was registered under (migration 0023; before it: the current one), so a
    later change of the rules does not re-route a ticket already in hand."""
    version = ticket.get("category_version")
    row = catalogue_sql.category_version_row(conn, ticket["category_code"], version) if version else None
    return category_from_row(row) if row else categories(conn)[ticket["category_code"]]


# ------------------------------------------------------------------------------------------------ intake

def request_hash(request: NewTicket) -> str:
    body = request.model_dump(exclude={"registered_at", "registered_by"})
    return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


def create_ticket(request: NewTicket, principal: Principal | None, *, idempotency: tuple[str, str] | None = None,
                  now: datetime | None = None, conn: Connection | None = None,
                  engine: Engine | None = None) -> Created:
    """Register a request as a ticket. ``idempotency`` = (scope, key): the same key and body give the same ticket.

    ``principal``: who registers it (None: an anonymous citizen, only on ANONYMOUS_CHANNELS); it becomes the
    ticket's ``registered_by`` whatever the request says."""
    request = registered_as(request, principal)
    for attempt in range(3):
        try:
            with _transaction(conn, engine) as c:
                return _create(c, request, principal, idempotency, now or request.registered_at or utcnow())
        except _KeyRace:
            if conn is not None or attempt == 2:
                raise IdempotencyConflict("the same Idempotency-Key is being used by a request in flight")
    raise AssertionError("unreachable")


def registered_as(request: NewTicket, principal: Principal | None) -> NewTicket:
    """The request as ``principal`` may file it: the intake right checked, ``registered_by`` its label."""
    if principal is not None or request.channel not in ANONYMOUS_CHANNELS:
        policy.require_intake(principal, request.channel)
    return request.model_copy(update={"registered_by": principal.label if principal else None})


def replayed(conn: Connection, request: NewTicket, idempotency: tuple[str, str] | None) -> Created | None:
    """The first answer to a request already registered under ``idempotency`` (scope, key), with its duplicates as
    they stand now; None for a key never used. The same key with another request is refused."""
    if not idempotency:
        return None
    seen = db.find_idempotency_key(conn, *idempotency)
    if seen is None:
        return None
    if seen["request_hash"] != request_hash(request):
        raise IdempotencyConflict("this Idempotency-Key was already used with a different request")
    ticket = db.ticket_by_id(conn, seen["ticket_id"])
    return Created(ticket, False, _duplicates(conn, ticket))


def _duplicates(conn: Connection, ticket: dict) -> list[dict]:
    """Open tickets of the same category near this one, registered shortly before it."""
    settings = get_settings()
    since = ticket["registered_at"] - timedelta(hours=settings.duplicate_window_hours)
    return db.open_tickets_near(conn, ticket["category_code"], ticket["lon"], ticket["lat"],
                                settings.duplicate_radius_m, since, exclude_id=ticket["id"])


def _create(conn: Connection, request: NewTicket, principal: Principal | None, idempotency,
            now: datetime) -> Created:
    """Two round trips for a ticket by its point (geo.intake): where it is with the catalogue's stamp, then the
    ticket with everything written with it; an address or a grid code adds the look-up that finds the point."""
    replay = replayed(conn, request, idempotency)
    if replay is not None:
        return replay
    located = _point_and_stamp(conn, request)
    stamp = located[0] if located else catalogue_sql.catalogue_stamp(conn)
    # The version of each category in force at the registration time: a rule changed at /admin applies to the
    # tickets registered after the change (and a history written with past times gets the rules of then).
    category, version = _validate(request, catalogue_memo.catalogue_at(conn, stamp, now))
    lon, lat, place = _located(request.lon, request.lat, located[1]) if located else _locate(conn, request)
    related_id = _related(conn, request.related_number)
    if related_id:   # 越级: the original is flagged too, so its handlers see the citizen went over their heads
        _flag(conn, related_id, "refiled_higher", now)
    settings = get_settings()
    deadlines = compute_deadlines(category, now, request.variant, tz=local_zone(),
                                  cutoff_hour=settings.same_day_cutoff_hour)
    routed = route(category, place["street_code"])
    row = {
        "channel": request.channel, "category_code": category.code, "category_version": version,
        "variant": request.variant or category.default_variant, "description": request.description.strip(),
        "lon": lon, "lat": lat, **place, "address": request.address, "citizen_name": request.citizen_name,
        "citizen_phone": phone_digits(request.citizen_phone) or None, "priority": request.priority or category.priority,
        "complexity": category.complexity, "lead_department_code": routed.lead_department,
        "co_department_codes": list(routed.co_departments), "handled_by_community": routed.handled_by_community,
        "state": "registered", "related_ticket_id": related_id, "media_url": request.media_url,
        "attributes": request.attributes, "source_ref": request.source_ref, "registered_by": request.registered_by,
        "registered_at": now, "updated_at": now, "arrival_due_at": deadlines.arrival_due_at,
        "resolve_due_at": deadlines.resolve_due_at, "flags": ["escalated_filing"] if related_id else [],
    }
    done = intake_sql.register(conn, intake_sql.Registration(
        ticket=row, day=local_date(now),
        event_actor=request.registered_by or CHANNELS[request.channel], event_data={"channel": request.channel},
        outbox_topic="tickets", outbox_type="ticket.created",
        outbox_payload={"event": "ticket.created", "ticket": public_view(_as_stored(conn, row))},
        repeat_flag=supervision_rules.REPEAT_FLAG,
        repeat_since=supervision_rules.repeat_window_start(now, settings.repeat_window_days),
        repeat_radius_m=settings.repeat_radius_m,
        duplicate_since=now - timedelta(hours=settings.duplicate_window_hours),
        duplicate_radius_m=settings.duplicate_radius_m,
        idempotency=(*idempotency, request_hash(request)) if idempotency else None,
        audit=_audit_entry(principal, "ticket_created", "ticket:", {"channel": request.channel})))
    if not done.key_claimed:
        raise _KeyRace()
    return Created(done.ticket, True, done.duplicates)


def _as_stored(conn: Connection, row: dict) -> dict:
    """The new ticket as a read of it will give it (number and category name come from the statement that writes
    it): the columns' defaults, and times in the database session's zone, so the outbox payload is the one
    ``public_view`` makes of the ticket read back."""
    zone = intake_sql.session_zone(conn)
    stored = {"crew_code": None, "escalation_level": 0, "on_site_at": None, "resolved_at": None, "closed_at": None,
              **row}
    return {k: v.astimezone(zone) if isinstance(v, datetime) else v for k, v in stored.items()}


def _point_and_stamp(conn: Connection, request: NewTicket) -> tuple[str, dict | None] | None:
    """For a request with a point: the catalogue's stamp and the point's place, in one round trip."""
    if request.lon is None or request.lat is None:
        return None
    return intake_sql.place_and_stamp(conn, request.lon, request.lat)


def _validate(request: NewTicket, catalogue: dict[str, tuple[Category, int | None]]) -> tuple[Category, int | None]:
    """What the contract cannot know by itself (a NewTicket that exists has passed workorders.contract): the
    category of the request, with its version."""
    if request.channel not in CHANNELS:
        raise IntakeError("channel", f"未知渠道 {request.channel!r}（可选：{', '.join(CHANNELS)}）")
    if request.category not in catalogue:
        raise IntakeError("category", f"未知事项类别 {request.category!r}（可选：{', '.join(sorted(catalogue))}）")
    category, version = catalogue[request.category]
    if request.variant and request.variant not in category.variants:
        raise IntakeError("variant", f"{category.name} 没有子类 {request.variant!r}")
    return category, version


def _locate(conn: Connection, request: NewTicket) -> tuple[float, float, dict]:
    """Point and grid/community/street from the address, else a grid code (the contract saw to it that one of them
    is there when lat/lon are not)."""
    if request.address:
        matches = db.search_places(conn, "".join(request.address.split()), limit=1)
        if not matches or matches[0]["score"] < ADDRESS_MATCH_MIN_SCORE:
            raise IntakeError("address", f"找不到地址：{request.address!r}，请选择地图位置或网格")
        lon, lat = matches[0]["lon"], matches[0]["lat"]
    else:
        point = db.grid_point(conn, request.grid_code)
        if point is None:
            raise IntakeError("grid_code", f"没有网格 {request.grid_code!r}")
        lon, lat = point
    return _located(lon, lat, db.place_of_point(conn, lon, lat))


def _located(lon: float, lat: float, place: dict | None) -> tuple[float, float, dict]:
    if place is None:
        raise IntakeError("location", f"该位置不在本辖区内 (lat={lat:.6f}, lon={lon:.6f} is outside the district)")
    return lon, lat, place


def _related(conn: Connection, number: str | None) -> int | None:
    if not number:
        return None
    original = db.ticket_by_number(conn, number)
    if original is None:
        raise IntakeError("related_number", f"没有工单 {number}")
    return original["id"]


def _flag(conn: Connection, ticket_id: int, flag: str, now: datetime) -> None:
    ticket = db.ticket_by_id(conn, ticket_id)
    if flag not in ticket["flags"]:
        db.update_ticket(conn, ticket_id, {"flags": [*ticket["flags"], flag], "updated_at": now})
        db.add_event(conn, ticket_id, now, "system", "flag", ticket["state"], ticket["state"], data={"flag": flag})
        _publish(conn, "ticket.flagged", db.ticket_by_id(conn, ticket_id), now)


# ------------------------------------------------------------------------------------------------ events out

PUBLIC_FIELDS = ("number", "state", "channel", "category_code", "category_name", "lon", "lat", "grid_code",
                 "community_code", "street_code", "priority", "lead_department_code", "crew_code",
                 "escalation_level", "registered_at", "arrival_due_at", "resolve_due_at", "on_site_at",
                 "resolved_at", "closed_at", "updated_at")


def public_view(ticket: dict) -> dict:
    """What may travel on the stream and reach every screen: no citizen name, phone or description. Times in the
    one wire format (events.wire), the same as the live snapshot's."""
    return wire_values({k: ticket.get(k) for k in PUBLIC_FIELDS})


def _audited(principal: Principal | None) -> bool:
    """A change made by a person or a key goes to the audit log too, in the change's own transaction. The
    product's own processes (the simulator, the sweep, the history loader) and anonymous citizens are in the
    ticket's history only: the audit log answers who among those given access did what."""
    return principal is not None and principal.kind != "system"


def _audit_change(conn: Connection, principal: Principal | None, action: str, target: str,
                  detail: dict | None = None) -> None:
    if _audited(principal):
        audit.record(action, actor=principal, target=target, detail=detail, conn=conn)


def _audit_entry(principal: Principal | None, action: str, target: str, detail: dict | None = None) -> dict | None:
    """The audit row of a change written in the change's own statement (geo.intake), or None (see ``_audited``)."""
    return audit.entry_of(action, actor=principal, target=target, detail=detail) if _audited(principal) else None


def _publish(conn: Connection, event_type: str, ticket: dict, now: datetime) -> None:
    db.add_outbox(conn, "tickets", event_type, {"event": event_type, "ticket": public_view(ticket)}, now)


# ------------------------------------------------------------------------------------------------ transitions

@dataclass
class Transitioned:
    ticket: dict
    notice: str | None = None      # what whoever acted is told (resolve: that the citizen gets the rating SMS)
    # The SMS to the citizen's phone, with the evaluation link: for the SMS gateway only. The token in it is the
    # citizen's credential to rate the work, so no door shows it to whoever resolved the ticket (or anybody else).
    sms: str | None = None


def transition(number: str, action: str, principal: Principal, *, reason: str | None = None,
               department: str | None = None, crew: str | None = None, data: dict | None = None,
               now: datetime | None = None, conn: Connection | None = None) -> Transitioned:
    """Run ``action`` on the ticket, if ``principal`` may on this ticket (policy.ACTION_RIGHTS) and the state
    table allows it; the history names the principal."""
    now = now or utcnow()
    with _transaction(conn) as c:
        ticket = db.ticket_by_number(c, number, lock=True)
        if ticket is None:
            raise NotFound(f"没有工单 {number}")
        if action in policy.ACTION_RIGHTS:      # an unknown action is the state table's refusal, below
            policy.require_action(principal, action, policy.Target.of_ticket(ticket))
        target = next_state(ticket["state"], action, reason)
        if HELD_FLAG in ticket["flags"]:    # 挂起 (services/handling.py): the ticket waits until it is resumed
            raise TransitionRefused(f"工单 {number} 已挂起，请先恢复办理再{ACTIONS[action].label}")
        actor = principal.label
        changes, sms = _effects(c, ticket, action, target, actor, reason, department, crew, data or {}, now)
        db.update_ticket(c, ticket["id"], {**changes, "state": target, "updated_at": now})
        db.add_event(c, ticket["id"], now, actor, action, ticket["state"], target, reason,
                     {**(data or {}), **({"department": department} if department else {}),
                      **({"crew": crew} if crew else {}),
                      **({"returned_by": ticket["lead_department_code"]} if action == "return" else {})})
        updated = db.ticket_by_id(c, ticket["id"])
        _publish(c, f"ticket.{action}", updated, now)
        _audit_change(c, principal, "ticket_transition", f"ticket:{updated['number']}",
                      {"action": action, "from": ticket["state"], "to": target})
        if action == "close":
            _close_merged(c, updated, actor, now)
        return Transitioned(updated, RATING_NOTICE if sms else None, sms)


RATING_NOTICE = "已办结：评价短信将发送至群众手机"

# Actions after which a crew on its way to (or at) the ticket is free again; resolve frees it on its own.
RELEASES_CREW = frozenset({"return", "refuse", "merge", "close"})


def _effects(conn, ticket, action, target, actor, reason, department, crew, data, now) -> tuple[dict, str | None]:
    """The changes of ``action`` and, for resolve, the citizen's SMS."""
    changes: dict[str, Any] = {}
    sms = None
    if action == "dispatch":
        if department:
            if department not in db.department_codes(conn):
                raise TransitionRefused(f"unknown department {department!r}")
            changes["lead_department_code"] = department
        if crew:
            changes["crew_code"] = crew
            _crew_status(conn, crew, "en_route", now)
        changes["dispatched_at"] = ticket["dispatched_at"] or now
    elif action == "accept":
        changes["accepted_at"] = ticket["accepted_at"] or now
    elif action == "return":
        changes["returned_count"] = ticket["returned_count"] + 1
        changes["crew_code"] = None
        changes.update(_reroute(conn, ticket))
    elif action == "arrive":
        changes["on_site_at"] = ticket["on_site_at"] or now
        if ticket["crew_code"]:
            _crew_status(conn, ticket["crew_code"], "on_scene", now)
    elif action == "resolve":
        changes["resolved_at"] = now
        changes["evaluation_token"] = ticket["evaluation_token"] or secrets.token_urlsafe(18)
        if ticket["crew_code"]:
            _crew_status(conn, ticket["crew_code"], "available", now)
        db.close_supervisions(conn, ticket["id"], now)
        sms = evaluation_sms(ticket["number"], changes["evaluation_token"])
    elif action == "reopen":
        changes["reopened_count"] = ticket["reopened_count"] + 1
        changes["resolved_at"] = None
    elif action == "close":
        changes["closed_at"] = now
    elif action == "escalate":
        # A missed arrival deadline puts the ticket under supervision at its level; the resolution deadline (the
        # sweep's overdue rule) moves it up a level.
        step = 0 if data.get("arrival_breach") else 1
        level = min(ticket["escalation_level"] + step, len(LEVEL_NAMES) - 1)
        changes.update(escalation_level=level, supervised=True)
        unit, person = _answerable(conn, ticket, level)
        db.add_supervision(conn, ticket["id"], level, unit, person, reason, now)
    elif action == "joint_meeting":
        departments = data.get("departments") or [ticket["lead_department_code"], *ticket["co_department_codes"]]
        meeting_date = date.fromisoformat(str(data.get("meeting_date") or now.date()))
        db.add_joint_meeting(conn, ticket["id"], meeting_date, departments, data.get("decision"),
                             data.get("follow_up"), now)
    elif action == "merge":
        into = db.ticket_by_number(conn, data.get("into") or "")
        if into is None or into["id"] == ticket["id"]:
            raise TransitionRefused("merge needs the number of another ticket in 'into'")
        if into["state"] in FINAL_STATES:
            raise TransitionRefused(f"cannot merge into {into['number']}: it is {into['state']}")
        changes["merged_into_id"] = into["id"]
    if action in RELEASES_CREW and ticket["crew_code"] and ticket["state"] in ("dispatched", "accepted", "on_site"):
        _crew_status(conn, ticket["crew_code"], "available", now)   # the crew is not needed there any more
    return changes, sms


def _reroute(conn: Connection, ticket: dict) -> dict:
    """After a wrong-department return, the next department of the category takes the lead; when every one has
    returned it, the lead stays and a dispatcher must choose (dispatch with department=…)."""
    returned = db.returned_departments(conn, ticket["id"]) | {ticket["lead_department_code"]}
    category = category_of_ticket(conn, ticket)
    try:
        routed = route(category, ticket["street_code"], exclude=frozenset(returned))
    except RoutingExhausted:
        return {}
    return {"lead_department_code": routed.lead_department, "co_department_codes": list(routed.co_departments),
            "handled_by_community": False}


def _answerable(conn: Connection, ticket: dict, level: int) -> tuple[str, str | None]:
    """The unit and person a supervision holds to account at ``level``."""
    names = db.street_and_community_names(conn, ticket["community_code"])
    if level >= 2:
        return "区指挥中心", None
    if ticket["handled_by_community"]:
        return names["street"], None
    return ticket["lead_department_name"], None


def _crew_status(conn: Connection, crew: str, status: str, now: datetime) -> None:
    from geo.crews import set_crew_status
    if not set_crew_status(conn, crew, status):
        raise TransitionRefused(f"unknown crew {crew!r}")
    db.add_outbox(conn, "crews", "crew.status", {"event": "crew.status", "crew": crew, "status": status}, now)


def _close_merged(conn: Connection, master: dict, actor: str, now: datetime) -> None:
    """Callers of merged duplicates are told at closure like the first caller."""
    for child in db.merged_children(conn, master["id"]):
        db.update_ticket(conn, child["id"], {"closed_at": now, "updated_at": now})
        db.add_event(conn, child["id"], now, actor, "notify_closed", child["state"], child["state"],
                     data={"master": master["number"]})


def evaluation_sms(number: str, token: str) -> str:
    base = get_settings().public_base_url.rstrip("/")
    return (f"【铁东区96715】您反映的问题（工单 {number}）已办结。请对办理结果评价：{base}/evaluate/{token} "
            "回复满意、基本满意或不满意。")


# ------------------------------------------------------------------------------------------------ evaluation

def evaluate(token: str, satisfaction: str, comment: str | None = None, reopen: bool = True,
             now: datetime | None = None, conn: Connection | None = None) -> dict:
    """The citizen's rating. 不满意 reopens the ticket (unless ``reopen`` is False); otherwise it is closed."""
    if satisfaction not in SATISFACTION:
        raise IntakeError("satisfaction", f"评价应为 {' / '.join(SATISFACTION)}")
    now = now or utcnow()
    with _transaction(conn) as conn:
        ticket = db.ticket_by_token(conn, token)
        if ticket is None:
            raise NotFound("评价链接无效")
        if ticket["state"] != "resolved":
            raise TransitionRefused(f"工单 {ticket['number']} 当前不可评价（{ticket['state']}）")
        db.update_ticket(conn, ticket["id"], {"satisfaction": satisfaction, "evaluation_comment": comment,
                                               "evaluated_at": now})
        transition(ticket["number"], "evaluate", policy.CITIZEN, data={"satisfaction": satisfaction}, now=now,
                   conn=conn)
        follow = "reopen" if satisfaction == "unsatisfied" and reopen else "close"
        reason = (comment or "群众不满意") if follow == "reopen" else None
        return transition(ticket["number"], follow, policy.CITIZEN, reason=reason, now=now, conn=conn).ticket


# ------------------------------------------------------------------------------------------------ escalation

def escalate_overdue(now: datetime | None = None, engine: Engine | None = None) -> list[str]:
    """Move every late ticket one level up (承办单位 → 街道 → 区) and onto the supervision list."""
    now = now or utcnow()
    escalated = []
    with (engine or get_engine()).begin() as conn:
        # Only states the transition table lets escalate (a joint meeting is already the district's own handling).
        escalatable = sorted(ACTIONS["escalate"].sources)
        for row in db.overdue_tickets(conn, now, ESCALATION_GRACE_HOURS, escalatable):
            level = LEVEL_NAMES[min(row["escalation_level"] + 1, 2)]
            transition(row["number"], "escalate", SYSTEM, reason=f"超过办理时限，升级至{level}督办", now=now,
                       conn=conn)
            escalated.append(row["number"])
    return escalated


def raise_arrival_breaches(now: datetime | None = None, engine: Engine | None = None) -> list[str]:
    """Tickets whose arrival deadline (water 30 min, heating 20, power 40 …) passed with nobody on site: escalated
    at once (state 升级, a supervision at their level, flag ``arrival_breached``), so the dispatcher's map and
    /supervision show them now, not only at the resolution deadline. Once per ticket."""
    now = now or utcnow()
    raised = []
    with (engine or get_engine()).begin() as conn:
        escalatable = sorted(ACTIONS["escalate"].sources)
        for row in supervision_sql.arrival_breaches(conn, now, escalatable):
            transition(row["number"], "escalate", SYSTEM, now=now, conn=conn, data={"arrival_breach": True},
                       reason=supervision_rules.arrival_breach_reason(row["arrival_due_at"], now))
            _flag(conn, row["id"], supervision_rules.ARRIVAL_FLAG, now)
            raised.append(row["number"])
    return raised


def supervise(supervision_id: int, principal: Principal, note: str, now: datetime | None = None) -> int:
    """A supervisor's note on a supervision (督办记录), if ``principal`` supervises the supervised ticket."""
    if not note.strip():
        raise IntakeError("note", "督办记录不能为空")
    with get_engine().begin() as conn:
        ticket_id = db.supervision_ticket_id(conn, supervision_id)
        if ticket_id is None:
            raise NotFound(f"没有督办 {supervision_id}")
        policy.require(principal, "supervision", policy.Target.of_ticket(db.ticket_by_id(conn, ticket_id)))
        action_id = db.add_supervision_action(conn, supervision_id, principal.label, note.strip(), now or utcnow())
        _audit_change(conn, principal, "supervision_note", f"supervision:{supervision_id}")
        return action_id


def merge(number: str, into: str, principal: Principal, now: datetime | None = None) -> Transitioned:
    return transition(number, "merge", principal, reason=f"与工单 {into} 重复", data={"into": into}, now=now)


def history(number: str) -> tuple[dict, list[dict]]:
    with get_engine().connect() as conn:
        ticket = db.ticket_by_number(conn, number)
        if ticket is None:
            raise NotFound(f"没有工单 {number}")
        return ticket, db.ticket_events(conn, ticket["id"])


ALL_ACTIONS = tuple(ACTIONS)
